"""Refuse settings that would shorten the legal minimums of the DAXA 모범규준."""

from django.conf import settings
from django.core.checks import Error, register

from incidents import legal


@register()
def legal_minimums(app_configs, **kwargs):
    errors = []
    if settings.COMPENSATION_INTAKE_MONTHS < legal.MIN_INTAKE_MONTHS:
        errors.append(
            Error(
                f"COMPENSATION_INTAKE_MONTHS must be at least {legal.MIN_INTAKE_MONTHS} (접수기간 1개월 이상).",
                id="incidents.E001",
            )
        )
    if settings.COMPENSATION_MAX_OBJECTION_ROUNDS < legal.MIN_OBJECTION_ROUNDS:
        errors.append(
            Error(
                f"COMPENSATION_MAX_OBJECTION_ROUNDS must be at least {legal.MIN_OBJECTION_ROUNDS} (이의제기 2회 이상).",
                id="incidents.E002",
            )
        )
    # Review must finish WITHIN 15 business days: a larger number would be a breach.
    if not 1 <= settings.COMPENSATION_REVIEW_BUSINESS_DAYS <= legal.STATUTORY_REVIEW_BUSINESS_DAYS:
        errors.append(
            Error(
                f"COMPENSATION_REVIEW_BUSINESS_DAYS must be between 1 and {legal.STATUTORY_REVIEW_BUSINESS_DAYS} "
                "(15영업일 이내 심사).",
                id="incidents.E003",
            )
        )
    extended = settings.COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS
    if not settings.COMPENSATION_REVIEW_BUSINESS_DAYS <= extended <= legal.MAX_EXTENDED_REVIEW_BUSINESS_DAYS:
        errors.append(
            Error(
                "COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS must be between COMPENSATION_REVIEW_BUSINESS_DAYS "
                f"and {legal.MAX_EXTENDED_REVIEW_BUSINESS_DAYS} (one extension, at most 30 영업일).",
                id="incidents.E004",
            )
        )
    if settings.COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS < legal.MIN_OBJECTION_WINDOW_BUSINESS_DAYS:
        errors.append(
            Error(
                "COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS must be at least "
                f"{legal.MIN_OBJECTION_WINDOW_BUSINESS_DAYS} (이의제기 기간; a notice may only lengthen it).",
                id="incidents.E005",
            )
        )
    if not 1 <= settings.COMPENSATION_PAYMENT_BUSINESS_DAYS <= legal.MAX_PAYMENT_BUSINESS_DAYS:
        errors.append(
            Error(
                f"COMPENSATION_PAYMENT_BUSINESS_DAYS must be between 1 and {legal.MAX_PAYMENT_BUSINESS_DAYS} "
                "(지급예정일 after the decision).",
                id="incidents.E006",
            )
        )
    if not 1 <= settings.NOTICE_TARGET_HOURS <= legal.MAX_NOTICE_TARGET_HOURS:
        errors.append(
            Error(
                f"NOTICE_TARGET_HOURS must be between 1 and {legal.MAX_NOTICE_TARGET_HOURS} "
                "(the notice goes up at once; a longer target hides late notices).",
                id="incidents.E007",
            )
        )
    return errors


@register()
def coverage_settings(app_configs, **kwargs):
    """The coverage reading and licence must be one the app knows; the warning threshold a percentage."""
    errors = []
    if settings.COVERAGE_BASIS not in ("hot_wallet", "user_assets"):
        errors.append(Error("COVERAGE_BASIS must be 'hot_wallet' or 'user_assets'.", id="incidents.E010"))
    if settings.COVERAGE_LICENCE not in ("krw_market", "other"):
        errors.append(Error("COVERAGE_LICENCE must be 'krw_market' or 'other'.", id="incidents.E011"))
    if not 1 <= settings.COVERAGE_WARNING_PERCENT <= 100:
        errors.append(Error("COVERAGE_WARNING_PERCENT must be between 1 and 100.", id="incidents.E012"))
    return errors
