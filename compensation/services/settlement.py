"""After a decision: objections, acceptance, the objection window lapsing, payment and closing."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import ClaimEvent, ClaimState, Decision, DocumentPurpose, Objection, Payment
from compensation.notifications import claimant as notify
from compensation.permissions import Action, Actor
from compensation.selectors import in_force_decision, paid_total
from compensation.selectors.terms import applied_terms
from compensation.services import deadlines
from compensation.services._common import (
    apply_transition,
    atomic_with_files,
    lock_claim,
    require_allowed,
    require_claimant,
    require_second_person,
    require_staff,
)
from compensation.services.intake import _store_documents
from compensation.services.review import replan_pay_date, require_proactive_floor
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst


def claim_object(*, claim, actor, reason, files=()):
    """이의제기: allowed within the objection window and up to the maximum number of rounds."""
    if not (reason or "").strip():
        raise DomainError(_("Explain why you object to the decision."))
    files = list(files)
    with atomic_with_files() as written:
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_allowed(claim, Action.OBJECT, by=Actor.CLAIMANT, action=_("objected to"))
        if not claim.has_objection_rounds_left():
            raise DomainError(
                _("You have already used all %(n)d objection rounds for this claim.")
                % {"n": claim.max_objection_rounds},
                code=ErrorCode.NO_ROUNDS_LEFT,
            )
        if not claim.objection_window_open():
            raise DomainError(
                _("The objection period ended at the end of %(date)s (KST).")
                % {"date": claim.objection_window_ends_on.isoformat()},
                code=ErrorCode.OBJECTION_LATE,
            )
        now = timezone.now()
        objected_decision = in_force_decision(claim)

        def open_round(claim):
            claim.objection_round += 1
            deadlines.start_review_clock(claim, started_at=now)

        event = apply_transition(claim, "object", actor=actor, reason=reason, prepare=open_round)
        objection = Objection.objects.create(
            claim=claim,
            round=claim.objection_round,
            reason=reason,
            filed_at=now,
            filed_by=actor,
            objected_decision=objected_decision,
            review_due_on=claim.review_due_on,
        )
        event.data = {"round": objection.round, "review_due_on": claim.review_due_on.isoformat()}
        event.save(update_fields=["data"])
        _store_documents(
            claim=claim,
            actor=actor,
            files=files,
            purpose=DocumentPurpose.OBJECTION,
            objection=objection,
            written=written,
        )
        notify.objection_received(claim=claim, objection=objection)
    return objection


def plan_payment(claim, decision, *, actor):
    """The payment deadline is the decision's 지급예정일; re-planned (recorded, mailed) if it has passed."""
    today = today_kst()
    if decision.pay_on is None:
        decision.pay_on = deadlines.default_pay_date(decided_on=today)
        decision.save(update_fields=["pay_on"])
    elif decision.pay_on < today:
        replan_pay_date(claim, decision, actor=actor, reason=_("Accepted after the planned pay date"))
        decision.save(update_fields=["pay_on"])
    deadlines.start_payment_on_pay_date(claim, pay_on=decision.pay_on, started_on=today)


def _settle_acceptance(claim, *, actor):
    decision = in_force_decision(claim)
    paid = paid_total(claim)
    if decision is not None and decision.amount_krw == paid and paid > 0:
        # An accepted correction that leaves nothing to pay or recover.
        apply_transition(claim, "mark_paid", actor=actor, reason=_("Paid in full after correction"))
        return
    if decision is None or (decision.amount_krw == 0 and paid == 0):
        require_allowed(claim, Action.CLOSE, by=Actor.SYSTEM, action=_("closed"))
        apply_transition(claim, "close", actor=actor, reason=_("Nothing to pay"))
        return
    plan_payment(claim, decision, actor=actor)
    claim.save()


def claim_accept(*, claim, actor):
    with transaction.atomic():
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_allowed(claim, Action.ACCEPT, by=Actor.CLAIMANT, action=_("accepted"))
        apply_transition(claim, "accept", actor=actor, reason=_("Accepted by the claimant"))
        _settle_acceptance(claim, actor=actor)
    return claim


def claim_lapse_objection_window(*, claim, actor=None):
    """The scheduled sweep: no objection within the window means the decision is accepted."""
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.LAPSE_OBJECTION_WINDOW, by=Actor.SYSTEM, action=_("accepted"))
        decision = in_force_decision(claim)
        if decision is not None and decision.mail_sent_at is None and decision.first_opened_at is None:
            # The claimant may never have seen it: the window has not started, nothing is deemed.
            raise DomainError(
                _("The decision has not reached the claimant yet (mail not delivered, not opened)."),
                code=ErrorCode.NOT_DELIVERED,
            )
        if not claim.objection_window_lapsed():
            raise DomainError(_("The objection window is still open."), code=ErrorCode.WINDOW_OPEN)
        apply_transition(
            claim, "lapse_objection_window", actor=actor, reason=_("Objection period ended without an objection")
        )
        _settle_acceptance(claim, actor=actor)
    return claim


def payment_record(*, claim, actor, amount_krw, method, reference, paid_at=None):
    require_staff(actor, Action.RECORD_PAYMENT, action=_("record payments"))
    if not reference.strip():
        raise DomainError(_("Enter the transfer reference."))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.RECORD_PAYMENT, by=actor, action=_("paid"))
        due = in_force_decision(claim).amount_krw
        already = paid_total(claim)
        remaining = due - already
        # Normally money goes out (0 < amount ≤ remaining); after a decision was corrected
        # downwards, a negative amount records the recovery of the overpaid difference.
        valid = 0 < amount_krw <= remaining if remaining > 0 else remaining <= amount_krw < 0
        if not valid:
            raise DomainError(
                _("%(amount)s KRW does not fit: %(due)s KRW decided, %(paid)s KRW paid so far.")
                % {"amount": f"{amount_krw:,}", "due": f"{due:,}", "paid": f"{already:,}"},
                code=ErrorCode.OVERPAYMENT,
            )
        if Payment.objects.filter(method=method, reference=reference).exists():
            raise DomainError(_("A payment with this reference is already recorded."), code=ErrorCode.DUPLICATE)
        payment = Payment.objects.create(
            claim=claim,
            amount_krw=amount_krw,
            method=method,
            reference=reference,
            paid_at=paid_at or timezone.now(),
            recorded_by=actor,
        )
        if already + amount_krw == due:
            apply_transition(claim, "mark_paid", actor=actor, reason=_("Paid %(amount)s KRW") % {"amount": f"{due:,}"})
        notify.payment_made(claim=claim, payment=payment)
    return payment


def claim_close(*, claim, actor, reason=""):
    require_staff(actor, Action.CLOSE, action=_("close claims"))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.CLOSE, by=actor, action=_("closed"))
        apply_transition(claim, "close", actor=actor, reason=reason)
    return claim


def decision_correct(*, claim, actor, amount_krw, reasons, internal_note=""):
    """Correct the amount after acceptance or payment: a new decision; the difference is paid or recovered.

    Above the four-eyes limit the correction waits for a second supervisor (`correction_approve`).
    """
    require_staff(actor, Action.CORRECT, action=_("correct decisions"))
    if not (reasons or "").strip():
        raise DomainError(_("Write the reasons the claimant will read."))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.CORRECT, by=actor, action=_("corrected"))
        previous = in_force_decision(claim)
        cap = applied_terms(claim).cap_krw
        if amount_krw < 0 or amount_krw > cap:
            raise DomainError(
                _("The corrected amount must be between 0 and the policy cap of %(cap)s KRW.") % {"cap": f"{cap:,}"}
            )
        if previous is not None and amount_krw == previous.amount_krw:
            raise DomainError(_("The amount is unchanged; nothing to correct."))
        require_proactive_floor(claim, amount_krw)
        require_nothing_pending(claim)
        needs_second = amount_krw > settings.COMPENSATION_FOUR_EYES_LIMIT_KRW
        decision = Decision.objects.create(
            claim=claim,
            approved=amount_krw > 0,
            amount_krw=amount_krw,
            reasons=reasons,
            internal_note=internal_note,
            decided_by=actor,
            is_correction=True,
            status=Decision.Status.PENDING_APPROVAL if needs_second else Decision.Status.IN_FORCE,
            pay_on=deadlines.default_pay_date(decided_on=today_kst()),
        )
        if needs_second:
            ClaimEvent.objects.create(
                claim=claim,
                kind=ClaimEvent.Kind.NOTE,
                actor=actor,
                visible_to_claimant=False,
                reason=_("Correction to %(amount)s KRW waits for a second supervisor") % {"amount": f"{amount_krw:,}"},
                data={"decision": decision.pk, "to_krw": amount_krw},
            )
            return decision
        apply_correction(claim, decision, previous=previous, actor=actor)
    return decision


def require_nothing_pending(claim):
    """One decision at a time waits for a second supervisor (the admin words a hidden button with this)."""
    if claim.decisions.filter(status=Decision.Status.PENDING_APPROVAL).exists():
        raise DomainError(_("A correction of this claim is already waiting for approval."), code=ErrorCode.PENDING)


def correction_approve(*, decision, actor):
    """Four eyes on a correction above the limit: another supervisor puts it in force."""
    require_staff(actor, Action.APPROVE_CORRECTION, action=_("approve decisions"))
    with transaction.atomic():
        claim = lock_claim(decision.claim)
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        require_allowed(claim, Action.APPROVE_CORRECTION, by=actor, action=_("corrected"))
        if decision.status != Decision.Status.PENDING_APPROVAL:
            raise DomainError(_("This decision is not waiting for approval."), code=ErrorCode.INVALID_TRANSITION)
        require_second_person(decision, actor)
        require_proactive_floor(claim, decision.amount_krw)  # a batch issued while it waited
        decision.approved_by, decision.approved_at = actor, timezone.now()
        apply_correction(claim, decision, previous=in_force_decision(claim), actor=actor)
    return decision


def correction_refuse(*, decision, actor, reason):
    """A correction waiting for a second supervisor is refused by another one, or withdrawn by its maker.

    Nothing in force changes: the decision the claimant knows stays, and the claim may be corrected again.
    """
    require_staff(actor, Action.REFUSE_CORRECTION, action=_("refuse corrections"))
    if not (reason or "").strip():
        raise DomainError(_("Say why the correction is refused."))
    with transaction.atomic():
        claim = lock_claim(decision.claim)
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        require_allowed(claim, Action.REFUSE_CORRECTION, by=actor, action=_("corrected"))
        if decision.status != Decision.Status.PENDING_APPROVAL or not decision.is_correction:
            raise DomainError(_("This decision is not waiting for approval."), code=ErrorCode.INVALID_TRANSITION)
        decision.status = Decision.Status.SENT_BACK
        decision.save(update_fields=["status"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.NOTE,
            actor=actor,
            visible_to_claimant=False,
            reason=reason,
            data={"decision": decision.pk, "refused_correction_to_krw": decision.amount_krw},
        )
    return decision


def apply_correction(claim, decision, *, previous, actor):
    """Put a correction in force. Against the claimant (lower amount, or money to recover) it is a new
    decision with its own objection window (no round used up) and nothing is recovered before that
    window lapses; in their favour the difference is paid."""
    decision.status = Decision.Status.IN_FORCE
    decision.notified_at = timezone.now()
    decision.save()
    claim.decisions.filter(status=Decision.Status.IN_FORCE).exclude(pk=decision.pk).update(
        status=Decision.Status.SUPERSEDED
    )
    difference = decision.amount_krw - paid_total(claim)
    against = difference < 0 or (previous is not None and decision.amount_krw < previous.amount_krw)
    data = {
        "decision": decision.pk,
        "from_krw": previous.amount_krw if previous else None,
        "to_krw": decision.amount_krw,
        "difference_krw": difference,
        "against_claimant": against,
    }
    if against:
        apply_transition(
            claim,
            "correct_against_claimant",
            actor=actor,
            reason=decision.reasons,
            data=data,
            prepare=lambda c: deadlines.start_objection_window(c, decided_on=today_kst()),
        )
    elif claim.state != ClaimState.ACCEPTED and difference != 0:
        apply_transition(
            claim,
            "reopen_payment",
            actor=actor,
            reason=decision.reasons,
            data=data,
            prepare=lambda c: plan_payment(c, decision, actor=actor),
        )
    else:
        ClaimEvent.objects.create(
            claim=claim, kind=ClaimEvent.Kind.NOTE, actor=actor, reason=decision.reasons, data=data
        )
        if claim.state == ClaimState.ACCEPTED and difference == 0:
            apply_transition(claim, "mark_paid", actor=actor, reason=_("Paid in full after correction"))
        elif claim.state == ClaimState.ACCEPTED:
            plan_payment(claim, decision, actor=actor)  # the corrected decision's pay date is the deadline now
            claim.save()
    notify.decision_made(claim=claim, decision=decision, against_claimant=against)
