"""Racing requests on the real PostgreSQL: staff deciding the same claim, a claimant's double click."""

import threading
import uuid

import pytest
from django.db import connection, connections

from compensation import services
from compensation.models import Claim, ClaimDocument, ClaimEvent, ClaimState, Decision, Notification
from incidents.errors import DomainError
from tests.compensation.factories import PolicyFactory, open_incident, png_upload, submit_kwargs
from tests.factories import AgentFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_threads_deciding_the_same_claim_make_one_decision():
    assert connection.vendor == "postgresql", "the integration suite runs on PostgreSQL (make test-integration)"
    policy = PolicyFactory()
    incident = open_incident()
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

    threads = [
        threading.Thread(target=decide, args=(first_agent, 100)),
        threading.Thread(target=decide, args=(second_agent, 200)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    assert ("refused", "invalid_transition") in outcomes
    assert Decision.objects.filter(claim=claim).count() == 1
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED


def race(calls):
    """Run each call in its own thread, all released at once; return their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            outcomes.append(("ok", call()))
        except DomainError as error:
            outcomes.append(("refused", error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == len(calls), "a thread hung"
    return outcomes


def test_a_form_posted_four_times_at_once_files_one_claim():
    policy = PolicyFactory()
    incident, claimant = open_incident(), UserFactory()
    key = uuid.uuid4()

    def submit():
        return services.claim_submit(
            actor=claimant,
            **submit_kwargs(incident=incident, policy=policy, idempotency_key=key, files=[(None, png_upload())]),
        )

    outcomes = race([submit] * 4)
    assert [kind for kind, _ in outcomes] == ["ok"] * 4
    claim = Claim.objects.get()
    assert {result.pk for _, result in outcomes} == {claim.pk}
    assert ClaimDocument.objects.filter(claim=claim).count() == 1
    assert ClaimEvent.objects.filter(claim=claim).count() == 1
    assert Notification.objects.filter(claim=claim, kind="claim_received").count() == 1


def test_two_different_forms_for_the_same_damage_at_once_file_one_claim():
    policy = PolicyFactory()
    incident, claimant = open_incident(), UserFactory()

    def submit():
        return services.claim_submit(
            actor=claimant, **submit_kwargs(incident=incident, policy=policy, files=[(None, png_upload())])
        )

    outcomes = race([submit, submit])
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    claim = Claim.objects.get()
    refusal = next(result for kind, result in outcomes if kind == "refused")
    assert refusal.code == "duplicate"
    assert claim.number in refusal.message
    assert ClaimDocument.objects.count() == 1
