"""Issue 12, case 6: a late notice never shortens intake; a late one needs a reason; the target is ≤ 24 h.

The factory incident started 2025-01-20 09:00 KST and was detected at 09:05; one month from the
incident date ends 2025-02-20.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from tests.factories import IncidentFactory, SupervisorFactory

KST = ZoneInfo("Asia/Seoul")
LATE = "야간 장애로 원인 확인이 늦었습니다"


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=KST), tick=False)


@pytest.mark.django_db
def test_a_notice_first_published_after_the_month_still_opens_a_full_month(compliance):
    incident = IncidentFactory()
    with at(2025, 3, 5, 10):
        services.notice_publish(incident=incident, actor=compliance, delay_reason=LATE)
        incident.refresh_from_db()
        assert incident.intake_is_open()
    # 2025-03-05 + one month ends Sat 2025-04-05, so Monday 2025-04-07 (민법 161).
    assert incident.intake_ends_on == date(2025, 4, 7)
    intake = services.legal_intake_end(incident)
    assert (intake.from_incident, intake.from_publication, intake.applied) == (
        date(2025, 2, 20),
        date(2025, 4, 7),
        "publication",
    )


@pytest.mark.django_db
def test_a_notice_20_days_late_leaves_a_full_month_not_ten_days(compliance):
    incident = IncidentFactory()
    with at(2025, 2, 10, 10):
        services.notice_publish(incident=incident, actor=compliance, delay_reason=LATE)
    incident.refresh_from_db()
    assert incident.intake_ends_on == date(2025, 3, 10)


@pytest.mark.django_db
def test_on_time_the_incident_date_applies(compliance):
    incident = IncidentFactory()
    with at(2025, 1, 20, 11):
        services.notice_publish(incident=incident, actor=compliance)
    incident.refresh_from_db()
    intake = services.legal_intake_end(incident)
    assert incident.intake_ends_on == intake.end == date(2025, 2, 20) and intake.applied == "incident"


@pytest.mark.django_db
def test_a_late_notice_needs_a_delay_reason_shown_in_the_register(compliance, client):
    incident = IncidentFactory(title="늦은 공지")
    with at(2025, 1, 22, 10):
        with pytest.raises(services.DomainError) as refused:
            services.notice_publish(incident=incident, actor=compliance)
        assert refused.value.code == "delay_reason"
        assert Incident.objects.get(pk=incident.pk).state == "detected"
        services.notice_publish(incident=incident, actor=compliance, delay_reason=LATE)
    assert Incident.objects.get(pk=incident.pk).notice_delay_reason == LATE
    client.force_login(SupervisorFactory())
    assert LATE in client.get(reverse("admin:compensation_incident_register")).content.decode()
    csv_text = b"".join(client.get(reverse("admin:compensation_incident_register_csv")).streaming_content).decode()
    assert LATE in csv_text


@pytest.mark.django_db
@override_settings(NOTICE_TARGET_HOURS=720)
def test_a_notice_target_above_24_hours_is_refused_and_clamped(compliance):
    with pytest.raises(SystemCheckError):
        call_command("check")
    incident = IncidentFactory()
    with at(2025, 1, 22, 10):  # two days after detection
        with pytest.raises(services.DomainError):
            services.notice_publish(incident=incident, actor=compliance)
        services.notice_publish(incident=incident, actor=compliance, delay_reason=LATE)
    incident.refresh_from_db()
    assert incident.notice_was_late


@pytest.mark.django_db
def test_the_notice_editor_shows_the_computed_intake_end_and_days_left(compliance, client):
    incident = IncidentFactory()
    client.force_login(compliance)
    with at(2025, 3, 5, 10):
        response = client.get(reverse("admin:incidents_incident_notice", args=[incident.pk]))
    page = response.content.decode()
    assert "2025-02-20" in page and "2025-04-07" in page  # both periods, the later applies
    assert "2025-04-07 23:59 KST" in page
    assert response.context["intake_days_left"] == 34  # 3/5 … 4/7, both days included
    assert "34일 남음" in page  # "34 days left", in the editor's language
