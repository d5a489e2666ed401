"""What an incident costs: its impact for regulator reports, and its exposure against the coverage."""

from django.db.models import Count, Q, Sum

from compensation.models import AffectedOrder, Claim, ClaimState, Decision, Payment


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
