"""Audited incident facts (issue 13): history, reasons and old/new values after publication, frozen type."""

from datetime import UTC, timedelta

import pytest

from incidents import services
from incidents.errors import DomainError
from incidents.models import IncidentEvent, IncidentState, IncidentType
from tests.factories import IncidentFactory, SupervisorFactory, publish_on_time

from .conftest import DISMISSAL_REASON, incident_in


@pytest.mark.django_db
def test_a_published_incident_changes_only_with_a_reason_and_an_event_of_old_and_new(compliance):
    """Issue 13, case 1: ended_at changed after publication with no event row."""
    incident = IncidentFactory()
    publish_on_time(incident, compliance)
    old_end = incident.ended_at
    new_end = old_end + timedelta(hours=3)

    with pytest.raises(DomainError) as refused:
        services.incident_update(incident=incident, actor=compliance, ended_at=new_end)
    assert refused.value.code == "reason_required"

    services.incident_update(
        incident=incident, actor=compliance, ended_at=new_end, reason="복구 확인 시각 정정 (모니터링 로그)"
    )
    event = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.FACTS)
    assert event.actor == compliance and event.reason == "복구 확인 시각 정정 (모니터링 로그)"
    assert event.data["changes"] == {
        "ended_at": {"from": old_end.astimezone(UTC).isoformat(), "to": new_end.astimezone(UTC).isoformat()}
    }
    record = incident.history.latest("history_date")
    assert (record.ended_at, record.history_user, record.history_change_reason) == (
        new_end,
        compliance,
        "복구 확인 시각 정정 (모니터링 로그)",
    )


@pytest.mark.django_db
def test_the_incident_type_is_frozen_after_the_first_publication(compliance):
    """Issue 13, case 1: incident_type changed after publication, and with it what the notice showed."""
    incident = IncidentFactory()
    services.incident_update(incident=incident, actor=compliance, incident_type=IncidentType.OTHER)  # before: fine
    services.incident_update(incident=incident, actor=compliance, incident_type=IncidentType.ORDER_FAILURE)
    publish_on_time(incident, compliance)
    with pytest.raises(DomainError) as refused:
        services.incident_update(
            incident=incident, actor=compliance, incident_type=IncidentType.HACKING, reason="유형 재분류"
        )
    assert refused.value.code == "frozen"
    incident.refresh_from_db()
    assert incident.incident_type == IncidentType.ORDER_FAILURE


@pytest.mark.django_db
def test_before_publication_changes_need_no_reason_but_are_in_the_history(compliance):
    incident = IncidentFactory()
    services.incident_update(incident=incident, actor=compliance, affected_services="KRW 마켓 전체")
    assert not IncidentEvent.objects.filter(incident=incident, kind=IncidentEvent.Kind.FACTS).exists()
    assert incident.history.latest("history_date").affected_services == "KRW 마켓 전체"


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "x", "영향 없음", "  x  x  x  "])
def test_a_dismissal_needs_a_reason_of_substance(compliance, reason):
    """Issue 13, case 6: one supervisor dismissed an incident with the reason "x"."""
    incident = IncidentFactory()
    with pytest.raises(DomainError) as refused:
        services.incident_dismiss(incident=incident, actor=compliance, reason=reason)
    assert refused.value.code == "reason_required"
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


@pytest.mark.django_db
def test_a_dismissal_takes_a_second_supervisor(compliance):
    incident = IncidentFactory()
    supervisor = SupervisorFactory()
    services.incident_dismiss(incident=incident, actor=supervisor, reason=DISMISSAL_REASON)
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    with pytest.raises(DomainError) as own:
        services.incident_dismiss_approve(incident=incident, actor=supervisor)
    assert own.value.code == "four_eyes"
    with pytest.raises(DomainError):
        services.incident_dismiss_approve(incident=incident, actor=compliance)  # not a supervisor
    with pytest.raises(DomainError):
        services.incident_dismiss(incident=incident, actor=compliance, reason=DISMISSAL_REASON)  # already asked
    services.incident_dismiss_approve(incident=incident, actor=SupervisorFactory())
    incident.refresh_from_db()
    assert incident.state == IncidentState.DISMISSED


@pytest.mark.django_db
@pytest.mark.parametrize("missing", [{"root_cause_category": ""}, {"root_cause": ""}, {"actions_taken": ""}])
def test_closing_needs_the_root_cause_category_and_text_and_the_actions_taken(compliance, after_intake, missing):
    """Issue 13, case 6: root cause and actions were optional at close."""
    incident = incident_in(IncidentState.INTAKE_CLOSED, compliance)
    type(incident).objects.filter(pk=incident.pk).update(**missing)
    with pytest.raises(DomainError):
        services.incident_close(incident=incident, actor=compliance)
    incident.refresh_from_db()
    assert incident.state == IncidentState.INTAKE_CLOSED
