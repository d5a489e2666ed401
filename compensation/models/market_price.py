from django.db import models
from django.utils.translation import gettext_lazy as _

from compensation.models.imported import ImportedRecord
from incidents.models import Incident


class MarketPrice(ImportedRecord):
    """A traded price from the exchange's own records, imported for an incident to size claims.

    Never overwritten: a price that was used to size a claim must stay what it was; a wrong one
    is corrected on the claim, with a reason.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="market_prices", verbose_name=_("incident")
    )
    asset = models.CharField(_("asset"), max_length=20)
    at = models.DateTimeField(_("traded at"))
    price_krw = models.PositiveBigIntegerField(_("price (KRW)"))

    class Meta:
        verbose_name = _("market price")
        verbose_name_plural = _("market prices")
        ordering = ["incident", "asset", "at"]
        constraints = [
            # Also the index behind "the first price of this asset at or after the recovery".
            models.UniqueConstraint(fields=["incident", "asset", "at"], name="market_price_unique"),
        ]

    def __str__(self):
        return f"{self.asset} {self.at:%Y-%m-%d %H:%M} {self.price_krw:,} KRW"
