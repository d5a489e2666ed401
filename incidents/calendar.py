"""Business-day calendar (영업일) and legal deadlines.

Rules (DESIGN.md, issue 4):
- A business day is Monday–Friday that is not a `Holiday` row, unless that row says the
  exchange works the day (`exchange_open`).
- 민법 157 (초일불산입): counting starts the day after the start date.
- 민법 160/161: month periods end the day before the same-numbered day of the
  last month (or that month's last day); an end on Saturday, Sunday or a
  `public` holiday moves to the next day that is none of those. That is the law's
  공휴일, so a public holiday the exchange works still moves it.

Holidays are read from the database once per process and cached; a revision
stamp in the shared cache tells other processes when to reload. The stamp is
written by `publish_revision` after a holiday change commits and expires after
`STAMP_TTL` seconds, so a stamp lost or raced in the shared cache costs at most
that long plus one small query, never a wrong calendar for good.
"""

from __future__ import annotations

import calendar as _stdcal
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils.translation import gettext as _

from config import cache
from incidents.kst import KST, end_of_day, to_kst_date, today_kst  # noqa: F401 - part of the calendar's interface
from incidents.models import CalendarRevision, Holiday

STAMP_KEY = cache.register_stamp("incidents:calendar:revision")
# Bounds how long a process can trust a stamp that a race left behind (see `current_revision`).
STAMP_TTL = 60
# Business days are precomputed over this span; outside it counting falls back to a walk.
SPAN_START = date(2000, 1, 1)
SPAN_END = date(2100, 12, 31)


@dataclass(frozen=True)
class ClosedDay:
    name: str
    kind: str  # HolidayKind value


@dataclass
class BusinessCalendar:
    """An immutable snapshot of the holiday table at one revision."""

    revision: int
    closed: dict[date, ClosedDay]
    # Holidays the exchange works: business days, but a `public` one is still a 공휴일 for 민법 161.
    worked: dict[date, ClosedDay] = field(default_factory=dict)
    _ordinals: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self):
        ordinals = []
        day = SPAN_START
        one = timedelta(days=1)
        closed = self.closed
        while day <= SPAN_END:
            if day.weekday() < 5 and day not in closed:
                ordinals.append(day.toordinal())
            day += one
        self._ordinals = ordinals

    # --- single-day answers -----------------------------------------------
    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closed

    def is_period_end_day(self, day: date) -> bool:
        """A month period may end on this day (민법 161: not Sat/Sun/공휴일)."""
        if day.weekday() >= 5:
            return False
        worked = self.worked.get(day)
        if worked is not None and worked.kind == "public":
            return False
        closed = self.closed.get(day)
        return closed is None or closed.kind != "public"

    def add_business_days(self, day: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return day
        ordinals = self._ordinals
        index = bisect_right(ordinals, day.toordinal()) + n - 1
        if day >= SPAN_START and index < len(ordinals):
            return date.fromordinal(ordinals[index])
        return self._walk(day, n)

    def _walk(self, day: date, n: int) -> date:
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                counted += 1
        return day

    def why_closed(self, day: date) -> str | None:
        closed = self.closed.get(day)
        if closed is not None:
            return closed.name
        if day.weekday() == 5:
            return _("Saturday")
        if day.weekday() == 6:
            return _("Sunday")
        return None

    def intake_end_date(self, incident_date: date, months: int = 1) -> date:
        if months < 1:
            raise ValueError("months must be >= 1")
        start = incident_date + timedelta(days=1)
        end = _month_period_end(start, months)
        while not self.is_period_end_day(end):
            end += timedelta(days=1)
        return end

    def explain(self, start: date, n: int) -> list[tuple[date, bool, str]]:
        rows = []
        counted = 0
        day = start
        while counted < n:
            day += timedelta(days=1)
            reason = self.why_closed(day)
            if reason is None:
                counted += 1
                text = _("business day %(n)d") % {"n": counted}
                if day in self.worked:
                    text += " " + _("(%(name)s: the exchange works)") % {"name": self.worked[day].name}
                rows.append((day, True, text))
            else:
                rows.append((day, False, reason))
        return rows


def _month_period_end(start: date, months: int) -> date:
    """민법 160: the day before the day numbered like `start`, `months` later, else month end."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = _stdcal.monthrange(year, month)[1]
    if start.day > last_day:
        return date(year, month, last_day)
    return date(year, month, start.day) - timedelta(days=1)


# --- process cache ------------------------------------------------------------
_lock = threading.Lock()
_current: BusinessCalendar | None = None


def _revision_in_database() -> int:
    number = CalendarRevision.objects.order_by("pk").values_list("number", flat=True).first()
    return number or 0


def current_revision() -> int:
    # A cache outage must not stop deadlines: `config.cache` answers a miss (logged once per
    # outage), and the database is asked instead (one small query).
    stamp = cache.stamp(STAMP_KEY)
    if stamp is None:
        stamp = _revision_in_database()
        if _uncommitted_change_pending():
            # That number is not committed: shared, it would make other processes label their
            # old rows with it and then ignore the real publish after our commit.
            return stamp
        # `add`, not `set`: a reader that fetched an older number must not overwrite the
        # stamp a committed holiday change has just published.
        cache.add(STAMP_KEY, stamp, timeout=STAMP_TTL)
    return stamp


def _uncommitted_change_pending() -> bool:
    """True while this connection holds a holiday change whose commit hook has not run yet."""
    # Django drops these entries on rollback (also of a savepoint), so this is exact.
    return any(getattr(entry[1], "calendar_bump", False) for entry in connection.run_on_commit)


def publish_revision() -> int:
    """Tell every process to reload: call after a holiday change has committed."""
    global _current
    number = _revision_in_database()
    with _lock:
        _current = None
    # If the cache is down the change is still committed; other processes catch up when their
    # stamp expires (or read the database while the cache stays down).
    cache.set(STAMP_KEY, number, timeout=STAMP_TTL)
    return number


def get_calendar() -> BusinessCalendar:
    """The calendar at the current revision, loaded from the database at most once per change."""
    global _current
    revision = current_revision()
    snapshot = _current
    if snapshot is not None and snapshot.revision == revision:
        return snapshot
    with _lock:
        if _current is not None and _current.revision == revision:
            return _current
        closed, worked = {}, {}
        for row_date, name, kind, exchange_open in Holiday.objects.values_list("date", "name", "kind", "exchange_open"):
            (worked if exchange_open else closed)[row_date] = ClosedDay(name=name, kind=kind)
        _current = BusinessCalendar(revision=revision, closed=closed, worked=worked)
        return _current


def forget_cached_calendar():
    """Drop this process's snapshot and the shared stamp (after a holiday change, and in tests)."""
    global _current
    with _lock:
        _current = None
    cache.delete(STAMP_KEY)


# --- the public interface -------------------------------------------------------
def is_business_day(day: date) -> bool:
    return get_calendar().is_business_day(day)


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after `day` (`day` itself is never counted)."""
    return get_calendar().add_business_days(day, n)


def review_due_date(filed_at: datetime, business_days: int = 15) -> date:
    """Last day of review for a claim filed at `filed_at` (15 영업일, 초일불산입)."""
    return get_calendar().add_business_days(to_kst_date(filed_at), business_days)


def review_due_dates(filed_ats, business_days: int = 15) -> list[date]:
    """Bulk `review_due_date`: one calendar read for any number of filing times."""
    cal = get_calendar()
    memo: dict[date, date] = {}
    results = []
    append = results.append
    for filed_at in filed_ats:
        if filed_at.tzinfo is None:
            # astimezone() would read a naive value as the server's local time: a silent wrong date.
            raise ValueError("an aware datetime is required")
        day = filed_at.astimezone(KST).date()
        due = memo.get(day)
        if due is None:
            due = memo[day] = cal.add_business_days(day, business_days)
        append(due)
    return results


def intake_end_date(incident_date: date, months: int = 1) -> date:
    """Last day of intake for an incident on `incident_date` (민법 157/160/161)."""
    return get_calendar().intake_end_date(incident_date, months)


def explain_deadline(start: date, n: int) -> list[tuple[date, bool, str]]:
    """Each day from the day after `start` to the n-th business day, counted or why not."""
    return get_calendar().explain(start, n)


def explain_deadline_text(start: date, n: int) -> str:
    """One line for staff, e.g. '15 영업일: 1/23 (1), 1/24 (2), 1/27 임시공휴일 skipped, …'."""
    parts = []
    counted = 0
    worked = get_calendar().worked
    for day, is_counted, why in explain_deadline(start, n):
        if is_counted:
            counted += 1
            note = f", {worked[day].name}" if day in worked else ""
            parts.append(f"{day.month}/{day.day} ({counted}{note})")
        else:
            parts.append(_("%(day)s %(why)s skipped") % {"day": f"{day.month}/{day.day}", "why": why})
    return _("%(n)d business days: %(days)s") % {"n": n, "days": ", ".join(parts)}
