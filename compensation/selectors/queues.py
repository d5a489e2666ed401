"""Staff queues: which claims are due, due soon or overdue, and how many business days are left."""

from datetime import date, timedelta

from django.db.models import Q

from incidents import calendar
from incidents.kst import today_kst


def due_between(first: date | None, last: date | None) -> Q:
    """Claims whose live deadline lies in [first, last] (`next_due_on`, kept by Claim.save)."""
    condition = Q(next_due_on__isnull=False)
    if first is not None:
        condition &= Q(next_due_on__gte=first)
    if last is not None:
        condition &= Q(next_due_on__lte=last)
    return condition


def overdue_q(today=None) -> Q:
    return Q(next_due_on__lt=today or today_kst())


def due_soon_q(business_days=3, today=None) -> Q:
    today = today or today_kst()
    return due_between(today, calendar.add_business_days(today, business_days))


def business_days_left(due: date | None, today: date, cal=None) -> int | None:
    """Business days from today to the deadline: 0 = due today, negative = business days overdue."""
    if due is None:
        return None
    cal = cal or calendar.get_calendar()
    if due == today:
        return 0
    step = 1 if due > today else -1
    count, day = 0, today
    while day != due:
        day += timedelta(days=step)
        if cal.is_business_day(day):
            count += step
    return count
