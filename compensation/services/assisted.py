"""Staff-assisted intake: staff record a claim for a user who phoned or visited; the user confirms it.

The user claimed when they called: that is the application (보상 신청일), so the review clock and
the statutory date count from the recording, as for a claim filed in the portal. What staff typed
is the user's claim only once the user confirms it: one mail with a signed link goes to the user
(Korean, then English), who confirms or asks for a correction in the portal. A decision waits for
the confirmation; a correction request alerts the assigned staff, who correct the content, and the
user is mailed the corrected version to confirm. Every step is a `ClaimEvent` row.

Sibling of `intake.claim_submit` (which is not changed): the same bounds, terms, clocks and
numbering, without the portal's hot-path tuning.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import (
    AssistedChannel,
    AssistedIntake,
    Claim,
    ClaimEvent,
    ClaimOrigin,
    ClaimState,
    Confirmation,
    ExchangeAccount,
    IdentityMethod,
    NoticeTerms,
    PolicyVersion,
)
from compensation.notifications import claimant as notify
from compensation.notifications import staff_alerts
from compensation.permissions import Action, Actor
from compensation.selectors import live_claim
from compensation.selectors.portal import assisted_claim_for_link
from compensation.services import deadlines
from compensation.services._common import lock_claim, require_allowed, require_claimant, require_staff
from compensation.services.intake import claim_number, missing_required_documents
from compensation.services.policies import policy_version_record
from incidents.errors import DomainError, ErrorCode
from incidents.models import Incident

# What staff may type for the caller (and correct later): the claim's content, as in the portal form.
CONTENT_FIELDS = (
    "amount_claimed_krw",
    "description",
    "payout_method",
    "payout_account",
    "asset",
    "side",
    "quantity",
    "intended_price_krw",
    "intended_at",
)


def _check_how(channel, identity_method, identity_note):
    if channel not in AssistedChannel.values:
        raise DomainError(_("Choose how the claim came in (phone, visit or other)."))
    if identity_method not in IdentityMethod.values:
        raise DomainError(_("Choose how you checked the caller's identity."))
    if identity_method == IdentityMethod.OTHER and not (identity_note or "").strip():
        raise DomainError(_("Describe how you checked the caller's identity."))


def _open_incident(incident, policy, now):
    incident = Incident.objects.filter(pk=incident.pk).first()
    if incident is None or not incident.intake_is_open(at=now):
        raise DomainError(_("This incident is not taking claims."), code=ErrorCode.INTAKE_CLOSED)
    if policy.incident_type != incident.incident_type or not policy.is_active:
        raise DomainError(_("This damage type does not apply to this incident."), code=ErrorCode.POLICY)
    return incident


def _holder(email, account_id):
    """(portal user or None, exchange account or None, address the link goes to) for what staff typed."""
    email = (email or "").strip().lower()
    account_id = (account_id or "").strip()
    if not email and not account_id:
        raise DomainError(_("Enter the caller's email address or exchange account id."))
    account = None
    if account_id:
        account = ExchangeAccount.objects.select_related("user").filter(account_id=account_id).first()
        if account is None:
            raise DomainError(
                _("No exchange account %(account)s in the exchange's account list.") % {"account": account_id}
            )
    user = account.user if account is not None and account.user_id else None
    if user is None and email:
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    if user is not None:
        return user, account, user.email
    to_email = ((account.email if account else "") or email).strip().lower()
    if not to_email:
        raise DomainError(_("Enter the caller's email address: the confirmation link is mailed there."))
    return None, account, to_email


def _refuse_duplicate(*, user, to_email, incident, policy):
    if user is not None:
        earlier = live_claim(user, incident, policy)
    else:
        earlier = (
            Claim.objects.filter(
                incident=incident, policy=policy, claimant__isnull=True, assisted_intake__email__iexact=to_email
            )
            .exclude(state=ClaimState.WITHDRAWN)
            .first()
        )
    if earlier is not None:
        raise DomainError(
            _("This person already has claim %(number)s for this incident and damage type.")
            % {"number": earlier.number},
            code=ErrorCode.DUPLICATE,
        )


def _terms(incident, policy):
    """(published NoticeTerms or None, the PolicyVersion id): as `claim_submit` files a claim under."""
    published = (
        NoticeTerms.objects.filter(notice_version__incident=incident, policy_version__policy=policy)
        .order_by("-notice_version__number")
        .first()
    )
    if published is not None:
        return published, published.policy_version_id
    latest = PolicyVersion.objects.filter(policy=policy).order_by("-number").values_list("pk", flat=True).first()
    return None, latest or policy_version_record(policy=policy).pk


def _new_claim(*, incident, policy, user, account, now, content):
    terms, version_id = _terms(incident, policy)
    claim = Claim(
        incident=incident,
        policy=policy,
        policy_version_id=version_id,
        notice_terms=terms,
        claimant=user,
        exchange_account=account,
        origin=ClaimOrigin.ASSISTED,
        filed_at=now,
        missing_documents=[{"id": doc.pk, "name": doc.name} for doc in missing_required_documents(policy, [])],
        **content,
    )
    # The call is the application: the clocks count from it, as for a claim filed in the portal.
    deadlines.start_review_clock(claim, started_at=now)
    claim.statutory_due_on = deadlines.statutory_review_due(now)
    claim.save()
    claim.number = claim_number(claim.pk)
    Claim.objects.filter(pk=claim.pk).update(number=claim.number)
    return claim


def assisted_claim_record(
    *,
    actor,
    incident,
    policy,
    idempotency_key,
    channel,
    identity_method,
    identity_note="",
    email="",
    account_id="",
    **content,
):
    """Record a claim for a caller or visitor; the user is mailed a link to confirm it. A retry records one."""
    require_staff(actor, Action.RECORD_ASSISTED, action=_("record claims for callers"))
    _check_how(channel, identity_method, identity_note)
    content = {name: content[name] for name in CONTENT_FIELDS if content.get(name) is not None}
    if content.get("amount_claimed_krw") is None or content["amount_claimed_krw"] < 0:
        raise DomainError(_("Enter the amount claimed in KRW (0 or more)."))
    earlier = AssistedIntake.objects.filter(idempotency_key=idempotency_key).select_related("claim").first()
    if earlier is not None:
        return earlier.claim
    now = timezone.now()
    incident = _open_incident(incident, policy, now)
    user, account, to_email = _holder(email, account_id)
    _refuse_duplicate(user=user, to_email=to_email, incident=incident, policy=policy)
    try:
        with transaction.atomic():
            claim = _new_claim(incident=incident, policy=policy, user=user, account=account, now=now, content=content)
            intake = AssistedIntake.objects.create(
                claim=claim,
                channel=channel,
                identity_method=identity_method,
                identity_note=(identity_note or "").strip(),
                email=to_email,
                recorded_by=actor,
                recorded_at=now,
                idempotency_key=idempotency_key,
            )
            _recorded_event(claim, intake, account=account)
            notify.assisted_confirmation(claim=claim, intake=intake)
    except IntegrityError:
        again = AssistedIntake.objects.filter(idempotency_key=idempotency_key).select_related("claim").first()
        if again is not None:
            return again.claim
        _refuse_duplicate(user=user, to_email=to_email, incident=incident, policy=policy)
        raise
    return claim


def _recorded_event(claim, intake, *, account):
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.TRANSITION,
        from_state="",
        to_state=claim.state,
        actor=intake.recorded_by,
        reason=_("Claim recorded by staff (%(channel)s); awaiting the claimant's confirmation")
        % {"channel": intake.get_channel_display()},
        created_at=intake.recorded_at,
        data={
            "origin": ClaimOrigin.ASSISTED,
            "channel": intake.channel,
            "identity_method": intake.identity_method,
            "identity_note": intake.identity_note,
            "recorded_for": {"email": intake.email, "account": account.account_id if account else None},
            "review_due_on": claim.review_due_on.isoformat(),
            "statutory_due_on": claim.statutory_due_on.isoformat(),
            "missing_documents": claim.missing_documents,
        },
    )


def _take(actor, *, token, claim):
    """The locked claim and its intake, for its portal user; a claim held for the user's address becomes theirs."""
    if token is not None:
        claim, intake = assisted_claim_for_link(actor, token, claims=Claim.objects.select_for_update())
    else:
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        intake = AssistedIntake.objects.filter(claim=claim).first()
        if intake is None:
            raise DomainError(_("Only a claim staff recorded for you is confirmed."), code=ErrorCode.NOT_ALLOWED)
    taken = claim.claimant_id is None
    if taken:
        claim.claimant = actor
        try:
            with transaction.atomic():
                claim.save(update_fields=["claimant", "updated_at"])
        except IntegrityError:
            raise DomainError(
                _("You already have a claim for this incident and damage type; the help desk will merge them."),
                code=ErrorCode.DUPLICATE,
            ) from None
    return claim, intake, taken


def _confirmation_event(claim, intake, *, actor, reason, taken, now):
    return ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.CONFIRMATION,
        actor=actor,
        reason=reason,
        created_at=now,
        data={"confirmation": intake.confirmation, "revision": intake.revision, "taken_by_user": taken},
    )


def assisted_claim_confirm(*, actor, token=None, claim=None):
    """The user confirms what staff recorded (by the mailed link, or their claim's page). Twice is once."""
    with transaction.atomic():
        claim, intake, taken = _take(actor, token=token, claim=claim)
        if intake.confirmation == Confirmation.CONFIRMED and not taken:
            return claim
        require_allowed(claim, Action.CONFIRM_CONTENT, by=Actor.CLAIMANT, action=_("confirmed"))
        now = timezone.now()
        intake.confirmation = Confirmation.CONFIRMED
        intake.confirmed_at = now
        intake.save(update_fields=["confirmation", "confirmed_at"])
        _confirmation_event(
            claim,
            intake,
            actor=actor,
            reason=_("The claimant confirmed the claim staff recorded"),
            taken=taken,
            now=now,
        )
    return claim


def assisted_claim_request_correction(*, actor, text, token=None, claim=None):
    """The user says the recorded content is not right: the event, and an alert to the assigned staff."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write what is not right and what it should say."), code=ErrorCode.REASON_REQUIRED)
    with transaction.atomic():
        claim, intake, taken = _take(actor, token=token, claim=claim)
        require_allowed(claim, Action.REQUEST_CORRECTION, by=Actor.CLAIMANT, action=_("corrected"))
        now = timezone.now()
        intake.confirmation = Confirmation.CORRECTION_REQUESTED
        intake.confirmed_at = None
        intake.correction_request = text
        intake.save(update_fields=["confirmation", "confirmed_at", "correction_request"])
        event = _confirmation_event(claim, intake, actor=actor, reason=text, taken=taken, now=now)
        staff_alerts.assisted_correction_requested(claim=claim, intake=intake, event=event)
    return claim


def assisted_claim_correct(*, claim, actor, note, **content):
    """Staff correct what they recorded (the user asked, or staff saw a mistake); the user confirms again."""
    require_staff(actor, Action.CORRECT_CONTENT, action=_("correct recorded claims"))
    if not (note or "").strip():
        raise DomainError(_("Say what you corrected and why."), code=ErrorCode.REASON_REQUIRED)
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.CORRECT_CONTENT, by=actor, action=_("corrected"))
        intake = AssistedIntake.objects.filter(claim=claim).first()
        if intake is None:
            raise DomainError(_("Only a claim staff recorded is corrected here."), code=ErrorCode.NOT_ALLOWED)
        changes = {}
        for name in CONTENT_FIELDS:
            if name in content and content[name] != getattr(claim, name):
                changes[name] = [str(getattr(claim, name)), str(content[name])]
                setattr(claim, name, content[name])
        if not changes:
            raise DomainError(_("Nothing was changed."))
        claim.save()
        intake.revision += 1
        intake.confirmation = Confirmation.AWAITING
        intake.confirmed_at = None
        intake.save(update_fields=["revision", "confirmation", "confirmed_at"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.CONFIRMATION,
            actor=actor,
            reason=note.strip(),
            data={"confirmation": intake.confirmation, "revision": intake.revision, "changes": changes},
        )
        notify.assisted_confirmation(claim=claim, intake=intake)
    return claim


def assisted_claim_resend_link(*, claim, actor, reason=""):
    """Mail the confirmation link again (the first one expired, or never arrived); only while unconfirmed."""
    require_staff(actor, Action.RESEND_CONFIRMATION, action=_("mail confirmation links"))
    with transaction.atomic():
        claim = lock_claim(claim)
        require_allowed(claim, Action.RESEND_CONFIRMATION, by=actor, action=_("mailed for confirmation again"))
        intake = AssistedIntake.objects.filter(claim=claim).first()
        if intake is None:
            raise DomainError(_("Only a claim staff recorded is confirmed by the user."), code=ErrorCode.NOT_ALLOWED)
        if intake.confirmation == Confirmation.CONFIRMED:
            raise DomainError(_("The claimant has already confirmed this claim."), code=ErrorCode.NOT_ALLOWED)
        event = ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.CONFIRMATION,
            actor=actor,
            reason=(reason or "").strip() or _("Confirmation link mailed again"),
            data={"confirmation": intake.confirmation, "revision": intake.revision, "resent_to": claim.contact_email},
        )
        notify.assisted_confirmation(claim=claim, intake=intake, resend_event=event)
    return claim


def require_confirmed(claim):
    """A staff-recorded claim is decided only once the user confirmed its content."""
    if claim.origin != ClaimOrigin.ASSISTED:
        return
    state = AssistedIntake.objects.filter(claim=claim).values_list("confirmation", flat=True).first()
    if state is not None and state != Confirmation.CONFIRMED:
        raise DomainError(
            _("The claimant has not confirmed the content staff recorded (%(state)s): it cannot be decided yet.")
            % {"state": Confirmation(state).label},
            code=ErrorCode.PENDING,
        )
