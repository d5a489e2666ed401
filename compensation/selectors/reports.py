"""Dashboards, the incident register and the SLA, price and payment reports. Set-based queries only."""

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Lower, Trim, Upper

from compensation.models import (
    AffectedOrder,
    Claim,
    ClaimState,
    Decision,
    MarketPrice,
    Notification,
    Objection,
    Payment,
)
from compensation.selectors.claims import claims_waiting_for_price, executable_price
from compensation.selectors.queues import overdue_q
from incidents.models import Incident


def first_decisions():
    """The first decision on each claim (not an objection's), whether still in force or corrected since."""
    return Decision.objects.filter(
        objection__isnull=True, status__in=[Decision.Status.IN_FORCE, Decision.Status.SUPERSEDED]
    )


# The review SLA: claims whose first decision came on or before the review deadline in force then.
DECIDED = Count("claim", distinct=True)
DECIDED_ON_TIME = Count("claim", distinct=True, filter=Q(decided_at__date__lte=F("due_on")))


def incident_dashboard(incident):
    """Counts and totals for one incident, in a handful of aggregate queries."""
    claims = Claim.objects.filter(incident=incident)
    by_state = dict(claims.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    sla = first_decisions().filter(claim__incident=incident).aggregate(decided=DECIDED, on_time=DECIDED_ON_TIME)
    in_force = Decision.objects.filter(claim__incident=incident, status=Decision.Status.IN_FORCE)
    totals = in_force.aggregate(approved_krw=Sum("amount_krw"), approved_claims=Count("pk", filter=Q(approved=True)))
    paid = Payment.objects.filter(claim__incident=incident).aggregate(paid_krw=Sum("amount_krw"))
    objections = dict(
        Objection.objects.filter(claim__incident=incident)
        .values_list("round")
        .annotate(n=Count("pk"))
        .values_list("round", "n")
    )
    return {
        "total": sum(by_state.values()),
        "by_state": [(label, by_state.get(value, 0)) for value, label in ClaimState.choices],
        "decided": sla["decided"],
        "decided_on_time": sla["on_time"],
        "on_time_pct": round(100 * sla["on_time"] / sla["decided"], 1) if sla["decided"] else None,
        "overdue_now": claims.filter(overdue_q()).count(),
        "approved_krw": totals["approved_krw"] or 0,
        "approved_claims": totals["approved_claims"],
        "paid_krw": paid["paid_krw"] or 0,
        "objections_by_round": sorted(objections.items()),
    }


def market_price_summary(incident):
    """Per asset: how many prices, their span, the executable price, and claims still waiting for one."""
    rows = list(
        MarketPrice.objects.filter(incident=incident)
        .values("asset")
        .annotate(count=Count("pk"), first=Min("at"), last=Max("at"))
        .order_by("asset")
    )
    waiting = dict(
        claims_waiting_for_price(incident)
        .annotate(ticker=Upper(Trim("asset")))
        .values_list("ticker")
        .annotate(n=Count("pk"))
        .values_list("ticker", "n")
    )
    for row in rows:
        row["executable"] = executable_price(incident, row["asset"])
        row["waiting"] = waiting.pop(row["asset"], 0)
    # Assets claimed for but absent from the imported data.
    unpriced = sorted(waiting.items())
    return rows, unpriced


def affected_order_summary(incident):
    """How many failed orders and addresses the log holds, and how many have claimed or been invited."""
    orders = AffectedOrder.objects.filter(incident=incident)
    emails = orders.values("email").distinct()
    totals = orders.aggregate(orders=Count("pk"), addresses=Count("email", distinct=True))
    claimed = (
        Claim.objects.filter(incident=incident)
        .annotate(email=Lower("claimant__email"))
        .filter(email__in=emails)
        .exclude(state=ClaimState.WITHDRAWN)
        .values("claimant")
        .distinct()
        .count()
    )
    invited = Notification.objects.filter(kind="claim_invitation", key__startswith=f"claim_invitation:{incident.pk}:")
    return {
        **totals,
        "claimed": claimed,
        "invited": invited.count(),
        "invitations_sent": invited.filter(state=Notification.State.SENT).count(),
    }


def _per_incident(rows, incident_path, aggregate):
    """`aggregate` over `rows` that belong to the outer incident, 0 when there are none."""
    per_incident = (
        rows.filter(**{incident_path: OuterRef("pk")})
        .order_by()
        .values(incident_path)
        .annotate(value=aggregate)
        .values("value")[:1]
    )
    return Coalesce(Subquery(per_incident), 0)


CLAIM_FINAL_STATES = (ClaimState.PAID, ClaimState.CLOSED, ClaimState.WITHDRAWN)


def incident_register(*, year=None, incident_type=None):
    """Incidents newest first, each with its claims and money: the 전자금융사고 관리대장.

    The FSS asks exchanges to manage each IT incident by type, stage (처리단계), action
    (조치방법) and impact (영향도·심각도); the claim figures are the impact in KRW. One query
    however many incidents and claims: every figure is a correlated subquery.
    """
    incidents = Incident.objects.annotate(
        claims_total=_per_incident(Claim.objects.all(), "incident", Count("pk")),
        claims_open=_per_incident(Claim.objects.exclude(state__in=CLAIM_FINAL_STATES), "incident", Count("pk")),
        decided=_per_incident(first_decisions(), "claim__incident", DECIDED),
        decided_on_time=_per_incident(first_decisions(), "claim__incident", DECIDED_ON_TIME),
        approved_krw=_per_incident(
            Decision.objects.filter(status=Decision.Status.IN_FORCE, approved=True),
            "claim__incident",
            Sum("amount_krw"),
        ),
        paid_krw=_per_incident(Payment.objects.all(), "claim__incident", Sum("amount_krw")),
        objections=_per_incident(Objection.objects.all(), "claim__incident", Count("pk")),
    ).order_by("-started_at", "-pk")
    if year:
        incidents = incidents.filter(started_at__year=year)
    if incident_type:
        incidents = incidents.filter(incident_type=incident_type)
    return incidents


def sla_by_incident():
    """Per incident: first decisions made, and how many within the review deadline in force."""
    rows = (
        first_decisions()
        .values("claim__incident", "claim__incident__title")
        .annotate(decided=DECIDED, on_time=DECIDED_ON_TIME)
        .order_by("-claim__incident")
    )
    return list(rows)


def unpaid_accepted_claims():
    return (
        Claim.objects.filter(state=ClaimState.ACCEPTED)
        .select_related("claimant", "incident")
        .annotate(paid_krw=Sum("payments__amount_krw"))
        .order_by("payment_due_on", "pk")
    )
