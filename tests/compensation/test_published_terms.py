"""What was published stays what was published: the publish guard and the policy terms in force."""

import pytest
from django.utils import translation

from compensation.models import CompensationPolicy
from incidents.errors import DomainError
from incidents.models import IncidentState, IncidentType
from tests.compensation.factories import PolicyFactory
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time


@pytest.mark.django_db
def test_a_notice_is_refused_when_no_active_policy_applies():
    """Issue 13, case 2: the notice went up for a type with no criteria; the claim form then had none."""
    PolicyFactory(incident_type=IncidentType.LOGIN_FAILURE)  # another type's policy does not count
    PolicyFactory(is_active=False)  # a retired one neither
    incident = IncidentFactory(incident_type=IncidentType.ORDER_FAILURE)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        publish_on_time(incident, ComplianceFactory())

    assert refused.value.code == "policy"
    assert "“Order failure”" in str(refused.value)
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    assert not incident.notice_versions.exists()


@pytest.mark.django_db
def test_a_notice_is_published_once_a_policy_applies():
    incident = IncidentFactory(incident_type=IncidentType.ORDER_FAILURE)
    PolicyFactory(incident_type=IncidentType.ORDER_FAILURE)
    version = publish_on_time(incident, ComplianceFactory())
    assert version.number == 1
    assert CompensationPolicy.objects.filter(is_active=True).count() == 1
