"""Every incident state × every incident service: allowed ones move the state and write an event."""

import pytest

from incidents import services
from incidents.errors import DomainError
from incidents.models import IncidentEvent
from incidents.models import IncidentState as S
from tests.factories import publish_on_time

from .conftest import dismiss, incident_in

CALLS = {
    "notice_publish": lambda i, a: publish_on_time(i, a),
    "notice_revise": lambda i, a: services.notice_revise(incident=i, actor=a, change_summary="문구 수정"),
    "incident_close_intake": lambda i, a: services.incident_close_intake(incident=i, actor=a),
    "incident_close": lambda i, a: services.incident_close(incident=i, actor=a),
    "incident_dismiss": lambda i, a: dismiss(i, a),
}

# (state, service) -> state afterwards; anything not listed is refused.
ALLOWED = {
    (S.DETECTED, "notice_publish"): S.NOTICE_POSTED,
    (S.DETECTED, "incident_dismiss"): S.DISMISSED,
    (S.NOTICE_POSTED, "notice_revise"): S.NOTICE_POSTED,
    (S.NOTICE_POSTED, "incident_close_intake"): S.INTAKE_CLOSED,
    (S.INTAKE_CLOSED, "notice_revise"): S.INTAKE_CLOSED,
    (S.INTAKE_CLOSED, "incident_close"): S.CLOSED,
}
# Revisions publish a new version but leave the state alone, so they write no state event.
STATE_CHANGING = {key for key, target in ALLOWED.items() if key[0] != target}

TABLE = [(state, name) for state in S.values for name in CALLS]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "service"), TABLE, ids=[f"{s}-{n}" for s, n in TABLE])
def test_incident_transition_table(state, service, compliance, after_intake):
    incident = incident_in(state, compliance)
    events_before = IncidentEvent.objects.filter(incident=incident).count()
    versions_before = incident.notice_versions.count()

    if (state, service) in ALLOWED:
        CALLS[service](incident, compliance)
        incident.refresh_from_db()
        assert incident.state == ALLOWED[(state, service)]
        events = IncidentEvent.objects.filter(incident=incident).order_by("pk")
        if (state, service) in STATE_CHANGING:
            transitions = events.filter(kind=IncidentEvent.Kind.TRANSITION)
            assert transitions.count() == events_before + 1
            last = transitions.last()
            assert (last.from_state, last.to_state) == (state, incident.state)
            assert last.actor == compliance or service == "incident_dismiss"  # approved by a second supervisor
        else:
            assert incident.notice_versions.count() == versions_before + 1
    else:
        with pytest.raises(DomainError):
            CALLS[service](incident, compliance)
        incident.refresh_from_db()
        assert incident.state == state
        assert IncidentEvent.objects.filter(incident=incident).count() == events_before
        assert incident.notice_versions.count() == versions_before
