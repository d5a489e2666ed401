"""Holiday admin: compliance edits (rows become source=staff), agents only look; sync and year views."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from incidents import calendar
from incidents.models import CalendarRevision, Holiday
from tests.factories import AgentFactory, ComplianceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def before_the_days_edited():
    """Edits of days ahead apply at once (a past day waits for a second compliance user)."""
    with time_machine.travel(datetime(2024, 12, 2, 10, tzinfo=ZoneInfo("Asia/Seoul")), tick=False):
        yield


CHANGELIST = "admin:incidents_holiday_changelist"


@pytest.fixture
def compliance_client(client):
    client.force_login(ComplianceFactory())
    return client


@pytest.fixture
def agent_client(client):
    client.force_login(AgentFactory())
    return client


def revision():
    return CalendarRevision.objects.get().number


def test_list_by_year_shows_kind_and_source(compliance_client):
    response = compliance_client.get(reverse(CHANGELIST), {"year": "2025"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "임시공휴일" in page and "근로자의날" in page
    assert "2024-12-25" not in page and "2024년 12월 25일" not in page
    rows = list(response.context["cl"].result_list)
    assert {row.date.year for row in rows} == {2025}
    assert {"public", "non_business"} <= {row.kind for row in rows}
    # The date hierarchy drills down by year too.
    assert compliance_client.get(reverse(CHANGELIST), {"date__year": "2026"}).status_code == 200


def test_compliance_adds_a_temporary_holiday_as_staff(compliance_client, django_capture_on_commit_callbacks):
    before = revision()
    assert calendar.is_business_day(date(2025, 10, 10))
    with django_capture_on_commit_callbacks(execute=True):
        response = compliance_client.post(
            reverse("admin:incidents_holiday_add"),
            {"date": "2025-10-10", "name": "임시공휴일", "kind": "public", "reason": "정부 지정"},
        )
    assert response.status_code == 302
    row = Holiday.objects.get(date=date(2025, 10, 10))
    assert row.source == "staff" and row.updated_by is not None
    assert revision() == before + 1
    assert not calendar.is_business_day(date(2025, 10, 10))


def test_compliance_edit_of_a_package_row_makes_it_staff(compliance_client):
    row = Holiday.objects.get(date=date(2025, 5, 1))
    assert row.source == "package"
    response = compliance_client.post(
        reverse("admin:incidents_holiday_change", args=[row.pk]),
        {"date": "2025-05-01", "name": "근로자의 날", "kind": "non_business", "reason": "명칭 정정"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.source, row.name) == ("staff", "근로자의 날")


def test_deleting_a_holiday_bumps_the_revision(compliance_client, django_capture_on_commit_callbacks):
    row = Holiday.objects.get(date=date(2025, 1, 27))
    before = revision()
    with django_capture_on_commit_callbacks(execute=True):
        response = compliance_client.post(reverse("admin:incidents_holiday_remove", args=[row.pk]), {"reason": "정정"})
    assert response.status_code == 302
    assert revision() == before + 1
    assert calendar.is_business_day(date(2025, 1, 27))


def test_agent_may_look_but_not_edit(agent_client):
    row = Holiday.objects.get(date=date(2025, 1, 27))
    assert agent_client.get(reverse(CHANGELIST)).status_code == 200
    assert agent_client.get(reverse("admin:incidents_holiday_year", args=[2025])).status_code == 200
    assert agent_client.get(reverse("admin:incidents_holiday_add")).status_code == 403
    response = agent_client.post(
        reverse("admin:incidents_holiday_change", args=[row.pk]),
        {"date": "2025-01-27", "name": "바뀐 이름", "kind": "public"},
    )
    assert response.status_code == 403
    assert (
        agent_client.post(reverse("admin:incidents_holiday_remove", args=[row.pk]), {"reason": "정정"}).status_code
        == 403
    )
    assert (
        agent_client.post(reverse("admin:incidents_holiday_sync"), {"from_year": 2025, "to_year": 2025}).status_code
        == 403
    )
    row.refresh_from_db()
    assert row.name == "임시공휴일"


def test_sync_view_asks_years_and_reports_counts(compliance_client, django_capture_on_commit_callbacks):
    # 2027 has 24 package rows (1/1, Seollal 2/6-9, 3/1, 5/1, 5/3, 5/5, 5/13, 6/6, 7/17, 7/19,
    # 8/15-16, Chuseok 9/14-16, 10/3-4, 10/9, 10/11, 12/25, 12/27).
    Holiday.objects.filter(date__year=2027, source="package").delete()
    staff_row = Holiday.objects.create(date=date(2027, 12, 31), name="연말 휴무", kind="non_business", source="staff")
    assert compliance_client.get(reverse("admin:incidents_holiday_sync")).status_code == 200
    before = revision()
    with django_capture_on_commit_callbacks(execute=True):
        response = compliance_client.post(
            reverse("admin:incidents_holiday_sync"), {"from_year": 2027, "to_year": 2027}, follow=True
        )
    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert len(texts) == 1 and "24" in texts[0], texts
    assert Holiday.objects.filter(date__year=2027, source="package").count() == 24
    assert Holiday.objects.get(pk=staff_row.pk).name == "연말 휴무"
    assert revision() == before + 1
    assert not calendar.is_business_day(date(2027, 2, 9))


def test_sync_view_refuses_a_reversed_range(compliance_client):
    response = compliance_client.post(reverse("admin:incidents_holiday_sync"), {"from_year": 2027, "to_year": 2025})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_year_calendar_marks_weekends_holidays_and_non_business_days(compliance_client):
    response = compliance_client.get(reverse("admin:incidents_holiday_year", args=[2025]))
    assert response.status_code == 200
    page = response.content.decode()
    months = response.context["months"]
    assert len(months) == 12
    cells = {cell["day"]: cell for month in months for week in month["weeks"] for cell in week if cell}
    assert len(cells) == 365
    assert "public" in cells[date(2025, 1, 27)]["classes"]
    assert "non-business" in cells[date(2025, 5, 1)]["classes"]
    assert cells[date(2025, 1, 4)]["classes"] == "sat"
    assert cells[date(2025, 1, 5)]["classes"] == "sun"
    assert cells[date(2025, 12, 31)]["business"] is True
    # 365 days - 104 weekend days - 18 weekday rows (1/1, 1/27-30, 3/3, 5/1, 5/5-6, 6/3, 6/6,
    # 8/15, 10/3, 10/6-9, 12/25) = 243.
    assert response.context["business_days"] == 243
    assert reverse("admin:incidents_holiday_year", args=[2024]) in page
    assert reverse("admin:incidents_holiday_year", args=[2026]) in page
    assert 'class="legend-non-business"' in page


def test_changelist_links_to_year_calendar_and_sync_for_compliance_only(compliance_client, client):
    page = compliance_client.get(reverse(CHANGELIST)).content.decode()
    assert reverse("admin:incidents_holiday_sync") in page
    client.force_login(AgentFactory())
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert reverse("admin:incidents_holiday_sync") not in page
    assert "/admin/incidents/holiday/year/" in page
