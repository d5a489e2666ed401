from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from compensation.models.claim import Claim


class ObjectionOutcome(models.TextChoices):
    UPHELD = "upheld", _("Objection upheld: decision changed in the user's favour")
    AMOUNT_CHANGED = "amount_changed", _("Amount changed")
    REJECTED = "rejected", _("Objection rejected: earlier decision stands")


class Objection(models.Model):
    """이의제기: one round against the decision in force when it was filed."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="objections")
    round = models.PositiveSmallIntegerField(_("round"))
    reason = models.TextField(_("reason"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    objected_decision = models.ForeignKey("Decision", on_delete=models.PROTECT, related_name="objections_against")
    review_due_on = models.DateField(_("review due"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=ObjectionOutcome.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["claim", "round"]
        constraints = [models.UniqueConstraint(fields=["claim", "round"], name="objection_round_unique")]

    def __str__(self):
        return f"{self.claim} · {self.round}"


class Decision(models.Model):
    """보상여부·보상금액·지급예정일. A new row per decision; nothing is overwritten."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Awaiting second approval")
        IN_FORCE = "in_force", _("In force")
        SUPERSEDED = "superseded", _("Superseded")
        SENT_BACK = "sent_back", _("Sent back by the approver")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="decisions")
    # A round may be decided more than once when an approver sends the decision back; only one of its
    # decisions is ever live (the constraint below), the sent-back ones stay as the record.
    objection = models.ForeignKey(
        Objection, on_delete=models.PROTECT, null=True, blank=True, related_name="resulting_decisions"
    )
    approved = models.BooleanField(_("compensation approved"))
    amount_krw = models.PositiveBigIntegerField(_("amount (KRW)"))
    reasons = models.TextField(_("reasons shown to the user"))
    internal_note = models.TextField(_("internal note"), blank=True)
    pay_on = models.DateField(
        _("planned pay date"),
        null=True,
        blank=True,
        help_text=_(
            "지급예정일: the one payment deadline (alerts, overdue lists, the digest, the unpaid CSV, the portal)."
        ),
    )
    pay_on_reason = models.TextField(
        _("reason for a later pay date"),
        blank=True,
        help_text=_("A supervisor's reason for a pay date beyond the payment business days after the decision."),
    )
    due_on = models.DateField(
        _("review was due on"),
        null=True,
        blank=True,
        help_text=_("The review deadline in force when this decision was made (for SLA reports)."),
    )
    statutory_due_on = models.DateField(
        _("statutory review due"),
        null=True,
        blank=True,
        help_text=_(
            "15 business days after the application (or the objection) it answers; never moved. "
            "On time means notified by the end of this day (KST)."
        ),
    )
    is_correction = models.BooleanField(
        _("correction"), default=False, help_text=_("A correction after acceptance or payment (정정 결정).")
    )
    cap_override_reason = models.TextField(_("reason for exceeding the cap"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("decision notice sent at"), null=True, blank=True)
    # The objection window (and so deemed acceptance) counts from whichever comes first.
    mail_sent_at = models.DateTimeField(_("decision mail delivered at"), null=True, blank=True)
    first_opened_at = models.DateTimeField(_("first opened in the portal at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["claim", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved=True) | models.Q(amount_krw=0),
                name="rejected_decision_has_no_amount",
            ),
            models.UniqueConstraint(
                fields=["objection"],
                condition=models.Q(objection__isnull=False) & ~models.Q(status="sent_back"),
                name="one_live_decision_per_objection",
            ),
        ]
        indexes = [models.Index(fields=["status", "decided_at"], name="decision_status_at")]

    def __str__(self):
        return f"{self.claim} · {self.amount_krw:,} KRW"
