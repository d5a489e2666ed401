"""An incident is not closed while any of its claims is still open (issue 13, case 6)."""

import pytest

from compensation import services
from compensation.models import ClaimState
from incidents import services as incident_services
from incidents.errors import DomainError
from incidents.models import IncidentState
from tests.factories import ComplianceFactory


def test_closing_is_refused_while_a_claim_is_under_review(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    withdrawn = world.claim_in(ClaimState.WITHDRAWN, claimant=world.other_user)
    at(2025, 3, 1, 10)
    officer = ComplianceFactory()
    incident_services.incident_close_intake(incident=world.incident, actor=officer)

    with pytest.raises(DomainError) as refused:
        incident_services.incident_close(incident=world.incident, actor=officer)
    assert refused.value.code == "claims_open"
    world.incident.refresh_from_db()
    assert world.incident.state == IncidentState.INTAKE_CLOSED

    services.claim_withdraw(claim=claim, actor=world.claimant)
    assert withdrawn.state == ClaimState.WITHDRAWN
    incident_services.incident_close(incident=world.incident, actor=officer)
    world.incident.refresh_from_db()
    assert world.incident.state == IncidentState.CLOSED
