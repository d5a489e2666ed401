"""Claimant messages, written as outbox rows inside the service's transaction.

Each function is called by a service right before it returns (the row and the state change commit
together or not at all) and builds a unique key from the claim and what happened, so a retried
service or a double click queues one message.
"""

from django.utils import translation

from compensation.models import ClaimEvent, ClaimState, Decision, Notification
from compensation.notifications import keys, outbox
from compensation.selectors import in_force_decision

SUPPORTED_LANGUAGES = ("ko", "en")


def _active_language():
    """The language of the current request (LocaleMiddleware), "ko" outside a request."""
    code = (translation.get_language() or "ko").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else "ko"


def _claimant_language(claim, *, claimant_is_acting):
    # There is no language field on the user: the claimant's own request tells it; for staff
    # actions we reuse what the claimant was last written in.
    if claimant_is_acting:
        return _active_language()
    last = (
        Notification.objects.filter(claim=claim, recipient_id=claim.claimant_id)
        .order_by("-created_at")
        .values_list("language", flat=True)
        .first()
    )
    return last or "ko"


def _claim_context(claim):
    return {
        "claim_id": claim.pk,
        "claim_number": claim.number or str(claim.pk),
        "incident_title": claim.incident.title,
        "review_due_on": claim.review_due_on.isoformat() if claim.review_due_on else None,
    }


def _to_claimant(claim, *, kind, key, language, first_of_claim=False, **context):
    # A proactive claim not yet linked to a portal user is mailed to the address the exchange holds.
    to_email = claim.contact_email
    if not to_email:
        return []
    row = Notification(
        key=key,
        kind=kind,
        claim=claim,
        recipient_id=claim.claimant_id,
        to_email=to_email,
        language=language,
        context={**_claim_context(claim), **context},
    )
    # The first message of a claim created in this very transaction cannot collide with an old key.
    return outbox.add_new(row) if first_of_claim else outbox.add([row])


def claim_received(*, claim):
    return _to_claimant(
        claim,
        kind=Notification.Kind.CLAIM_RECEIVED,
        key=keys.claim_received(claim.pk),
        language=_claimant_language(claim, claimant_is_acting=True),
        first_of_claim=True,
        missing_documents=", ".join(doc["name"] for doc in claim.missing_documents),
    )


def supplement_requested(*, claim, missing):
    # A claim may be asked for documents more than once: the request's event row tells them apart.
    event_pk = (
        ClaimEvent.objects.filter(claim=claim, to_state=ClaimState.SUPPLEMENT_REQUESTED)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return _to_claimant(
        claim,
        kind=Notification.Kind.SUPPLEMENT_REQUESTED,
        key=keys.supplement_requested(claim.pk, event_pk),
        language=_claimant_language(claim, claimant_is_acting=False),
        missing=missing,
        extension_reason=claim.review_extension_reason,
    )


def review_extended(*, claim):
    """The claimant is told the new review date and why (a claim is extended at most once)."""
    return _to_claimant(
        claim,
        kind=Notification.Kind.REVIEW_EXTENDED,
        key=keys.review_extended(claim.pk),
        language=_claimant_language(claim, claimant_is_acting=False),
        extension_reason=claim.review_extension_reason,
        extension_ground=claim.review_extension_ground,
        statutory_due_on=claim.statutory_due_on.isoformat() if claim.statutory_due_on else None,
        business_days=claim.review_business_days,
    )


def decision_made(*, claim, decision, against_claimant=False, objection_open=False):
    """The decision (or an objection's decision, or a correction: 정정 결정) once it is in force.

    A pending one waits for approval. A correction against the claimant carries its own objection
    window; a favourable one is mailed without objection text; a final-round decision offers no
    objection and names the outside remedies (templates/emails/compensation/_decision*).
    `objection_open`: a favourable correction of a decision not accepted yet, whose objection window
    starts again (a proactive batch raising a filed claim): the mail says how to object as well.
    """
    if decision.status != Decision.Status.IN_FORCE:
        return []
    if decision.is_correction:
        kind = Notification.Kind.DECISION_CORRECTED
    else:
        kind = Notification.Kind.OBJECTION_DECIDED if decision.objection_id else Notification.Kind.DECISION
    return _to_claimant(
        claim,
        kind=kind,
        key=keys.decision(claim.pk, decision.pk),
        language=_claimant_language(claim, claimant_is_acting=False),
        approved=decision.approved,
        amount_krw=decision.amount_krw,
        amount_display=f"{decision.amount_krw:,}",
        pay_on=decision.pay_on.isoformat() if decision.pay_on else None,
        reasons=decision.reasons,
        objection_round=decision.objection.round if decision.objection_id else 0,
        objection_window_ends_on=(
            claim.objection_window_ends_on.isoformat() if claim.objection_window_ends_on else None
        ),
        rounds_left=claim.objection_rounds_left,
        max_rounds=claim.max_objection_rounds,
        decision_id=decision.pk,
        correction=decision.is_correction,
        against_claimant=against_claimant,
        objection_open=objection_open,
    )


def pay_date_replanned(*, claim, decision, previous, reason):
    """The 지급예정일 could not be kept (accepted after it): the new date, the old one and why."""
    return _to_claimant(
        claim,
        kind=Notification.Kind.PAY_DATE_REPLANNED,
        key=keys.pay_date_replanned(claim.pk, decision.pk, decision.pay_on),
        language=_claimant_language(claim, claimant_is_acting=False),
        pay_on=decision.pay_on.isoformat(),
        previous_pay_on=previous.isoformat(),
        amount_display=f"{decision.amount_krw:,}",
        reason=str(reason),
    )


def objection_received(*, claim, objection):
    return _to_claimant(
        claim,
        kind=Notification.Kind.OBJECTION_RECEIVED,
        key=keys.objection_received(claim.pk, objection.round),
        language=_claimant_language(claim, claimant_is_acting=True),
        objection_round=objection.round,
        max_rounds=claim.max_objection_rounds,
        # An objection to a correction is allowed after the last round (it uses up none of them).
        beyond_rounds=objection.round > claim.max_objection_rounds,
    )


def payment_made(*, claim, payment):
    """Only once the claim is fully paid; a partial instalment is not yet "paid"."""
    if claim.state != ClaimState.PAID:
        return []
    return _to_claimant(
        claim,
        kind=Notification.Kind.PAYMENT_MADE,
        key=keys.payment_made(claim.pk, in_force_decision(claim).pk),
        language=_claimant_language(claim, claimant_is_acting=False),
        amount_display=f"{payment.amount_krw:,}",
        total_display=f"{sum(claim.payments.values_list('amount_krw', flat=True)):,}",
        method=payment.method,
        reference=payment.reference,
        paid_at=payment.paid_at.isoformat(),
    )


def assisted_confirmation(*, claim, intake, resend_event=None):
    """The content staff recorded for a caller, with the signed link to confirm or correct it.

    The link is signed when the mail is written (`outbox.render`, from `assisted_claim_pk`), so a
    resend carries a fresh one.
    """
    if resend_event is not None:
        key = keys.assisted_confirmation_resent(claim.pk, resend_event.pk)
    else:
        key = keys.assisted_confirmation(claim.pk, intake.revision)
    return _to_claimant(
        claim,
        kind=Notification.Kind.ASSISTED_CONFIRMATION,
        key=key,
        language=_claimant_language(claim, claimant_is_acting=False),
        first_of_claim=intake.revision == 1 and resend_event is None,
        assisted_claim_pk=claim.pk,
        revision=intake.revision,
        channel=intake.channel,
        policy_name=claim.policy.name,
        amount_display=f"{claim.amount_claimed_krw:,}",
        asset=claim.asset,
        side=claim.side,
        quantity=str(claim.quantity) if claim.quantity is not None else "",
        intended_price_display=f"{claim.intended_price_krw:,}" if claim.intended_price_krw is not None else "",
        description=claim.description,
        statutory_due_on=claim.statutory_due_on.isoformat(),
    )
