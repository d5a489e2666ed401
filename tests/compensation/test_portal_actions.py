"""The claim page: what it shows and the actions it offers, each through its service."""

import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from compensation import services
from compensation.models import ClaimEvent, ClaimState, Decision
from tests.compensation.factories import png_upload
from tests.compensation.portal import client_for, detail_url

KST = ZoneInfo("Asia/Seoul")


def text_of(response):
    return html.unescape(response.content.decode())


def url(name, claim):
    return reverse(f"compensation:claim_{name}", args=[claim.pk])


@pytest.fixture
def client(world):
    return client_for(world.claimant)


def forms_on(response):
    text = response.content.decode()
    return {
        name
        for name in ("supplement", "withdraw", "accept", "object")
        if f'action="{url(name, response.context["claim"])}"' in text
    }


@pytest.mark.parametrize(
    ("state", "offered"),
    [
        (ClaimState.SUBMITTED, {"supplement", "withdraw"}),
        (ClaimState.IN_REVIEW, {"supplement", "withdraw"}),
        (ClaimState.SUPPLEMENT_REQUESTED, {"supplement", "withdraw"}),
        (ClaimState.AWAITING_APPROVAL, set()),
        (ClaimState.DECIDED, {"accept", "object"}),
        (ClaimState.OBJECTED, set()),
        (ClaimState.ACCEPTED, set()),
        (ClaimState.PAID, set()),
        (ClaimState.CLOSED, set()),
        (ClaimState.WITHDRAWN, set()),
    ],
)
def test_the_page_offers_exactly_what_is_allowed(world, client, state, offered):
    claim = world.claim_in(state)
    response = client.get(detail_url(claim))
    assert response.status_code == 200
    assert forms_on(response) == offered


def test_detail_shows_decision_deadlines_and_timeline_but_nothing_internal(world, client):
    claim = world.submit()
    assert f"{claim.review_due_on.isoformat()} 23:59" in text_of(client.get(detail_url(claim)))
    services.claim_start_review(claim=claim, actor=world.agent)
    services.claim_decide(
        claim=claim,
        actor=world.agent,
        approved=True,
        amount_krw=200_000,
        reasons="차액 보상 사유",
        internal_note="내부 메모: 고객 VIP",
    )
    claim.refresh_from_db()
    text = text_of(client.get(detail_url(claim)))
    assert "200,000" in text and "차액 보상 사유" in text
    assert "내부 메모" not in text
    decision = claim.decisions.get()
    assert decision.pay_on.isoformat() in text
    # Once decided, the deadline that runs is the objection window (the review one is over).
    assert f"{claim.review_due_on.isoformat()} 23:59" not in text
    assert f"{claim.objection_window_ends_on.isoformat()} 23:59" in text
    decided_at = decision.decided_at.astimezone(KST)
    assert f"{decided_at:%Y-%m-%d %H:%M} KST" in text  # the decision's time, shown in Korean time
    assert _timeline(text) == ["Submitted", "In review", "Decided"]


def _timeline(text):
    """The titles of the timeline's entries, oldest first (the state badge and the decision box say
    "In review" / "Decided" too)."""
    timeline = text[text.index('<ol class="timeline">') : text.index("</ol>", text.index('<ol class="timeline">'))]
    return re.findall(r"<strong>([^<]*)</strong>", timeline)


def test_a_decision_waiting_for_approval_is_not_shown(world, client):
    claim = world.claim_in(ClaimState.AWAITING_APPROVAL)
    ClaimEvent.objects.filter(claim=claim, visible_to_claimant=False).update(reason="비공개 사유")
    text = text_of(client.get(detail_url(claim)))
    assert claim.decisions.get().status == Decision.Status.PENDING_APPROVAL
    assert "2,000,000" not in text and "산정" not in text and "비공개 사유" not in text
    assert "No decision yet." in text


def test_supplement_documents_put_the_claim_back_in_review(world, client):
    claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
    response = client.post(url("supplement", claim), {"files": [png_upload("more.png")], "note": "추가 자료"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.IN_REVIEW
    assert claim.documents.filter(original_name="more.png").exists()
    assert "more.png" in text_of(client.get(detail_url(claim)))


def test_a_bad_supplement_file_is_refused_and_the_note_kept(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
    exe = SimpleUploadedFile("statement.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    response = client.post(url("supplement", claim), {"files": [exe], "note": "내가 쓴 메모"})
    text = text_of(response)
    assert response.status_code == 400
    assert "“statement.pdf” is not a PDF, PNG or JPEG file" in text
    assert "내가 쓴 메모" in text
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUPPLEMENT_REQUESTED and claim.documents.count() == 1


def test_supplement_needs_a_file(world, client):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    response = client.post(url("supplement", claim), {"note": "파일 없음"})
    assert response.status_code == 400
    assert "Choose at least one document." in text_of(response)


def test_withdraw_needs_confirmation(world, client):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    response = client.post(url("withdraw", claim), {"reason": "실수로 신청"})
    assert response.status_code == 400
    assert "Tick the box to confirm the withdrawal." in text_of(response)
    assert "실수로 신청" in text_of(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.IN_REVIEW


def test_withdraw(world, client):
    claim = world.claim_in(ClaimState.SUBMITTED)
    response = client.post(url("withdraw", claim), {"reason": "실수로 신청", "confirm": "on"}, follow=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.WITHDRAWN
    assert "Your claim was withdrawn." in text_of(response)
    assert claim.events.last().reason == "실수로 신청"


def test_withdraw_after_a_decision_is_refused_with_the_reason(world, client):
    claim = world.claim_in(ClaimState.DECIDED)
    response = client.post(url("withdraw", claim), {"confirm": "on"})
    assert response.status_code == 400
    assert "This claim cannot be withdrawn: it is now “Decided”." in text_of(response)


def test_accept(world, client):
    claim = world.claim_in(ClaimState.DECIDED)
    response = client.post(url("accept", claim), {"confirm": "on"}, follow=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.ACCEPTED
    assert f"Payment is due by the end of {claim.payment_due_on.isoformat()}" in text_of(response)


def test_object_twice_then_the_third_is_refused_with_the_reason(world, client):
    claim = world.claim_in(ClaimState.DECIDED)
    page = text_of(client.get(detail_url(claim)))
    assert "Objection rounds left: 2 of 2" in page

    response = client.post(
        url("object", claim), {"reason": "1차 이의: 금액이 적습니다", "files": [png_upload("proof.png")]}
    )
    assert response.status_code == 302
    services.claim_start_review(claim=claim, actor=world.supervisor)
    services.objection_decide(
        claim=claim, actor=world.supervisor, approved=True, amount_krw=210_000, reasons="1차 재산정"
    )
    assert "Objection rounds left: 1 of 2" in text_of(client.get(detail_url(claim)))

    response = client.post(url("object", claim), {"reason": "2차 이의"})
    assert response.status_code == 302
    services.claim_start_review(claim=claim, actor=world.agent2)
    services.objection_decide(claim=claim, actor=world.agent2, approved=True, amount_krw=220_000, reasons="2차 재산정")

    page = client.get(detail_url(claim))
    assert "object" not in forms_on(page)
    assert "you have used all 2 objection rounds" in text_of(page)
    assert "금융감독원 민원·분쟁조정" in text_of(page) and "한국소비자원" in text_of(page)

    response = client.post(url("object", claim), {"reason": "3차 이의: 여전히 부족"})
    text = text_of(response)
    assert response.status_code == 400
    assert "You have already used all 2 objection rounds for this claim." in text
    claim.refresh_from_db()
    assert claim.state == ClaimState.DECIDED and claim.objection_round == 2
    assert list(claim.objections.values_list("round", flat=True)) == [1, 2]
    assert "Round 1" in text and "Round 2" in text
    assert claim.documents.filter(original_name="proof.png", objection__round=1).exists()


def test_a_late_objection_is_refused_and_the_reason_typed_is_kept(world, client, at):
    claim = world.claim_in(ClaimState.DECIDED)
    decision = claim.decisions.get()  # its mail reached the claimant that day (the outbox does not run here)
    services.decision_notice_seen(decision=decision, at=decision.notified_at, via="mail")
    at(2025, 2, 12, 10)  # 10 business days from 2025-01-22, 설 연휴 skipped: the window ended 2025-02-11
    client.force_login(world.claimant)
    response = client.post(url("object", claim), {"reason": "늦은 이의 사유"})
    text = text_of(response)
    assert response.status_code == 400
    assert f"The objection period ended at the end of {claim.objection_window_ends_on.isoformat()} (KST)." in text
    assert "늦은 이의 사유" in text  # shown back so the user can copy it
    page = text_of(client.get(detail_url(claim)))
    assert "the objection period ended" in page


def test_an_objection_needs_a_reason(world, client):
    claim = world.claim_in(ClaimState.DECIDED)
    response = client.post(url("object", claim), {"reason": "  "})
    assert response.status_code == 400
    assert "Explain why you object to the decision." in text_of(response)


def test_the_list_shows_state_and_next_deadline_in_pages(world, client, monkeypatch):
    import re

    from compensation import views
    from tests.compensation.factories import PolicyFactory

    claim = world.submit()
    text = re.sub(r"<[^>]+>", "", text_of(client.get(reverse("compensation:claim_list"))))
    assert claim.number in text and "Submitted" in text
    assert f"Review due: {claim.review_due_on.isoformat()} 23:59" in text
    for damage in ("wrong_price", "excess_fee"):
        world.submit(policy=PolicyFactory(damage_type=damage, name=damage), files=[])
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(reverse("compensation:claim_list"))
    second = client.get(reverse("compensation:claim_list") + "?page=2")
    assert first.context["page"].paginator.count == 3
    assert len(first.context["page"]) == 2 and len(second.context["page"]) == 1
    assert claim.number in second.content.decode()  # oldest last


def test_the_page_names_the_missing_document_beside_its_upload_field_and_takes_it(world, client):
    """Issue 13, case 4: the claimant without a screenshot files anyway and supplies it later."""
    claim = world.submit(files=[])
    services.claim_start_review(claim=claim, actor=world.agent)
    page = text_of(client.get(detail_url(claim)))
    field = f'name="doc_{world.requirement.pk}"'
    assert field in page
    assert page.index(f"Missing: {world.requirement.name}") < page.index(field)
    assert "Still missing for your claim:" in page

    response = client.post(url("supplement", claim), {f"doc_{world.requirement.pk}": png_upload("capture.png")})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.IN_REVIEW and claim.missing_documents == []
    assert claim.documents.get(original_name="capture.png").requirement == world.requirement
    assert field not in text_of(client.get(detail_url(claim)))
