"""A holiday the exchange works: a business day for every count, still a 공휴일 for month periods."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from incidents import calendar
from incidents.models import CalendarRevision, Holiday
from tests.factories import ComplianceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def before_the_days_edited():
    """Edits of days ahead apply at once (a past day waits for a second compliance user)."""
    with time_machine.travel(datetime(2024, 12, 2, 10, tzinfo=ZoneInfo("Asia/Seoul")), tick=False):
        yield


@pytest.fixture
def compliance_client(client):
    client.force_login(ComplianceFactory())
    return client


def open_day(day):
    row = Holiday.objects.get(date=day)
    row.exchange_open = True
    row.source = "staff"
    row.save()
    calendar.forget_cached_calendar()
    return row


def test_a_bank_holiday_the_exchange_works_counts_as_a_business_day():
    # May 2025 as counted in test_calendar: 5/2=1, 5/7-9=2..4, … 5/26=15 with 5/1 closed.
    assert calendar.add_business_days(date(2025, 4, 30), 15) == date(2025, 5, 26)
    open_day(date(2025, 5, 1))
    assert calendar.is_business_day(date(2025, 5, 1))
    # 5/1=1, 5/2=2, 5/7-9=3..5, 5/12-16=6..10, 5/19-23=11..15
    assert calendar.add_business_days(date(2025, 4, 30), 15) == date(2025, 5, 23)
    assert calendar.get_calendar().why_closed(date(2025, 5, 1)) is None
    # The explanation staff read names the worked holiday instead of hiding it.
    text = calendar.explain_deadline_text(date(2025, 4, 30), 15)
    assert text.startswith("15") and "5/1 (1, 근로자의날)" in text
    day_one = calendar.explain_deadline(date(2025, 4, 30), 15)[0]
    assert day_one[0] == date(2025, 5, 1) and day_one[1] and "근로자의날" in day_one[2]


def test_a_public_holiday_the_exchange_works_still_moves_a_month_period_end():
    # An incident on 2025-09-05 (Fri): the month runs 9/6 to 10/5 (Sun), then 10/6-8 추석 and
    # 10/9 한글날 are 공휴일, so intake ends on 10/10.
    assert calendar.intake_end_date(date(2025, 9, 5)) == date(2025, 10, 10)
    open_day(date(2025, 10, 6))
    assert calendar.is_business_day(date(2025, 10, 6))
    # 민법 161 speaks of 공휴일, not of the exchange's business days: still 10/10.
    assert calendar.intake_end_date(date(2025, 9, 5)) == date(2025, 10, 10)


def test_saturdays_and_sundays_cannot_be_marked_worked():
    row = Holiday(date=date(2025, 10, 4), name="추석 연휴", kind="public", exchange_open=True)
    with pytest.raises(ValidationError) as refused:
        row.full_clean(validate_unique=False)
    assert "exchange_open" in refused.value.message_dict


def test_compliance_marks_a_day_worked_and_the_sync_keeps_it(compliance_client, django_capture_on_commit_callbacks):
    row = Holiday.objects.get(date=date(2025, 5, 1))
    before = CalendarRevision.objects.get().number
    with django_capture_on_commit_callbacks(execute=True):
        response = compliance_client.post(
            reverse("admin:incidents_holiday_change", args=[row.pk]),
            {"date": "2025-05-01", "name": row.name, "kind": row.kind, "exchange_open": "on", "reason": "정상 영업"},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.exchange_open and row.source == "staff"
    assert CalendarRevision.objects.get().number == before + 1
    assert calendar.is_business_day(date(2025, 5, 1))

    call_command("sync_holidays", "--from-year", "2025", "--to-year", "2025", verbosity=0)
    calendar.forget_cached_calendar()
    assert Holiday.objects.get(date=date(2025, 5, 1)).exchange_open
    assert calendar.is_business_day(date(2025, 5, 1))

    year = compliance_client.get(reverse("admin:incidents_holiday_year", args=[2025]))
    cells = {cell["day"]: cell for month in year.context["months"] for week in month["weeks"] for cell in week if cell}
    assert "exchange-open" in cells[date(2025, 5, 1)]["classes"]
    assert cells[date(2025, 5, 1)]["business"] is True
    assert year.context["business_days"] == 244  # 243 (see test_holiday_admin) + 5/1


def test_the_form_refuses_a_worked_weekend_and_keeps_what_was_typed(compliance_client):
    response = compliance_client.post(
        reverse("admin:incidents_holiday_add"),
        {
            "date": "2025-11-29",
            "name": "토요 특별 영업",
            "kind": "non_business",
            "exchange_open": "on",
            "reason": "특별 영업",
        },
    )
    assert response.status_code == 200
    assert "exchange_open" in response.context["adminform"].form.errors
    assert "토요 특별 영업" in response.content.decode()
    assert not Holiday.objects.filter(date=date(2025, 11, 29)).exists()


def test_deleting_a_package_day_warns_that_the_sync_brings_it_back(compliance_client):
    listed = Holiday.objects.get(date=date(2025, 5, 1))
    own = Holiday.objects.create(date=date(2025, 12, 31), name="연말 휴무", kind="non_business", source="staff")
    response = compliance_client.post(
        reverse("admin:incidents_holiday_remove", args=[listed.pk]),
        {"reason": "정상 영업"},
        follow=True,
        headers={"accept-language": "en"},
    )
    texts = [str(message) for message in response.context["messages"]]
    assert any("2025-05-01" in text and "the next sync will add it back" in text for text in texts), texts
    response = compliance_client.post(
        reverse("admin:incidents_holiday_remove", args=[own.pk]),
        {"reason": "취소"},
        follow=True,
        headers={"accept-language": "en"},
    )
    assert not any("add it back" in str(message) for message in response.context["messages"])
