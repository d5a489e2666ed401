"""Reads for proactive batches: the batch page (totals, bands, largest, a sample with evidence) and the credit file."""

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value, When

from compensation.models import (
    AffectedOrder,
    BatchLine,
    BatchState,
    Claim,
    ClaimOrigin,
    ClaimState,
    Decision,
    DelayedTransfer,
    ExchangeAccount,
    FailedLogin,
    LineOutcome,
    Payment,
)

__all__ = [
    "AMOUNT_BANDS",
    "batch_bands",
    "batch_largest",
    "batch_merged",
    "batch_outcomes",
    "batch_sample",
    "batch_waiting_corrections",
    "credit_file_rows",
    "evidence_for",
    "proactive_floor_krw",
]

# A filed claim in these states has a decision a correction (정정 결정) may replace.
CORRECTABLE_STATES = (ClaimState.DECIDED, ClaimState.ACCEPTED, ClaimState.PAID, ClaimState.CLOSED)

# (lower bound inclusive, label); the last band is open-ended.
AMOUNT_BANDS = (
    (0, "0 – 999"),
    (1_000, "1,000 – 9,999"),
    (10_000, "10,000 – 99,999"),
    (100_000, "100,000 – 999,999"),
    (1_000_000, "1,000,000 – 9,999,999"),
    (10_000_000, "10,000,000 +"),
)


def batch_bands(batch):
    """How many lines and how much per amount band, in one grouped query."""
    whens = [When(amount_krw__gte=low, then=Value(i)) for i, (low, _label) in reversed(list(enumerate(AMOUNT_BANDS)))]
    rows = (
        BatchLine.objects.filter(batch=batch)
        .annotate(band=Case(*whens, default=Value(0), output_field=IntegerField()))
        .values("band")
        .annotate(lines=Count("pk"), total=Sum("amount_krw"), issued=Count("pk", filter=Q(outcome=LineOutcome.ISSUE)))
        .order_by("band")
    )
    found = {row["band"]: row for row in rows}
    return [
        {
            "label": label,
            "lines": found.get(i, {}).get("lines", 0),
            "issued": found.get(i, {}).get("issued", 0),
            "total": found.get(i, {}).get("total") or 0,
        }
        for i, (_low, label) in enumerate(AMOUNT_BANDS)
    ]


def batch_outcomes(batch):
    rows = BatchLine.objects.filter(batch=batch).values("outcome").annotate(lines=Count("pk"), total=Sum("amount_krw"))
    labels = dict(LineOutcome.choices)
    return [
        {"outcome": row["outcome"], "label": labels.get(row["outcome"], row["outcome"]), **row}
        for row in rows.order_by("outcome")
    ]


def batch_largest(batch, n=20):
    return list(
        BatchLine.objects.filter(batch=batch)
        .select_related("policy", "policy_version")
        .order_by("-amount_krw", "account_id")[:n]
    )


def batch_sample(batch, n=20, seed=None):
    """A random sample of lines to check by hand, each with the log rows behind it."""
    lines = list(BatchLine.objects.filter(batch=batch).select_related("policy").order_by("?")[:n])
    evidence = evidence_for(batch.incident_id, [line.account_id for line in lines])
    for line in lines:
        line.rows = evidence.get(line.account_id, {})
    return lines


def evidence_for(incident_id, account_ids):
    """account id → {"orders": [...], "transfers": [...], "logins": [...]} (three queries, however many)."""
    out = {account: {"orders": [], "transfers": [], "logins": []} for account in account_ids}
    # In time order: ids of a large first log follow no file order (two COPYs, a cached sequence).
    for model, name, moment in (
        (AffectedOrder, "orders", "attempted_at"),
        (DelayedTransfer, "transfers", "requested_at"),
        (FailedLogin, "logins", "attempted_at"),
    ):
        rows = model.objects.filter(incident_id=incident_id, account_id__in=account_ids).order_by(moment, "pk")
        for row in rows[:2000]:
            out[row.account_id][name].append(row)
    return out


def _correction_waiting():
    """A decided filed claim (in a merged line's `filed_claim`) with a correction waiting for its second supervisor."""
    return Decision.objects.filter(
        claim=OuterRef("filed_claim"),
        claim__state__in=CORRECTABLE_STATES,
        status=Decision.Status.PENDING_APPROVAL,
    )


def batch_merged(batch):
    in_force = Decision.objects.filter(claim=OuterRef("filed_claim"), status=Decision.Status.IN_FORCE)
    return list(
        BatchLine.objects.filter(batch=batch, outcome=LineOutcome.FILED_CLAIM)
        .select_related("filed_claim", "policy")
        .annotate(
            filed_amount=Subquery(in_force.values("amount_krw")[:1]),
            correction_waiting=Exists(_correction_waiting()),
        )
        .order_by("account_id")
    )


def batch_waiting_corrections(batch):
    """Merged lines whose filed claim has a correction waiting for approval: the batch cannot be issued
    until each is decided (issuing would raise a claim whose amount is still open, or leave it out)."""
    return list(
        BatchLine.objects.filter(batch=batch, outcome=LineOutcome.FILED_CLAIM)
        .filter(Exists(_correction_waiting()))
        .select_related("filed_claim")
        .order_by("account_id", "pk")
    )


def credit_file_rows():
    """Accepted proactive claims not yet paid in full, and filed claims an issued batch raised (a top-up):
    what to credit, to which account, with a reference.

    Streams (iterator) so a file of 200,000 credits is never held in memory. The reference is
    stable per claim and decision, so re-importing the same file into the payment import is refused
    for lines already paid instead of paying twice. A filed claim is credited to the exchange account
    its batch line named (the account linked to the claimant).
    """
    in_force = Decision.objects.filter(claim=OuterRef("pk"), status=Decision.Status.IN_FORCE)
    paid = (
        Payment.objects.filter(claim=OuterRef("pk")).values("claim").annotate(total=Sum("amount_krw")).values("total")
    )
    raised = BatchLine.objects.filter(corrected_decision__isnull=False).values("filed_claim_id")
    account = ExchangeAccount.objects.filter(Q(pk=OuterRef("exchange_account")) | Q(user=OuterRef("claimant")))
    return (
        Claim.objects.filter(Q(origin=ClaimOrigin.PROACTIVE) | Q(pk__in=raised), state=ClaimState.ACCEPTED)
        .annotate(
            decided=Subquery(in_force.values("amount_krw")[:1]),
            decision_pk=Subquery(in_force.values("pk")[:1]),
            paid=Subquery(paid[:1]),
            account_id=Subquery(account.values("account_id")[:1]),
            payout_kind=Subquery(account.values("payout_kind")[:1]),
            payout_details=Subquery(account.values("payout_details")[:1]),
        )
        .values_list("number", "account_id", "decided", "paid", "payout_kind", "payout_details", "decision_pk")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )


def proactive_floor_krw(claim):
    """What an issued batch computed for the account behind a filed claim: its decision pays at least this."""
    floor = BatchLine.objects.filter(
        filed_claim=claim, outcome=LineOutcome.FILED_CLAIM, batch__state=BatchState.ISSUED
    ).aggregate(floor=Max("amount_krw"))["floor"]
    return floor or 0
