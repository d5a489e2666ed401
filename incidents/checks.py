"""Refuse settings that would shorten the legal minimums of the DAXA 모범규준."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def legal_minimums(app_configs, **kwargs):
    errors = []
    if settings.COMPENSATION_INTAKE_MONTHS < 1:
        errors.append(
            Error(
                "COMPENSATION_INTAKE_MONTHS must be at least 1 (접수기간 1개월 이상).",
                id="incidents.E001",
            )
        )
    if settings.COMPENSATION_MAX_OBJECTION_ROUNDS < 2:
        errors.append(
            Error(
                "COMPENSATION_MAX_OBJECTION_ROUNDS must be at least 2 (이의제기 2회 이상).",
                id="incidents.E002",
            )
        )
    # Review must finish WITHIN 15 business days: a larger number would be a breach.
    if not 1 <= settings.COMPENSATION_REVIEW_BUSINESS_DAYS <= 15:
        errors.append(
            Error(
                "COMPENSATION_REVIEW_BUSINESS_DAYS must be between 1 and 15 (15영업일 이내 심사).",
                id="incidents.E003",
            )
        )
    return errors
