"""Korean time, the one place dates are reasoned in (stored UTC, reasoned Asia/Seoul). No app imports."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")


def to_kst_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(KST).date()


def end_of_day(day: date) -> datetime:
    """23:59:59.999999 KST of `day`: the moment a deadline on that day runs out."""
    return datetime.combine(day, time.max, tzinfo=KST)


def today_kst() -> date:
    return to_kst_date(timezone.now())
