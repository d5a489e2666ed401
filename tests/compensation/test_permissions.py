"""The claim table in compensation.permissions: the FSM, the services, the admin buttons and the portal agree."""

import pytest

from compensation import permissions, services
from compensation.admin import case_actions
from compensation.models import Claim, ClaimState
from compensation.models.claim import ASSESSABLE_STATES, WITHDRAWABLE_STATES
from compensation.permissions import CLAIM_ACTIONS, TRANSITIONS, Action, Actor
from compensation.selectors.portal import claimant_actions
from incidents.errors import DomainError, ErrorCode

TABLE_CELLS = [
    (state, actor, action)
    for state in ClaimState
    for actor in Actor
    for action in Action
    if permissions.allows(actor, action, state)
]


def _fsm_sources(transition_name):
    return {source for source in getattr(Claim, transition_name)._django_fsm.transitions}


def test_the_table_covers_every_state_and_names_only_known_actors_and_actions():
    # …and the row of a claim not filed yet (staff recording a caller's claim).
    assert set(CLAIM_ACTIONS) == set(ClaimState) | {permissions.NEW_CLAIM}
    assert CLAIM_ACTIONS[permissions.NEW_CLAIM] == {
        Actor.AGENT: {Action.RECORD_ASSISTED},
        Actor.SUPERVISOR: {Action.RECORD_ASSISTED},
    }
    for row in CLAIM_ACTIONS.values():
        assert set(row) <= set(Actor)
        for actions in row.values():
            assert set(actions) <= set(Action)


@pytest.mark.parametrize("state, actor, action", TABLE_CELLS, ids=lambda v: str(v))
def test_every_allowed_move_is_also_allowed_by_the_fsm_guard(state, actor, action):
    """A cell of the table that runs a transition names a state that transition may leave."""
    if action not in TRANSITIONS:
        return
    assert any(state in _fsm_sources(name) for name in TRANSITIONS[action]), (state, actor, action)


@pytest.mark.parametrize("action", list(TRANSITIONS), ids=str)
def test_the_fsm_allows_no_move_the_table_does_not(action):
    """Both ways: the guards' source states are exactly the states someone may take the action in."""
    table_states = {state for actor in Actor for state in permissions.states_for(action, actor)}
    fsm_states = set().union(*(_fsm_sources(name) for name in TRANSITIONS[action]))
    assert fsm_states == table_states


def test_close_is_a_supervisors_action_on_a_paid_claim_and_the_systems_when_nothing_is_to_pay():
    """The FSM lets `close` leave `accepted`; only the system may (nothing to pay), never a person."""
    assert permissions.states_for(Action.CLOSE, Actor.SUPERVISOR) == {ClaimState.PAID}
    assert permissions.states_for(Action.CLOSE, Actor.SYSTEM) == {ClaimState.ACCEPTED}
    assert _fsm_sources("close") == {ClaimState.PAID, ClaimState.ACCEPTED}


def test_model_state_groups_agree_with_the_table():
    assert permissions.states_for(Action.WITHDRAW, Actor.CLAIMANT) == set(WITHDRAWABLE_STATES)
    assert permissions.states_for(Action.ASSESS, Actor.AGENT) == set(ASSESSABLE_STATES)
    assert permissions.states_for(Action.ASSESS, Actor.SUPERVISOR) == set(ASSESSABLE_STATES)


def test_staff_roles_for_an_action_come_from_the_table():
    assert permissions.staff_roles_for(Action.DECIDE) == ("agent", "supervisor")
    assert permissions.staff_roles_for(Action.RECORD_ASSISTED) == ("agent", "supervisor")
    assert permissions.staff_roles_for(Action.CLOSE) == ("supervisor",)
    assert permissions.staff_roles_for(Action.ACCEPT) == ()


def test_a_supervisor_cannot_close_an_accepted_claim_while_money_is_owed(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    with pytest.raises(DomainError) as refused:
        services.claim_close(claim=claim, actor=world.supervisor)
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert world.reload(claim).state == ClaimState.ACCEPTED
    assert "close" not in {a.name for a in case_actions.available_actions(claim, world.supervisor)}


def test_an_agent_may_not_close_a_paid_claim(world):
    claim = world.claim_in(ClaimState.PAID)
    with pytest.raises(DomainError) as refused:
        services.claim_close(claim=claim, actor=world.agent)
    assert refused.value.code == ErrorCode.FORBIDDEN
    services.claim_close(claim=claim, actor=world.supervisor)
    assert world.reload(claim).state == ClaimState.CLOSED


def _expected_buttons(actor, state):
    return {str(action) for action in CLAIM_ACTIONS[state].get(actor, ())}


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_the_admin_shows_the_tables_buttons(world, state):
    claim = world.claim_in(state)
    # supervisor2 and agent2 made no decision on the claim, so no four-eyes rule hides a button;
    # "approve/refuse correction" need a pending correction, which `claim_in` never leaves; "correct the recorded
    # content" and "mail the link again" a claim staff recorded for a caller (test_assisted_admin.py).
    supervisor = {str(a.name) for a in case_actions.available_actions(claim, world.supervisor2)}
    agent = {str(a.name) for a in case_actions.available_actions(claim, world.agent2)}
    recorded_only = {Action.CORRECT_CONTENT, Action.RESEND_CONFIRMATION}
    waiting_only = {Action.APPROVE_CORRECTION, Action.REFUSE_CORRECTION}
    assert supervisor == _expected_buttons(Actor.SUPERVISOR, state) - waiting_only - recorded_only
    assert agent == _expected_buttons(Actor.AGENT, state) - recorded_only
    assert case_actions.available_actions(claim, world.claimant) == []


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_the_portal_offers_the_claimant_what_the_table_allows(state):
    claim = Claim(state=state)
    offered = claimant_actions(claim)
    allowed = CLAIM_ACTIONS[state].get(Actor.CLAIMANT, set())
    assert offered["supplement"] == (Action.ADD_SUPPLEMENT in allowed)
    assert offered["withdraw"] == (Action.WITHDRAW in allowed)
    assert offered["accept"] == (Action.ACCEPT in allowed)
    # Objecting also needs the window open and a round left; an unsaved claim has no window.
    assert offered["object"] is False
    assert (offered["object_blocked"] is not None) == (Action.OBJECT in allowed)


@pytest.mark.django_db
def test_claim_factory_reaches_a_state_through_the_services_with_every_event_row():
    from tests.compensation.factories import ClaimFactory

    claim = ClaimFactory(state=ClaimState.PAID)
    moves = list(claim.events.filter(kind="transition").values_list("to_state", flat=True))
    assert moves[-4:] == [ClaimState.IN_REVIEW, ClaimState.DECIDED, ClaimState.ACCEPTED, ClaimState.PAID]
    assert claim.payments.count() == 1 and claim.next_due_on is None
