"""After a decision: objections, acceptance, the objection window lapsing, payment and closing."""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import roles
from incidents.errors import DomainError

from .. import deadlines, notify
from ..models import ClaimState, DocumentPurpose, Objection, Payment
from ._common import apply_transition, lock_claim, require_claimant, require_state
from .intake import _store_documents
from .review import in_force_decision


def claim_object(*, claim, actor, reason, files=()):
    """이의제기: allowed within the objection window and up to the maximum number of rounds."""
    if not (reason or "").strip():
        raise DomainError(_("Explain why you object to the decision."))
    files = list(files)
    with transaction.atomic():
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_state(claim, ClaimState.DECIDED, action=_("objected to"))
        if not claim.has_objection_rounds_left():
            raise DomainError(
                _("You have already used all %(n)d objection rounds for this claim.")
                % {"n": claim.max_objection_rounds},
                code="no_rounds_left",
            )
        if not claim.objection_window_open():
            raise DomainError(
                _("The objection period ended at the end of %(date)s (KST).")
                % {"date": claim.objection_window_ends_on.isoformat()},
                code="objection_late",
            )
        now = timezone.now()
        objected_decision = in_force_decision(claim)

        def open_round(claim):
            claim.objection_round += 1
            deadlines.start_review_clock(claim, started_at=now)

        event = apply_transition(claim, "object", actor=actor, reason=reason, prepare=open_round)
        objection = Objection.objects.create(
            claim=claim, round=claim.objection_round, reason=reason, filed_at=now, filed_by=actor,
            objected_decision=objected_decision, review_due_on=claim.review_due_on,
        )
        event.data = {"round": objection.round, "review_due_on": claim.review_due_on.isoformat()}
        event.save(update_fields=["data"])
        _store_documents(claim=claim, actor=actor, files=files, purpose=DocumentPurpose.OBJECTION,
                         objection=objection)
        notify.objection_received(claim=claim, objection=objection)
    return objection


def _settle_acceptance(claim, *, actor):
    deadlines.start_payment_clock(claim, accepted_on=deadlines.today_kst())
    claim.save()
    decision = in_force_decision(claim)
    if decision is None or decision.amount_krw == 0:
        apply_transition(claim, "close", actor=actor, reason=_("Nothing to pay"))


def claim_accept(*, claim, actor):
    with transaction.atomic():
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_state(claim, ClaimState.DECIDED, action=_("accepted"))
        apply_transition(claim, "accept", actor=actor, reason=_("Accepted by the claimant"))
        _settle_acceptance(claim, actor=actor)
    return claim


def claim_lapse_objection_window(*, claim, actor=None):
    """The scheduled sweep: no objection within the window means the decision is accepted."""
    with transaction.atomic():
        claim = lock_claim(claim)
        require_state(claim, ClaimState.DECIDED, action=_("accepted"))
        if not claim.objection_window_lapsed():
            raise DomainError(_("The objection window is still open."), code="window_open")
        apply_transition(claim, "lapse_objection_window", actor=actor,
                         reason=_("Objection period ended without an objection"))
        _settle_acceptance(claim, actor=actor)
    return claim


def paid_total(claim):
    return claim.payments.aggregate(total=Sum("amount_krw"))["total"] or 0


def payment_record(*, claim, actor, amount_krw, method, reference, paid_at=None):
    roles.require_role(actor, roles.SUPERVISOR, action=_("record payments"))
    if not reference.strip():
        raise DomainError(_("Enter the transfer reference."))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_state(claim, ClaimState.ACCEPTED, action=_("paid"))
        due = in_force_decision(claim).amount_krw
        already = paid_total(claim)
        if amount_krw <= 0 or already + amount_krw > due:
            raise DomainError(
                _("%(amount)s KRW would pay more than the %(due)s KRW decided (%(paid)s KRW paid so far).")
                % {"amount": f"{amount_krw:,}", "due": f"{due:,}", "paid": f"{already:,}"},
                code="overpayment",
            )
        if Payment.objects.filter(method=method, reference=reference).exists():
            raise DomainError(_("A payment with this reference is already recorded."), code="duplicate")
        payment = Payment.objects.create(
            claim=claim, amount_krw=amount_krw, method=method, reference=reference,
            paid_at=paid_at or timezone.now(), recorded_by=actor,
        )
        if already + amount_krw == due:
            apply_transition(claim, "mark_paid", actor=actor,
                             reason=_("Paid %(amount)s KRW") % {"amount": f"{due:,}"})
        notify.payment_made(claim=claim, payment=payment)
    return payment


def claim_close(*, claim, actor, reason=""):
    roles.require_role(actor, roles.SUPERVISOR, action=_("close claims"))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_state(claim, ClaimState.PAID, action=_("closed"))
        apply_transition(claim, "close", actor=actor, reason=reason)
    return claim


