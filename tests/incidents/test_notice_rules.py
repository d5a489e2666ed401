from datetime import date, timedelta

import pytest
import time_machine
from django.test import override_settings

from incidents import services
from incidents.errors import DomainError
from incidents.models import IncidentEvent, IncidentState, Notice
from tests.factories import (
    AgentFactory,
    ComplianceFactory,
    IncidentFactory,
    SupervisorFactory,
    UserFactory,
    publish_on_time,
)

from .conftest import kst

# 접수기간 is written from the computed dates at publication (issue 13): its note is optional.
SECTIONS = [
    ("description", "사고내용"),
    ("claim_procedure", "보상신청 방법·절차"),
    ("compensation_criteria", "보상기준"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "korean_name"), SECTIONS)
def test_publishing_is_refused_when_a_section_is_missing(field, korean_name, compliance):
    incident = IncidentFactory()
    Notice.objects.filter(incident=incident).update(**{field: "   "})

    with pytest.raises(DomainError) as refused:
        publish_on_time(incident, compliance)

    assert korean_name in str(refused.value)
    assert refused.value.code == "notice_incomplete"
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    assert not incident.notice_versions.exists()


@pytest.mark.django_db
def test_refusal_names_every_missing_section(compliance):
    incident = IncidentFactory(notice=None)
    Notice.objects.create(incident=incident, description="장애")
    with pytest.raises(DomainError) as refused:
        publish_on_time(incident, compliance)
    message = str(refused.value)
    assert "사고내용" not in message
    for name in ("보상신청 방법·절차", "보상기준"):
        assert name in message
    assert "접수기간" not in message


@pytest.mark.django_db
def test_every_revision_is_a_new_version_and_old_ones_stay_unchanged(compliance):
    incident = IncidentFactory()
    first = publish_on_time(incident, compliance)
    second = services.notice_revise(
        incident=incident,
        actor=compliance,
        change_summary="보상기준 보완",
        compensation_criteria="차액 × 수량, 1건당 최대 1,000만원",
    )

    assert [v.number for v in incident.notice_versions.order_by("number")] == [1, 2]
    first.refresh_from_db()
    assert "500만원" in first.compensation_criteria
    assert "1,000만원" in second.compensation_criteria
    assert second.change_summary == "보상기준 보완"


@pytest.mark.django_db
def test_a_published_version_cannot_be_edited(compliance):
    version = publish_on_time(IncidentFactory(), compliance)
    version.description = "몰래 고침"
    with pytest.raises(ValueError):
        version.save()


@pytest.mark.django_db
def test_revision_needs_a_change_summary(compliance):
    incident = IncidentFactory()
    publish_on_time(incident, compliance)
    with pytest.raises(DomainError):
        services.notice_revise(incident=incident, actor=compliance, change_summary="  ")
    assert incident.notice_versions.count() == 1


@pytest.mark.django_db
def test_intake_end_cannot_be_shortened(compliance):
    incident = IncidentFactory()
    services.notice_save_draft(incident=incident, actor=compliance, intake_ends_on=date(2025, 3, 31))
    publish_on_time(incident, compliance)

    with pytest.raises(DomainError) as refused:
        services.notice_revise(
            incident=incident, actor=compliance, change_summary="단축", intake_ends_on=date(2025, 3, 10)
        )

    assert "2025-03-31" in str(refused.value)
    incident.refresh_from_db()
    assert incident.intake_ends_on == date(2025, 3, 31)
    assert incident.notice_versions.count() == 1
    # The refused revision did not leak into the draft either (one transaction).
    assert Notice.objects.get(incident=incident).intake_ends_on == date(2025, 3, 31)


@pytest.mark.django_db
def test_intake_end_before_the_legal_month_is_refused(compliance):
    incident = IncidentFactory()  # 2025-01-20: the legal end is 2025-02-20
    services.notice_save_draft(incident=incident, actor=compliance, intake_ends_on=date(2025, 2, 19))
    with pytest.raises(DomainError) as refused:
        publish_on_time(incident, compliance)
    assert "2025-02-20" in str(refused.value)


@pytest.mark.django_db
def test_intake_end_can_be_lengthened(compliance):
    incident = IncidentFactory()
    publish_on_time(incident, compliance)
    services.notice_revise(incident=incident, actor=compliance, change_summary="연장", intake_ends_on=date(2025, 3, 31))
    incident.refresh_from_db()
    assert incident.intake_ends_on == date(2025, 3, 31)


@pytest.mark.django_db
def test_close_intake_is_refused_while_intake_is_open(compliance):
    incident = IncidentFactory()
    publish_on_time(incident, compliance)
    with time_machine.travel(kst(2025, 2, 20, 23, 59), tick=False):
        with pytest.raises(DomainError) as refused:
            services.incident_close_intake(incident=incident, actor=compliance)
    assert "2025-02-20" in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("make_actor", [AgentFactory, UserFactory, lambda: None], ids=["agent", "claimant", "nobody"])
def test_only_supervisor_or_compliance_may_publish(make_actor):
    incident = IncidentFactory()
    with pytest.raises(DomainError) as refused:
        publish_on_time(incident, make_actor())
    assert refused.value.code == "forbidden"
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED


@pytest.mark.django_db
@pytest.mark.parametrize("make_actor", [SupervisorFactory, ComplianceFactory])
def test_supervisor_and_compliance_may_publish(make_actor):
    incident = IncidentFactory()
    publish_on_time(incident, make_actor())
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOTICE_POSTED


@pytest.mark.django_db
def test_publishing_records_the_delay_after_detection(compliance):
    incident = IncidentFactory()  # detected 2025-01-20 09:05 KST
    with time_machine.travel(kst(2025, 1, 20, 12, 5), tick=False):
        services.notice_publish(incident=incident, actor=compliance)
    incident.refresh_from_db()
    assert incident.notice_delay == timedelta(hours=3)
    assert not incident.notice_was_late


@pytest.mark.django_db
@override_settings(NOTICE_TARGET_HOURS=2)
def test_a_notice_later_than_the_target_is_flagged(compliance):
    incident = IncidentFactory()
    with time_machine.travel(kst(2025, 1, 20, 12, 5), tick=False):
        services.notice_publish(incident=incident, actor=compliance, delay_reason="야간 장애로 확인 지연")
    incident.refresh_from_db()
    assert incident.notice_was_late


@pytest.mark.django_db
def test_create_records_the_first_event_and_an_empty_draft(compliance):
    incident = services.incident_create(
        actor=compliance,
        title="로그인 장애",
        incident_type="login_failure",
        severity="minor",
        affected_services="로그인",
        started_at=kst(2025, 1, 20, 9),
        detected_at=kst(2025, 1, 20, 9, 3),
    )
    event = IncidentEvent.objects.get(incident=incident)
    assert (event.from_state, event.to_state, event.actor) == ("", IncidentState.DETECTED, compliance)
    assert Notice.objects.get(incident=incident).missing_sections()


@pytest.mark.django_db
def test_detection_before_start_is_refused(compliance):
    with pytest.raises(DomainError):
        services.incident_create(
            actor=compliance,
            title="x",
            incident_type="other",
            severity="minor",
            affected_services="x",
            started_at=kst(2025, 1, 20, 9),
            detected_at=kst(2025, 1, 20, 8),
        )


@pytest.mark.django_db
def test_start_time_is_frozen_once_the_notice_is_up(compliance):
    incident = IncidentFactory()
    publish_on_time(incident, compliance)
    with pytest.raises(DomainError):
        services.incident_update(incident=incident, actor=compliance, started_at=kst(2025, 1, 19, 9))
    services.incident_update(
        incident=incident, actor=compliance, root_cause="DB 연결 풀 고갈", reason="원인 분석 결과 반영"
    )
    incident.refresh_from_db()
    assert incident.root_cause == "DB 연결 풀 고갈"


@pytest.mark.django_db
def test_the_intake_section_is_written_from_the_computed_dates_with_the_note_below(compliance, client):
    """Issue 13, case 3: "14일간 접수" was published beside a computed end a month away."""
    incident = IncidentFactory()  # 2025-01-20 09:00 KST: intake to 2025-02-20
    Notice.objects.filter(incident=incident).update(intake_period_note="14일간 접수합니다.")
    version = publish_on_time(incident, compliance)

    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    section = page[page.index('id="s-intake"') : page.index("</section>", page.index('id="s-intake"'))]
    assert "2025년 1월 20일부터 2025년 2월 20일 23:59(한국 시간)까지 32일간" in section
    assert "from 20 January 2025 until 20 February 2025, 23:59 Korean time (KST), 32 days" in section
    assert section.index("2025년 2월 20일") < section.index("14일간 접수합니다.")  # the note comes below
    assert version.effective_intake_ends_on == date(2025, 2, 20)


@pytest.mark.django_db
def test_a_revision_rewrites_the_intake_section_from_its_own_dates(compliance):
    incident = IncidentFactory()
    first = publish_on_time(incident, compliance)
    second = services.notice_revise(
        incident=incident, actor=compliance, change_summary="접수 연장", intake_ends_on=date(2025, 3, 31)
    )
    assert "2025년 2월 20일" in first.intake_period_generated
    assert "2025년 3월 31일" in second.intake_period_generated and "31 March 2025" in second.intake_period_generated
    first.refresh_from_db()
    assert "2025년 3월 31일" not in first.intake_period_generated
