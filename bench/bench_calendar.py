"""Review due dates for 100,000 filing times: `review_due_dates` against a plain-Python floor.

The floor is the least work that can give the right answer without a precomputed calendar:
for each filing time take the KST date and step forward a day at a time, skipping weekends
and a precomputed set of holiday dates, until 15 business days are counted. Both must give
identical dates. Target: ours within 3x of the floor.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

TITLE = "Calendar: review due dates for 100,000 filing times vs a plain-loop floor"
COUNT = 100_000
BUSINESS_DAYS = 15
REPEAT = 5
TARGET = 3.0
KST = ZoneInfo("Asia/Seoul")
ONE_DAY = timedelta(days=1)


def filing_times(count=COUNT, seed=2025):
    """Aware UTC datetimes spread over 2025-2026 (KST), any time of day."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=KST).astimezone(UTC)
    seconds = int((datetime(2027, 1, 1, tzinfo=KST) - datetime(2025, 1, 1, tzinfo=KST)).total_seconds())
    return [start + timedelta(seconds=rng.randrange(seconds)) for _ in range(count)]


def floor(times, holidays, n=BUSINESS_DAYS):
    out = []
    append = out.append
    for moment in times:
        day = moment.astimezone(KST).date()
        counted = 0
        while counted < n:
            day += ONE_DAY
            if day.weekday() < 5 and day not in holidays:
                counted += 1
        append(day)
    return out


def best_of(fn, repeat=REPEAT):
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def run():
    from bench.django_env import setup

    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents import calendar
    from incidents.models import Holiday

    times = filing_times()
    holidays = frozenset(Holiday.objects.filter(exchange_open=False).values_list("date", flat=True))

    # Cold: a process that has never loaded the calendar (database read + snapshot build).
    calendar.forget_cached_calendar()
    with CaptureQueriesContext(connection) as queries:
        cold_started = time.perf_counter()
        cold = calendar.review_due_dates(times, BUSINESS_DAYS)
        cold_time = time.perf_counter() - cold_started

    ours_time, ours = best_of(lambda: calendar.review_due_dates(times, BUSINESS_DAYS))
    floor_time, expected = best_of(lambda: floor(times, holidays))
    if ours != expected or cold != expected:
        bad = next(i for i, (a, b) in enumerate(zip(ours, expected)) if a != b)
        raise AssertionError(f"results differ at {times[bad]}: ours {ours[bad]}, floor {expected[bad]}")

    ratio = ours_time / floor_time
    cold_ratio = cold_time / floor_time
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    return [
        f"  {COUNT:,} filing times over 2025-2026, {len(set(ours)):,} distinct due dates, "
        f"{len(holidays)} holiday rows; results identical",
        f"  floor (day-by-day loop over a set)  best of {REPEAT}: {floor_time * 1000:8.1f} ms",
        f"  review_due_dates (warm snapshot)    best of {REPEAT}: {ours_time * 1000:8.1f} ms",
        f"  review_due_dates (cold: load + build)        once: {cold_time * 1000:8.1f} ms, "
        f"{len(queries.captured_queries)} queries (ratio {cold_ratio:.2f}×)",
        f"RESULT calendar bulk due dates: ours/floor = {ratio:.2f}× (target ≤ {TARGET:.0f}×) {verdict}",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
