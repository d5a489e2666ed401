import pytest

from compensation import services
from compensation.models import ClaimState
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory, open_incident, submit_kwargs
from tests.factories import AgentFactory, SupervisorFactory, UserFactory


@pytest.mark.django_db
def test_claim_goes_from_submission_to_payment():
    policy = PolicyFactory()
    incident = open_incident()
    RequiredDocumentFactory(policy=policy)
    user = UserFactory()
    claim = services.claim_submit(actor=user, **submit_kwargs(incident=incident, policy=policy))
    assert claim.number.startswith("C-")
    assert claim.documents.count() == 1
    agent, supervisor = AgentFactory(), SupervisorFactory()
    services.claim_start_review(claim=claim, actor=agent)
    services.claim_decide(claim=claim, actor=agent, approved=True, amount_krw=200_000, reasons="차액 보상")
    claim.refresh_from_db()
    assert claim.state == ClaimState.DECIDED
    services.claim_object(claim=claim, actor=user, reason="금액이 적습니다")
    services.claim_start_review(claim=claim, actor=supervisor)
    services.objection_decide(claim=claim, actor=supervisor, approved=True, amount_krw=250_000, reasons="재산정")
    services.claim_accept(claim=claim, actor=user)
    services.payment_record(claim=claim, actor=supervisor, amount_krw=250_000, method="bank_transfer", reference="TX-1")
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID
    assert [e.to_state for e in claim.events.filter(kind="transition")] == [
        "submitted",
        "in_review",
        "decided",
        "objected",
        "in_review",
        "decided",
        "accepted",
        "paid",
    ]
