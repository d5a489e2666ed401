"""Every claim service against every state: allowed moves succeed, all others are refused cleanly."""

import pytest

from compensation import permissions, services
from compensation.models import ClaimState
from compensation.permissions import Action, Actor
from incidents.errors import DomainError
from tests.compensation.factories import png_upload

S = ClaimState


def _latest_decision(claim):
    decision = claim.decisions.order_by("-pk").first()
    if decision is None:
        raise DomainError("nothing to approve")  # no decision exists in this state: nothing to call
    return decision


def _call(world, name, claim):
    actions = {
        "start_review": lambda: services.claim_start_review(claim=claim, actor=world.agent2),
        "request_supplement": lambda: services.claim_request_supplement(claim=claim, actor=world.agent, missing="서류"),
        "add_supplement": lambda: services.claim_add_supplement(
            claim=claim, actor=world.claimant, files=[(None, png_upload())]
        ),
        "decide": lambda: services.claim_decide(
            claim=claim, actor=world.agent2, approved=True, amount_krw=100, reasons="r"
        ),
        "approve": lambda: services.decision_approve(decision=_latest_decision(claim), actor=world.supervisor2),
        "object": lambda: services.claim_object(claim=claim, actor=world.claimant, reason="이의"),
        "accept": lambda: services.claim_accept(claim=claim, actor=world.claimant),
        "pay": lambda: services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=200_000, method="bank_transfer", reference=f"T{claim.pk}"
        ),
        "close": lambda: services.claim_close(claim=claim, actor=world.supervisor),
        "withdraw": lambda: services.claim_withdraw(claim=claim, actor=world.claimant),
    }
    return actions[name]()


ALLOWED = {
    ("start_review", S.SUBMITTED): S.IN_REVIEW,
    ("start_review", S.OBJECTED): S.IN_REVIEW,
    ("request_supplement", S.IN_REVIEW): S.SUPPLEMENT_REQUESTED,
    ("add_supplement", S.SUPPLEMENT_REQUESTED): S.IN_REVIEW,
    # Adding documents while submitted/in review is allowed and keeps the state.
    ("add_supplement", S.SUBMITTED): S.SUBMITTED,
    ("add_supplement", S.IN_REVIEW): S.IN_REVIEW,
    ("decide", S.IN_REVIEW): S.DECIDED,
    ("approve", S.AWAITING_APPROVAL): S.DECIDED,
    ("object", S.DECIDED): S.OBJECTED,
    ("accept", S.DECIDED): S.ACCEPTED,
    ("pay", S.ACCEPTED): S.PAID,
    ("close", S.PAID): S.CLOSED,
    ("withdraw", S.SUBMITTED): S.WITHDRAWN,
    ("withdraw", S.IN_REVIEW): S.WITHDRAWN,
    ("withdraw", S.SUPPLEMENT_REQUESTED): S.WITHDRAWN,
}
ACTIONS = [
    "start_review",
    "request_supplement",
    "add_supplement",
    "decide",
    "approve",
    "object",
    "accept",
    "pay",
    "close",
    "withdraw",
]
# Who calls each service above, and the action of compensation.permissions it takes.
TAKES = {
    "start_review": (Actor.AGENT, Action.START_REVIEW),
    "request_supplement": (Actor.AGENT, Action.REQUEST_SUPPLEMENT),
    "add_supplement": (Actor.CLAIMANT, Action.ADD_SUPPLEMENT),
    "decide": (Actor.AGENT, Action.DECIDE),
    "approve": (Actor.SUPERVISOR, Action.APPROVE),
    "object": (Actor.CLAIMANT, Action.OBJECT),
    "accept": (Actor.CLAIMANT, Action.ACCEPT),
    "pay": (Actor.SUPERVISOR, Action.RECORD_PAYMENT),
    "close": (Actor.SUPERVISOR, Action.CLOSE),
    "withdraw": (Actor.CLAIMANT, Action.WITHDRAW),
}
CASES = [(action, state) for action in ACTIONS for state in S.values]


@pytest.mark.parametrize("action, state", CASES)
def test_claim_transition_table(world, action, state):
    claim = world.claim_in(state)
    expected = ALLOWED.get((action, state))
    # This test's table of outcomes and the permission table say the same thing.
    assert (expected is not None) == permissions.allows(*TAKES[action], state)
    if expected is None:
        with pytest.raises(DomainError):
            _call(world, action, claim)
        assert world.reload(claim).state == state
    else:
        _call(world, action, claim)
        assert world.reload(claim).state == expected
