"""Staff side of a claim: review, supplements, deadlines, decisions and the four-eyes check."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import (
    Claim,
    ClaimEvent,
    ClaimState,
    Decision,
    ExtensionGround,
    Objection,
    ObjectionOutcome,
)
from compensation.notifications import claimant as notify
from compensation.permissions import Action
from compensation.selectors.batches import proactive_floor_krw
from compensation.selectors.terms import applied_terms
from compensation.services import deadlines
from compensation.services._common import (
    apply_transition,
    lock_claim,
    require_allowed,
    require_second_person,
    require_staff,
)
from compensation.services.assisted import require_confirmed
from incidents import calendar, roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst


def replan_pay_date(claim, decision, *, actor, reason, mail=True):
    """Move a 지급예정일 that can no longer be kept: as many business days from today as the decision
    gave (at most the payment business days), recorded on the claim and mailed to the claimant."""
    today = today_kst()
    decided_on = calendar.to_kst_date(decision.notified_at or decision.decided_at)
    span = deadlines.business_days_between(decided_on, decision.pay_on)
    span = max(1, min(deadlines.payment_business_days(), span))
    old, decision.pay_on = decision.pay_on, calendar.add_business_days(today, span)
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.DEADLINE,
        actor=actor,
        reason=reason,
        data={
            "deadline": "pay_on",
            "decision": decision.pk,
            "from": old.isoformat(),
            "to": decision.pay_on.isoformat(),
        },
    )
    if mail:
        notify.pay_date_replanned(claim=claim, decision=decision, previous=old, reason=reason)
    return decision.pay_on


def decision_notice_seen(*, decision, at, via):
    """The claimant has the decision: its mail was delivered (`via="mail"`) or they opened it in the
    portal (`via="portal"`). The first of the two starts the objection window; deemed acceptance
    never runs before one of them happened."""
    field = {"mail": "mail_sent_at", "portal": "first_opened_at"}[via]
    with transaction.atomic():
        claim = lock_claim(decision.claim)
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        first = decision.mail_sent_at is None and decision.first_opened_at is None
        if getattr(decision, field) is not None:
            return decision
        setattr(decision, field, at)
        decision.save(update_fields=[field])
        in_force = decision.status == Decision.Status.IN_FORCE and claim.state == ClaimState.DECIDED
        start = calendar.to_kst_date(at)
        if (
            first
            and in_force
            and (claim.objection_window_started_on is None or start > claim.objection_window_started_on)
        ):
            old_end = claim.objection_window_ends_on
            deadlines.start_objection_window(claim, decided_on=start)
            claim.save()
            ClaimEvent.objects.create(
                claim=claim,
                kind=ClaimEvent.Kind.DEADLINE,
                reason=_("The objection period counts from the day the claimant received the decision"),
                data={
                    "deadline": "objection_window_ends_on",
                    "from": old_end.isoformat() if old_end else None,
                    "to": claim.objection_window_ends_on.isoformat(),
                    "via": via,
                    "decision": decision.pk,
                },
            )
    return decision


def _open_objection(claim):
    if claim.objection_round == 0:
        return None
    return Objection.objects.select_related("objected_decision").get(claim=claim, round=claim.objection_round)


def _require_other_reviewer(objection, actor):
    """이의제기 is reviewed by someone other than who made (or approved) the decision objected to."""
    if objection is None:
        return
    earlier = objection.objected_decision
    if actor.pk in {earlier.decided_by_id, earlier.approved_by_id}:
        raise DomainError(
            _(
                "Objections are reviewed by someone other than who made or approved the decision objected to; "
                "another staff member must review this one."
            ),
            code=ErrorCode.SAME_REVIEWER,
        )


def require_other_reviewer(claim, actor):
    """The objection round's reviewer rule for the claim as it is now (the admin words a hidden button with it)."""
    _require_other_reviewer(_open_objection(claim), actor)


def require_not_extended(claim):
    if claim.review_extension_reason:
        raise DomainError(_("The review deadline of this claim was already extended once."), code=ErrorCode.EXTENDED)


def claim_start_review(*, claim, actor):
    require_staff(actor, Action.START_REVIEW, action=_("review claims"))
    with transaction.atomic():
        claim = lock_claim(claim)
        objection = _open_objection(claim) if claim.state == ClaimState.OBJECTED else None
        _require_other_reviewer(objection, actor)
        if claim.assignee_id is None or objection is not None:
            # An objection is reviewed by someone else than who decided: the case moves to its reviewer.
            claim.assignee = actor
        if objection is not None:
            objection.reviewer = actor
            objection.save(update_fields=["reviewer"])
        apply_transition(claim, "start_review", actor=actor, action=_("taken into review"), reason=_("Review started"))
        if claim.missing_documents and objection is None:
            # Filed without required documents: ask for them at once, and tell the claimant.
            missing = _("Required documents not yet received: %(names)s.") % {
                "names": ", ".join(doc["name"] for doc in claim.missing_documents)
            }
            apply_transition(
                claim,
                "request_supplement",
                actor=actor,
                reason=missing,
                data={"missing_documents": claim.missing_documents},
                action=_("sent a supplement request"),
            )
            notify.supplement_requested(claim=claim, missing=missing)
    return claim


def round_statutory_due_on(claim):
    """The statutory date of the review running now: the claim's, or the open objection round's."""
    if claim.objection_round == 0:
        return claim.statutory_due_on
    rounds = Objection.objects.filter(claim=claim, round=claim.objection_round)
    return rounds.values_list("review_due_on", flat=True).get()


def _extend(claim, *, actor, business_days, reason, ground):
    """Once per claim, on a listed ground, with a reason, and only before the statutory date has passed."""
    limit = deadlines.max_extended_review_business_days()
    require_not_extended(claim)
    statutory = round_statutory_due_on(claim)
    if today_kst() > statutory:
        raise DomainError(
            _(
                "The statutory review deadline passed at the end of %(date)s (KST); "
                "a deadline that has passed cannot be extended."
            )
            % {"date": statutory.isoformat()},
            code=ErrorCode.DEADLINE_PASSED,
        )
    if ground not in ExtensionGround.values:
        raise DomainError(
            _("Choose the ground for the extension: %(grounds)s.")
            % {"grounds": ", ".join(str(label) for label in ExtensionGround.labels)}
        )
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the extension; the claimant is told."))
    if business_days is None or not claim.review_business_days < business_days <= limit:
        raise DomainError(
            _("An extension must be more than %(now)d and at most %(max)d business days.")
            % {"now": claim.review_business_days, "max": limit}
        )
    old_due = claim.review_due_on
    cal = calendar.get_calendar()
    claim.review_business_days = business_days
    claim.review_due_on = cal.add_business_days(claim.review_clock_started_on, business_days)
    claim.calendar_revision = cal.revision
    claim.review_extension_reason = reason
    claim.review_extension_ground = ground
    claim.review_extension_round = claim.objection_round
    claim.save()
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.DEADLINE,
        actor=actor,
        reason=reason,
        data={
            "deadline": "review_due_on",
            "from": old_due.isoformat(),
            "to": claim.review_due_on.isoformat(),
            "business_days": business_days,
            "ground": ground,
            "statutory_due_on": statutory.isoformat(),
        },
    )
    notify.review_extended(claim=claim)


def claim_extend_review(*, claim, actor, business_days, reason, ground):
    """Extend the working review deadline once (supervisor): the statutory date stays where it is."""
    require_staff(actor, Action.EXTEND, action=_("extend a review deadline"))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.EXTEND, by=actor, action=_("extended"))
        _extend(claim, actor=actor, business_days=business_days, reason=reason, ground=ground)
    return claim


def claim_request_supplement(*, claim, actor, missing, extend_to_business_days=None, extension_reason=""):
    """Ask the claimant for what is missing; a supervisor may extend the deadline once at the same time.

    The extension's ground is the supplement request itself; it follows the same rules as
    `claim_extend_review` (before the statutory date, once, mailed).
    """
    require_staff(actor, Action.REQUEST_SUPPLEMENT, action=_("request documents"))
    if not missing.strip():
        raise DomainError(_("Say what is missing so the claimant can supply it."))
    if extend_to_business_days:
        require_staff(actor, Action.EXTEND, action=_("extend a review deadline"))
    with transaction.atomic():
        claim = lock_claim(claim)
        apply_transition(
            claim, "request_supplement", actor=actor, reason=missing, action=_("sent a supplement request")
        )
        if extend_to_business_days:
            _extend(
                claim,
                actor=actor,
                business_days=extend_to_business_days,
                reason=extension_reason or missing,
                ground=ExtensionGround.SUPPLEMENT_REQUESTED,
            )
        notify.supplement_requested(claim=claim, missing=missing)
    return claim


def _validate_amount(*, claim, actor, approved, amount_krw, cap_override_reason):
    if amount_krw is None or amount_krw < 0:
        raise DomainError(_("The amount must be 0 KRW or more."))
    if not approved and amount_krw != 0:
        raise DomainError(_("A rejected claim has an amount of 0 KRW."))
    cap = applied_terms(claim).cap_krw  # the terms the claim was filed under (or more favourable ones)
    if amount_krw > cap:
        if not roles.has_role(actor, roles.SUPERVISOR):
            raise DomainError(
                _("%(amount)s KRW is above the policy cap of %(cap)s KRW; only a supervisor can exceed it.")
                % {"amount": f"{amount_krw:,}", "cap": f"{cap:,}"},
                code=ErrorCode.CAP,
            )
        if not cap_override_reason.strip():
            raise DomainError(_("Give the reason for exceeding the policy cap."), code=ErrorCode.CAP)


def _bring_into_force(claim, decision, *, actor):
    now = timezone.now()
    claim.decisions.filter(status=Decision.Status.IN_FORCE).exclude(pk=decision.pk).update(
        status=Decision.Status.SUPERSEDED
    )
    decision.status = Decision.Status.IN_FORCE
    decision.notified_at = now
    if decision.pay_on is not None and decision.pay_on < today_kst():
        # Approved after the pay date it was drafted with: the notice never promises a past date.
        replan_pay_date(claim, decision, actor=actor, reason=_("Approved after the planned pay date"), mail=False)
    decision.save()
    deadlines.start_objection_window(claim, decided_on=today_kst())
    if decision.objection_id:
        objection = decision.objection
        earlier = objection.objected_decision
        if decision.amount_krw > earlier.amount_krw or (decision.approved and not earlier.approved):
            objection.outcome = ObjectionOutcome.UPHELD
        elif decision.amount_krw != earlier.amount_krw:
            objection.outcome = ObjectionOutcome.AMOUNT_CHANGED
        else:
            objection.outcome = ObjectionOutcome.REJECTED
        objection.decided_at = now
        objection.save(update_fields=["outcome", "decided_at"])


def require_proactive_floor(claim, amount_krw):
    """Merged with an issued proactive batch: the user is paid once, the larger of the two amounts."""
    floor = proactive_floor_krw(claim)
    if amount_krw < floor:
        raise DomainError(
            _(
                "The exchange's own records already give this claimant %(floor)s KRW (proactive batch); "
                "decide at least that: the larger amount is paid, once."
            )
            % {"floor": f"{floor:,}"},
            code=ErrorCode.POLICY,
        )


def _validate_pay_on(*, actor, approved, amount_krw, pay_on, pay_on_reason, today):
    """지급예정일: not in the past, and at most the payment business days after the decision unless a
    supervisor gives the reason for a later date. A decision that pays nothing has none."""
    if not approved or amount_krw == 0:
        return None
    if pay_on is None:
        return deadlines.default_pay_date(decided_on=today)
    if pay_on < today:
        raise DomainError(_("The planned pay date cannot be in the past."), code=ErrorCode.PAY_DATE)
    latest = deadlines.latest_pay_date(decided_on=today)
    if pay_on > latest and not (roles.has_role(actor, roles.SUPERVISOR) and (pay_on_reason or "").strip()):
        raise DomainError(
            _(
                "The planned pay date can be at most %(days)d business days after the decision (%(date)s); "
                "a later date needs a supervisor and a reason."
            )
            % {"days": deadlines.payment_business_days(), "date": latest.isoformat()},
            code=ErrorCode.PAY_DATE,
        )
    return pay_on


def _needs_second_approval(amount_krw):
    return amount_krw > settings.COMPENSATION_FOUR_EYES_LIMIT_KRW


def _decision_takes_effect_or_waits(claim, decision, *, actor):
    """In force at once, or (above the four-eyes limit) waiting for a second supervisor."""
    data = {"decision": decision.pk, "approved": decision.approved, "amount_krw": decision.amount_krw}
    if decision.status == Decision.Status.PENDING_APPROVAL:
        apply_transition(
            claim,
            "submit_for_approval",
            actor=actor,
            data=data,
            visible=False,
            reason=_("Above %(limit)s KRW: waiting for a second supervisor")
            % {"limit": f"{settings.COMPENSATION_FOUR_EYES_LIMIT_KRW:,}"},
        )
    else:
        _bring_into_force(claim, decision, actor=actor)
        apply_transition(claim, "decide", actor=actor, data=data, reason=decision.reasons)


def claim_decide(
    *,
    claim,
    actor,
    approved,
    amount_krw,
    reasons,
    internal_note="",
    pay_on=None,
    cap_override_reason="",
    pay_on_reason="",
):
    """Decide 보상여부·금액·지급예정일. Above the four-eyes limit it waits for a second supervisor."""
    require_staff(actor, Action.DECIDE, action=_("decide claims"))
    if not reasons.strip():
        raise DomainError(_("Write the reasons the claimant will read."))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.DECIDE, by=actor, action=_("decided"))
        require_confirmed(claim)
        objection = _open_objection(claim)
        _require_other_reviewer(objection, actor)
        _validate_amount(
            claim=claim, actor=actor, approved=approved, amount_krw=amount_krw, cap_override_reason=cap_override_reason
        )
        require_proactive_floor(claim, amount_krw)
        today = today_kst()
        pay_on = _validate_pay_on(
            actor=actor,
            approved=approved,
            amount_krw=amount_krw,
            pay_on=pay_on,
            pay_on_reason=pay_on_reason,
            today=today,
        )
        decision = Decision.objects.create(
            claim=claim,
            objection=objection,
            approved=approved,
            amount_krw=amount_krw,
            reasons=reasons,
            internal_note=internal_note,
            pay_on=pay_on,
            pay_on_reason=pay_on_reason if pay_on and pay_on > deadlines.latest_pay_date(decided_on=today) else "",
            cap_override_reason=cap_override_reason,
            due_on=claim.review_due_on,
            statutory_due_on=objection.review_due_on if objection is not None else claim.statutory_due_on,
            status=Decision.Status.PENDING_APPROVAL if _needs_second_approval(amount_krw) else Decision.Status.IN_FORCE,
            decided_by=actor,
        )
        _decision_takes_effect_or_waits(claim, decision, actor=actor)
        notify.decision_made(claim=claim, decision=decision)
    return decision


def objection_decide(
    *,
    claim,
    actor,
    approved,
    amount_krw,
    reasons,
    internal_note="",
    pay_on=None,
    cap_override_reason="",
    pay_on_reason="",
):
    """Decide an objection round: a new decision linked to the objection, by a different reviewer."""
    if not Claim.objects.filter(pk=claim.pk, objection_round__gt=0).exists():
        raise DomainError(_("This claim has no objection to decide."))
    return claim_decide(
        claim=claim,
        actor=actor,
        approved=approved,
        amount_krw=amount_krw,
        reasons=reasons,
        internal_note=internal_note,
        pay_on=pay_on,
        cap_override_reason=cap_override_reason,
        pay_on_reason=pay_on_reason,
    )


def _lock_pending(decision, permission, actor):
    claim = lock_claim(decision.claim)
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    require_allowed(claim, permission, by=actor, action=_("approved"))
    if decision.status != Decision.Status.PENDING_APPROVAL:
        raise DomainError(_("This decision is not waiting for approval."), code=ErrorCode.INVALID_TRANSITION)
    return claim, decision


def decision_approve(*, decision, actor, note=""):
    """Four eyes: a second supervisor, never the decider, puts the decision in force."""
    require_staff(actor, Action.APPROVE, action=_("approve decisions"))
    with transaction.atomic():
        claim, decision = _lock_pending(decision, Action.APPROVE, actor)
        require_second_person(decision, actor)
        require_proactive_floor(claim, decision.amount_krw)  # a batch issued while it waited
        decision.approved_by = actor
        decision.approved_at = timezone.now()
        _bring_into_force(claim, decision, actor=actor)
        apply_transition(
            claim,
            "approve",
            actor=actor,
            reason=decision.reasons,
            data={
                "decision": decision.pk,
                "approved": decision.approved,
                "amount_krw": decision.amount_krw,
                "note": note,
            },
        )
        notify.decision_made(claim=claim, decision=decision)
    return decision


def decision_send_back(*, decision, actor, reason):
    require_staff(actor, Action.SEND_BACK, action=_("approve decisions"))
    if not reason.strip():
        raise DomainError(_("Say why the decision goes back to review."))
    with transaction.atomic():
        claim, decision = _lock_pending(decision, Action.SEND_BACK, actor)
        decision.status = Decision.Status.SENT_BACK
        decision.save(update_fields=["status"])
        apply_transition(claim, "return_to_review", actor=actor, reason=reason, visible=False)
    return decision


def claim_assign(*, claims, actor, assignee):
    """Supervisors hand claims (one or many) to an agent; one event row per claim, in bulk."""
    roles.require_role(actor, roles.SUPERVISOR, action=_("assign claims"))
    if assignee is not None and not roles.has_role(assignee, roles.AGENT, roles.SUPERVISOR):
        raise DomainError(_("Claims can only be assigned to agents or supervisors."))
    ids = [c.pk for c in claims]
    with transaction.atomic():
        locked = list(Claim.objects.select_for_update().filter(pk__in=ids).only("pk", "assignee"))
        Claim.objects.filter(pk__in=ids).update(assignee=assignee, updated_at=timezone.now())
        ClaimEvent.objects.bulk_create(
            ClaimEvent(
                claim_id=c.pk,
                kind=ClaimEvent.Kind.ASSIGNMENT,
                actor=actor,
                visible_to_claimant=False,
                reason=_("Assigned to %(name)s") % {"name": assignee or "-"},
                data={"from": c.assignee_id, "to": assignee.pk if assignee else None},
            )
            for c in locked
        )
    return len(locked)


ASSESSMENT_FIELDS = ("reference_price_krw", "fee_krw", "delayed_amount_krw", "delay_days")


def claim_record_assessment(*, claim, actor, reason="", **values):
    """Staff record what the exchange's own data shows (executable price, fees, delay) to size the damage."""
    require_staff(actor, Action.ASSESS, action=_("assess claims"))
    unknown = set(values) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown assessment fields: {sorted(unknown)}")
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.ASSESS, by=actor, action=_("assessed"))
        before = {name: getattr(claim, name) for name in values}
        for name, value in values.items():
            setattr(claim, name, value)
        claim.save(update_fields=[*values, "updated_at"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.NOTE,
            actor=actor,
            visible_to_claimant=False,
            reason=reason or _("Assessment data recorded"),
            data={"from": {k: v for k, v in before.items()}, "to": {k: v for k, v in values.items()}},
        )
    return claim
