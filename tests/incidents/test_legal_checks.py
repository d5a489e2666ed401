"""Settings that would shorten a legal minimum are refused at start-up; published records stay as published."""

import pytest
from django.test import override_settings

from incidents import legal
from incidents.checks import legal_minimums
from incidents.models import NoticeVersion
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time


def _ids():
    return [error.id for error in legal_minimums(None)]


def test_the_shipped_settings_keep_every_legal_minimum():
    assert _ids() == []


@pytest.mark.parametrize(
    "setting, value, error",
    [
        ("COMPENSATION_INTAKE_MONTHS", legal.MIN_INTAKE_MONTHS - 1, "incidents.E001"),
        ("COMPENSATION_MAX_OBJECTION_ROUNDS", legal.MIN_OBJECTION_ROUNDS - 1, "incidents.E002"),
        ("COMPENSATION_REVIEW_BUSINESS_DAYS", legal.STATUTORY_REVIEW_BUSINESS_DAYS + 1, "incidents.E003"),
        ("COMPENSATION_REVIEW_BUSINESS_DAYS", 0, "incidents.E003"),
    ],
)
def test_a_setting_below_the_legal_minimum_is_an_error(setting, value, error):
    with override_settings(**{setting: value}):
        assert error in _ids()


@pytest.mark.parametrize(
    "setting, value",
    [
        ("COMPENSATION_INTAKE_MONTHS", legal.MIN_INTAKE_MONTHS),
        ("COMPENSATION_MAX_OBJECTION_ROUNDS", legal.MIN_OBJECTION_ROUNDS),
        ("COMPENSATION_REVIEW_BUSINESS_DAYS", legal.STATUTORY_REVIEW_BUSINESS_DAYS),
    ],
)
def test_exactly_the_legal_minimum_is_allowed(setting, value):
    with override_settings(**{setting: value}):
        assert _ids() == []


@pytest.mark.django_db
def test_a_published_notice_version_is_never_changed_or_deleted():
    incident = IncidentFactory()
    publish_on_time(incident, ComplianceFactory())
    version = incident.notice_versions.get()
    version.description = "고쳐 쓴 사고내용"
    with pytest.raises(ValueError, match="immutable"):
        version.save()
    with pytest.raises(ValueError, match="kept forever"):
        version.delete()
    assert NoticeVersion.objects.get(pk=version.pk).description != "고쳐 쓴 사고내용"
