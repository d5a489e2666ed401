"""The claim's clocks, from the business-day calendar and the settings (legal floors enforced)."""

from django.conf import settings
from django.utils import timezone

from incidents import calendar


def review_business_days():
    return min(15, settings.COMPENSATION_REVIEW_BUSINESS_DAYS)


def max_extended_review_business_days():
    return max(review_business_days(), min(30, settings.COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS))


def objection_window_business_days(policy=None):
    return max(1, settings.COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS)


def payment_business_days():
    return max(1, settings.COMPENSATION_PAYMENT_BUSINESS_DAYS)


def today_kst():
    return calendar.to_kst_date(timezone.now())


def start_review_clock(claim, *, started_at, business_days=None):
    """Set the review due date: the N-th business day after the (KST) start date (초일불산입)."""
    business_days = business_days or review_business_days()
    cal = calendar.get_calendar()
    start = calendar.to_kst_date(started_at)
    claim.review_clock_started_on = start
    claim.review_business_days = business_days
    claim.review_due_on = cal.add_business_days(start, business_days)
    claim.calendar_revision = cal.revision


def start_objection_window(claim, *, decided_on):
    cal = calendar.get_calendar()
    claim.objection_window_started_on = decided_on
    claim.objection_window_business_days = objection_window_business_days()
    claim.objection_window_ends_on = cal.add_business_days(decided_on, claim.objection_window_business_days)
    claim.calendar_revision = cal.revision


def start_payment_clock(claim, *, accepted_on):
    cal = calendar.get_calendar()
    claim.payment_clock_started_on = accepted_on
    claim.payment_business_days = payment_business_days()
    claim.payment_due_on = cal.add_business_days(accepted_on, claim.payment_business_days)
    claim.calendar_revision = cal.revision


def default_pay_date(*, decided_on):
    """Planned pay date for a decision: the payment window counted from the decision day."""
    return calendar.add_business_days(decided_on, payment_business_days())
