"""Who may do what: the claim table (state × actor → actions) and each staff role's admin model permissions.

`CLAIM_ACTIONS` is the one statement of which actor may take which action on a claim in which state;
`BATCH_ACTIONS` the same for proactive compensation batches (role × batch state, plus four eyes).
The services check it (`compensation.services._common.require_allowed`), the admin case page shows
exactly its buttons (`compensation.admin.case_actions`) and the portal its links
(`compensation.selectors.portal.claimant_actions`). The django-fsm transitions on `Claim` stay as
guards of the state graph; tests/compensation/test_permissions.py checks that both agree.
"""

from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compensation.models import BatchState, ClaimState
from incidents import roles
from incidents.errors import DomainError, ErrorCode


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
    REFUSE_CORRECTION = "refuse_correction"
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
_AFTER_ACCEPTANCE = {A.CORRECT, A.APPROVE_CORRECTION, A.REFUSE_CORRECTION}

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


# --- proactive compensation batches --------------------------------------------------------------


class BatchAction(StrEnum):
    IMPORT_LOGS = "import_logs"
    CREATE = "create"
    COMPUTE = "compute"
    APPROVE = "approve"
    CO_APPROVE = "co_approve"
    ISSUE = "issue"
    CANCEL = "cancel"
    CREDIT_FILE = "credit_file"


B = BatchAction
_PREPARERS = (roles.SUPERVISOR, roles.COMPLIANCE)
_LIVE = (BatchState.DRAFT, BatchState.COMPUTED, BatchState.APPROVED)

# action → (the roles that may take it, the batch states it applies in; None: not about one batch).
# Four eyes on top: whoever computed a batch approves nothing of it, and nobody approves twice.
BATCH_ACTIONS = {
    B.IMPORT_LOGS: (_PREPARERS, None),
    B.CREATE: (_PREPARERS, None),
    B.COMPUTE: (_PREPARERS, (BatchState.DRAFT, BatchState.COMPUTED)),
    B.APPROVE: ((roles.SUPERVISOR,), (BatchState.COMPUTED,)),
    # Above COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW only.
    B.CO_APPROVE: ((roles.COMPLIANCE,), (BatchState.COMPUTED,)),
    B.ISSUE: (_PREPARERS, (BatchState.APPROVED,)),
    B.CANCEL: (_PREPARERS, _LIVE),
    B.CREDIT_FILE: (_PREPARERS, None),
}

BATCH_ACTION_NAMES = {
    B.IMPORT_LOGS: gettext_lazy("import the exchange's logs"),
    B.CREATE: gettext_lazy("prepare compensation batches"),
    B.COMPUTE: gettext_lazy("prepare compensation batches"),
    B.APPROVE: gettext_lazy("approve compensation batches"),
    B.CO_APPROVE: gettext_lazy("co-approve compensation batches for compliance"),
    B.ISSUE: gettext_lazy("issue compensation batches"),
    B.CANCEL: gettext_lazy("cancel compensation batches"),
    B.CREDIT_FILE: gettext_lazy("export the credit file"),
}


def batch_roles_for(action):
    return BATCH_ACTIONS[action][0]


def batch_refusal(user, action, batch=None, *, needs_compliance=False, limit_krw=0):
    """Why `user` may not take `action` (on `batch`) now, as (message, code); None when they may."""
    allowed_roles, states = BATCH_ACTIONS[action]
    if not roles.has_role(user, *allowed_roles):
        return _("You are not allowed to %(action)s.") % {"action": BATCH_ACTION_NAMES[action]}, ErrorCode.FORBIDDEN
    if batch is None or states is None:
        return None
    if batch.state not in states:
        return (
            _("This batch cannot do that now: it is “%(state)s”.") % {"state": batch.get_state_display()},
            ErrorCode.INVALID_TRANSITION,
        )
    if action in (B.APPROVE, B.CO_APPROVE):
        return _approval_refusal(user, action, batch, needs_compliance=needs_compliance, limit_krw=limit_krw)
    return None


def _approval_refusal(user, action, batch, *, needs_compliance, limit_krw):
    if user.pk == batch.prepared_by_id:
        return _("You prepared this batch; another person must approve it."), ErrorCode.FOUR_EYES
    if user.pk in (batch.approved_by_id, batch.compliance_approved_by_id):
        return _("You already approved this batch."), ErrorCode.FOUR_EYES
    if action == B.APPROVE and batch.approved_by_id is not None:
        return _("A supervisor already approved this batch."), ErrorCode.FOUR_EYES
    if action == B.CO_APPROVE and not needs_compliance:
        return (
            _("The total is at most %(limit)s KRW: compliance co-approval is not needed.")
            % {"limit": f"{limit_krw:,}"},
            ErrorCode.FOUR_EYES,
        )
    if action == B.CO_APPROVE and batch.compliance_approved_by_id is not None:
        return _("Compliance already co-approved this batch."), ErrorCode.FOUR_EYES
    return None


def require_batch_action(user, action, batch=None, **context):
    refusal = batch_refusal(user, action, batch, **context)
    if refusal is not None:
        message, code = refusal
        raise DomainError(message, code=code)


def batch_actions_for(user, batch=None, **context):
    """The actions `user` may use now (the buttons a page shows): on `batch`, or those about no one batch."""
    actions = (action for action, (_roles, states) in BATCH_ACTIONS.items() if (states is None) == (batch is None))
    return frozenset(action for action in actions if batch_refusal(user, action, batch, **context) is None)


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
