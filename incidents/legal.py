"""The legal floors and ceilings of the DAXA 모범규준 clocks, and the settings read through them.

Settings may lengthen a user's rights, never shorten them: `incidents/checks.py` refuses a setting
outside these bounds at start-up, and the functions here clamp at runtime so that a setting that
slipped through (tests, a shell) still cannot stretch or shorten a clock.
"""

from django.conf import settings

MIN_INTAKE_MONTHS = 1  # 사고 발생일로부터 1개월 이상 접수
STATUTORY_REVIEW_BUSINESS_DAYS = 15  # 보상 신청일로부터 15영업일 이내 심사·통지
MAX_EXTENDED_REVIEW_BUSINESS_DAYS = 30  # one extension, on a listed ground, at most this long
MIN_OBJECTION_ROUNDS = 2  # 2회 이상 이의제기
MIN_OBJECTION_WINDOW_BUSINESS_DAYS = 10
MAX_PAYMENT_BUSINESS_DAYS = 20  # 지급예정일 at most this many business days after the decision
MAX_NOTICE_TARGET_HOURS = 24  # the notice goes up "at once": a target above a day hides late notices


def objection_window_business_days():
    return max(MIN_OBJECTION_WINDOW_BUSINESS_DAYS, settings.COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS)


def payment_business_days():
    return min(MAX_PAYMENT_BUSINESS_DAYS, max(1, settings.COMPENSATION_PAYMENT_BUSINESS_DAYS))


def notice_target_hours():
    return min(MAX_NOTICE_TARGET_HOURS, max(1, settings.NOTICE_TARGET_HOURS))


def review_business_days():
    return max(1, min(STATUTORY_REVIEW_BUSINESS_DAYS, settings.COMPENSATION_REVIEW_BUSINESS_DAYS))


def max_extended_review_business_days():
    return max(
        review_business_days(),
        min(MAX_EXTENDED_REVIEW_BUSINESS_DAYS, settings.COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS),
    )
