"""Which incident actions a user may take now, for the admin buttons.

The services decide; this only mirrors their rules so the admin hides buttons that
would be refused anyway (the services still check, so a stale page cannot cheat).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from incidents import roles, services
from incidents.models import IncidentState


@dataclass(frozen=True)
class TransitionAction:
    name: str
    label: str
    service: object
    method_name: str
    reason_required: bool
    help: str
    available: object = None  # (incident, user) -> bool, beyond the state machine


TRANSITIONS = {
    action.name: action
    for action in (
        TransitionAction(
            name="close_intake",
            label=_("Close intake"),
            service=services.incident_close_intake,
            method_name="close_intake",
            reason_required=False,
            help=_("Stops taking claims. Allowed only after the published intake period has ended."),
        ),
        TransitionAction(
            name="close",
            label=_("Close incident"),
            service=services.incident_close,
            method_name="close",
            reason_required=False,
            help=_("Closes the incident once intake is closed and the claims are settled."),
        ),
        TransitionAction(
            name="dismiss",
            label=_("Dismiss (no compensation)"),
            service=services.incident_dismiss,
            method_name="dismiss",
            reason_required=True,
            help=_(
                "Only before a notice is published, e.g. when no user was affected. Give the reason in "
                "substance; a second supervisor approves it."
            ),
            available=lambda incident, user: incident.dismissal_requested_by_id is None,
        ),
        TransitionAction(
            name="approve_dismissal",
            label=_("Approve dismissal (second supervisor)"),
            service=services.incident_dismiss_approve,
            method_name="dismiss",
            reason_required=False,
            help=_("Four eyes: dismisses the incident as requested by another person."),
            available=lambda incident, user: (
                incident.dismissal_requested_by_id not in (None, user.pk) and roles.has_role(user, roles.SUPERVISOR)
            ),
        ),
    )
}


def can_edit_notice(user):
    return roles.has_role(user, *services.NOTICE_EDITORS)


def allowed_transitions(incident, user):
    """The transition actions this user may start on this incident right now."""
    if not roles.has_role(user, *services.NOTICE_EDITORS):
        return []
    return [
        action
        for action in TRANSITIONS.values()
        if can_proceed(getattr(incident, action.method_name))
        and (action.available is None or action.available(incident, user))
    ]


def notice_actions(incident, user):
    """Publishing buttons on the notice editor: ('publish',) first time, ('revise',) after."""
    if not can_edit_notice(user):
        return ()
    if incident.state == IncidentState.DETECTED:
        return ("publish",)
    if incident.state in (IncidentState.NOTICE_POSTED, IncidentState.INTAKE_CLOSED):
        return ("revise",)
    return ()
