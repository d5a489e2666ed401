from datetime import date

import pytest

from compensation import services
from compensation.models import ClaimEvent, ClaimState, Decision
from incidents.errors import DomainError


def test_only_staff_start_a_review(world):
    claim = world.submit()
    with pytest.raises(DomainError) as refused:
        services.claim_start_review(claim=claim, actor=world.claimant)
    assert refused.value.code == "forbidden"
    services.claim_start_review(claim=claim, actor=world.agent)
    claim = world.reload(claim)
    assert claim.state == ClaimState.IN_REVIEW
    assert claim.assignee == world.agent


def test_supplement_request_must_say_what_is_missing(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_request_supplement(claim=claim, actor=world.agent, missing=" ")


def test_supervisor_extends_review_once_up_to_30_business_days(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_extend_review(
            claim=claim, actor=world.agent, business_days=20, reason="자료 확인", ground="claimant_consent"
        )
    with pytest.raises(DomainError):
        services.claim_extend_review(
            claim=claim, actor=world.supervisor, business_days=31, reason="자료 확인", ground="claimant_consent"
        )
    services.claim_extend_review(
        claim=claim, actor=world.supervisor, business_days=30, reason="거래소 로그 분석", ground="claimant_consent"
    )
    claim = world.reload(claim)
    # 30 business days after Wed 2025-01-22 (설 연휴 and 3/3 대체공휴일 skipped).
    assert claim.review_due_on == date(2025, 3, 12)
    event = claim.events.get(kind=ClaimEvent.Kind.DEADLINE)
    assert event.data["from"] == "2025-02-18" and event.reason == "거래소 로그 분석"
    with pytest.raises(DomainError) as refused:
        services.claim_extend_review(
            claim=claim, actor=world.supervisor, business_days=25, reason="again", ground="claimant_consent"
        )
    assert refused.value.code == "extended"


def test_supplement_request_can_extend_with_supervisor(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_request_supplement(claim=claim, actor=world.agent, missing="신분증", extend_to_business_days=20)
    services.claim_request_supplement(
        claim=claim,
        actor=world.supervisor,
        missing="신분증",
        extend_to_business_days=20,
        extension_reason="서류 보완 기간",
    )
    claim = world.reload(claim)
    assert claim.state == ClaimState.SUPPLEMENT_REQUESTED
    assert claim.review_business_days == 20


def test_decision_sets_objection_window_and_default_pay_date(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    decision = services.claim_decide(
        claim=claim, actor=world.agent, approved=True, amount_krw=150_000, reasons="차액 × 수량"
    )
    claim = world.reload(claim)
    assert decision.status == Decision.Status.IN_FORCE
    assert claim.state == ClaimState.DECIDED
    # Decided Wed 2025-01-22: 10 business days → 2025-02-11; pay date 20 → 2025-02-25.
    assert claim.objection_window_ends_on == date(2025, 2, 11)
    assert decision.pay_on == date(2025, 2, 25)


def test_rejection_carries_no_amount(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_decide(claim=claim, actor=world.agent, approved=False, amount_krw=10, reasons="대상 아님")
    services.claim_decide(claim=claim, actor=world.agent, approved=False, amount_krw=0, reasons="대상 아님")


def test_decision_needs_reasons(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError):
        services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1, reasons="")


def test_agent_cannot_exceed_the_cap_and_supervisor_must_say_why(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError) as refused:
        services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=6_000_000, reasons="x")
    assert refused.value.code == "cap"
    with pytest.raises(DomainError):
        services.claim_decide(claim=claim, actor=world.supervisor, approved=True, amount_krw=6_000_000, reasons="x")
    decision = services.claim_decide(
        claim=claim,
        actor=world.supervisor,
        approved=True,
        amount_krw=6_000_000,
        reasons="x",
        cap_override_reason="대규모 피해 특례",
    )
    assert decision.status == Decision.Status.PENDING_APPROVAL


@pytest.mark.parametrize("amount, refused", [(5_000_000, False), (5_000_001, True)])
def test_an_agent_may_decide_up_to_exactly_the_cap(world, amount, refused):
    claim = world.claim_in(ClaimState.IN_REVIEW)  # the policy's cap is 5,000,000
    if refused:
        with pytest.raises(DomainError) as refusal:
            services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=amount, reasons="x")
        assert refusal.value.code == "cap"
    else:
        decision = services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=amount, reasons="x")
        assert decision.amount_krw == amount and decision.cap_override_reason == ""


def test_four_eyes_above_the_limit(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    decision = services.claim_decide(
        claim=claim, actor=world.supervisor, approved=True, amount_krw=1_000_001, reasons="산정"
    )
    assert world.reload(claim).state == ClaimState.AWAITING_APPROVAL
    with pytest.raises(DomainError) as own:
        services.decision_approve(decision=decision, actor=world.supervisor)
    assert own.value.code == "four_eyes"
    with pytest.raises(DomainError):
        services.decision_approve(decision=decision, actor=world.agent)
    services.decision_approve(decision=decision, actor=world.supervisor2)
    claim = world.reload(claim)
    decision.refresh_from_db()
    assert claim.state == ClaimState.DECIDED
    assert decision.status == Decision.Status.IN_FORCE and decision.approved_by == world.supervisor2


def test_exactly_the_limit_needs_no_second_approver(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1_000_000, reasons="산정")
    assert world.reload(claim).state == ClaimState.DECIDED


def test_approver_sends_a_decision_back_to_review(world):
    claim = world.claim_in(ClaimState.AWAITING_APPROVAL)
    decision = claim.decisions.get()
    services.decision_send_back(decision=decision, actor=world.supervisor2, reason="근거 부족")
    assert world.reload(claim).state == ClaimState.IN_REVIEW
    decision.refresh_from_db()
    assert decision.status == Decision.Status.SENT_BACK


def test_stale_second_click_gets_a_clear_refusal(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    stale = world.reload(claim)
    services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1, reasons="a")
    with pytest.raises(DomainError) as second:
        services.claim_decide(claim=stale, actor=world.agent2, approved=True, amount_krw=2, reasons="b")
    assert second.value.code == "invalid_transition"
    assert world.reload(claim).decisions.count() == 1


def test_assignment_is_bulk_and_logged(world):
    claims = [world.claim_in(ClaimState.SUBMITTED)]
    assert services.claim_assign(claims=claims, actor=world.supervisor, assignee=world.agent2) == 1
    assert world.reload(claims[0]).assignee == world.agent2
    assert claims[0].events.filter(kind=ClaimEvent.Kind.ASSIGNMENT).count() == 1
    with pytest.raises(DomainError):
        services.claim_assign(claims=claims, actor=world.agent, assignee=world.agent)


def test_an_objection_decision_sent_back_can_be_decided_again(world):
    """The sent-back decision keeps its link to the objection; deciding the round again must not collide."""
    claim = world.claim_in(ClaimState.DECIDED)
    services.claim_object(claim=claim, actor=world.claimant, reason="금액이 적습니다")
    services.claim_start_review(claim=claim, actor=world.agent2)
    services.objection_decide(
        claim=claim, actor=world.agent2, approved=True, amount_krw=5_000_000, reasons="재산정: 한도 초과"
    )
    pending = claim.decisions.get(status=Decision.Status.PENDING_APPROVAL)
    services.decision_send_back(decision=pending, actor=world.supervisor2, reason="근거 부족")

    services.objection_decide(claim=claim, actor=world.agent2, approved=True, amount_krw=900_000, reasons="재산정")

    claim = world.reload(claim)
    assert claim.state == ClaimState.DECIDED
    round_decisions = claim.decisions.filter(objection__round=1)
    assert sorted(round_decisions.values_list("status", "amount_krw")) == [
        (Decision.Status.IN_FORCE, 900_000),
        (Decision.Status.SENT_BACK, 5_000_000),
    ]
