"""The buttons on a staff case page: which transitions are allowed now, for whom, and what they call."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from compensation import permissions, selectors, services
from compensation.admin import assisted
from compensation.formatting import krw, kst
from compensation.models import ClaimOrigin, Decision, ExtensionGround, Objection, PaymentMethod
from compensation.permissions import CLAIM_ACTIONS, Action, Actor
from compensation.services import deadlines
from compensation.services._common import require_second_person
from compensation.services.assessment import suggest_amount
from incidents.bounds import BoundedFormMixin
from incidents.errors import DomainError
from incidents.kst import today_kst


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(forms.Form):
    pass


class SupplementRequestForm(BoundedFormMixin, forms.Form):
    missing = forms.CharField(
        label=_("What is missing (the claimant reads this)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    extend_to_business_days = forms.IntegerField(
        label=_("Extend review to (business days, supervisors only)"), required=False, min_value=16, max_value=30
    )
    extension_reason = forms.CharField(label=_("Reason for the extension"), required=False)


class ExtendForm(BoundedFormMixin, forms.Form):
    ground = forms.ChoiceField(label=_("Ground (listed)"), choices=ExtensionGround.choices)
    business_days = forms.IntegerField(label=_("Review business days in total"), min_value=16, max_value=30)
    reason = forms.CharField(label=_("Reason (the claimant is told)"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(BoundedFormMixin, forms.Form):
    approved = forms.TypedChoiceField(
        label=_("Compensation (보상여부)"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Approved")), ("no", _("Rejected"))],
        widget=forms.RadioSelect,
    )
    amount_krw = forms.IntegerField(label=_("Amount (KRW, 보상금액)"), min_value=0)
    pay_on = forms.DateField(
        label=_("Planned pay date (지급예정일)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pay_on_reason = forms.CharField(
        label=_("Reason for a pay date beyond the payment business days (supervisors)"), required=False
    )
    reasons = forms.CharField(label=_("Reasons shown to the claimant"), widget=forms.Textarea(attrs={"rows": 4}))
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cap_override_reason = forms.CharField(label=_("Reason for exceeding the policy cap (supervisors)"), required=False)


class AssessmentForm(BoundedFormMixin, forms.Form):
    reference_price_krw = forms.IntegerField(label=_("Executable price (KRW)"), min_value=0, required=False)
    fee_krw = forms.IntegerField(label=_("Fees charged (KRW)"), min_value=0, required=False)
    delayed_amount_krw = forms.IntegerField(label=_("Delayed amount (KRW)"), min_value=0, required=False)
    delay_days = forms.IntegerField(label=_("Days delayed"), min_value=0, max_value=3650, required=False)
    reason = forms.CharField(label=_("Source (order log, price feed…)"), required=False)


class CorrectionForm(BoundedFormMixin, forms.Form):
    amount_krw = forms.IntegerField(label=_("Corrected amount (KRW)"), min_value=0)
    reasons = forms.CharField(label=_("Reasons shown to the claimant"), widget=forms.Textarea(attrs={"rows": 3}))
    internal_note = forms.CharField(label=_("Internal note"), required=False)


class PaymentForm(BoundedFormMixin, forms.Form):
    amount_krw = forms.IntegerField(label=_("Amount (KRW)"), min_value=1)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Transfer reference"), max_length=100)
    paid_at = forms.DateTimeField(
        label=_("Paid at (KST)"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def _pending_decision(claim):
    return claim.decisions.filter(status=Decision.Status.PENDING_APPROVAL).order_by("-pk").first()


# Guards: the rules about the person (not the role) that the services enforce, asked here so that a
# hidden button can say why. A guard returns None when the action is open, NOT_APPLICABLE when there
# is nothing to act on (no reason to show), or the service's own refusal message.
NOT_APPLICABLE = ""


def _refusal(check, *args):
    try:
        check(*args)
    except DomainError as error:
        return error.message
    return None


def _other_reviewer(claim, user):
    return _refusal(services.review.require_other_reviewer, claim, user)


def _second_person(claim, user):
    decision = _pending_decision(claim)
    if decision is None:
        return NOT_APPLICABLE
    return _refusal(require_second_person, decision, user)


def _decidable(claim, user):
    """Another reviewer than the objected decision's, and (a claim staff recorded) confirmed by the claimant."""
    return _other_reviewer(claim, user) or _refusal(services.assisted.require_confirmed, claim)


def _not_extended(claim, user):
    return _refusal(services.review.require_not_extended, claim)


def _nothing_pending(claim, user):
    return _refusal(services.settlement.require_nothing_pending, claim)


@dataclass(frozen=True)
class Fact:
    """One labelled line at the top of an action form (what the person acting must see)."""

    label: str
    value: str
    strong: bool = False


def _result(decision):
    return _("Approved") if decision.approved else _("Rejected")


def _decision_facts(decision, amount_label):
    return [
        Fact(amount_label, krw(decision.amount_krw), strong=True),
        Fact(_("Result"), _result(decision)),
        Fact(_("Decided by"), f"{decision.decided_by} · {kst(decision.decided_at)} KST"),
        Fact(_("Planned pay date"), f"{decision.pay_on:%Y-%m-%d}" if decision.pay_on else "—"),
        Fact(_("Reasons shown to the claimant"), decision.reasons),
    ]


def _in_force_facts(claim, label=None):
    decision = selectors.in_force_decision(claim)
    if decision is None:
        return []
    return [Fact(label or _("Decided amount now in force"), f"{krw(decision.amount_krw)} ({_result(decision)})")]


def _pending_facts(claim):
    decision = _pending_decision(claim)
    if decision is None:
        return []
    label = _("Corrected amount to approve") if decision.is_correction else _("Amount to approve")
    return _decision_facts(decision, label) + _in_force_facts(claim)


def _payment_facts(claim):
    decision = selectors.in_force_decision(claim)
    due, paid = (decision.amount_krw if decision else 0), selectors.paid_total(claim)
    return [
        Fact(_("Decided amount"), krw(due), strong=True),
        Fact(_("Paid so far"), krw(paid)),
        Fact(_("Left to pay"), krw(max(due - paid, 0))),
    ]


def open_objection(claim):
    """The objection of the round running now while no decision answering it is in force (with its attachments)."""
    if claim.objection_round == 0:
        return None
    return (
        Objection.objects.select_related("objected_decision", "filed_by")
        .prefetch_related("documents")
        .filter(claim=claim, round=claim.objection_round, outcome="")
        .first()
    )


def _objection_facts(objection):
    if objection is None:
        return []
    earlier = objection.objected_decision
    return [
        Fact(
            _("Decided amount objected to"),
            f"{krw(earlier.amount_krw)} ({_result(earlier)})",
            strong=True,
        )
    ]


def action_context(spec, claim):
    """What the action form shows above its fields: the amounts at stake and, in an objection round, the objection."""
    objection = open_objection(claim)
    facts = _objection_facts(objection)
    if spec.name in (Action.APPROVE, Action.SEND_BACK, Action.APPROVE_CORRECTION, Action.REFUSE_CORRECTION):
        facts += _pending_facts(claim)
    elif spec.name == Action.RECORD_PAYMENT:
        facts += _payment_facts(claim)
    elif spec.name == Action.CORRECT:
        facts += _in_force_facts(claim)
    facts.append(Fact(_("Amount claimed (by the claimant)"), krw(claim.amount_claimed_krw)))
    return {"facts": facts, "objection": objection}


@dataclass(frozen=True)
class CaseAction:
    """A button on the case page: shown when `compensation.permissions` allows it to this user now."""

    name: Action
    label: str
    form_class: type
    run: Callable
    style: str = "default"
    guard: Callable | None = None
    initial: Callable | None = None

    def refusal(self, claim, user):
        """None when open to this user now; else why not (NOT_APPLICABLE: nothing to say)."""
        if not permissions.user_allowed(user, self.name, claim.state):
            return NOT_APPLICABLE
        return None if self.guard is None else self.guard(claim, user)

    def available(self, claim, user):
        return self.refusal(claim, user) is None


def _decide(claim, user, data):
    return services.claim_decide(claim=claim, actor=user, **data)


def _decide_initial(claim, user):
    suggestion = suggest_amount(claim)
    initial = {"pay_on": deadlines.default_pay_date(decided_on=today_kst()), "approved": "yes"}
    if suggestion.amount_krw is not None:
        initial["amount_krw"] = suggestion.amount_krw
    return initial


def _assessment_initial(claim, user):
    return {name: getattr(claim, name) for name in services.review.ASSESSMENT_FIELDS}


def _record_assessment(claim, user, data):
    reason = data.pop("reason", "")
    return services.claim_record_assessment(claim=claim, actor=user, reason=reason, **data)


def _payment_initial(claim, user):
    decision = selectors.in_force_decision(claim)
    remaining = (decision.amount_krw if decision else 0) - selectors.paid_total(claim)
    return {"amount_krw": remaining, "method": "bank_transfer" if claim.payout_method == "bank" else "wallet_credit"}


ACTIONS = [
    CaseAction(
        Action.START_REVIEW,
        _("Start review"),
        ConfirmForm,
        lambda c, u, d: services.claim_start_review(claim=c, actor=u),
        guard=_other_reviewer,
        style="primary",
    ),
    CaseAction(
        Action.ASSESS,
        _("Record exchange data"),
        AssessmentForm,
        _record_assessment,
        initial=_assessment_initial,
    ),
    CaseAction(
        Action.REQUEST_SUPPLEMENT,
        _("Request documents"),
        SupplementRequestForm,
        lambda c, u, d: services.claim_request_supplement(claim=c, actor=u, **d),
    ),
    CaseAction(
        Action.EXTEND,
        _("Extend review deadline"),
        ExtendForm,
        lambda c, u, d: services.claim_extend_review(claim=c, actor=u, **d),
        guard=_not_extended,
    ),
    CaseAction(
        Action.DECIDE,
        _("Decide"),
        DecideForm,
        _decide,
        guard=_decidable,
        initial=_decide_initial,
        style="primary",
    ),
    CaseAction(
        Action.APPROVE,
        _("Approve decision (second supervisor)"),
        ReasonForm,
        lambda c, u, d: services.decision_approve(decision=_pending_decision(c), actor=u, note=d["reason"]),
        guard=_second_person,
        style="primary",
    ),
    CaseAction(
        Action.SEND_BACK,
        _("Send back to review"),
        RequiredReasonForm,
        lambda c, u, d: services.decision_send_back(decision=_pending_decision(c), actor=u, reason=d["reason"]),
        guard=_second_person,
    ),
    CaseAction(
        Action.RECORD_PAYMENT,
        _("Record payment"),
        PaymentForm,
        lambda c, u, d: services.payment_record(claim=c, actor=u, **d),
        initial=_payment_initial,
        style="primary",
    ),
    CaseAction(
        Action.CORRECT,
        _("Correct the decided amount"),
        CorrectionForm,
        lambda c, u, d: services.decision_correct(claim=c, actor=u, **d),
        guard=_nothing_pending,
    ),
    CaseAction(
        Action.APPROVE_CORRECTION,
        _("Approve correction (second supervisor)"),
        ConfirmForm,
        lambda c, u, d: services.correction_approve(decision=_pending_decision(c), actor=u),
        guard=_second_person,
        style="primary",
    ),
    CaseAction(
        Action.REFUSE_CORRECTION,
        _("Refuse the waiting correction"),
        RequiredReasonForm,
        lambda c, u, d: services.correction_refuse(decision=_pending_decision(c), actor=u, reason=d["reason"]),
        guard=lambda c, u: None if _pending_decision(c) else NOT_APPLICABLE,
    ),
    CaseAction(
        Action.CORRECT_CONTENT,
        _("Correct the recorded content"),
        assisted.CorrectContentForm,
        assisted.correct_content,
        guard=lambda c, u: None if c.origin == ClaimOrigin.ASSISTED else NOT_APPLICABLE,
        initial=assisted.correct_initial,
    ),
    CaseAction(
        Action.RESEND_CONFIRMATION,
        _("Mail the confirmation link again"),
        ReasonForm,
        lambda c, u, d: services.assisted_claim_resend_link(claim=c, actor=u, reason=d["reason"]),
        guard=lambda c, u: (
            _refusal(assisted.require_unconfirmed, c) if c.origin == ClaimOrigin.ASSISTED else NOT_APPLICABLE
        ),
    ),
    CaseAction(
        Action.CLOSE,
        _("Close claim"),
        ReasonForm,
        lambda c, u, d: services.claim_close(claim=c, actor=u, reason=d["reason"]),
    ),
]
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}


def available_actions(claim, user):
    return action_panel(claim, user)["case_actions"]


ACTOR_NAMES = {
    Actor.CLAIMANT: _("the claimant"),
    Actor.AGENT: _("agents"),
    Actor.SUPERVISOR: _("supervisors"),
    Actor.SYSTEM: _("the system (deadlines and scheduled jobs)"),
}


def action_panel(claim, user):
    """The case page's buttons for this user now, and why the others are missing: each guard's refusal or,
    when the table gives their roles nothing in this state, who acts next (`permissions.CLAIM_ACTIONS`)."""
    available, refused = [], {}
    for action in ACTIONS:
        reason = action.refusal(claim, user)
        if reason is None:
            available.append(action)
        elif reason:
            refused.setdefault(reason, []).append(str(action.label))
    reasons = [f"{', '.join(labels)}: {reason}" for reason, labels in refused.items()]
    if not any(permissions.user_allowed(user, action.name, claim.state) for action in ACTIONS):
        reasons.append(_next_actors(claim))
    return {"case_actions": available, "blocked_reasons": reasons}


def _next_actors(claim):
    actors = [ACTOR_NAMES[actor] for actor, allowed in CLAIM_ACTIONS.get(claim.state, {}).items() if allowed]
    state = claim.get_state_display()
    if not actors:
        return _("Nothing more is done on a claim in the state “%(state)s”.") % {"state": state}
    return _("In the state “%(state)s” only %(actors)s act next; your role has nothing to do here.") % {
        "state": state,
        "actors": ", ".join(str(name) for name in actors),
    }
