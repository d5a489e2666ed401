"""Reads for the claimant portal. Every query is scoped to the signed-in user (or to staff roles).

Kept apart from `selectors.py` (staff queues and reports) so the "only your own claims" rule lives
in one small place that the portal views cannot bypass.
"""

from django.core import signing
from django.db.models import BooleanField, Count, Exists, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from compensation import permissions
from compensation.models import (
    AffectedOrder,
    AssistedIntake,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimOrigin,
    ClaimState,
    CompensationPolicy,
    Decision,
    ExchangeAccount,
    Objection,
    Payment,
    RequiredDocument,
)
from compensation.models.claim import REVIEW_CLOCK_STATES
from compensation.notifications import links
from compensation.permissions import Action, Actor
from compensation.selectors import policies as policy_cache
from compensation.selectors.claims import affected_orders_of, live_claim  # noqa: F401 - used by the views through this module
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst
from incidents.models import PUBLIC_STATES, Incident, IncidentState
from incidents.selectors import current_notice_version  # noqa: F401 - re-exported for the views

# Roles that may open any claimant's documents through the download view.
DOCUMENT_STAFF_ROLES = roles.ALL_ROLES
SHOWN_DECISION_STATUSES = (Decision.Status.IN_FORCE, Decision.Status.SUPERSEDED)


def my_claims(user):
    return (
        Claim.objects.filter(claimant=user)
        .select_related("incident", "policy", "assisted_intake")
        .only(
            "pk",
            "number",
            "state",
            "origin",
            "assisted_intake__confirmation",
            "filed_at",
            "review_due_on",
            "objection_window_ends_on",
            "payment_due_on",
            "amount_claimed_krw",
            "incident__title",
            "policy__name",
            "policy__damage_type",
        )
        .order_by("-filed_at", "-pk")
    )


def my_exchange_account(user):
    return ExchangeAccount.objects.filter(user=user).first()


def incidents_to_claim_for(user):
    """Incidents taking claims where the exchange's order log shows this user's orders failing and
    the user has not filed yet: the portal points them out instead of waiting to be asked."""
    if not user.email:
        return []
    today = today_kst()
    filed = Claim.objects.filter(incident=OuterRef("pk"), claimant=user).exclude(state=ClaimState.WITHDRAWN)
    orders = AffectedOrder.objects.filter(incident=OuterRef("pk"), email=user.email.lower())
    return list(
        Incident.objects.filter(state=IncidentState.NOTICE_POSTED, intake_ends_on__gte=today)
        .filter(Exists(orders), ~Exists(filed))
        .annotate(failed_orders=Count("affected_orders", filter=Q(affected_orders__email=user.email.lower())))
        .only("pk", "title", "intake_ends_on")
        .order_by("intake_ends_on", "pk")
    )


def my_claim(user, pk):
    """The user's own claim or 404: someone else's claim looks exactly like a missing one.

    It also says, in the same query, whether the claim has decisions, objections and payments to
    show, so `claim_page` reads only the ones there are (most claims have none of them yet)."""
    claims = Claim.objects.select_related("incident", "policy").annotate(**_ROWS_TO_SHOW)
    return get_object_or_404(claims, pk=pk, claimant=user)


def _exists(model, condition="", params=()):
    # Raw EXISTS: an ORM Exists() subquery costs more to compile than the query it saves.
    table, claim_table = model._meta.db_table, Claim._meta.db_table
    sql = f'EXISTS (SELECT 1 FROM "{table}" x WHERE x.claim_id = "{claim_table}"."id"{condition})'
    return RawSQL(sql, params, output_field=BooleanField())


_ROWS_TO_SHOW = {
    "has_decisions": _exists(Decision, " AND x.status IN (%s, %s)", tuple(str(s) for s in SHOWN_DECISION_STATUSES)),
    "has_objections": _exists(Objection),
    "has_payments": _exists(Payment),
}


def _if_any(claim, flag, rows):
    """`rows` as a list, or [] without a query when `my_claim` found none (True when not annotated)."""
    return list(rows) if getattr(claim, flag, True) else []


def public_incident(pk):
    return get_object_or_404(Incident, pk=pk, state__in=PUBLIC_STATES)


def _policies(incident):
    return CompensationPolicy.objects.filter(incident_type=incident.incident_type, is_active=True).prefetch_related(
        Prefetch("required_documents", queryset=RequiredDocument.objects.order_by("position", "pk"))
    )


def claim_policies(incident):
    """The active policies (with their required documents) for the incident's type."""
    return list(_policies(incident).order_by("damage_type"))


def submit_policy(incident_pk, policy_pk):
    """The active policy a claim is filed under (from the per-process cache), else 404.

    Whether it applies to the incident, and whether that incident takes claims, the service
    checks against a fresh read of the incident.
    """
    policy = policy_cache.active_policy(policy_pk)
    if policy is None:
        raise Http404
    return policy


def claim_page(claim):
    """Everything the claimant may see about their claim, nothing staff-only."""
    events = claim.events.filter(visible_to_claimant=True).order_by("created_at", "pk")
    decisions = (
        claim.decisions.filter(status__in=SHOWN_DECISION_STATUSES)
        .only("pk", "claim_id", "approved", "amount_krw", "reasons", "pay_on", "decided_at", "status", "objection_id")
        .order_by("-decided_at", "-pk")
    )
    decisions = _if_any(claim, "has_decisions", decisions)
    in_force = next((d for d in decisions if d.status == Decision.Status.IN_FORCE), None)
    objections = _if_any(
        claim,
        "has_objections",
        claim.objections.only(
            "pk", "claim_id", "round", "reason", "filed_at", "outcome", "decided_at", "review_due_on"
        ).order_by("round"),
    )
    documents = list(
        claim.documents.only(
            "pk",
            "claim_id",
            "original_name",
            "content_type",
            "size",
            "purpose",
            "uploaded_at",
            "requirement_id",
            "objection_id",
        )
        .select_related("requirement")
        .order_by("uploaded_at", "pk")
    )
    return {
        "events": [_label_event(event) for event in events],
        "in_force": in_force,
        "earlier_decisions": [d for d in decisions if d is not in_force],
        "objections": objections,
        "documents": documents,
        # What was paid (or recovered), when and under which transfer reference: the claimant's receipt.
        "payments": _if_any(
            claim,
            "has_payments",
            claim.payments.only("pk", "claim_id", "amount_krw", "method", "reference", "paid_at").order_by(
                "paid_at", "pk"
            ),
        ),
    }


STATE_LABELS = dict(ClaimState.choices)


def _label_event(event):
    """A one-line title for the timeline, in the reader's language."""
    if event.kind == ClaimEvent.Kind.TRANSITION:
        event.label = STATE_LABELS.get(event.to_state, event.to_state)
    else:
        event.label = event.get_kind_display()
    if event.kind == ClaimEvent.Kind.DEADLINE:
        event.change = (event.data.get("from"), event.data.get("to"))
    return event


def can_see_all_documents(user):
    return user.is_authenticated and user.is_staff and roles.has_role(user, *DOCUMENT_STAFF_ROLES)


def downloadable_document(user, claim_pk, doc_pk):
    """The document if this user may download it, else 404 (never 403: do not confirm it exists)."""
    documents = ClaimDocument.objects.select_related("claim").filter(pk=doc_pk, claim_id=claim_pk)
    if not can_see_all_documents(user):
        documents = documents.filter(claim__claimant=user)
    return get_object_or_404(documents)


def claimant_actions(claim):
    """What the claimant may do now (`compensation.permissions`); the page offers exactly these."""

    def allowed(action):
        return permissions.allows(Actor.CLAIMANT, action, claim.state)

    may_object = allowed(Action.OBJECT)
    object_blocked = None
    if may_object and not claim.has_objection_rounds_left():
        object_blocked = "no_rounds_left"
    elif may_object and not claim.objection_window_open():
        object_blocked = "objection_late"
    return {
        "supplement": allowed(Action.ADD_SUPPLEMENT),
        "withdraw": allowed(Action.WITHDRAW),
        "accept": allowed(Action.ACCEPT),
        "object": may_object and object_blocked is None,
        "object_blocked": object_blocked,
        "review_clock": claim.state in REVIEW_CLOCK_STATES,
    }


def decision_not_yet_opened(claim):
    """The decision in force on a decided claim that the claimant has not opened in the portal yet."""
    if claim.state != ClaimState.DECIDED:
        return None
    return (
        Decision.objects.filter(claim=claim, status=Decision.Status.IN_FORCE, first_opened_at__isnull=True)
        .select_related("claim")
        .first()
    )


def assisted_claim_for_link(user, token, *, claims=Claim.objects):
    """The staff-recorded claim a confirmation link names, if `user` may see it; else DomainError.

    Its portal user may; a claim held for an address (no portal user yet) is shown to the user
    signed in with that address. Anyone else is told the link is not theirs. `claims` may be a
    locking queryset (the services pass `select_for_update()`).
    """
    if user is None or not user.is_authenticated:
        raise DomainError(_("Sign in or sign up first, then open the link again."), code=ErrorCode.FORBIDDEN)
    try:
        claim_pk = links.claim_pk_from_confirmation(token)
    except signing.SignatureExpired:
        raise DomainError(
            _("This link has expired. Your claim is under “My claims” if it is yours; else ask the help desk."),
            code=ErrorCode.DEADLINE_PASSED,
        ) from None
    except signing.BadSignature:
        raise DomainError(_("This link is not valid."), code=ErrorCode.NOT_FOUND) from None
    claim = claims.filter(pk=claim_pk, origin=ClaimOrigin.ASSISTED).first()
    intake = AssistedIntake.objects.filter(claim_id=claim_pk).first() if claim is not None else None
    if intake is None or (claim.claimant_id is not None and claim.claimant_id != user.pk):
        # Someone else's claim looks exactly like a missing one.
        raise DomainError(_("This link is not valid."), code=ErrorCode.NOT_FOUND)
    if claim.claimant_id is None and (user.email or "").strip().lower() != intake.email.lower():
        raise DomainError(
            _("This claim was recorded for another address. Sign in with the address the mail was sent to."),
            code=ErrorCode.FORBIDDEN,
        )
    return claim, intake


def assisted_confirmation_path(claim):
    """The link to confirm a staff-recorded claim of the user's, while it awaits their confirmation."""
    intake = getattr(claim, "assisted_intake", None) if claim.origin == ClaimOrigin.ASSISTED else None
    if (
        intake is None
        or not intake.awaiting
        or not permissions.allows(Actor.CLAIMANT, Action.CONFIRM_CONTENT, claim.state)
    ):
        return None
    return links.confirmation_link_path(claim.pk)
