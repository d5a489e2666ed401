"""What an incident costs: its impact for regulator reports, and its exposure against the coverage."""

from django.conf import settings
from django.db.models import Count, Q, Sum

from compensation.models import (
    AffectedOrder,
    BatchState,
    Claim,
    ClaimState,
    CompensationBatch,
    CoverageSnapshot,
    Decision,
    InsurancePolicy,
    Payment,
)
from compensation.selectors._subqueries import per_incident
from incidents.models import Incident, IncidentState


def incident_impact(incident):
    """Users, orders, claims and KRW of one incident, in four aggregate queries."""
    claims = Claim.objects.filter(incident=incident).exclude(state=ClaimState.WITHDRAWN)
    filed = claims.aggregate(
        claims=Count("pk"), claimants=Count("claimant", distinct=True), claimed_krw=Sum("amount_claimed_krw")
    )
    decided = Decision.objects.filter(claim__incident=incident, status=Decision.Status.IN_FORCE).aggregate(
        decided_claims=Count("claim", distinct=True), approved_krw=Sum("amount_krw", filter=Q(approved=True))
    )
    paid = Payment.objects.filter(claim__incident=incident).aggregate(paid_krw=Sum("amount_krw"))
    orders = AffectedOrder.objects.filter(incident=incident).aggregate(
        affected_orders=Count("pk"), affected_addresses=Count("email", distinct=True)
    )
    figures = {**orders, **filed, **decided, **paid}
    return {key: value or 0 for key, value in figures.items()}


# --- exposure against the cover in force ----------------------------------------------------
__all__ = ["coverage_in_force", "exposure_by_incident", "incident_impact"]
OK, WARNING, OVER = "ok", "warning", "over"


def _level(exposure, cover, warning_percent):
    if cover <= 0:
        return OVER if exposure > 0 else OK
    if exposure > cover:
        return OVER
    return WARNING if exposure * 100 >= cover * warning_percent else OK


def _incidents_with_money():
    """Incidents not dismissed, each annotated with its claimed, approved, paid and batch KRW (one query)."""
    live = Claim.objects.exclude(state=ClaimState.WITHDRAWN)
    return list(
        Incident.objects.exclude(state=IncidentState.DISMISSED)
        .annotate(
            claimed_krw=per_incident(live, "incident", Sum("amount_claimed_krw")),
            approved_krw=per_incident(
                Decision.objects.filter(status=Decision.Status.IN_FORCE, approved=True),
                "claim__incident",
                Sum("amount_krw"),
            ),
            paid_krw=per_incident(Payment.objects.all(), "claim__incident", Sum("amount_krw")),
            batches_issued_krw=per_incident(
                CompensationBatch.objects.filter(state=BatchState.ISSUED), "incident", Sum("total_krw")
            ),
            batches_pending_krw=per_incident(
                CompensationBatch.objects.filter(state__in=[BatchState.COMPUTED, BatchState.APPROVED]),
                "incident",
                Sum("total_krw"),
            ),
        )
        .order_by("started_at", "pk")
    )


def _reserve_on(checks, day):
    """The reserve of the latest monthly check on or before `day` (its fixed amount when one is set), else 0."""
    return next(
        (fixed if fixed is not None else reserve for as_of, reserve, fixed in reversed(checks) if as_of <= day),
        0,
    )


def _incident_row(incident, policies, checks, warning_percent):
    day = incident.incident_date
    in_force = [p for p in policies if p.starts_on <= day <= p.ends_on]
    cover = sum(p.per_incident_limit_krw for p in in_force) + _reserve_on(checks, day)
    exposure = max(incident.claimed_krw, incident.approved_krw) + incident.batches_pending_krw
    return {
        "incident": incident,
        "claimed_krw": incident.claimed_krw,
        "approved_krw": incident.approved_krw,
        "paid_krw": incident.paid_krw,
        "batches_issued_krw": incident.batches_issued_krw,
        "batches_pending_krw": incident.batches_pending_krw,
        "exposure_krw": exposure,
        "cover_krw": cover,
        "policies": in_force,
        "level": _level(exposure, cover, warning_percent),
    }


def _policy_period_row(policy, rows, warning_percent):
    """One policy period: its incidents' exposure summed against the aggregate limit."""
    inside = [row for row in rows if policy.starts_on <= row["incident"].incident_date <= policy.ends_on]
    used = sum(row["exposure_krw"] for row in inside)
    return {
        "policy": policy,
        "incidents": len(inside),
        "exposure_krw": used,
        "level": _level(used, policy.aggregate_limit_krw, warning_percent),
    }


def exposure_by_incident(*, warning_percent=None):
    """Each incident (not dismissed) with claimed, decided, paid and proactive-batch KRW, against the
    per-incident cover in force on its date (policies' per-incident limits + the reserve of the
    latest monthly check by then), and every policy period's incidents against the aggregate limits.

    Exposure = the larger of claimed and decided, plus batches approved but not yet issued (issued
    batches are decided claims already). One query for the incidents, two for policies and checks.
    """
    warning_percent = warning_percent or settings.COVERAGE_WARNING_PERCENT
    policies = list(InsurancePolicy.objects.order_by("starts_on", "pk"))
    checks = list(CoverageSnapshot.objects.order_by("as_of").values_list("as_of", "reserve_krw", "fixed_reserve_krw"))
    rows = [_incident_row(incident, policies, checks, warning_percent) for incident in _incidents_with_money()]
    aggregates = [_policy_period_row(policy, rows, warning_percent) for policy in policies]
    return rows, aggregates


def coverage_in_force(today):
    """For the public disclosure page: the latest monthly check and the policies in force today."""
    snapshot = CoverageSnapshot.objects.order_by("-month").first()
    policies = InsurancePolicy.objects.filter(starts_on__lte=today, ends_on__gte=today).order_by("starts_on", "pk")
    return snapshot, list(policies)
