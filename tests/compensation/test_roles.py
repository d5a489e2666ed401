"""Each staff role can do its own work and nothing more; the services refuse, the admin hides."""

import pytest
from django.urls import reverse

from compensation import services
from compensation.models import ClaimState
from incidents.errors import DomainError
from tests.factories import ComplianceFactory


@pytest.mark.parametrize("role", ["agent", "compliance"])
def test_only_supervisors_assign_extend_approve_and_pay(world, role):
    actor = world.agent if role == "agent" else ComplianceFactory()
    in_review = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_assign(claims=[in_review], actor=actor, assignee=world.agent2)
    with pytest.raises(DomainError):
        services.claim_extend_review(
            claim=in_review, actor=actor, business_days=20, reason="x", ground="claimant_consent"
        )
    waiting = world.claim_in(ClaimState.AWAITING_APPROVAL, claimant=world.other_user)
    with pytest.raises(DomainError):
        services.decision_approve(decision=waiting.decisions.get(), actor=actor)


def test_compliance_does_not_decide_claims(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError) as refused:
        services.claim_decide(claim=claim, actor=ComplianceFactory(), approved=True, amount_krw=1, reasons="x")
    assert refused.value.code == "forbidden"


def test_claimant_cannot_use_staff_services(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    for call in (
        lambda: services.claim_decide(claim=claim, actor=world.claimant, approved=True, amount_krw=1, reasons="x"),
        lambda: services.claim_request_supplement(claim=claim, actor=world.claimant, missing="x"),
        lambda: services.claim_record_assessment(claim=claim, actor=world.claimant, fee_krw=1),
    ):
        with pytest.raises(DomainError):
            call()


def test_policy_editing_is_for_compliance(world, client):
    policy_url = reverse("admin:compensation_compensationpolicy_change", args=[world.policy.pk])
    client.force_login(world.agent)
    page = client.get(policy_url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.force_login(ComplianceFactory())
    page = client.get(policy_url)
    assert b'name="_save"' in page.content


def test_agent_sees_no_supervisor_buttons(world, client):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    client.force_login(world.agent)
    page = client.get(reverse("admin:compensation_claim_change", args=[claim.pk])).content.decode()
    assert reverse("admin:compensation_claim_action", args=[claim.pk, "extend"]) not in page
    assert reverse("admin:compensation_claim_action", args=[claim.pk, "decide"]) in page
    client.force_login(world.supervisor)
    page = client.get(reverse("admin:compensation_claim_change", args=[claim.pk])).content.decode()
    assert reverse("admin:compensation_claim_action", args=[claim.pk, "extend"]) in page
