"""Issue #14: the staff action forms show the amounts at stake, formatted, and the objection being decided."""

from django.test import Client
from django.urls import reverse

from compensation import services
from compensation.formatting import krw
from compensation.models import ClaimState
from tests.compensation.factories import png_upload


def korean_client(user):
    client = Client(headers={"accept-language": "ko"})
    client.force_login(user)
    return client


def action_page(user, claim, name):
    response = korean_client(user).get(reverse("admin:compensation_claim_action", args=[claim.pk, name]))
    assert response.status_code == 200
    return response.content.decode()


def test_formatted_amount_reads_like_korean_money():
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
