"""Dashboards, the incident register and the SLA, price and payment reports. Set-based queries only."""

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Lower, Trim, TruncDate, Upper

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
from compensation.notifications import keys
from compensation.selectors._subqueries import per_incident
from compensation.selectors.claims import claims_waiting_for_price, executable_price
from compensation.selectors.queues import overdue_q
from incidents.kst import KST, today_kst
from incidents.models import Incident


def first_decisions():
    """The first decision on each claim (not an objection's, not a correction), once it was notified."""
    return Decision.objects.filter(objection__isnull=True, is_correction=False, notified_at__isnull=False)


def objection_decisions():
    """The decision of each objection round, once it was notified."""
    return Decision.objects.filter(objection__isnull=False, notified_at__isnull=False)


# --- the review SLA: one definition for the dashboard, the SLA page, the register and the CSVs --------
# A decision is on time when its notice went out (`notified_at`: in force and its mail row written)
# by the end of the statutory date (KST) of the round it answers: 15 영업일 after the application or
# the objection, never moved. "extended" = after that date but within the one allowed extension
# granted in that round; "late" = after both; "open_overdue" = no notified decision yet and the
# statutory date has passed. The rate counts open_overdue as not on time.
SLA_KEYS = ("decided", "on_time", "extended", "late", "open_overdue")
NOTIFIED_ON = TruncDate("notified_at", tzinfo=KST)
_IN_TIME = Q(notified_on__lte=F("statutory_due_on"))
_FIRST_ROUND_EXTENDED = Q(claim__review_extension_round=0)
_OBJECTION_ROUND_EXTENDED = Q(claim__review_extension_round=F("objection__round"))


def _sla_aggregates(extended_in_round):
    extended = ~_IN_TIME & extended_in_round & Q(notified_on__lte=F("due_on"))
    return {
        "decided": Count("pk"),
        "on_time": Count("pk", filter=_IN_TIME),
        "extended": Count("pk", filter=extended),
        "late": Count("pk", filter=~_IN_TIME & ~extended),
    }


FIRST_ROUND_SLA = _sla_aggregates(_FIRST_ROUND_EXTENDED)
OBJECTION_ROUND_SLA = _sla_aggregates(_OBJECTION_ROUND_EXTENDED)


def _notified(decisions):
    return decisions.annotate(notified_on=NOTIFIED_ON)


def claims_open_overdue(today=None):
    """Claims owed a first decision whose statutory date has passed (withdrawn ones owe none)."""
    return (
        Claim.objects.filter(statutory_due_on__lt=today or today_kst())
        .exclude(state=ClaimState.WITHDRAWN)
        .exclude(Exists(first_decisions().filter(claim=OuterRef("pk"))))
    )


def objections_open_overdue(today=None):
    """Objection rounds with no notified decision whose statutory date (filing + 15 영업일) has passed."""
    return Objection.objects.filter(review_due_on__lt=today or today_kst()).exclude(
        Exists(objection_decisions().filter(objection=OuterRef("pk")))
    )


def _sla(decisions, aggregates, open_overdue, incident):
    if incident is not None:
        decisions = decisions.filter(claim__incident=incident)
        open_overdue = open_overdue.filter(**{_incident_path(open_overdue): incident})
    counts = _notified(decisions).aggregate(**aggregates)
    counts["open_overdue"] = open_overdue.count()
    return {key: counts[key] for key in SLA_KEYS}


PAID_STATES = (ClaimState.PAID, ClaimState.CLOSED)


def payment_sla(incident=None, today=None):
    """Paid by the decision's 지급예정일 (`payment_due_on`, the one payment deadline):
    {"paid_on_time", "paid_late", "unpaid_overdue", "rate"}; the rate counts unpaid ones past the date."""
    last_paid = Subquery(
        Payment.objects.filter(claim=OuterRef("pk"), amount_krw__gt=0).order_by("-paid_at").values("paid_at")[:1]
    )
    claims = Claim.objects.filter(payment_due_on__isnull=False)
    if incident is not None:
        claims = claims.filter(incident=incident)
    paid = Q(state__in=PAID_STATES, paid_on__isnull=False)
    counts = claims.annotate(paid_on=TruncDate(last_paid, tzinfo=KST)).aggregate(
        paid_on_time=Count("pk", filter=paid & Q(paid_on__lte=F("payment_due_on"))),
        paid_late=Count("pk", filter=paid & Q(paid_on__gt=F("payment_due_on"))),
        unpaid_overdue=Count("pk", filter=Q(state=ClaimState.ACCEPTED, payment_due_on__lt=today or today_kst())),
    )
    owed = counts["paid_on_time"] + counts["paid_late"] + counts["unpaid_overdue"]
    counts["rate"] = round(100 * counts["paid_on_time"] / owed, 1) if owed else None
    return counts


def _incident_path(rows):
    return "claim__incident" if rows.model is Objection else "incident"


def review_sla(incident=None):
    """First decisions against the statutory review date: {"decided", "on_time", "extended", "late", "open_overdue"}."""
    return _sla(first_decisions(), FIRST_ROUND_SLA, claims_open_overdue(), incident)


def objection_review_sla(incident=None):
    """The same five counts for objection rounds, each against its own statutory date."""
    return _sla(objection_decisions(), OBJECTION_ROUND_SLA, objections_open_overdue(), incident)


def sla_rate(counts):
    """Percent on time of what was owed: decided plus still open past the statutory date; None if nothing."""
    owed = counts["decided"] + counts["open_overdue"]
    return round(100 * counts["on_time"] / owed, 1) if owed else None


def incident_dashboard(incident):
    """Counts and totals for one incident, in a handful of aggregate queries."""
    claims = Claim.objects.filter(incident=incident)
    by_state = dict(claims.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    sla = review_sla(incident)
    objection_sla = objection_review_sla(incident)
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
        "sla": sla,
        "sla_pct": sla_rate(sla),
        "objection_sla": objection_sla,
        "objection_sla_pct": sla_rate(objection_sla),
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
    invited = Notification.objects.filter(
        kind=Notification.Kind.CLAIM_INVITATION, key__startswith=keys.claim_invitations_of(incident.pk)
    )
    return {
        **totals,
        "claimed": claimed,
        "invited": invited.count(),
        "invitations_sent": invited.filter(state=Notification.State.SENT).count(),
    }


CLAIM_FINAL_STATES = (ClaimState.PAID, ClaimState.CLOSED, ClaimState.WITHDRAWN)


def incident_register(*, year=None, incident_type=None):
    """Incidents newest first, each with its claims and money: the 전자금융사고 관리대장.

    The FSS asks exchanges to manage each IT incident by type, stage (처리단계), action
    (조치방법) and impact (영향도·심각도); the claim figures are the impact in KRW. One query
    however many incidents and claims: every figure is a correlated subquery.
    """
    incidents = Incident.objects.annotate(
        claims_total=per_incident(Claim.objects.all(), "incident", Count("pk")),
        claims_open=per_incident(Claim.objects.exclude(state__in=CLAIM_FINAL_STATES), "incident", Count("pk")),
        **_sla_per_incident(),
        approved_krw=per_incident(
            Decision.objects.filter(status=Decision.Status.IN_FORCE, approved=True),
            "claim__incident",
            Sum("amount_krw"),
        ),
        paid_krw=per_incident(Payment.objects.all(), "claim__incident", Sum("amount_krw")),
        objections=per_incident(Objection.objects.all(), "claim__incident", Count("pk")),
    ).order_by("-started_at", "-pk")
    if year:
        incidents = incidents.filter(started_at__year=year)
    if incident_type:
        incidents = incidents.filter(incident_type=incident_type)
    return incidents


def _sla_per_incident():
    """The SLA counts of both kinds of round as correlated subqueries on the outer incident."""
    columns = {}
    for prefix, decisions, aggregates, open_overdue in (
        ("", first_decisions(), FIRST_ROUND_SLA, claims_open_overdue()),
        ("objection_", objection_decisions(), OBJECTION_ROUND_SLA, objections_open_overdue()),
    ):
        for key, aggregate in aggregates.items():
            columns[prefix + key] = per_incident(_notified(decisions), "claim__incident", aggregate)
        columns[prefix + "open_overdue"] = per_incident(open_overdue, _incident_path(open_overdue), Count("pk"))
    return columns


def sla_by_incident():
    """Per incident with any claim: the review SLA and the objection-round SLA, in one query."""
    rows = []
    for incident in (
        Incident.objects.filter(Exists(Claim.objects.filter(incident=OuterRef("pk"))))
        .annotate(**_sla_per_incident())
        .order_by("-started_at", "-pk")
    ):
        review = {key: getattr(incident, key) for key in SLA_KEYS}
        objection = {key: getattr(incident, "objection_" + key) for key in SLA_KEYS}
        rows.append(
            {
                "incident": incident,
                "review": review,
                "review_pct": sla_rate(review),
                "objection": objection,
                "objection_pct": sla_rate(objection),
            }
        )
    return rows


def unpaid_accepted_claims():
    return (
        Claim.objects.filter(state=ClaimState.ACCEPTED)
        .select_related("claimant", "incident")
        .annotate(paid_krw=Sum("payments__amount_krw"))
        .order_by("payment_due_on", "pk")
    )
