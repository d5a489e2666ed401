from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from compensation.models.claim import Claim


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    WALLET_CREDIT = "wallet_credit", _("Exchange wallet credit")


class Payment(models.Model):
    """Money actually paid; a claim is paid when these add up to the amount in force."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    amount_krw = models.BigIntegerField(_("amount (KRW)"), help_text=_("Negative for a recovery."))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["claim", "paid_at"]
        constraints = [models.UniqueConstraint(fields=["method", "reference"], name="payment_reference_unique")]

    def __str__(self):
        return f"{self.claim} · {self.amount_krw:,} KRW"
