import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from compensation.models.policy import CompensationPolicy, NoticeTerms, PolicyVersion
from incidents.kst import end_of_day
from incidents.models import Incident


class ClaimState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting second approval")
    DECIDED = "decided", _("Decided")
    OBJECTED = "objected", _("Objection filed")
    ACCEPTED = "accepted", _("Accepted")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States in which the review clock runs (review_due_on is the live deadline).
REVIEW_CLOCK_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.IN_REVIEW,
    ClaimState.SUPPLEMENT_REQUESTED,
    ClaimState.AWAITING_APPROVAL,
    ClaimState.OBJECTED,
)
WITHDRAWABLE_STATES = (ClaimState.SUBMITTED, ClaimState.IN_REVIEW, ClaimState.SUPPLEMENT_REQUESTED)
# Staff may still record what the exchange's data shows (prices, fees, delay) before deciding.
ASSESSABLE_STATES = (*WITHDRAWABLE_STATES, ClaimState.OBJECTED)


@dataclass(frozen=True)
class Clock:
    """A deadline a claim keeps: runs in `states`, due the N-th business day after its start."""

    name: str
    label: str
    states: tuple
    started_field: str
    days_field: str
    due_field: str


# The one table of a claim's clocks; the model, the deadline recompute and the case page read it.
CLOCKS = (
    Clock(
        "review",
        _("Review due"),
        REVIEW_CLOCK_STATES,
        "review_clock_started_on",
        "review_business_days",
        "review_due_on",
    ),
    Clock(
        "objection_window",
        _("Objection window ends"),
        (ClaimState.DECIDED,),
        "objection_window_started_on",
        "objection_window_business_days",
        "objection_window_ends_on",
    ),
    Clock(
        "payment",
        _("Payment due"),
        (ClaimState.ACCEPTED,),
        "payment_clock_started_on",
        "payment_business_days",
        "payment_due_on",
    ),
)
CLOCK = {clock.name: clock for clock in CLOCKS}


def running_due_on():
    """The deadline of the clock running in the claim's state (NULL when none runs), as one SQL expression."""
    return models.Case(
        *(models.When(state__in=[str(s) for s in clock.states], then=models.F(clock.due_field)) for clock in CLOCKS),
        default=None,
        output_field=models.DateField(),
    )


OPEN_STATES = REVIEW_CLOCK_STATES + (ClaimState.DECIDED, ClaimState.ACCEPTED)


class ExtensionGround(models.TextChoices):
    """The listed grounds on which a review deadline may be extended (once, before the statutory date)."""

    SUPPLEMENT_REQUESTED = "supplement_requested", _("Documents requested from the claimant")
    CLAIMANT_CONSENT = "claimant_consent", _("The claimant agreed to a longer review")


class TradeSide(models.TextChoices):
    BUY = "buy", _("Buy")
    SELL = "sell", _("Sell")


class ClaimOrigin(models.TextChoices):
    FILED = "filed", _("Filed by the user")
    PROACTIVE = "proactive", _("Proactive: from the exchange's own data")
    ASSISTED = "assisted", _("Recorded by staff for a caller or visitor")


class PayoutMethod(models.TextChoices):
    BANK = "bank", _("Bank account (KRW)")
    WALLET = "wallet", _("Exchange wallet")


class Claim(FSMModelMixin, models.Model):
    """A user's compensation claim. State changes only through `compensation.services`."""

    number = models.CharField(_("claim number"), max_length=20, unique=True, null=True, blank=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="claims", verbose_name=_("incident"))
    policy = models.ForeignKey(
        CompensationPolicy, on_delete=models.PROTECT, related_name="claims", verbose_name=_("damage type (policy)")
    )
    # The terms it was filed under: the policy version the incident's notice published, with the
    # incident's override (cap, note). Assessment and decisions use them (see selectors.terms).
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("policy version filed under"),
    )
    notice_terms = models.ForeignKey(
        NoticeTerms,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("published terms filed under"),
    )
    # Empty only for a proactive claim whose account has not been linked to a portal user yet.
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("claimant"),
        null=True,
        blank=True,
    )
    origin = models.CharField(_("origin"), max_length=12, choices=ClaimOrigin.choices, default=ClaimOrigin.FILED)
    exchange_account = models.ForeignKey(
        "compensation.ExchangeAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("exchange account"),
    )
    state = FSMField(_("state"), default=ClaimState.SUBMITTED, choices=ClaimState.choices, protected=True)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False)

    # What the user says happened.
    amount_claimed_krw = models.PositiveBigIntegerField(_("amount claimed (KRW)"))
    asset = models.CharField(_("asset"), max_length=20, blank=True, help_text=_("e.g. BTC"))
    side = models.CharField(_("side"), max_length=4, choices=TradeSide.choices, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=38, decimal_places=18, null=True, blank=True)
    intended_price_krw = models.PositiveBigIntegerField(_("intended price (KRW)"), null=True, blank=True)
    intended_at = models.DateTimeField(_("intended order time"), null=True, blank=True)
    description = models.TextField(_("what happened"))
    payout_method = models.CharField(_("payout method"), max_length=10, choices=PayoutMethod.choices)
    payout_account = models.CharField(
        _("bank account or wallet"), max_length=200, help_text=_("Bank name and account number, or wallet address")
    )

    # Required documents the claim was filed without ({"id", "name"}); it is never refused for them:
    # review asks for them (supplement_requested) and each one supplied is taken off the list.
    missing_documents = models.JSONField(_("documents still missing"), default=list, blank=True)

    # What staff establish from the exchange's own data (order logs, prices).
    reference_price_krw = models.PositiveBigIntegerField(
        _("executable price (KRW)"),
        null=True,
        blank=True,
        help_text=_("The price the order could have executed at, from the exchange's records."),
    )
    fee_krw = models.PositiveBigIntegerField(_("fees charged (KRW)"), null=True, blank=True)
    delayed_amount_krw = models.PositiveBigIntegerField(_("delayed amount (KRW)"), null=True, blank=True)
    delay_days = models.PositiveIntegerField(_("days delayed"), null=True, blank=True)

    # The clock (all stored; recomputed with a logged event when the calendar changes).
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    # 15영업일 after the KST filing date, set at filing and never changed afterwards: not by an
    # extension, a holiday edit or a recompute. The SLA is measured against it.
    statutory_due_on = models.DateField(_("statutory review due (KST date)"), editable=False)
    review_due_on = models.DateField(_("review due (KST date)"))
    review_business_days = models.PositiveSmallIntegerField(_("review business days"), default=15)
    review_clock_started_on = models.DateField(_("review clock started on"))
    review_extension_reason = models.TextField(_("reason for extension"), blank=True)
    review_extension_ground = models.CharField(
        _("ground for extension"), max_length=32, choices=ExtensionGround.choices, blank=True
    )
    review_extension_round = models.PositiveSmallIntegerField(
        _("extended in objection round"), null=True, blank=True, help_text=_("0 = the first review")
    )
    objection_window_started_on = models.DateField(_("objection window started on"), null=True, blank=True)
    objection_window_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    objection_window_ends_on = models.DateField(_("objection window ends on"), null=True, blank=True)
    payment_clock_started_on = models.DateField(_("payment clock started on"), null=True, blank=True)
    payment_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    payment_due_on = models.DateField(_("payment due on"), null=True, blank=True)
    calendar_revision = models.PositiveIntegerField(_("calendar revision used"), default=0)

    # The deadline running in the current state, computed by the database from CLOCKS: one indexed
    # column for the staff queue's "overdue" and "due soon" filters and its default order.
    next_due_on = models.GeneratedField(
        expression=running_due_on(),
        output_field=models.DateField(),
        db_persist=True,
        verbose_name=_("next deadline"),
    )

    objection_round = models.PositiveSmallIntegerField(_("objection round"), default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_claims",
        verbose_name=_("assignee"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["state", "next_due_on"])

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["claimant", "idempotency_key"], name="claim_idempotent_submit"),
            models.UniqueConstraint(
                fields=["claimant", "incident", "policy"],
                condition=~models.Q(state="withdrawn"),
                name="one_live_claim_per_user_incident_damage",
            ),
        ]
        indexes = [
            # The staff queue sorts by (review due, id) and reads 50 rows: this index serves it exactly.
            models.Index(fields=["review_due_on", "id"], name="claim_review_due_id"),
            models.Index(fields=["next_due_on", "id"], name="claim_next_due_id"),
            models.Index(fields=["state", "review_due_on"], name="claim_state_review_due"),
            models.Index(fields=["incident", "state"], name="claim_incident_state"),
            models.Index(fields=["assignee", "state", "review_due_on"], name="claim_assignee_queue"),
            models.Index(fields=["claimant", "-filed_at"], name="claim_claimant_recent"),
            models.Index(fields=["objection_window_ends_on"], name="claim_objection_window"),
            models.Index(fields=["payment_due_on"], name="claim_payment_due"),
            models.Index(fields=["exchange_account", "incident"], name="claim_exchange_account"),
        ]

    def __str__(self):
        return self.number or f"claim #{self.pk}"

    @property
    def contact_email(self):
        """Where mail about the claim goes: the portal user's address, else the one the exchange holds,
        else (a staff-recorded claim) the address staff recorded."""
        if self.claimant_id:
            return self.claimant.email
        if self.exchange_account_id and self.exchange_account.email:
            return self.exchange_account.email
        if self.origin == ClaimOrigin.ASSISTED:
            # Recorded by staff for an address with no portal user yet: held for that address.
            return self.assisted_intake.email
        return ""

    # --- derived -----------------------------------------------------------
    @property
    def review_due_at(self):
        return end_of_day(self.review_due_on)

    @property
    def statutory_due_at(self):
        return end_of_day(self.statutory_due_on)

    @property
    def objection_window_ends_at(self):
        return end_of_day(self.objection_window_ends_on) if self.objection_window_ends_on else None

    @property
    def max_objection_rounds(self):
        return max(2, settings.COMPENSATION_MAX_OBJECTION_ROUNDS)

    @property
    def objection_rounds_left(self):
        return max(0, self.max_objection_rounds - self.objection_round)

    def save(self, *args, **kwargs):
        updating = not self._state.adding
        super().save(*args, **kwargs)
        if updating:
            # An UPDATE does not return the generated `next_due_on`: read it again when next asked for.
            self.__dict__.pop("next_due_on", None)

    def running_clock(self):
        return next((clock for clock in CLOCKS if self.state in clock.states), None)

    def next_deadline(self):
        """(label, date) of the deadline that matters now, or None."""
        clock = self.running_clock()
        return (clock.label, getattr(self, clock.due_field)) if clock else None

    # --- guards --------------------------------------------------------------
    def objection_window_open(self):
        return self.objection_window_ends_on is not None and timezone.now() <= self.objection_window_ends_at

    def has_objection_rounds_left(self):
        # A correction against the claimant (정정 결정) has its own objection window and uses up no round.
        return self.objection_round < self.max_objection_rounds or self.objecting_a_correction()

    def objecting_a_correction(self):
        return self.decisions.filter(status="in_force", is_correction=True).exists()

    def objection_window_lapsed(self):
        return self.objection_window_ends_on is not None and timezone.now() > self.objection_window_ends_at

    # --- transitions (guards only; the services do the work) -----------------
    @transition(field=state, source=[ClaimState.SUBMITTED, ClaimState.OBJECTED], target=ClaimState.IN_REVIEW)
    def start_review(self):
        pass

    @transition(field=state, source=ClaimState.IN_REVIEW, target=ClaimState.SUPPLEMENT_REQUESTED)
    def request_supplement(self):
        pass

    @transition(field=state, source=ClaimState.SUPPLEMENT_REQUESTED, target=ClaimState.IN_REVIEW)
    def add_supplement(self):
        pass

    @transition(field=state, source=ClaimState.IN_REVIEW, target=ClaimState.DECIDED)
    def decide(self):
        pass

    @transition(field=state, source=ClaimState.IN_REVIEW, target=ClaimState.AWAITING_APPROVAL)
    def submit_for_approval(self):
        pass

    @transition(field=state, source=ClaimState.AWAITING_APPROVAL, target=ClaimState.DECIDED)
    def approve(self):
        pass

    @transition(field=state, source=ClaimState.AWAITING_APPROVAL, target=ClaimState.IN_REVIEW)
    def return_to_review(self):
        pass

    @transition(
        field=state,
        source=ClaimState.DECIDED,
        target=ClaimState.OBJECTED,
        conditions=[objection_window_open, has_objection_rounds_left],
    )
    def object(self):
        pass

    @transition(field=state, source=ClaimState.DECIDED, target=ClaimState.ACCEPTED)
    def accept(self):
        pass

    @transition(
        field=state,
        source=ClaimState.DECIDED,
        target=ClaimState.ACCEPTED,
        conditions=[objection_window_lapsed],
    )
    def lapse_objection_window(self):
        pass

    @transition(field=state, source=ClaimState.ACCEPTED, target=ClaimState.PAID)
    def mark_paid(self):
        pass

    @transition(field=state, source=[ClaimState.PAID, ClaimState.ACCEPTED], target=ClaimState.CLOSED)
    def close(self):
        pass

    @transition(
        field=state, source=[ClaimState.ACCEPTED, ClaimState.PAID, ClaimState.CLOSED], target=ClaimState.DECIDED
    )
    def correct_against_claimant(self):
        """A correction that lowers the amount or recovers money is a new decision the claimant may object to."""

    @transition(field=state, source=[ClaimState.PAID, ClaimState.CLOSED], target=ClaimState.ACCEPTED)
    def reopen_payment(self):
        """A corrected decision after payment leaves a difference to pay or to recover."""

    @transition(field=state, source=WITHDRAWABLE_STATES, target=ClaimState.WITHDRAWN)
    def withdraw(self):
        pass


class ClaimEvent(models.Model):
    """The claim's timeline: every transition and every recorded change, with who and why."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("State change")
        DOCUMENT = "document", _("Document added")
        DEADLINE = "deadline", _("Deadline changed")
        ASSIGNMENT = "assignment", _("Assignment")
        NOTE = "note", _("Note")
        CONFIRMATION = "confirmation", _("Claimant's confirmation")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TRANSITION)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    visible_to_claimant = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["claim", "created_at"], name="claim_event_at")]

    def __str__(self):
        return f"{self.claim_id} {self.kind} {self.from_state}→{self.to_state}"
