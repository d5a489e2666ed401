from datetime import date

import pytest

from incidents.calendar import add_business_days
from incidents.models import IncidentState
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time


@pytest.mark.django_db
def test_publishing_a_complete_notice_opens_intake():
    incident = IncidentFactory()
    version = publish_on_time(incident, ComplianceFactory())
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOTICE_POSTED
    assert version.number == 1
    # Incident 2025-01-20 (Mon): start 1/21, one month ends 2/20 (Thu).
    assert incident.intake_ends_on == date(2025, 2, 20)


@pytest.mark.django_db
def test_seeded_calendar_skips_seollal_and_temporary_holiday():
    assert add_business_days(date(2025, 1, 24), 1) == date(2025, 1, 31)


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
