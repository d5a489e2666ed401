"""The calendar is cached per process, costs a bounded number of queries, and reloads after a change."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache

from config import cache as shared_cache
from incidents import calendar
from incidents.models import CalendarRevision, Holiday
from incidents.signals import calendar_changed

pytestmark = pytest.mark.django_db
UTC = UTC


def filing_times(count, seed=4):
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=730).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def test_bulk_due_dates_for_10000_filings_cost_at_most_two_queries(django_assert_max_num_queries):
    times = filing_times(10_000)
    with django_assert_max_num_queries(2):
        dues = calendar.review_due_dates(times)
    assert len(dues) == 10_000
    # Warm: the revision stamp comes from the cache and the snapshot from the process.
    with django_assert_max_num_queries(0):
        assert calendar.review_due_dates(times) == dues
        calendar.review_due_date(times[0])
        calendar.intake_end_date(date(2025, 1, 20))
    assert dues == [calendar.review_due_date(moment) for moment in times]


class Received:
    def __init__(self):
        self.calls = []

    def __call__(self, sender, dates, **kwargs):
        self.calls.append(dates)


@pytest.fixture
def received():
    receiver = Received()
    calendar_changed.connect(receiver, dispatch_uid="test-calendar-changed")
    yield receiver
    calendar_changed.disconnect(dispatch_uid="test-calendar-changed")


def test_holiday_edit_bumps_revision_and_the_next_call_sees_it(django_capture_on_commit_callbacks, received):
    filed = datetime(2025, 10, 1, 1, tzinfo=UTC)  # 10:00 KST
    assert calendar.review_due_date(filed) == date(2025, 10, 29)
    old = calendar.get_calendar().revision
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Holiday.objects.create(date=date(2025, 10, 10), name="임시공휴일", kind="public")
        # Until commit nobody is told: the snapshot in use stays consistent.
        assert received.calls == []
    assert len(callbacks) == 1
    assert CalendarRevision.objects.get().number == old + 1
    assert received.calls == [[date(2025, 10, 10)]]
    assert calendar.get_calendar().revision == old + 1
    assert calendar.review_due_date(filed) == date(2025, 10, 30)


def test_moving_a_holiday_reports_both_dates(django_capture_on_commit_callbacks, received):
    row = Holiday.objects.get(date=date(2025, 1, 27))
    with django_capture_on_commit_callbacks(execute=True):
        row.date = date(2025, 1, 31)
        row.save()
    assert received.calls == [[date(2025, 1, 27), date(2025, 1, 31)]]
    assert calendar.is_business_day(date(2025, 1, 27))
    assert not calendar.is_business_day(date(2025, 1, 31))


def test_deleting_bumps_and_reloads(django_capture_on_commit_callbacks, received):
    assert not calendar.is_business_day(date(2025, 6, 3))
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.filter(date=date(2025, 6, 3)).delete()
    assert received.calls == [[date(2025, 6, 3)]]
    assert calendar.is_business_day(date(2025, 6, 3))


def test_another_process_stamp_forces_a_reload(django_assert_num_queries):
    """What another process does after its commit: publish a new number in the shared cache."""
    calendar.get_calendar()
    Holiday.objects.create(date=date(2026, 12, 31), name="연말 휴무", kind="non_business", source="staff")
    # Our process still holds its snapshot (the commit hook is not run in this test)...
    with django_assert_num_queries(0):
        assert calendar.is_business_day(date(2026, 12, 31))
    # ...until the stamp it checks changes.
    cache.set(calendar.STAMP_KEY, calendar.current_revision() + 100)
    with django_assert_num_queries(1):
        assert not calendar.is_business_day(date(2026, 12, 31))


def test_a_stale_reader_cannot_overwrite_a_published_stamp(monkeypatch):
    cache.delete(calendar.STAMP_KEY)
    old = calendar._revision_in_database()

    def read_then_lose_the_race():
        # This reader fetched `old`; meanwhile a holiday change commits and is published.
        cache.set(calendar.STAMP_KEY, old + 1)
        return old

    monkeypatch.setattr(calendar, "_revision_in_database", read_then_lose_the_race)
    calendar.current_revision()
    assert cache.get(calendar.STAMP_KEY) == old + 1


def test_staff_dec_31_row_closes_the_day_but_does_not_move_a_period_end():
    assert calendar.is_business_day(date(2025, 12, 31))
    Holiday.objects.create(date=date(2025, 12, 31), name="연말 휴무", kind="non_business", source="staff")
    calendar.forget_cached_calendar()
    assert not calendar.is_business_day(date(2025, 12, 31))
    assert calendar.add_business_days(date(2025, 12, 30), 1) == date(2026, 1, 2)
    # A non-business day is not a 공휴일: a month period may still end on it (민법 161).
    assert calendar.intake_end_date(date(2025, 11, 30)) == date(2025, 12, 31)


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_a_cache_outage_costs_a_query_not_a_deadline(monkeypatch, django_capture_on_commit_callbacks, received):
    with monkeypatch.context() as patch:
        patch.setattr(shared_cache, "cache", BrokenCache())  # what config.cache guards
        assert calendar.review_due_date(datetime(2025, 1, 22, 1, tzinfo=UTC)) == date(2025, 2, 18)
        with django_capture_on_commit_callbacks(execute=True):
            Holiday.objects.create(date=date(2025, 2, 18), name="임시공휴일", kind="public")
        # The change is still announced (claims get recomputed) and this process reloads.
        assert received.calls == [[date(2025, 2, 18)]]
        assert calendar.review_due_date(datetime(2025, 1, 22, 1, tzinfo=UTC)) == date(2025, 2, 19)


def test_an_uncommitted_revision_is_never_shared(django_capture_on_commit_callbacks):
    before = calendar._revision_in_database()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Holiday.objects.create(date=date(2025, 10, 10), name="임시공휴일", kind="public")
        cache.delete(calendar.STAMP_KEY)  # say the stamp just expired
        assert calendar.current_revision() == before + 1  # this connection sees its own change...
        assert cache.get(calendar.STAMP_KEY) is None  # ...but does not tell other processes yet
    for callback in callbacks:  # the commit
        callback()
    assert cache.get(calendar.STAMP_KEY) == before + 1
