"""Issue 12, case 1: a review deadline cannot be extended after the statutory date, and the claimant is told.

The claim is filed Wed 2025-01-22 10:00 KST; its 15th 영업일 (설 연휴 skipped) is 2025-02-18.
"""

from datetime import date

import pytest
from django.core import mail

from compensation import services
from compensation.models import ClaimEvent, ClaimState, Notification
from incidents.errors import DomainError, ErrorCode

CONSENT = "claimant_consent"  # the listed grounds are compensation.models.ExtensionGround


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_claim_stores_its_statutory_due_date_at_filing(world):
    claim = world.submit()
    assert claim.statutory_due_on == date(2025, 2, 18)
    assert world.reload(claim).statutory_due_on == date(2025, 2, 18)


def test_extension_after_the_statutory_date_is_refused(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 25, 10)  # five business days after 2025-02-18
    with pytest.raises(DomainError) as refused:
        services.claim_extend_review(
            claim=claim,
            actor=world.supervisor,
            business_days=30,
            reason="로그 분석",
            ground=CONSENT,
        )
    assert refused.value.code == ErrorCode.DEADLINE_PASSED
    claim = world.reload(claim)
    assert claim.review_due_on == date(2025, 2, 18) and claim.review_extension_reason == ""
    assert not claim.events.filter(kind=ClaimEvent.Kind.DEADLINE).exists()


def test_extension_inside_a_supplement_request_is_refused_after_the_statutory_date(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 19, 0, 1)  # one minute after the statutory date ended (KST)
    with pytest.raises(DomainError) as refused:
        services.claim_request_supplement(
            claim=claim, actor=world.supervisor, missing="신분증", extend_to_business_days=20, extension_reason="보완"
        )
    assert refused.value.code == ErrorCode.DEADLINE_PASSED
    assert world.reload(claim).state == ClaimState.IN_REVIEW


def test_extension_on_the_last_statutory_day_is_allowed(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 18, 23, 50)
    services.claim_extend_review(claim=claim, actor=world.supervisor, business_days=20, reason="동의함", ground=CONSENT)
    assert world.reload(claim).review_due_on == date(2025, 2, 25)


def test_extension_needs_a_listed_ground_and_a_reason(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    for ground, reason in (("workload", "바쁨"), ("", "바쁨"), (CONSENT, " ")):
        with pytest.raises(DomainError):
            services.claim_extend_review(
                claim=claim, actor=world.supervisor, business_days=20, reason=reason, ground=ground
            )
    assert world.reload(claim).review_extension_ground == ""


def test_only_a_supervisor_extends_once_and_at_most_30_business_days(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError) as refused:
        services.claim_extend_review(claim=claim, actor=world.agent, business_days=20, reason="x", ground=CONSENT)
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError):
        services.claim_extend_review(claim=claim, actor=world.supervisor, business_days=31, reason="x", ground=CONSENT)
    services.claim_extend_review(claim=claim, actor=world.supervisor, business_days=30, reason="동의", ground=CONSENT)
    with pytest.raises(DomainError) as refused:
        services.claim_extend_review(claim=claim, actor=world.supervisor, business_days=25, reason="x", ground=CONSENT)
    assert refused.value.code == ErrorCode.EXTENDED


def test_extension_moves_the_working_deadline_never_the_statutory_date(world, sent):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with sent():
        services.claim_extend_review(
            claim=claim,
            actor=world.supervisor,
            business_days=30,
            reason="거래소 로그 분석에 동의하심",
            ground=CONSENT,
        )
    claim = world.reload(claim)
    assert claim.review_due_on == date(2025, 3, 12)
    assert claim.statutory_due_on == date(2025, 2, 18)
    assert claim.review_extension_ground == CONSENT and claim.review_extension_round == 0
    event = claim.events.get(kind=ClaimEvent.Kind.DEADLINE)
    assert event.data["ground"] == "claimant_consent" and event.data["statutory_due_on"] == "2025-02-18"
    services.claims_recompute_deadlines()
    assert world.reload(claim).statutory_due_on == date(2025, 2, 18)


def test_a_stand_alone_extension_mails_the_claimant_the_new_date_and_reason(world, sent):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    mail.outbox.clear()
    with sent():
        services.claim_extend_review(
            claim=claim,
            actor=world.supervisor,
            business_days=20,
            reason="추가 자료 검토에 동의하심",
            ground=CONSENT,
        )
    row = Notification.objects.get(claim=claim, kind="review_extended")
    assert row.state == Notification.State.SENT
    [message] = mail.outbox
    assert "2025년 2월 25일 23:59" in message.body and "2025-02-25 23:59 (KST)" in message.body
    assert "추가 자료 검토에 동의하심" in message.body


def test_extension_with_a_supplement_request_is_grounded_on_it_and_mailed(world, sent):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with sent():
        services.claim_request_supplement(
            claim=claim, actor=world.supervisor, missing="신분증", extend_to_business_days=20, extension_reason="보완"
        )
    claim = world.reload(claim)
    assert claim.review_extension_ground == "supplement_requested"
    assert Notification.objects.filter(claim=claim, kind="review_extended").count() == 1
