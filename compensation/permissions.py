"""Who may do what: the claim table (state × actor → actions) and each staff role's admin model permissions.

`CLAIM_ACTIONS` is the one statement of which actor may take which action on a claim in which state.
The services check it (`compensation.services._common.require_allowed`), the admin case page shows
exactly its buttons (`compensation.admin.case_actions`) and the portal its links
(`compensation.selectors.portal.claimant_actions`). The django-fsm transitions on `Claim` stay as
guards of the state graph; tests/compensation/test_permissions.py checks that both agree.
"""

from enum import StrEnum

from compensation.models import ClaimState
from incidents import roles


class Actor(StrEnum):
    CLAIMANT = "claimant"
    AGENT = roles.AGENT
    SUPERVISOR = roles.SUPERVISOR
    # Scheduled jobs and the consequences of another action (nothing left to pay closes a claim).
    SYSTEM = "system"


STAFF_ACTORS = (Actor.AGENT, Actor.SUPERVISOR)


class Action(StrEnum):
    START_REVIEW = "start_review"
    ASSESS = "assess"
    REQUEST_SUPPLEMENT = "request_supplement"
    EXTEND = "extend"
    DECIDE = "decide"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    RECORD_PAYMENT = "record_payment"
    CORRECT = "correct"
    APPROVE_CORRECTION = "approve_correction"
    CLOSE = "close"
    ADD_SUPPLEMENT = "supplement"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    OBJECT = "object"
    LAPSE_OBJECTION_WINDOW = "lapse_objection_window"
    # Staff-assisted intake: staff record a caller's claim, the user confirms it or asks for a correction.
    RECORD_ASSISTED = "record_assisted"
    CONFIRM_CONTENT = "confirm_content"
    REQUEST_CORRECTION = "request_correction"
    CORRECT_CONTENT = "correct_content"
    RESEND_CONFIRMATION = "resend_confirmation"


A, S = Action, ClaimState
# The row of a claim that does not exist yet: who may create one for someone else.
NEW_CLAIM = "new"
# Confirming or disputing what staff recorded (only on a staff-recorded claim; the service checks
# that), and staff correcting it, are possible until the decision.
_CONFIRMING = {A.CONFIRM_CONTENT, A.REQUEST_CORRECTION}
_RECORDED = {A.CORRECT_CONTENT, A.RESEND_CONFIRMATION}
_REVIEWING = {A.ASSESS, A.REQUEST_SUPPLEMENT, A.DECIDE} | _RECORDED
_EARLY_CLAIMANT = {A.ADD_SUPPLEMENT, A.WITHDRAW} | _CONFIRMING
_AFTER_ACCEPTANCE = {A.CORRECT, A.APPROVE_CORRECTION}

# state → actor → actions. A state or actor missing from a row may do nothing.
CLAIM_ACTIONS = {
    NEW_CLAIM: {
        Actor.AGENT: {A.RECORD_ASSISTED},
        Actor.SUPERVISOR: {A.RECORD_ASSISTED},
    },
    S.SUBMITTED: {
        Actor.CLAIMANT: _EARLY_CLAIMANT,
        Actor.AGENT: {A.START_REVIEW, A.ASSESS} | _RECORDED,
        Actor.SUPERVISOR: {A.START_REVIEW, A.ASSESS} | _RECORDED,
    },
    S.IN_REVIEW: {
        Actor.CLAIMANT: _EARLY_CLAIMANT,
        Actor.AGENT: _REVIEWING,
        Actor.SUPERVISOR: _REVIEWING | {A.EXTEND},
    },
    S.SUPPLEMENT_REQUESTED: {
        Actor.CLAIMANT: _EARLY_CLAIMANT,
        Actor.AGENT: {A.ASSESS} | _RECORDED,
        Actor.SUPERVISOR: {A.ASSESS, A.EXTEND} | _RECORDED,
    },
    S.AWAITING_APPROVAL: {
        Actor.SUPERVISOR: {A.APPROVE, A.SEND_BACK},
    },
    S.DECIDED: {
        Actor.CLAIMANT: {A.ACCEPT, A.OBJECT},
        Actor.SYSTEM: {A.LAPSE_OBJECTION_WINDOW},
    },
    S.OBJECTED: {
        Actor.AGENT: {A.START_REVIEW, A.ASSESS},
        Actor.SUPERVISOR: {A.START_REVIEW, A.ASSESS},
    },
    # Money is owed: a supervisor pays it (or corrects the decision); only "nothing to pay" closes it.
    S.ACCEPTED: {
        Actor.SUPERVISOR: {A.RECORD_PAYMENT} | _AFTER_ACCEPTANCE,
        Actor.SYSTEM: {A.CLOSE},
    },
    S.PAID: {
        Actor.SUPERVISOR: {A.CLOSE} | _AFTER_ACCEPTANCE,
    },
    S.CLOSED: {
        Actor.SUPERVISOR: _AFTER_ACCEPTANCE,
    },
    S.WITHDRAWN: {},
}

# The FSM transitions (guards on `Claim`) an action may run; the table must not allow more than they do.
TRANSITIONS = {
    A.START_REVIEW: ("start_review",),
    A.REQUEST_SUPPLEMENT: ("request_supplement",),
    A.DECIDE: ("decide", "submit_for_approval"),
    A.APPROVE: ("approve",),
    A.SEND_BACK: ("return_to_review",),
    A.ACCEPT: ("accept",),
    A.OBJECT: ("object",),
    A.LAPSE_OBJECTION_WINDOW: ("lapse_objection_window",),
    A.CLOSE: ("close",),
    A.WITHDRAW: ("withdraw",),
}


def allows(actor, action, state):
    """May `actor` (an `Actor`) take `action` on a claim in `state`?"""
    return action in CLAIM_ACTIONS.get(state, {}).get(actor, ())


def states_for(action, actor):
    return frozenset(state for state, row in CLAIM_ACTIONS.items() if action in row.get(actor, ()))


def staff_roles_for(action):
    """The staff roles that may take `action` in some state (checked before the claim is read)."""
    return tuple(actor.value for actor in STAFF_ACTORS if states_for(action, actor))


def staff_actors(user):
    return tuple(actor for actor in STAFF_ACTORS if roles.has_role(user, actor.value))


def user_allowed(user, action, state):
    """A staff user may take `action` in `state` through any role they hold."""
    return any(allows(actor, action, state) for actor in staff_actors(user))


# --- Django admin model permissions per staff role (what the admin may show and change) ----------

VIEW_ALL = [
    "compensation.view_claim",
    "compensation.view_compensationpolicy",
    "compensation.view_requireddocument",
    "compensation.view_decision",
    "compensation.view_objection",
    "compensation.view_payment",
    "compensation.view_claimdocument",
    "compensation.view_notification",
    "compensation.view_marketprice",
    "compensation.view_affectedorder",
]

GROUP_PERMISSIONS = {
    roles.AGENT: VIEW_ALL,
    roles.SUPERVISOR: VIEW_ALL + ["compensation.change_claim"],
    roles.COMPLIANCE: VIEW_ALL
    + [
        "compensation.add_compensationpolicy",
        "compensation.change_compensationpolicy",
        "compensation.add_requireddocument",
        "compensation.change_requireddocument",
        "compensation.delete_requireddocument",
        "compensation.change_notification",
    ],
}


def sync_group_permissions(**kwargs):
    """post_migrate: the compensation part of each role's permissions."""
    roles.grant_group_permissions(GROUP_PERMISSIONS)
