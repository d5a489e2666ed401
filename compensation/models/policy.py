from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import IncidentType


class DamageType(models.TextChoices):
    MISSED_TRADE = "missed_trade", _("Missed or failed trade")
    WRONG_PRICE = "wrong_price", _("Trade at a wrong price")
    DELAYED_FUNDS = "delayed_funds", _("Delayed deposit or withdrawal")
    EXCESS_FEE = "excess_fee", _("Fees charged by the failure")
    ASSET_LOSS = "asset_loss", _("Loss of assets")
    OTHER = "other", _("Other damage")


class Method(models.TextChoices):
    PRICE_DIFFERENCE = "price_difference", _("Price difference × quantity")
    FIXED_AMOUNT = "fixed_amount", _("Fixed amount")
    FEE_REFUND = "fee_refund", _("Fee refund")
    INTEREST = "interest", _("Interest on delayed funds")
    MANUAL = "manual", _("Assessed case by case")


class Exclusion(models.TextChoices):
    MENTAL_DAMAGE = "mental_damage", _("Mental distress (정신적 피해)")
    USER_DEVICE = "user_device", _("The user's own device or network")
    FORCE_MAJEURE = "force_majeure", _("Force majeure (천재지변 등 불가항력)")
    USER_FAULT = "user_fault", _("The user's own fault or intent")


class CompensationPolicy(models.Model):
    """보상기준 for one incident type × damage type: how damage is sized and what a claim needs."""

    incident_type = models.CharField(_("incident type"), max_length=32, choices=IncidentType.choices)
    damage_type = models.CharField(_("damage type"), max_length=32, choices=DamageType.choices)
    name = models.CharField(_("name"), max_length=200)
    criteria = models.TextField(
        _("criteria shown to users"), help_text=_("Plain-language 보상기준 shown on the notice and claim form.")
    )
    method = models.CharField(_("method"), max_length=32, choices=Method.choices)
    cap_krw = models.PositiveBigIntegerField(_("cap per claim (KRW)"))
    fixed_amount_krw = models.PositiveBigIntegerField(_("fixed amount (KRW)"), null=True, blank=True)
    annual_interest_rate_bp = models.PositiveIntegerField(
        _("annual interest rate (basis points)"),
        null=True,
        blank=True,
        help_text=_("For the interest method: 350 means 3.50% a year."),
    )
    exclusions = models.JSONField(_("exclusions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compensation policy")
        verbose_name_plural = _("compensation policies")
        ordering = ["incident_type", "damage_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident_type", "damage_type"],
                condition=models.Q(is_active=True),
                name="one_active_policy_per_incident_and_damage_type",
            )
        ]

    def __str__(self):
        return self.name

    def exclusion_labels(self):
        labels = dict(Exclusion.choices)
        return [labels.get(code, code) for code in self.exclusions]


class RequiredDocument(models.Model):
    """A document every claim under the policy must carry (e.g. order history screenshot)."""

    policy = models.ForeignKey(CompensationPolicy, on_delete=models.CASCADE, related_name="required_documents")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["policy", "position", "pk"]

    def __str__(self):
        return self.name


def terms_of(claim):
    """The terms a claim is assessed under (method, cap, fixed amount, rate)."""
    return claim.policy
