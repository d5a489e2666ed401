"""The business-day calendar against dates worked out by hand from the rules (issue 4).

Every expected value below was counted on paper from the rule text, the seeded holiday
table (holidays 0.109, 2020-2035) and a wall calendar; the comment on each row shows the
count. Filing times are aware datetimes; where the UTC date differs from the Korean date
the row says so.

Rules: a business day is Mon-Fri without a Holiday row. Review is due on the N-th business
day after the KST filing date (민법 157). A month period after an incident on D starts D+1
and ends the day before the same-numbered day M months later (or that month's last day);
an end on Sat, Sun or a `public` holiday moves to the next day that is none of those;
a `non_business` day (근로자의 날 up to 2025) does not move it.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from incidents import calendar

KST = ZoneInfo("Asia/Seoul")
UTC = UTC

pytestmark = pytest.mark.django_db


def kst(*args):
    return datetime(*args, tzinfo=KST)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def review(filed_at, expected, label, days=15):
    return pytest.param("review_due_date", (filed_at, days), expected, id=f"review-{label}")


def intake(incident_day, expected, label, months=1):
    return pytest.param("intake_end_date", (incident_day, months), expected, id=f"intake-{label}")


def add(day, n, expected, label):
    return pytest.param("add_business_days", (day, n), expected, id=f"add-{label}")


def open_(day, expected, label):
    return pytest.param("is_business_day", (day,), expected, id=f"open-{label}")


CASES = [
    # --- review due: 15 business days after the KST filing date -------------------------
    # Seollal 2024: 2/9 Fri, 2/10-11 weekend, 2/12 Mon substitute; 3/1 Fri 삼일절.
    # 2/8=1 | 2/13-16=2..5 | 2/19-23=6..10 | 2/26-29=11..14 | 3/4=15
    review(kst(2024, 2, 7, 10), date(2024, 3, 4), "seollal-2024-wed"),
    # 2/13-16=1..4 | 2/19-23=5..9 | 2/26-29=10..13 | 3/4=14, 3/5=15
    review(kst(2024, 2, 8, 18), date(2024, 3, 5), "seollal-2024-thu"),
    # 2024-04-10 election: 4/8=1, 4/9=2, 4/11=3, 4/12=4 | 4/15-19=5..9 | 4/22-26=10..14 | 4/29=15
    review(kst(2024, 4, 5, 9), date(2024, 4, 29), "election-2024-04-10"),
    # May 2024: 5/1 근로자의 날 (non_business), 5/6 substitute, 5/15 부처님오신날.
    # 4/29=1, 4/30=2, 5/2=3, 5/3=4, 5/7-10=5..8, 5/13=9, 5/14=10, 5/16=11, 5/17=12, 5/20-22=13..15
    review(kst(2024, 4, 26, 15), date(2024, 5, 22), "may-2024"),
    # Filed on a Saturday: 6/3=1, 6/4=2, 6/5=3, (6/6 현충일), 6/7=4, 6/10-14=5..9, 6/17-21=10..14, 6/24=15
    review(kst(2024, 6, 1, 11), date(2024, 6, 24), "filed-on-saturday-2024"),
    # Chuseok 2024 9/16-18 and the 10/1 국군의 날 temporary holiday, 10/3, 10/9.
    # 9/13=1, 9/19=2, 9/20=3, 9/23-27=4..8, 9/30=9, 10/2=10, 10/4=11, 10/7=12, 10/8=13, 10/10=14, 10/11=15
    review(kst(2024, 9, 12, 14), date(2024, 10, 11), "chuseok-2024"),
    # Year end 2024: 12/25 off, 12/31 a business day, 1/1 off.
    # 12/23=1, 12/24=2, 12/26=3, 12/27=4, 12/30=5, 12/31=6, 1/2=7, 1/3=8, 1/6-10=9..13, 1/13=14, 1/14=15
    review(kst(2024, 12, 20, 16), date(2025, 1, 14), "year-end-2024"),
    # Seollal 2025 with the 1/27 temporary holiday (1/27-30 all off).
    # 1/23=1, 1/24=2, 1/31=3, 2/3-7=4..8, 2/10-14=9..13, 2/17=14, 2/18=15
    review(kst(2025, 1, 22, 10), date(2025, 2, 18), "seollal-2025-temporary"),
    # 2025-01-23 23:59 KST is still the 23rd: 1/24=1, 1/31=2, 2/3-7=3..7, 2/10-14=8..12, 2/17-19=13..15
    review(utc(2025, 1, 23, 14, 59), date(2025, 2, 19), "utc-1459-is-kst-same-day"),
    # 2025-01-23 15:00 UTC is 2025-01-24 00:00 KST: 1/31=1, 2/3-7=2..6, 2/10-14=7..11, 2/17-20=12..15
    review(utc(2025, 1, 23, 15, 0), date(2025, 2, 20), "utc-1500-is-kst-next-day"),
    # 2025-01-30 23:30 UTC is 2025-01-31 08:30 KST (Fri): 2/3-7=1..5, 2/10-14=6..10, 2/17-21=11..15
    review(utc(2025, 1, 30, 23, 30), date(2025, 2, 21), "utc-late-night-jan-30"),
    # Filed on 설날 전날 itself: 1/31=1, 2/3-7=2..6, 2/10-14=7..11, 2/17-20=12..15
    review(kst(2025, 1, 28, 12), date(2025, 2, 20), "filed-on-holiday-2025"),
    # 3/1 Sat 삼일절 -> 3/3 Mon substitute. 2/28=1, 3/4-7=2..5, 3/10-14=6..10, 3/17-21=11..15
    review(kst(2025, 2, 27, 9), date(2025, 3, 21), "samiljeol-substitute-2025"),
    # May 2025: 5/1 non_business, 5/5-6 off. 5/2=1, 5/7-9=2..4, 5/12-16=5..9, 5/19-23=10..14, 5/26=15
    review(kst(2025, 4, 30, 10), date(2025, 5, 26), "may-2025"),
    # 2025-06-03 presidential election, 6/6 현충일. 6/2=1, 6/4=2, 6/5=3, 6/9-13=4..8, 6/16-20=9..13, 6/23=14, 6/24=15
    review(kst(2025, 5, 30, 17), date(2025, 6, 24), "election-2025-06-03"),
    # Chuseok 2025: 10/3 개천절, 10/5-7 + 10/8 substitute, 10/9 한글날.
    # 10/2=1, 10/10=2, 10/13-17=3..7, 10/20-24=8..12, 10/27-29=13..15
    review(kst(2025, 10, 1, 10), date(2025, 10, 29), "chuseok-2025"),
    # Year end 2025: 12/26=1, 12/29=2, 12/30=3, 12/31=4, 1/2=5, 1/5-9=6..10, 1/12-16=11..15
    review(kst(2025, 12, 24, 13), date(2026, 1, 16), "year-end-2025"),
    # 2025-12-31 15:30 UTC is 2026-01-01 00:30 KST (a holiday): 1/2=1, 1/5-9=2..6, 1/12-16=7..11, 1/19-22=12..15
    review(utc(2025, 12, 31, 15, 30), date(2026, 1, 22), "utc-new-year-2026"),
    # Seollal 2026 2/16-18, 3/1 Sun -> 3/2 substitute.
    # 2/19=1, 2/20=2, 2/23-27=3..7, 3/3-6=8..11, 3/9-12=12..15
    review(kst(2026, 2, 13, 10), date(2026, 3, 12), "seollal-2026"),
    # May 2026: 5/1 now public, 5/5, 5/25 substitute (부처님오신날 on Sun 5/24).
    # 5/4=1, 5/6-8=2..4, 5/11-15=5..9, 5/18-22=10..14, 5/26=15
    review(kst(2026, 4, 30, 10), date(2026, 5, 26), "may-2026"),
    # 2026-06-03 local election (6/6 is a Saturday: no substitute for 현충일).
    # 6/2=1, 6/4=2, 6/5=3, 6/8-12=4..8, 6/15-19=9..13, 6/22=14, 6/23=15
    review(kst(2026, 6, 1, 10), date(2026, 6, 23), "election-2026-06-03"),
    # 2026-07-17 제헌절 (a 공휴일 again from 2026). 7/16=1, 7/20-24=2..6, 7/27-31=7..11, 8/3-6=12..15
    review(kst(2026, 7, 15, 10), date(2026, 8, 6), "jeheonjeol-2026"),
    # 8/15 Sat -> 8/17 substitute. 8/14=1, 8/18-21=2..5, 8/24-28=6..10, 8/31=11, 9/1-4=12..15
    review(kst(2026, 8, 13, 10), date(2026, 9, 4), "liberation-substitute-2026"),
    # Chuseok 2026 9/24-26 (Sat: no substitute), 10/3 Sat -> 10/5, 10/9.
    # 9/23=1, 9/28-30=2..4, 10/1=5, 10/2=6, 10/6-8=7..9, 10/12-16=10..14, 10/19=15
    review(kst(2026, 9, 22, 10), date(2026, 10, 19), "chuseok-2026"),
    # Year end 2026: 12/24=1, 12/28-31=2..5, 1/4-8=6..10, 1/11-15=11..15
    review(kst(2026, 12, 23, 10), date(2027, 1, 15), "year-end-2026"),
    # Seollal 2027: 2/6 Sat, 2/7 Sun, 2/8 Mon, 2/9 substitute; 3/1 Mon.
    # 2/10-12=1..3, 2/15-19=4..8, 2/22-26=9..13, 3/2=14, 3/3=15
    review(kst(2027, 2, 5, 10), date(2027, 3, 3), "seollal-2027"),
    # May 2027: 5/1 Sat -> 5/3 substitute, 5/5, 5/13 부처님오신날.
    # 5/4=1, 5/6=2, 5/7=3, 5/10-12=4..6, 5/14=7, 5/17-21=8..12, 5/24-26=13..15
    review(kst(2027, 4, 30, 10), date(2027, 5, 26), "may-2027"),
    # Chuseok 2027 9/14-16, 10/3 Sun -> 10/4. 9/17=1, 9/20-24=2..6, 9/27-30=7..10, 10/1=11, 10/5-8=12..15
    review(kst(2027, 9, 13, 10), date(2027, 10, 8), "chuseok-2027"),
    # 12/25 Sat -> 12/27 substitute; 2028-01-01 is a Saturday.
    # 12/20-24=1..5, 12/28-31=6..9, 1/3-7=10..14, 1/10=15
    review(kst(2027, 12, 17, 10), date(2028, 1, 10), "year-end-2027"),
    # Other windows use the same counting: 10 business days (objection window) from 2025-05-02.
    # 5/7-9=1..3, 5/12-16=4..8, 5/19=9, 5/20=10
    review(kst(2025, 5, 2, 10), date(2025, 5, 20), "ten-days-may-2025", days=10),
    # --- add_business_days -------------------------------------------------------------
    add(date(2024, 12, 30), 1, date(2024, 12, 31), "dec-31-is-open"),
    add(date(2024, 12, 31), 1, date(2025, 1, 2), "over-new-year"),
    add(date(2025, 1, 24), 1, date(2025, 1, 31), "over-seollal-2025"),
    add(date(2025, 4, 30), 1, date(2025, 5, 2), "over-may-1-2025"),
    # --- is_business_day ---------------------------------------------------------------
    open_(date(2024, 12, 31), True, "dec-31-2024"),
    open_(date(2025, 12, 31), True, "dec-31-2025"),
    open_(date(2024, 5, 1), False, "may-1-2024-non-business"),
    open_(date(2026, 5, 1), False, "may-1-2026-public"),
    open_(date(2025, 1, 27), False, "temporary-2025-01-27"),
    open_(date(2025, 10, 10), True, "oct-10-2025-no-bridge"),
    open_(date(2024, 4, 10), False, "election-2024"),
    open_(date(2025, 3, 1), False, "saturday-holiday"),
    open_(date(2025, 3, 3), False, "substitute-2025-03-03"),
    open_(date(2026, 9, 28), True, "monday-after-saturday-chuseok"),
    # --- intake end: one month (민법 157/160/161) --------------------------------------
    # 1/20 -> starts 1/21 -> day before 2/21 = 2/20 (Thu)
    intake(date(2025, 1, 20), date(2025, 2, 20), "plain-2025"),
    # 1/30 -> starts 1/31 -> February has no 31st -> 2/28 (Fri)
    intake(date(2025, 1, 30), date(2025, 2, 28), "jan-30-no-feb-31"),
    # 1/31 -> starts 2/1 -> day before 3/1 = 2/28 (Fri)
    intake(date(2025, 1, 31), date(2025, 2, 28), "jan-31-starts-feb-1"),
    # 2024 is a leap year: 1/30 -> starts 1/31 -> 2/29 (Thu)
    intake(date(2024, 1, 30), date(2024, 2, 29), "leap-jan-30"),
    # 1/29 -> starts 1/30 -> no 2/30 -> 2/29
    intake(date(2024, 1, 29), date(2024, 2, 29), "leap-jan-29"),
    # 1/28 -> starts 1/29 -> day before 2/29 = 2/28 (Wed)
    intake(date(2024, 1, 28), date(2024, 2, 28), "leap-jan-28"),
    # 2/29 -> starts 3/1 -> 3/31 Sun -> 4/1 Mon
    intake(date(2024, 2, 29), date(2024, 4, 1), "leap-day-incident-ends-sunday"),
    # 2/15 -> starts 2/16 -> 3/15 Sat -> 3/17 Mon
    intake(date(2025, 2, 15), date(2025, 3, 17), "ends-saturday"),
    # 2/1 -> starts 2/2 -> 3/1 Sat 삼일절, 3/2 Sun, 3/3 substitute -> 3/4 Tue
    intake(date(2025, 2, 1), date(2025, 3, 4), "ends-samiljeol-2025"),
    # 2024-12-27 -> starts 12/28 -> 1/27 temporary holiday, 1/28-30 Seollal -> 1/31 Fri
    intake(date(2024, 12, 27), date(2025, 1, 31), "ends-temporary-holiday"),
    # 2025-04-01 -> starts 4/2 -> 5/1 근로자의 날: non_business, NOT moved
    intake(date(2025, 4, 1), date(2025, 5, 1), "ends-may-1-2025-not-moved"),
    # 2024-04-01 -> starts 4/2 -> 5/1 (Wed) non_business, NOT moved
    intake(date(2024, 4, 1), date(2024, 5, 1), "ends-may-1-2024-not-moved"),
    # 2026-04-01 -> starts 4/2 -> 5/1 now public (Fri) -> 5/2 Sat, 5/3 Sun -> 5/4 Mon
    intake(date(2026, 4, 1), date(2026, 5, 4), "ends-may-1-2026-moved"),
    # 2024-03-10 -> starts 3/11 -> 4/10 election -> 4/11 Thu
    intake(date(2024, 3, 10), date(2024, 4, 11), "ends-election-2024"),
    # 2025-05-03 -> starts 5/4 -> 6/3 election -> 6/4 Wed
    intake(date(2025, 5, 3), date(2025, 6, 4), "ends-election-2025"),
    # 2026-05-03 -> starts 5/4 -> 6/3 election -> 6/4 Thu
    intake(date(2026, 5, 3), date(2026, 6, 4), "ends-election-2026"),
    # 2025-09-03 -> starts 9/4 -> 10/3 개천절 -> 10/4-5 weekend, 10/6-8 Chuseok, 10/9 한글날 -> 10/10
    intake(date(2025, 9, 3), date(2025, 10, 10), "ends-chuseok-2025"),
    # 2025-11-30 -> starts 12/1 -> day before 1/1 = 12/31 (Wed): a business day, stays
    intake(date(2025, 11, 30), date(2025, 12, 31), "ends-dec-31"),
    # 2025-12-01 -> starts 12/2 -> 1/1 신정 -> 1/2 Fri
    intake(date(2025, 12, 1), date(2026, 1, 2), "ends-new-year"),
    # 2026-01-30 -> starts 1/31 -> no 2/31 -> 2/28 Sat, 3/1 Sun, 3/2 substitute -> 3/3 Tue
    intake(date(2026, 1, 30), date(2026, 3, 3), "jan-30-2026-ends-weekend-and-substitute"),
    # 2027-01-08 -> starts 1/9 -> 2/8 Seollal, 2/9 substitute -> 2/10 Wed
    intake(date(2027, 1, 8), date(2027, 2, 10), "ends-seollal-2027"),
    # 2027-11-25 -> starts 11/26 -> 12/25 Sat, 12/26 Sun, 12/27 substitute -> 12/28 Tue
    intake(date(2027, 11, 25), date(2027, 12, 28), "ends-christmas-2027"),
    # Longer periods (a notice may set more than one month).
    # 2 months: 2024-12-30 -> starts 12/31 -> no 2/31 -> 2/28 (Fri)
    intake(date(2024, 12, 30), date(2025, 2, 28), "two-months-dec-30", months=2),
    # 3 months: 2025-11-29 -> starts 11/30 -> no 2/30 -> 2/28 Sat -> 3/1 Sun -> 3/2 substitute -> 3/3
    intake(date(2025, 11, 29), date(2026, 3, 3), "three-months-nov-29", months=3),
]


@pytest.mark.parametrize(("function", "args", "expected"), CASES)
def test_calendar_table(function, args, expected):
    assert getattr(calendar, function)(*args) == expected


def test_the_table_is_big_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize(("function", "args", "expected"), [c for c in CASES if c.values[0] == "review_due_date"])
def test_bulk_form_agrees_with_the_table(function, args, expected):
    filed_at, days = args
    assert calendar.review_due_dates([filed_at, filed_at], days) == [expected, expected]


def test_deadline_is_the_end_of_the_day_in_korea():
    due = calendar.review_due_date(kst(2025, 1, 22, 10))
    assert calendar.end_of_day(due) == datetime(2025, 2, 18, 23, 59, 59, 999999, tzinfo=KST)
    assert calendar.end_of_day(due).astimezone(UTC) == utc(2025, 2, 18, 14, 59, 59, 999999)


def test_naive_filing_times_are_refused():
    with pytest.raises(ValueError):
        calendar.review_due_date(datetime(2025, 1, 22, 10))
    with pytest.raises(ValueError):
        calendar.review_due_dates([kst(2025, 1, 22, 10), datetime(2025, 1, 22, 10)])


def test_zero_days_and_bad_arguments():
    assert calendar.add_business_days(date(2025, 1, 27), 0) == date(2025, 1, 27)
    with pytest.raises(ValueError):
        calendar.add_business_days(date(2025, 1, 27), -1)
    with pytest.raises(ValueError):
        calendar.intake_end_date(date(2025, 1, 27), 0)


def test_counting_outside_the_precomputed_span_walks():
    # 2100-12-30 Thu: 12/31 Fri=1, 2101-01-01/02 weekend, 1/3 Mon=2 (no holiday rows that far out).
    assert calendar.add_business_days(date(2100, 12, 30), 2) == date(2101, 1, 3)
    assert calendar.add_business_days(date(1999, 12, 30), 1) == date(1999, 12, 31)
