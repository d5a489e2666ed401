"""The admin buttons and forms call the services; refusals are messages, never a 500."""

import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.models import Incident, IncidentEvent, IncidentState, Notice
from tests.factories import AgentFactory, IncidentFactory, SupervisorFactory, publish_on_time

from .conftest import incident_in


@pytest.fixture
def supervisor_client(client, db):
    user = SupervisorFactory()
    client.force_login(user)
    client.user = user
    return client


def notice_url(incident):
    return reverse("admin:incidents_incident_notice", args=[incident.pk])


def transition_url(incident, action):
    return reverse("admin:incidents_incident_transition", args=[incident.pk, action])


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def sections(**overrides):
    data = {
        "description": "주문 체결 지연",
        "claim_procedure": "보상 신청 메뉴에서 신청",
        "intake_period_note": "1개월간 접수",
        "compensation_criteria": "차액 × 수량",
        "intake_ends_on": "",
        "change_summary": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_publish_button_publishes_through_the_service(supervisor_client):
    incident = IncidentFactory(notice=None)
    Notice.objects.create(incident=incident)

    response = supervisor_client.post(
        notice_url(incident), {**sections(), "_publish": "1", "delay_reason": "원인 확인 지연"}
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOTICE_POSTED
    event = IncidentEvent.objects.filter(incident=incident).latest("pk")
    assert (event.from_state, event.to_state, event.actor) == (
        IncidentState.DETECTED,
        IncidentState.NOTICE_POSTED,
        supervisor_client.user,
    )
    assert incident.notice_versions.get().claim_procedure == "보상 신청 메뉴에서 신청"


@pytest.mark.django_db
def test_publish_with_a_missing_section_shows_the_reason_and_keeps_the_draft(supervisor_client):
    incident = IncidentFactory(notice=None)
    Notice.objects.create(incident=incident)

    response = supervisor_client.post(notice_url(incident), {**sections(compensation_criteria=""), "_publish": "1"})

    assert response.status_code == 200
    refusal = [m for m in messages_of(response) if "보상기준" in m]
    assert refusal
    # Shown on the page (the editor's own "보상기준" field label is always there).
    assert refusal[0] in html.unescape(response.content.decode())
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    assert Notice.objects.get(incident=incident).description == "주문 체결 지연"


@pytest.mark.django_db
def test_revision_needs_a_summary_and_then_publishes_a_new_version(supervisor_client):
    incident = IncidentFactory()
    publish_on_time(incident, supervisor_client.user)

    refused = supervisor_client.post(notice_url(incident), {**sections(), "_revise": "1"})
    assert refused.status_code == 200
    assert incident.notice_versions.count() == 1

    done = supervisor_client.post(notice_url(incident), {**sections(change_summary="접수 방법 보완"), "_revise": "1"})
    assert done.status_code == 302
    assert [v.number for v in incident.notice_versions.order_by("number")] == [1, 2]


@pytest.mark.django_db
def test_preview_renders_the_public_notice_without_saving(supervisor_client):
    incident = IncidentFactory(notice=None)
    Notice.objects.create(incident=incident)

    response = supervisor_client.post(notice_url(incident), {**sections(description="미리보기 문구"), "_preview": "1"})

    assert response.status_code == 200
    assert response.context["preview_html"]
    assert "미리보기 문구" in response.context["preview_html"]
    content = response.content.decode()
    assert "<iframe" in content
    # The whole page sits escaped inside srcdoc, not spilled into the admin page.
    assert 'srcdoc="&lt;!doctype html&gt;' in content
    assert Notice.objects.get(incident=incident).description == ""
    assert not incident.notice_versions.exists()


@pytest.mark.django_db
def test_save_draft_changes_nothing_public(supervisor_client):
    incident = IncidentFactory(notice=None)
    Notice.objects.create(incident=incident)
    response = supervisor_client.post(notice_url(incident), {**sections(), "_save": "1"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    assert Notice.objects.get(incident=incident).claim_procedure == "보상 신청 메뉴에서 신청"


@pytest.mark.django_db
def test_dismiss_button_needs_a_reason_of_substance_and_a_second_supervisor(supervisor_client, client):
    incident = IncidentFactory()

    for reason in ("", "x", "이용자 영향 없음"):  # issue 13, case 6: "x" dismissed an incident
        refused = supervisor_client.post(transition_url(incident, "dismiss"), {"reason": reason})
        assert refused.status_code == 200
        incident.refresh_from_db()
        assert incident.state == IncidentState.DETECTED and incident.dismissal_requested_by is None

    reason = "주문 로그와 입출금 기록을 확인한 결과 이용자 영향이 없었습니다."
    asked = supervisor_client.post(transition_url(incident, "dismiss"), {"reason": reason})
    assert asked.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED  # waits for the second supervisor
    assert (
        transition_url(incident, "approve_dismissal")
        not in supervisor_client.get(change_url(incident)).content.decode()
    )
    refused = supervisor_client.post(transition_url(incident, "approve_dismissal"), {"reason": ""})
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED

    second = SupervisorFactory()
    client.force_login(second)
    assert transition_url(incident, "approve_dismissal") in client.get(change_url(incident)).content.decode()
    done = client.post(transition_url(incident, "approve_dismissal"), {"reason": "확인"})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.DISMISSED
    event = IncidentEvent.objects.filter(incident=incident, kind="transition").latest("pk")
    assert (event.to_state, event.actor) == (IncidentState.DISMISSED, second)
    assert reason in event.reason
    request = IncidentEvent.objects.get(incident=incident, kind="dismissal_request")
    assert (request.actor, request.reason) == (supervisor_client.user, reason)


@pytest.mark.django_db
def test_close_intake_and_close_buttons(supervisor_client, after_intake):
    incident = incident_in(IncidentState.NOTICE_POSTED, supervisor_client.user)

    assert supervisor_client.post(transition_url(incident, "close_intake"), {"reason": ""}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.INTAKE_CLOSED

    assert supervisor_client.post(transition_url(incident, "close"), {"reason": "보상 완료"}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    assert list(IncidentEvent.objects.filter(incident=incident).values_list("to_state", flat=True)) == [
        "notice_posted",
        "intake_closed",
        "closed",
    ]


@pytest.mark.django_db
def test_a_refused_transition_is_an_error_message_not_a_500(supervisor_client):
    incident = IncidentFactory()  # detected: closing is not allowed

    response = supervisor_client.post(transition_url(incident, "close"), {"reason": ""})

    assert response.status_code == 200
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]  # the refusal, not a success
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


@pytest.mark.django_db
def test_change_page_shows_only_the_buttons_allowed_now(supervisor_client):
    incident = IncidentFactory()
    page = supervisor_client.get(change_url(incident)).content.decode()
    assert 'data-action="dismiss"' in page
    assert 'data-action="close"' not in page
    assert 'data-action="close_intake"' not in page


@pytest.mark.django_db
def test_agent_sees_no_buttons_and_cannot_publish(client):
    agent = AgentFactory()
    client.force_login(agent)
    incident = IncidentFactory()

    page = client.get(change_url(incident))
    assert page.status_code == 200
    assert "data-action=" not in page.content.decode()
    editor = client.get(notice_url(incident))
    assert editor.status_code == 200
    assert 'name="_publish"' not in editor.content.decode()

    assert client.post(notice_url(incident), {**sections(), "_publish": "1"}).status_code == 403
    assert client.post(transition_url(incident, "dismiss"), {"reason": "x"}).status_code == 200
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


@pytest.mark.django_db
def test_creating_an_incident_in_admin_goes_through_the_service(supervisor_client):
    response = supervisor_client.post(
        reverse("admin:incidents_incident_add"),
        {
            "title": "입출금 지연",
            "incident_type": "deposit_withdrawal_delay",
            "severity": "major",
            "affected_services": "KRW 출금",
            "started_at_0": "2025-01-20",
            "started_at_1": "09:00:00",
            "detected_at_0": "2025-01-20",
            "detected_at_1": "09:10:00",
            "ended_at_0": "",
            "ended_at_1": "",
            "root_cause": "",
            "actions_taken": "",
            "estimated_affected_users": "",
            "notice_versions-TOTAL_FORMS": "0",
            "notice_versions-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(title="입출금 지연")
    assert incident.created_by == supervisor_client.user
    assert incident.started_at.isoformat() == "2025-01-20T00:00:00+00:00"  # typed in KST
    assert Notice.objects.filter(incident=incident).exists()
    assert IncidentEvent.objects.filter(incident=incident, to_state="detected").exists()


@pytest.mark.django_db
def test_admin_create_refusal_is_a_form_error(supervisor_client):
    response = supervisor_client.post(
        reverse("admin:incidents_incident_add"),
        {
            "title": "x",
            "incident_type": "other",
            "severity": "minor",
            "affected_services": "x",
            "started_at_0": "2025-01-20",
            "started_at_1": "09:00:00",
            "detected_at_0": "2025-01-20",
            "detected_at_1": "08:00:00",
            "ended_at_0": "",
            "ended_at_1": "",
            "notice_versions-TOTAL_FORMS": "0",
            "notice_versions-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not Incident.objects.filter(title="x").exists()


@pytest.mark.django_db
def test_nothing_can_be_deleted_in_admin(admin_client):
    incident = IncidentFactory()
    for name in ("incident", "notice", "noticeversion"):
        url = reverse(f"admin:incidents_{name}_changelist")
        assert admin_client.get(url).status_code == 200
    assert admin_client.get(reverse("admin:incidents_incident_delete", args=[incident.pk])).status_code == 403


@pytest.mark.django_db
def test_incident_list_search_and_filters(admin_client):
    IncidentFactory(title="출금 지연 사고")
    IncidentFactory(title="입금 지연 사고")
    url = reverse("admin:incidents_incident_changelist")
    page = admin_client.get(url, {"q": "출금", "state__exact": "detected", "severity__exact": "major"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "출금 지연 사고" in content
    assert "입금 지연 사고" not in content


@pytest.mark.django_db
def test_validating_the_incident_form_writes_nothing(rf):
    """Forms validate; only the admin's save writes (a valid form that is never saved leaves no incident)."""
    from django.contrib import admin as django_admin

    user = SupervisorFactory()
    request = rf.post("/")
    request.user = user
    model_admin = django_admin.site._registry[Incident]
    form_class = model_admin.get_form(request, None, change=False)
    form = form_class(
        data={
            "title": "검증만",
            "incident_type": "other",
            "severity": "minor",
            "affected_services": "x",
            "started_at_0": "2025-01-20",
            "started_at_1": "09:00:00",
            "detected_at_0": "2025-01-20",
            "detected_at_1": "09:10:00",
        }
    )
    assert form.is_valid(), form.errors
    assert not Incident.objects.filter(title="검증만").exists()


@pytest.mark.django_db
def test_editing_an_incident_in_admin_goes_through_the_service(supervisor_client):
    incident = IncidentFactory(title="수정 전")
    data = {
        "title": "수정 후",
        "incident_type": incident.incident_type,
        "severity": incident.severity,
        "affected_services": incident.affected_services,
        "started_at_0": "2025-01-20",
        "started_at_1": "09:00:00",
        "detected_at_0": "2025-01-20",
        "detected_at_1": "09:05:00",
        "ended_at_0": "",
        "ended_at_1": "",
        "root_cause": "",
        "actions_taken": "",
        "estimated_affected_users": "",
        "notice_versions-TOTAL_FORMS": "0",
        "notice_versions-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "withdrawal_blocks-TOTAL_FORMS": "0",
        "withdrawal_blocks-INITIAL_FORMS": "0",
    }
    response = supervisor_client.post(change_url(incident), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.title == "수정 후"
    refused = supervisor_client.post(change_url(incident), {**data, "detected_at_1": "08:00:00"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.non_field_errors()
