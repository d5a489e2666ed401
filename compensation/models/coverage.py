"""Coverage of liabilities: insurance policies, the reserve, and the monthly check against the rule.

The 가상자산이용자보호법 enforcement decree (seed 002): insurance or a reserve of at least 5% of
the economic value of assets held in hot wallets, at least 30억 KRW for exchanges with a
real-name KRW account (KRW market) and 5억 for the others, computed monthly, a shortfall fixed
by the next business day. Seed 003 reads it as 5% of users' assets, computed at month end, fixed
by the 10th of next month. Which reading applies is the setting COVERAGE_BASIS until the final
rule is confirmed; each snapshot records the reading it was computed under.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.kst import end_of_day

RATE_PERCENT = 5
MINIMUM_KRW = {"krw_market": 3_000_000_000, "other": 500_000_000}


class LicenceType(models.TextChoices):
    KRW_MARKET = "krw_market", _("KRW market (real-name deposit account): minimum 3 billion KRW")
    OTHER = "other", _("Other (coin market, wallet, custody): minimum 500 million KRW")


class CoverageBasis(models.TextChoices):
    HOT_WALLET = "hot_wallet", _("5% of assets in hot wallets; fixed by the next business day (decree, seed 002)")
    USER_ASSETS = "user_assets", _("5% of users' assets at month end; fixed by the 10th of next month (seed 003)")


def required_amount(basis_value_krw, licence_type):
    """max(5% of the basis, the minimum for the licence), in whole KRW rounded up."""
    five_percent = -(-basis_value_krw * RATE_PERCENT // 100)
    return max(five_percent, MINIMUM_KRW[licence_type])


class InsurancePolicy(models.Model):
    """An insurance (or mutual aid) policy covering liability for hacking and IT failures."""

    insurer = models.CharField(_("insurer"), max_length=200)
    policy_number = models.CharField(_("policy number"), max_length=100, unique=True)
    starts_on = models.DateField(_("in force from"))
    ends_on = models.DateField(_("in force until"))
    aggregate_limit_krw = models.PositiveBigIntegerField(_("aggregate limit (KRW)"))
    per_incident_limit_krw = models.PositiveBigIntegerField(_("per-incident limit (KRW)"))
    covers = models.CharField(_("what it covers"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="policy_period"),
            models.CheckConstraint(
                condition=models.Q(per_incident_limit_krw__lte=models.F("aggregate_limit_krw")),
                name="policy_per_incident_within_aggregate",
            ),
        ]

    def __str__(self):
        return f"{self.insurer} {self.policy_number} ({self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d})"


class CoverageSnapshot(models.Model):
    """One month's check: required amount, what covers it, the shortfall and the deadline to fix it."""

    class Status(models.TextChoices):
        COVERED = "covered", _("Covered")
        SHORTFALL = "shortfall", _("Shortfall")
        FIXED = "fixed", _("Shortfall fixed")

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    as_of = models.DateField(_("computed as of"))
    basis = models.CharField(_("basis"), max_length=16, choices=CoverageBasis.choices)
    basis_value_krw = models.PositiveBigIntegerField(_("value of the basis (KRW)"))
    licence_type = models.CharField(_("licence type"), max_length=16, choices=LicenceType.choices)
    required_krw = models.PositiveBigIntegerField(_("required (KRW)"))
    insurance_aggregate_krw = models.PositiveBigIntegerField(_("insurance, aggregate limits (KRW)"))
    insurance_per_incident_krw = models.PositiveBigIntegerField(_("insurance, per-incident limits (KRW)"))
    reserve_krw = models.PositiveBigIntegerField(_("reserve (KRW)"))
    shortfall_krw = models.PositiveBigIntegerField(_("shortfall (KRW)"))
    policies = models.JSONField(_("policies counted"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    fix_by = models.DateField(_("fix by"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fix_note = models.TextField(_("how it was fixed"), blank=True)
    fixed_reserve_krw = models.PositiveBigIntegerField(_("reserve after the fix (KRW)"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")
        ordering = ["-month"]
        indexes = [models.Index(fields=["status", "fix_by"], name="coverage_status_fix_by")]

    def __str__(self):
        return f"{self.month:%Y-%m}: {self.get_status_display()}"

    @property
    def covered_krw(self):
        """What an incident can draw on: the per-incident limits (never more than the aggregate) and the reserve."""
        return min(self.insurance_per_incident_krw, self.insurance_aggregate_krw) + self.reserve_krw

    @property
    def fixed_late(self):
        return bool(self.fixed_at and self.fix_by and self.fixed_at > end_of_day(self.fix_by))
