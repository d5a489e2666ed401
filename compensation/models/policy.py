from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from incidents.models import Immutable, Incident, IncidentType, NoticeVersion


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


# The fields of a policy that are its terms: a change to any of them is a new PolicyVersion.
TERM_FIELDS = (
    "incident_type",
    "damage_type",
    "name",
    "criteria",
    "method",
    "cap_krw",
    "fixed_amount_krw",
    "annual_interest_rate_bp",
    "exclusions",
)


def current_terms(policy):
    """The policy's terms as they stand in its rows now (documents in their order)."""
    terms = {name: getattr(policy, name) for name in TERM_FIELDS}
    terms["exclusions"] = list(terms["exclusions"] or [])
    terms["required_documents"] = [
        {"id": doc.pk, "name": doc.name, "description": doc.description}
        for doc in policy.required_documents.order_by("position", "pk")
    ]
    return terms


class PolicyVersion(Immutable):
    """The terms of a policy as they were at one time; a new row whenever any term changes.

    Notices link the versions they were published with, claims the version they were filed under.
    """

    policy = models.ForeignKey(
        CompensationPolicy, on_delete=models.PROTECT, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    incident_type = models.CharField(_("incident type"), max_length=32, choices=IncidentType.choices)
    damage_type = models.CharField(_("damage type"), max_length=32, choices=DamageType.choices)
    name = models.CharField(_("name"), max_length=200)
    criteria = models.TextField(_("criteria shown to users"))
    method = models.CharField(_("method"), max_length=32, choices=Method.choices)
    cap_krw = models.PositiveBigIntegerField(_("cap per claim (KRW)"))
    fixed_amount_krw = models.PositiveBigIntegerField(_("fixed amount (KRW)"), null=True, blank=True)
    annual_interest_rate_bp = models.PositiveIntegerField(
        _("annual interest rate (basis points)"), null=True, blank=True
    )
    exclusions = models.JSONField(_("exclusions"), default=list, blank=True)
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    reason = models.TextField(_("reason for the change"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("in force from"), default=timezone.now)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique")]

    def __str__(self):
        return f"{self.name} v{self.number}"

    def terms(self):
        terms = {name: getattr(self, name) for name in TERM_FIELDS}
        terms["exclusions"] = list(terms["exclusions"] or [])
        terms["required_documents"] = list(self.required_documents or [])
        return terms

    def exclusion_labels(self):
        labels = dict(Exclusion.choices)
        return [labels.get(code, code) for code in self.exclusions]


class IncidentPolicyOverride(models.Model):
    """Terms of one policy changed for one incident only (a higher cap, a note on the criteria).

    Applies from the next publication or revision of the incident's notice; the global policy
    stays as it is for every other incident.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="policy_overrides", verbose_name=_("incident")
    )
    policy = models.ForeignKey(
        CompensationPolicy, on_delete=models.PROTECT, related_name="incident_overrides", verbose_name=_("policy")
    )
    cap_krw = models.PositiveBigIntegerField(
        _("cap per claim for this incident (KRW)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to keep the policy's cap."),
    )
    criteria_note = models.TextField(
        _("note on the criteria for this incident"),
        blank=True,
        help_text=_("Shown below the policy's criteria on this incident's notice."),
    )
    reason = models.TextField(_("reason"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("policy override for an incident")
        verbose_name_plural = _("policy overrides for incidents")
        constraints = [models.UniqueConstraint(fields=["incident", "policy"], name="one_override_per_incident_policy")]

    def __str__(self):
        return f"{self.incident} · {self.policy}"


class NoticeTerms(Immutable):
    """The terms of one policy as a notice version published them (version + incident override)."""

    notice_version = models.ForeignKey(
        NoticeVersion, on_delete=models.PROTECT, related_name="policy_terms", verbose_name=_("notice version")
    )
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="notice_terms", verbose_name=_("policy version")
    )
    cap_krw = models.PositiveBigIntegerField(_("cap per claim (KRW)"))
    criteria_note = models.TextField(_("note on the criteria for this incident"), blank=True)

    class Meta:
        verbose_name = _("published policy terms")
        verbose_name_plural = _("published policy terms")
        ordering = ["notice_version", "policy_version__damage_type"]
        constraints = [models.UniqueConstraint(fields=["notice_version", "policy_version"], name="notice_terms_unique")]

    def __str__(self):
        return f"{self.notice_version} · {self.policy_version}"

    # The terms a claim under them is assessed with.
    @property
    def method(self):
        return self.policy_version.method

    @property
    def fixed_amount_krw(self):
        return self.policy_version.fixed_amount_krw

    @property
    def annual_interest_rate_bp(self):
        return self.policy_version.annual_interest_rate_bp

    @property
    def documents(self):
        return self.policy_version.required_documents

    def comparable(self):
        terms = self.policy_version.terms()
        terms["cap_krw"] = self.cap_krw
        return terms

    def is_more_favourable_than(self, other):
        """True when a claimant is better off under these terms than under `other` in every respect
        and strictly better in one: same method, no lower cap, amount or rate, no new exclusion
        or required document. A change of wording alone is not judged favourable."""
        new, old = self.comparable(), other.comparable()
        if new["method"] != old["method"]:
            return False
        better = False
        for name in ("cap_krw", "fixed_amount_krw", "annual_interest_rate_bp"):
            a, b = new[name], old[name]
            if a is None or b is None:
                if a != b:
                    return False
                continue
            if a < b:
                return False
            better = better or a > b
        new_excl, old_excl = set(new["exclusions"]), set(old["exclusions"])
        new_docs = {d["id"] for d in new["required_documents"]}
        old_docs = {d["id"] for d in old["required_documents"]}
        if not (new_excl <= old_excl and new_docs <= old_docs):
            return False
        return better or new_excl < old_excl or new_docs < old_docs
