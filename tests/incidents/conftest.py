from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents import services
from incidents.models import IncidentState, IncidentType
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time

KST = ZoneInfo("Asia/Seoul")


def kst(*args):
    return datetime(*args, tzinfo=KST)


@pytest.fixture(autouse=True)
def _a_policy_for_every_incident_type(request):
    """A notice is published only when a compensation policy applies to the incident's type; these
    tests are about the notice, so every type has one (tests of the guard delete them)."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from tests.compensation.factories import ensure_policy

    for incident_type in IncidentType.values:
        ensure_policy(incident_type)


@pytest.fixture
def after_intake():
    """2025-03-01 KST: the default factory incident (2025-01-20) has its intake ended 2025-02-20."""
    with time_machine.travel(kst(2025, 3, 1, 10), tick=False):
        yield


@pytest.fixture
def compliance(db):
    return ComplianceFactory()


def incident_in(state, actor):
    """A factory incident driven through the services into `state` (run after the intake ended)."""
    incident = IncidentFactory()
    steps = {
        IncidentState.DETECTED: [],
        IncidentState.NOTICE_POSTED: ["publish"],
        IncidentState.INTAKE_CLOSED: ["publish", "close_intake"],
        IncidentState.CLOSED: ["publish", "close_intake", "close"],
        IncidentState.DISMISSED: ["dismiss"],
    }[state]
    for step in steps:
        {
            "publish": lambda: publish_on_time(incident, actor),
            "close_intake": lambda: services.incident_close_intake(incident=incident, actor=actor),
            "close": lambda: services.incident_close(incident=incident, actor=actor),
            "dismiss": lambda: dismiss(incident, actor),
        }[step]()
    incident.refresh_from_db()
    assert incident.state == state
    return incident


DISMISSAL_REASON = "로그 확인 결과 주문·입출금 영향 없음, 내부 모니터링 경보만 발생"


def dismiss(incident, actor):
    """Four eyes: `actor` asks, a second supervisor approves."""
    from tests.factories import SupervisorFactory

    services.incident_dismiss(incident=incident, actor=actor, reason=DISMISSAL_REASON)
    return services.incident_dismiss_approve(incident=incident, actor=SupervisorFactory())
