"""Compensation without a claim: the exchange's own accounts and logs, and the batches computed from them.

DAXA (모범규준, 전산장애 보상): the exchange must 회사 내부 데이터를 적극적으로 검토하여 … 피해여부를
산정 and compensate 신속하고 적절하게. These records let it pay a whole outage from its logs, keyed by
exchange account id, without asking anyone to file.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from compensation.models.imported import ImportedRecord
from compensation.models.policy import CompensationPolicy, NoticeTerms, PolicyVersion
from incidents.models import Incident


class LinkMethod(models.TextChoices):
    MAILED_LINK = "mailed_link", _("Signed link mailed to the address the exchange holds")
    STAFF = "staff", _("Verified by staff")


class PayoutKind(models.TextChoices):
    EXCHANGE_CREDIT = "exchange_credit", _("Credit to the user's own exchange account")
    BANK = "bank", _("Bank account (verified by staff)")
    WALLET = "wallet", _("Outside wallet (verified by staff)")


class ExchangeAccount(ImportedRecord):
    """An account at the exchange, as the exchange's own customer records hold it.

    `email` is the address the exchange holds for the account: the signed link that proves a portal
    user controls the account is mailed there and nowhere else. `user` is set only by a verified
    link (the mailed link, or staff who checked identity); it is never typed by the user alone.
    """

    account_id = models.CharField(_("exchange account id"), max_length=64, unique=True)
    email = models.EmailField(_("address held by the exchange"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_account",
        verbose_name=_("portal user"),
    )
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)
    link_method = models.CharField(_("verified by"), max_length=16, choices=LinkMethod.choices, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff who verified"),
    )
    identity_check = models.TextField(_("identity check"), blank=True)
    # Default payout is a credit to this very account; anything else only once staff verified it.
    payout_kind = models.CharField(
        _("payout"), max_length=20, choices=PayoutKind.choices, default=PayoutKind.EXCHANGE_CREDIT
    )
    payout_details = models.CharField(_("bank account or wallet"), max_length=200, blank=True)
    payout_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payout_verified_at = models.DateTimeField(_("payout verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange account")
        verbose_name_plural = _("exchange accounts")
        ordering = ["account_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payout_kind="exchange_credit") | models.Q(payout_verified_by__isnull=False),
                name="exchange_account_payout_verified",
            )
        ]

    def __str__(self):
        return self.account_id

    def payout_target(self):
        if self.payout_kind == PayoutKind.EXCHANGE_CREDIT:
            return self.account_id
        return self.payout_details


class DelayedTransfer(ImportedRecord):
    """A deposit or withdrawal the exchange's log shows delayed by the incident."""

    class Direction(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    # One value per imported file, checked by the import; the unique index starts with it.
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="delayed_transfers", db_constraint=False, db_index=False
    )
    account_id = models.CharField(_("exchange account id"), max_length=64)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    asset = models.CharField(_("asset"), max_length=20)
    amount = models.DecimalField(_("amount"), max_digits=38, decimal_places=18)
    requested_at = models.DateTimeField(_("requested at"))
    completed_at = models.DateTimeField(_("completed at"))

    class Meta:
        verbose_name = _("delayed deposit or withdrawal")
        verbose_name_plural = _("delayed deposits and withdrawals")
        ordering = ["incident", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "account_id", "direction", "asset", "requested_at"], name="delayed_transfer_unique"
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.direction} {self.amount} {self.asset}"


class FailedLogin(ImportedRecord):
    """A login or session the exchange's log shows failing during the outage window."""

    # One value per imported file, checked by the import; the unique index starts with it.
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="failed_logins", db_constraint=False, db_index=False
    )
    account_id = models.CharField(_("exchange account id"), max_length=64)
    attempted_at = models.DateTimeField(_("attempted at"))

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        ordering = ["incident", "attempted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "account_id", "attempted_at"], name="failed_login_unique"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.attempted_at:%Y-%m-%d %H:%M}"


class BatchState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPUTED = "computed", _("Computed")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


LIVE_BATCH_STATES = (BatchState.DRAFT, BatchState.COMPUTED, BatchState.APPROVED)


class CompensationBatch(FSMModelMixin, models.Model):
    """Every affected account of an incident, sized from the logs, approved by four eyes, issued as decisions."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="compensation_batches", verbose_name=_("incident")
    )
    state = FSMField(_("state"), default=BatchState.DRAFT, choices=BatchState.choices, protected=True)
    minimum_krw = models.PositiveBigIntegerField(
        _("minimum amount (KRW)"), help_text=_("Accounts below this are listed but not issued.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    compliance_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    compliance_approved_at = models.DateTimeField(_("compliance approved at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    # Totals of the last computation (the lines hold the detail).
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    to_issue = models.PositiveIntegerField(_("accounts to issue"), default=0)
    total_krw = models.PositiveBigIntegerField(_("total to issue (KRW)"), default=0)
    policies = models.JSONField(_("policies applied"), default=dict, blank=True)

    class Meta:
        verbose_name = _("compensation batch")
        verbose_name_plural = _("compensation batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(state__in=["draft", "computed", "approved"]),
                name="one_open_batch_per_incident",
            )
        ]

    def __str__(self):
        return f"{self.incident} · batch {self.pk}"

    @transition(field=state, source=[BatchState.DRAFT, BatchState.COMPUTED], target=BatchState.COMPUTED)
    def compute(self):
        pass

    @transition(field=state, source=BatchState.COMPUTED, target=BatchState.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=BatchState.APPROVED, target=BatchState.ISSUED)
    def issue(self):
        pass

    @transition(field=state, source=LIVE_BATCH_STATES, target=BatchState.CANCELLED)
    def cancel(self):
        pass


class BatchEvent(models.Model):
    batch = models.ForeignKey(CompensationBatch, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("batch event")
        verbose_name_plural = _("batch events")
        ordering = ["created_at", "pk"]


class LineOutcome(models.TextChoices):
    ISSUE = "issue", _("To issue")
    BELOW_MINIMUM = "below_minimum", _("Below the minimum: listed, not issued")
    FILED_CLAIM = "filed_claim", _("Merged into the claim the user filed")
    ALREADY_ISSUED = "already_issued", _("Already issued by an earlier batch")
    NOTHING = "nothing", _("No damage after computation")


class BatchLine(models.Model):
    """One account × damage type of a batch: what the logs show and what it comes to."""

    batch = models.ForeignKey(CompensationBatch, on_delete=models.PROTECT, related_name="lines")
    account_id = models.CharField(_("exchange account id"), max_length=64)
    policy = models.ForeignKey(CompensationPolicy, on_delete=models.PROTECT, related_name="+")
    # The terms applied: the policy version in force for the incident (as its notice published it,
    # with the incident's cap), and the published terms row when a notice published it.
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version applied"),
    )
    notice_terms = models.ForeignKey(
        NoticeTerms,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published terms applied"),
    )
    evidence_rows = models.PositiveIntegerField(_("evidence rows"))
    evidence = models.TextField(_("evidence"), help_text=_("The log rows behind the amount, named."))
    computed_krw = models.PositiveBigIntegerField(_("computed (KRW)"))
    amount_krw = models.PositiveBigIntegerField(_("amount after cap (KRW)"))
    capped = models.BooleanField(_("capped"), default=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=LineOutcome.choices)
    filed_claim = models.ForeignKey(
        "compensation.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim = models.OneToOneField(
        "compensation.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="batch_line"
    )
    # The corrected decision issuing gave the filed claim above (decided below this line's amount).
    corrected_decision = models.OneToOneField(
        "compensation.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batch_line",
        verbose_name=_("corrected decision of the filed claim"),
    )

    class Meta:
        verbose_name = _("batch line")
        verbose_name_plural = _("batch lines")
        ordering = ["batch", "-amount_krw", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "account_id", "policy"], name="batch_line_unique"),
        ]
        indexes = [models.Index(fields=["batch", "outcome", "amount_krw"], name="batch_line_outcome")]

    def __str__(self):
        return f"{self.account_id} {self.amount_krw:,} KRW"
