from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from compensation import services
from tests.compensation.factories import (
    ClaimFactory,
    PolicyFactory,
    RequiredDocumentFactory,
    open_incident,
    submit_kwargs,
)
from tests.compensation.proactive_world import proactive  # noqa: F401 - the fixture
from tests.factories import AgentFactory, SupervisorFactory, UserFactory

KST = ZoneInfo("Asia/Seoul")


def kst(*args):
    return datetime(*args, tzinfo=KST)


@pytest.fixture
def at():
    """Travel to a KST moment: `at(2025, 1, 22, 10)`; stays there until the next call."""
    travellers = []

    def _travel(*args):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(kst(*args), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield _travel
    while travellers:
        travellers.pop().stop()


class World:
    """One incident (started 2025-01-20 09:00 KST, intake to 2025-02-20), a policy and the cast."""

    def __init__(self):
        self.policy = PolicyFactory()
        self.requirement = RequiredDocumentFactory(policy=self.policy)
        self.incident = open_incident(started_at=kst(2025, 1, 20, 9))
        self.claimant = UserFactory()
        self.other_user = UserFactory()
        self.agent = AgentFactory()
        self.agent2 = AgentFactory()
        self.supervisor = SupervisorFactory()
        self.supervisor2 = SupervisorFactory()

    def submit(self, **overrides):
        actor = overrides.pop("actor", self.claimant)
        policy = overrides.pop("policy", self.policy)
        return services.claim_submit(actor=actor, **submit_kwargs(incident=self.incident, policy=policy, **overrides))

    def decision_mail_delivered(self, claim):
        """The in-force decision's mail reached the claimant when it was notified (the outbox does not run
        in tests unless on-commit callbacks are executed)."""
        decision = claim.decisions.get(status="in_force")
        services.decision_notice_seen(decision=decision, at=decision.notified_at, via="mail")

    def reload(self, claim):
        return type(claim).objects.get(pk=claim.pk)

    def claim_in(self, state, claimant=None):
        """A claim (of `claimant`, default the world's) driven through the services into `state`."""
        return ClaimFactory(
            state=state,
            incident=self.incident,
            policy=self.policy,
            claimant=claimant or self.claimant,
            agent=self.agent,
            supervisor=self.supervisor,
        )


@pytest.fixture
def world(db, at):
    at(2025, 1, 22, 10)
    return World()
