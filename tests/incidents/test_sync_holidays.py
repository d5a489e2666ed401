"""`manage.py sync_holidays`: adds what is missing, never deletes or overwrites staff rows, idempotent."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents import calendar
from incidents.holiday_sync import package_holidays
from incidents.models import CalendarRevision, Holiday

pytestmark = pytest.mark.django_db


def sync(*years, **options):
    out = StringIO()
    call_command("sync_holidays", "--from-year", str(years[0]), "--to-year", str(years[-1]), stdout=out, **options)
    return out.getvalue()


def revision():
    return CalendarRevision.objects.get().number


def test_package_marks_bank_only_days_non_business_and_leaves_dec_31_alone():
    days = package_holidays(2024, 2027)
    assert days[date(2024, 5, 1)][1] == "non_business"
    assert days[date(2025, 5, 1)][1] == "non_business"
    assert days[date(2026, 5, 1)][1] == "public"
    assert days[date(2025, 1, 27)] == ("임시공휴일", "public")
    assert days[date(2024, 4, 10)][1] == days[date(2025, 6, 3)][1] == days[date(2026, 6, 3)][1] == "public"
    assert not any(day.month == 12 and day.day == 31 for day in days)


def test_seeded_database_is_already_in_sync():
    before = revision()
    out = sync(2024, 2027)
    assert "0 added, 0 updated" in out and "nothing changed" in out
    assert revision() == before


def test_refills_missing_rows_then_a_second_run_adds_nothing(django_capture_on_commit_callbacks):
    Holiday.objects.filter(date__year=2026).delete()
    calendar.forget_cached_calendar()
    assert calendar.is_business_day(date(2026, 2, 17))
    before = revision()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = sync(2026, 2026)
    assert "2026: 22 added, 0 updated" in out
    assert "2026-02-17 (Tue) public       설날" in out
    assert "revision bumped" in out
    assert revision() == before + 1 and len(callbacks) == 1
    # The bump published a new stamp: this process reloads without being told otherwise.
    assert not calendar.is_business_day(date(2026, 2, 17))

    rows = list(Holiday.objects.order_by("date").values_list("date", "name", "kind", "source"))
    out = sync(2026, 2026)
    assert "2026: 0 added, 0 updated, 0 staff rows kept, 22 unchanged" in out
    assert "nothing changed" in out
    assert revision() == before + 1
    assert list(Holiday.objects.order_by("date").values_list("date", "name", "kind", "source")) == rows


def test_staff_rows_are_kept_and_package_rows_refreshed(django_capture_on_commit_callbacks):
    # Staff edited a package row (the admin sets source=staff) and added one of their own.
    may_day = Holiday.objects.get(date=date(2025, 5, 1))
    may_day.name, may_day.kind, may_day.source = "근로자의 날 (휴무)", "public", "staff"
    may_day.save()
    Holiday.objects.create(date=date(2025, 12, 31), name="연말 휴무", kind="non_business", source="staff")
    # A package row whose name drifted is refreshed; one the package no longer knows is kept.
    Holiday.objects.filter(date=date(2025, 8, 15)).update(name="옛 이름")
    Holiday.objects.create(date=date(2025, 10, 10), name="옛 임시공휴일", kind="public", source="package")

    with django_capture_on_commit_callbacks(execute=True):
        out = sync(2025, 2025, verbosity=2)
    assert "2025: 0 added, 1 updated, 2 staff rows kept" in out
    assert "updated      2025-08-15" in out
    assert "kept (staff) 2025-05-01" in out and "kept (staff) 2025-12-31" in out
    assert "not in package 2025-10-10" in out

    may_day.refresh_from_db()
    assert (may_day.name, may_day.kind, may_day.source) == ("근로자의 날 (휴무)", "public", "staff")
    assert Holiday.objects.get(date=date(2025, 12, 31)).source == "staff"
    assert Holiday.objects.get(date=date(2025, 8, 15)).name == "광복절"
    assert Holiday.objects.filter(date=date(2025, 10, 10)).exists()  # never deleted

    again = sync(2025, 2025)
    assert "0 added, 0 updated, 2 staff rows kept" in again and "nothing changed" in again


def test_years_beyond_the_seed_are_added(django_capture_on_commit_callbacks):
    assert not Holiday.objects.filter(date__year=2036).exists()
    with django_capture_on_commit_callbacks(execute=True):
        out = sync(2036, 2036)
    assert "2036:" in out and Holiday.objects.filter(date__year=2036, source="package").count() > 15
    assert not calendar.is_business_day(date(2036, 3, 3))  # 3/1 Sat -> 3/3 Mon substitute


def test_progress_is_printed_per_year():
    out = sync(2024, 2027)
    assert [line[:5] for line in out.splitlines()[:4]] == ["2024:", "2025:", "2026:", "2027:"]


def test_reversed_range_is_an_error():
    with pytest.raises(CommandError):
        sync(2027, 2026)
