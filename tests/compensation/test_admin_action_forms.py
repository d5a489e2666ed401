"""Issue #14: the staff action forms show the amounts at stake, formatted, and the objection being decided."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from compensation import services
from compensation.formatting import krw
from compensation.models import ClaimState
from incidents.errors import DomainError
from tests.compensation.factories import png_upload
from tests.compensation.portal import client_for
from tests.factories import UserFactory


def korean_client(user):
    client = Client(headers={"accept-language": "ko"})
    client.force_login(user)
    return client


def action_page(user, claim, name):
    response = korean_client(user).get(reverse("admin:compensation_claim_action", args=[claim.pk, name]))
    assert response.status_code == 200
    return response.content.decode()


def test_formatted_amount_reads_like_korean_money():
    # In Korean explicitly: a request earlier in the run (any test client with accept-language: en)
    # leaves its language active in this thread, and this test runs among the non-database ones.
    with translation.override("ko"):
        assert krw(12_345_000) == "12,345,000원"
    assert krw(None) == ""


def test_approval_page_shows_the_amount_being_approved_not_only_the_claimed_one(world):
    claim = world.claim_in(ClaimState.AWAITING_APPROVAL)  # 2,000,000 decided by world.supervisor; 300,000 claimed
    page = action_page(world.supervisor2, claim, "approve")
    assert "<strong>2,000,000원</strong>" in page
    assert "300,000원" in page and "신청 금액" in page  # the claimed amount, labelled as such
    assert "2000000" not in page and "300000 KRW" not in page


def test_payment_form_shows_amounts_with_separators(world):
    claim = world.claim_in(ClaimState.ACCEPTED)  # 200,000 decided
    page = action_page(world.supervisor, claim, "record_payment")
    assert "<strong>200,000원</strong>" in page  # decided amount
    assert 'data-krw-preview="id_amount_krw"' in page and ">200,000원</div>" in page  # the input's value, formatted


def test_objection_decision_form_shows_the_objection_and_the_current_amount(world):
    claim = world.claim_in(ClaimState.DECIDED)  # 200,000 decided by world.agent
    services.claim_object(
        claim=claim,
        actor=world.claimant,
        reason="체결 기록상 손실이 더 큽니다.",
        files=[(None, png_upload("objection-proof.png"))],
    )
    services.claim_start_review(claim=claim, actor=world.agent2)
    page = action_page(world.agent2, claim, "decide")
    assert "체결 기록상 손실이 더 큽니다." in page
    assert "objection-proof.png" in page
    assert "<strong>200,000원" in page  # the decided amount objected to


def case_page(user, claim):
    response = korean_client(user).get(reverse("admin:compensation_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    return response.content.decode()


def why_not(page):
    start = page.index('id="case-why-not"')
    return page[start : page.index("</ul>", start)]


def test_first_agent_after_an_objection_is_told_why_they_cannot_review_it(world):
    claim = world.claim_in(ClaimState.OBJECTED)  # decided by world.agent, who still holds the case
    assert claim.assignee == world.agent
    page = case_page(world.agent, claim)
    assert reverse("admin:compensation_claim_action", args=[claim.pk, "start_review"]) not in page
    assert "이의신청은 최초 결정(또는 승인) 담당자가 아닌 다른 담당자가 검토합니다" in why_not(page)
    # The reason is the service's own refusal, not a second wording of the rule.
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.claim_start_review(claim=claim, actor=world.agent)
    english = client_for(world.agent).get(reverse("admin:compensation_claim_change", args=[claim.pk]))
    assert escape(refused.value.message) in why_not(english.content.decode())


def test_supervisor_opening_their_own_decision_is_told_another_must_approve(world):
    claim = world.claim_in(ClaimState.AWAITING_APPROVAL)  # decided by world.supervisor
    page = case_page(world.supervisor, claim)
    assert reverse("admin:compensation_claim_action", args=[claim.pk, "approve"]) not in page
    assert "직접 내린 결정입니다. 다른 관리자가 승인해야 합니다." in why_not(page)
    assert "직접 내린 결정입니다" not in case_page(world.supervisor2, claim)


def test_a_role_with_nothing_to_do_is_told_who_acts_next(world):
    awaiting = world.claim_in(ClaimState.AWAITING_APPROVAL)
    assert "관리자만 다음 단계를 진행합니다" in why_not(case_page(world.agent, awaiting))
    decided = world.claim_in(ClaimState.DECIDED, claimant=world.other_user)
    assert "신청인, 시스템 (기한 및 예약 작업)만 다음 단계를 진행합니다" in why_not(
        case_page(world.supervisor, decided)
    )
    withdrawn = world.claim_in(ClaimState.WITHDRAWN, claimant=UserFactory())
    assert "더 이상 처리할 작업이 없습니다" in why_not(case_page(world.supervisor, withdrawn))
