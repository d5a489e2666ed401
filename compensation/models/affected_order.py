from django.db import models
from django.utils.translation import gettext_lazy as _

from compensation.models.claim import TradeSide
from compensation.models.imported import ImportedRecord
from incidents.models import Incident


class AffectedOrder(ImportedRecord):
    """An order the exchange's own log shows failing during an incident: who was hit, and how.

    Imported per incident so the exchange can find affected users itself (DAXA: 회사 내부 데이터를
    적극적으로 검토), invite them to claim, pre-fill their claim form and show reviewers the evidence.
    Never overwritten, like every other record that sizes a claim.
    """

    # One value per imported file, checked by the import; the composite indexes below start with it.
    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        related_name="affected_orders",
        verbose_name=_("incident"),
        db_constraint=False,
        db_index=False,
    )
    order_ref = models.CharField(_("order id"), max_length=64, help_text=_("The exchange's own order id."))
    account_id = models.CharField(_("exchange account id"), max_length=64, blank=True)
    email = models.EmailField(
        _("account email"), blank=True, help_text=_("Stored in lower case; matched to user accounts.")
    )
    asset = models.CharField(_("asset"), max_length=20)
    side = models.CharField(_("side"), max_length=4, choices=TradeSide.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=38, decimal_places=18)
    price_krw = models.PositiveBigIntegerField(_("order price (KRW)"))
    attempted_at = models.DateTimeField(_("attempted at"))
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("affected order")
        verbose_name_plural = _("affected orders")
        ordering = ["incident", "attempted_at", "pk"]
        # On PostgreSQL the table is partitioned by incident (migration 0029): an incident's first
        # log is loaded into a table of its own and these indexes are built once after the load
        # (see services/imports/log_partitions.py). Text keys compare byte by byte
        # (varchar_pattern_ops: equality lookups only, much cheaper than the locale's collation).
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "order_ref"],
                name="affected_order_unique",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
        ]
        indexes = [
            # Looked up by address (portal, case page) only when there is one.
            models.Index(fields=["incident", "email"], name="affected_order_email", condition=~models.Q(email="")),
            # Account first: within a partition the incident is one value, and a sort whose first key
            # is constant compares every pair on both columns (no abbreviated keys): building the
            # index after a million-row load took 1.4-1.8 s this way round and 0.9 s the other.
            # Lookups give both columns (equality), so either order serves them.
            models.Index(
                fields=["account_id", "incident"],
                name="affected_order_account_first",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.order_ref} {self.asset} {self.side} {self.quantity} @ {self.price_krw:,}"
