"""The foundation on the real PostgreSQL: health check, and an incident published via the services."""

import pytest
from django.db import connection

from incidents.models import IncidentEvent, IncidentState, NoticeVersion
from tests.compensation.factories import ensure_policy
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_healthz_on_postgresql(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_publishing_a_notice_on_postgresql(client):
    officer = ComplianceFactory()
    incident = IncidentFactory(title="PG 주문 장애")
    ensure_policy(incident.incident_type)  # a notice needs an active policy for its type

    version = publish_on_time(incident, officer)

    incident.refresh_from_db()
    assert incident.state == IncidentState.NOTICE_POSTED
    assert NoticeVersion.objects.filter(incident=incident).count() == 1
    assert IncidentEvent.objects.filter(incident=incident, to_state=IncidentState.NOTICE_POSTED).exists()
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "PG 주문 장애" in page
    assert version.claim_procedure.splitlines()[0] in page
