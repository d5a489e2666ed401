"""Reads about single claims and the claims an import or a job works on. Set-based queries only."""

from django.db import connection
from django.db.models import OuterRef, Sum

from compensation.models import (
    AffectedOrder,
    AssistedIntake,
    Claim,
    ClaimOrigin,
    ClaimState,
    CompensationPolicy,
    Decision,
    MarketPrice,
    Method,
)
from compensation.models.claim import ASSESSABLE_STATES
from compensation.selectors.notifications import notifications_for_claim


def in_force_decision(claim):
    """The decision that binds now (the latest in force), or None."""
    return claim.decisions.filter(status=Decision.Status.IN_FORCE).order_by("-decided_at", "-pk").first()


def paid_total(claim):
    return claim.payments.aggregate(total=Sum("amount_krw"))["total"] or 0


def case_records(claim):
    """The rows the staff case page lists about one claim: one query per kind, however long its history."""
    decisions = list(
        claim.decisions.select_related("decided_by", "approved_by", "objection").order_by("decided_at", "pk")
    )
    payments = list(claim.payments.select_related("recorded_by").order_by("paid_at", "pk"))
    in_force = [d for d in decisions if d.status == Decision.Status.IN_FORCE]
    return {
        "events": list(claim.events.select_related("actor").order_by("created_at", "pk")),
        "documents": list(claim.documents.select_related("requirement").order_by("uploaded_at", "pk")),
        "decisions": decisions,
        "objections": list(claim.objections.select_related("reviewer").order_by("round")),
        "payments": payments,
        # As `paid_total` and `in_force_decision` compute them, from the rows already read.
        "paid_total": sum(payment.amount_krw for payment in payments),
        "in_force": max(in_force, key=lambda d: (d.decided_at, d.pk)) if in_force else None,
        "notifications": list(notifications_for_claim(claim).order_by("-created_at", "-pk")[:50]),
    }


def live_claim(claimant, incident, policy):
    """The claimant's claim for this incident and damage type that is not withdrawn, if any: a Claim
    with only `pk` and `number` loaded (the rest deferred), as `.only("pk", "number").first()` gives.

    One statement written out: the claim form asks this on every open during an outage, and the
    ORM spent 0.8 ms of CPU building it against 0.1 ms for the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(_LIVE_CLAIM_SQL, [claimant.pk, incident.pk, policy.pk, ClaimState.WITHDRAWN.value])
        row = cursor.fetchone()
    return None if row is None else Claim.from_db(connection.alias, ["id", "number"], list(row))


_LIVE_CLAIM_SQL = (
    f'SELECT "id", "number" FROM "{Claim._meta.db_table}" WHERE "claimant_id" = %s AND "incident_id" = %s'
    ' AND "policy_id" = %s AND NOT ("state" = %s) ORDER BY "id" ASC LIMIT 1'
)


def executable_price(incident, asset):
    """The first recorded trade of `asset` at or after the incident ended (recovery), or None."""
    if incident.ended_at is None or not asset:
        return None
    return (
        MarketPrice.objects.filter(incident=incident, asset=asset.strip().upper(), at__gte=incident.ended_at)
        .order_by("at")
        .first()
    )


def claims_waiting_for_price(incident):
    """Open price-difference claims of the incident that name an asset but have no executable price yet."""
    return Claim.objects.filter(
        incident=incident,
        state__in=ASSESSABLE_STATES,
        reference_price_krw__isnull=True,
        # A subquery, not a join: the fill locks these rows, and a join would lock policies.
        policy__in=CompensationPolicy.objects.filter(method=Method.PRICE_DIFFERENCE),
    ).exclude(asset="")


def live_claims_by_address(incident):
    """Live claims of `incident` (a value or an OuterRef) whose claimant's email is the outer row's `email`."""
    return Claim.objects.filter(incident=incident, claimant__email__iexact=OuterRef("email")).exclude(
        state=ClaimState.WITHDRAWN
    )


def affected_orders_of(incident, email):
    """The orders of this account that the exchange's log shows failing during the incident."""
    if not email:
        return AffectedOrder.objects.none()
    return AffectedOrder.objects.filter(incident=incident, email=email.lower()).order_by("attempted_at", "pk")


def assisted_intake_of(claim):
    """How a claim staff recorded for a caller came in, and the user's confirmation (None for other claims)."""
    if claim.origin != ClaimOrigin.ASSISTED:
        return None
    return AssistedIntake.objects.filter(claim=claim).select_related("recorded_by").first()
