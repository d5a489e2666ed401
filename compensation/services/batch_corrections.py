"""Filed claims an issued batch computed more for: the user is paid once, the larger amount.

A filed claim merged into a batch line (same incident, damage type and exchange account) that was
already decided *below* the line's amount gets, when the batch is issued, a corrected decision (정정
결정) raising it to that amount, with reasons naming the batch line and its evidence, and one mail:

- still `decided` (objection window running): the new decision is in force at once and the
  objection window starts again, as for any new decision (it counts from the delivered mail);
- `accepted`: the corrected amount is what is paid (payment planned on its pay date);
- `paid` or `closed`: the claim goes back to `accepted` with the difference to pay as a top-up,
  which the credit file lists (decided − paid, so nothing is ever paid twice).

A claim decided at or above the line's amount is left as it is (a staff note records the batch);
an undecided one, or one in objection, keeps the floor `claim_decide` and `decision_approve` apply
(selectors.proactive_floor_krw), as do later corrections (`decision_correct`, `correction_approve`).
A claim whose correction waits for a second supervisor stops the issue until it is approved
(`batches.require_no_waiting_corrections`, listed on the batch page).
"""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compensation.models import BatchLine, ClaimEvent, ClaimState, Decision, LineOutcome
from compensation.notifications import claimant as notify
from compensation.selectors import in_force_decision, paid_total
from compensation.services import deadlines
from compensation.services._common import lock_claim
from compensation.services.review import _bring_into_force
from compensation.services.settlement import apply_correction
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst

DECIDED_STATES = (ClaimState.DECIDED, ClaimState.ACCEPTED, ClaimState.PAID, ClaimState.CLOSED)


def korean(build):
    with translation.override("ko"):
        return build()


def bilingual(build, sep="\n\n"):
    """`build()` in Korean, then in English below it (the order of every mail and notice), whoever acts."""
    ko = korean(build)
    with translation.override("en"):
        en = build()
    return ko if ko == en else f"{ko}{sep}{en}"


def _reasons(batch, line, previous):
    return bilingual(
        lambda: (
            _(
                "Corrected from the exchange's own records: proactive batch %(batch)s, line %(line)s computed "
                "%(amount)s KRW for exchange account %(account)s under “%(policy)s” from %(rows)d record(s) — "
                "%(evidence)s. The earlier decision paid %(previous)s KRW; you are paid once, the larger amount."
            )
            % {
                "batch": batch.pk,
                "line": line.pk,
                "amount": f"{line.amount_krw:,}",
                "account": line.account_id,
                "policy": line.policy_version.name if line.policy_version_id else line.policy.name,
                "rows": line.evidence_rows,
                "evidence": line.evidence,
                "previous": f"{previous.amount_krw:,}",
            }
        )
    )


def correct_filed_claims(batch, *, actor):
    """At issue: raise every merged filed claim decided below its line; → the lines corrected."""
    lines = (
        BatchLine.objects.filter(batch=batch, outcome=LineOutcome.FILED_CLAIM, filed_claim__state__in=DECIDED_STATES)
        .select_related("policy", "policy_version")
        .order_by("filed_claim_id", "pk")
    )
    corrected = []
    for line in lines:
        decision = _raise_to_line(batch, line, actor=actor)
        if decision is not None:
            line.corrected_decision = decision
            line.save(update_fields=["corrected_decision"])
            corrected.append(line)
    return corrected


def _raise_to_line(batch, line, *, actor):
    claim = lock_claim(line.filed_claim)
    previous = in_force_decision(claim)
    if claim.state not in DECIDED_STATES or previous is None or previous.amount_krw >= line.amount_krw:
        return None
    if claim.decisions.filter(status=Decision.Status.PENDING_APPROVAL).exists():
        # Refused before issuing (batches.require_no_waiting_corrections); one filed since rolls the issue back.
        raise DomainError(
            _("Claim %(number)s has a correction waiting for approval: approve it, then issue the batch.")
            % {"number": claim.number},
            code=ErrorCode.PENDING,
        )
    decision = Decision.objects.create(
        claim=claim,
        approved=True,
        amount_krw=line.amount_krw,
        reasons=_reasons(batch, line, previous),
        internal_note=_("Proactive batch %(batch)s, line %(line)s (paid once, the larger amount)")
        % {"batch": batch.pk, "line": line.pk},
        pay_on=deadlines.default_pay_date(decided_on=today_kst()),
        is_correction=True,
        status=Decision.Status.PENDING_APPROVAL,
        decided_by_id=batch.prepared_by_id,
        approved_by_id=batch.approved_by_id,
        approved_at=batch.approved_at,
    )
    if claim.state != ClaimState.DECIDED:
        apply_correction(claim, decision, previous=previous, actor=actor)
        return decision
    # Not accepted yet: the new decision replaces the old one and the objection window starts again.
    _bring_into_force(claim, decision, actor=actor)
    claim.save()
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.NOTE,
        actor=actor,
        reason=decision.reasons,
        created_at=timezone.now(),
        data={
            "decision": decision.pk,
            "batch": batch.pk,
            "batch_line": line.pk,
            "from_krw": previous.amount_krw,
            "to_krw": decision.amount_krw,
            "paid_krw": paid_total(claim),
        },
    )
    notify.decision_made(claim=claim, decision=decision, objection_open=True)
    return decision
