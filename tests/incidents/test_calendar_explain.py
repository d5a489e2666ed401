"""`explain_deadline`: every day from the day after the start to the deadline, counted or why not."""

from datetime import date

import pytest
from django.utils import translation

from incidents import calendar

pytestmark = pytest.mark.django_db


def test_explains_the_seollal_2025_count_day_by_day():
    with translation.override("en"):
        rows = calendar.explain_deadline(date(2025, 1, 22), 15)
    assert rows[:10] == [
        (date(2025, 1, 23), True, "business day 1"),
        (date(2025, 1, 24), True, "business day 2"),
        (date(2025, 1, 25), False, "Saturday"),
        (date(2025, 1, 26), False, "Sunday"),
        (date(2025, 1, 27), False, "임시공휴일"),
        (date(2025, 1, 28), False, "설날 전날"),
        (date(2025, 1, 29), False, "설날"),
        (date(2025, 1, 30), False, "설날 다음날"),
        (date(2025, 1, 31), True, "business day 3"),
        (date(2025, 2, 1), False, "Saturday"),
    ]
    assert rows[-1] == (date(2025, 2, 18), True, "business day 15")
    assert sum(counted for _day, counted, _why in rows) == 15
    # The explanation ends on the very day the count returns.
    assert rows[-1][0] == calendar.add_business_days(date(2025, 1, 22), 15)


def test_non_business_day_is_named():
    rows = calendar.explain_deadline(date(2024, 4, 30), 1)
    assert rows == [(date(2024, 5, 1), False, "근로자의날"), (date(2024, 5, 2), True, rows[1][2])]


def test_explain_text_for_staff():
    with translation.override("en"):
        text = calendar.explain_deadline_text(date(2025, 1, 22), 15)
    assert text.startswith(
        "15 business days: 1/23 (1), 1/24 (2), 1/25 Saturday skipped, "
        "1/26 Sunday skipped, 1/27 임시공휴일 skipped, 1/28 설날 전날 skipped"
    )
    assert text.endswith("2/17 (14), 2/18 (15)")


def test_weekend_reasons_are_translated_for_korean_staff():
    with translation.override("ko"):
        rows = calendar.explain_deadline(date(2025, 1, 24), 1)
    assert rows[0][0] == date(2025, 1, 25) and rows[0][2] != "Saturday"
