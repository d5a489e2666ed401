"""Two staff members click "decide" on the same claim at the same moment, on the real PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from compensation import services
from compensation.models import Claim, ClaimState, Decision
from incidents.errors import DomainError
from tests.compensation.factories import PolicyFactory, open_incident, submit_kwargs
from tests.factories import AgentFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_threads_deciding_the_same_claim_make_one_decision():
    assert connection.vendor == "postgresql", "the integration suite runs on PostgreSQL (make test-integration)"
    incident = open_incident()
    policy = PolicyFactory()
    claim = services.claim_submit(actor=UserFactory(), **submit_kwargs(incident=incident, policy=policy, files=[]))
    first_agent, second_agent = AgentFactory(), AgentFactory()
    services.claim_start_review(claim=claim, actor=first_agent)

    barrier = threading.Barrier(2)
    outcomes = []

    def decide(agent, amount):
        try:
            stale = Claim.objects.get(pk=claim.pk)  # both read "in_review" before either writes
            barrier.wait(timeout=10)
            services.claim_decide(claim=stale, actor=agent, approved=True, amount_krw=amount, reasons="동시 처리")
            outcomes.append(("ok", agent.pk))
        except DomainError as error:
            outcomes.append(("refused", error.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(first_agent, 100)),
               threading.Thread(target=decide, args=(second_agent, 200))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    assert ("refused", "invalid_transition") in outcomes
    assert Decision.objects.filter(claim=claim).count() == 1
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED
