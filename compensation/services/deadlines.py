"""The claim's clocks, from the business-day calendar and the settings (legal floors enforced)."""

from datetime import timedelta

from compensation.models.claim import CLOCK
from incidents import calendar, legal
from incidents.models import NoticeVersion

review_business_days = legal.review_business_days
max_extended_review_business_days = legal.max_extended_review_business_days
payment_business_days = legal.payment_business_days


def statutory_review_due(started_at):
    """The 15th 영업일 after the KST date of `started_at` (초일불산입): the date the law measures."""
    return calendar.add_business_days(calendar.to_kst_date(started_at), legal.STATUTORY_REVIEW_BUSINESS_DAYS)


def objection_window_business_days(incident_id=None):
    """The default window, or the longer one the incident's current notice promises."""
    default = legal.objection_window_business_days()
    if incident_id is None:
        return default
    promised = (
        NoticeVersion.objects.filter(incident_id=incident_id)
        .order_by("-number")
        .values_list("objection_window_business_days", flat=True)
        .first()
    )
    return max(default, promised or 0)


def _start_clock(claim, clock, *, start, business_days):
    """Set a clock's start, length and due day (the N-th business day after `start`, 초일불산입)."""
    cal = calendar.get_calendar()
    setattr(claim, clock.started_field, start)
    setattr(claim, clock.days_field, business_days)
    setattr(claim, clock.due_field, cal.add_business_days(start, business_days))
    claim.calendar_revision = cal.revision


def start_review_clock(claim, *, started_at, business_days=None):
    _start_clock(
        claim,
        CLOCK["review"],
        start=calendar.to_kst_date(started_at),
        business_days=business_days or review_business_days(),
    )


def start_objection_window(claim, *, decided_on):
    _start_clock(
        claim,
        CLOCK["objection_window"],
        start=decided_on,
        business_days=objection_window_business_days(claim.incident_id),
    )


def start_payment_on_pay_date(claim, *, pay_on, started_on):
    """The payment deadline is the decision's 지급예정일: a promised date that no holiday edit moves."""
    claim.payment_clock_started_on = started_on
    claim.payment_business_days = 0  # a fixed date, not a count: the recompute leaves it alone
    claim.payment_due_on = pay_on


def latest_pay_date(*, decided_on):
    """The latest 지급예정일 without a supervisor's reason: the payment business days after the decision."""
    return calendar.add_business_days(decided_on, payment_business_days())


def business_days_between(first, last):
    """Business days after `first` up to and including `last` (0 when `last` is not after `first`)."""
    cal = calendar.get_calendar()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if cal.is_business_day(day):
            count += 1
    return count


def default_pay_date(*, decided_on):
    """Planned pay date for a decision: the payment window counted from the decision day."""
    return calendar.add_business_days(decided_on, payment_business_days())
