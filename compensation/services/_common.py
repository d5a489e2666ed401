"""What every claim service shares: the row lock, the guarded transition and its event row."""

from contextlib import contextmanager

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from compensation import permissions
from compensation.models import Claim, ClaimEvent
from compensation.permissions import Actor
from incidents import roles
from incidents.errors import DomainError, ErrorCode


@contextmanager
def atomic_with_files():
    """transaction.atomic() that also deletes the uploads written inside it if it rolls back.

    A file is stored before its row is inserted (a row must never point at a missing file), so a
    failure later in the transaction would leave a claimant's document on disk with no record of
    it. Yields the list that `_store_documents` adds each stored file to.
    """
    written = []
    try:
        with transaction.atomic():
            yield written
    except BaseException:
        for stored in written:
            stored.storage.delete(stored.name)
        raise


def lock_claim(claim):
    """Re-read the claim under a row lock: a concurrent click waits, then sees the new state."""
    return Claim.objects.select_for_update().get(pk=claim.pk)


def require_allowed(claim, permission, *, by, action):
    """`by` (an `Actor`, or a staff user through their roles) may take `permission` in the claim's state.

    The rule is `compensation.permissions.CLAIM_ACTIONS`; `action` words the refusal.
    """
    actors = (by,) if isinstance(by, Actor) else permissions.staff_actors(by)
    if not any(permissions.allows(actor, permission, claim.state) for actor in actors):
        raise DomainError(
            _("This claim cannot be %(action)s: it is now “%(state)s”.")
            % {"action": action, "state": claim.get_state_display()},
            code=ErrorCode.INVALID_TRANSITION,
        )


def apply_transition(claim, method_name, *, actor, reason="", data=None, visible=True, action=None, prepare=None):
    """Run the FSM transition (guards only), save, and write the event row — caller holds the lock.

    `prepare(claim)` runs after the guards passed and before the save, for fields the move sets.
    """
    method = getattr(claim, method_name)
    if not can_proceed(method):
        raise DomainError(
            _("This claim cannot be %(action)s: it is now “%(state)s”.")
            % {"action": action or method_name.replace("_", " "), "state": claim.get_state_display()},
            code=ErrorCode.INVALID_TRANSITION,
        )
    from_state = claim.state
    method()
    if prepare is not None:
        prepare(claim)
    claim.save()
    return ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.TRANSITION,
        from_state=from_state,
        to_state=claim.state,
        actor=actor,
        reason=reason,
        data=data or {},
        visible_to_claimant=visible,
    )


def require_claimant(claim, actor):
    if actor is None or actor.pk != claim.claimant_id:
        # Same answer as "no such claim": never confirm that someone else's claim exists.
        raise DomainError(_("Claim not found."), code=ErrorCode.NOT_FOUND)


def require_second_person(decision, actor):
    """Four eyes: whoever made a decision never approves it (the admin also words a hidden button with this)."""
    if decision.decided_by_id == actor.pk:
        raise DomainError(
            _("You made this decision; another supervisor must approve it."),
            code=ErrorCode.FOUR_EYES,
        )


def require_staff(actor, permission, *, action):
    """The actor holds a staff role that may take `permission` in some state (else FORBIDDEN)."""
    roles.require_role(actor, *permissions.staff_roles_for(permission), action=action)
