"""Claimant messages: written with the state change, one per event, rendered once, sent after commit."""

from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

from compensation import services
from compensation.models import ClaimState, Notification
from compensation.selectors.notifications import notifications_for_claim


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the block and its on_commit callbacks (the eager send), like a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kinds(claim):
    return list(notifications_for_claim(claim).values_list("kind", flat=True))


def test_claim_received_mail_has_number_and_review_due_date_in_kst(world, sent):
    with sent():
        claim = world.submit()
    row = Notification.objects.get(claim=claim)
    assert (row.kind, row.state, row.attempts, row.language) == ("claim_received", "sent", 1, "ko")
    assert row.to_email == world.claimant.email and row.sent_at is not None
    [message] = mail.outbox
    assert claim.number in message.subject
    # Filed Wed 2025-01-22: 15 business days (설 연휴 skipped) end on 2025-02-18.
    assert "2025년 2월 18일 23:59 (한국시간)" in message.body
    assert "Review due: 2025-02-18 23:59 (KST)" in message.body
    assert message.body.index("보상신청이 접수") < message.body.index("has been received")
    html, mime = message.alternatives[0]
    assert mime == "text/html" and claim.number in html
    assert message.extra_headers["X-Notification-Key"] == f"claim:{claim.pk}:received"


def test_double_submit_queues_one_message(world, sent):
    import uuid

    key = uuid.uuid4()
    with sent():
        first = world.submit(idempotency_key=key)
        again = world.submit(idempotency_key=key)
    assert first.pk == again.pk
    assert kinds(first) == ["claim_received"] and len(mail.outbox) == 1


def test_language_of_the_claimants_request_is_kept_for_later_messages(world, sent):
    with sent(), translation.override("en"):
        claim = world.submit()
    with sent():
        services.claim_start_review(claim=claim, actor=world.agent)
        services.claim_request_supplement(claim=claim, actor=world.agent, missing="거래내역서 / statement")
    languages = list(notifications_for_claim(claim).values_list("language", flat=True))
    assert languages == ["en", "en"]
    assert mail.outbox[0].subject.startswith("[Compensation desk] Claim")
    assert "What is missing:\n거래내역서 / statement" in mail.outbox[1].body


def test_each_supplement_request_is_its_own_message(world, sent):
    with sent():
        claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
        services.claim_add_supplement(claim=claim, actor=world.claimant, files=[(None, _png())])
        services.claim_request_supplement(claim=claim, actor=world.agent, missing="신분증 사본")
    assert kinds(claim) == ["claim_received", "supplement_requested", "supplement_requested"]
    assert "신분증 사본" in mail.outbox[-1].body


def _png():
    from tests.compensation.factories import png_upload

    return png_upload()


def test_decision_mail_says_amount_pay_date_reasons_and_how_to_object(world, sent):
    with sent():
        claim = world.claim_in(ClaimState.DECIDED)
    assert kinds(claim) == ["claim_received", "decision"]
    row = Notification.objects.get(claim=claim, kind="decision")
    assert row.context["rounds_left"] == 2 and row.context["amount_krw"] == 200_000
    body = mail.outbox[-1].body
    assert "보상 여부: 보상함" in body and "보상 금액: 200,000원" in body and "지급 예정일:" in body
    assert "차액 보상" in body
    assert f"{claim.objection_window_ends_on:%Y-%m-%d} 23:59 (KST)" in body
    assert "남은 이의제기 횟수: 2회" in body and "Objection rounds left: 2 (of 2)" in body


def test_decision_waiting_for_second_approval_is_not_announced_until_approved(world, sent):
    with sent():
        claim = world.claim_in(ClaimState.AWAITING_APPROVAL)
    assert kinds(claim) == ["claim_received"]
    decision = claim.decisions.get()
    with sent():
        services.decision_approve(decision=decision, actor=world.supervisor2)
    assert kinds(claim) == ["claim_received", "decision"]
    assert "2,000,000원" in mail.outbox[-1].body


def test_objection_received_and_decided_by_another_reviewer(world, sent):
    with sent():
        claim = world.claim_in(ClaimState.OBJECTED)
        services.claim_start_review(claim=claim, actor=world.agent2)
        services.objection_decide(claim=claim, actor=world.agent2, approved=True, amount_krw=250_000, reasons="재산정")
    assert kinds(claim) == ["claim_received", "decision", "objection_received", "objection_decided"]
    decided = Notification.objects.get(claim=claim, kind="objection_decided")
    assert decided.context["objection_round"] == 1 and decided.context["rounds_left"] == 1
    assert "1차 이의제기" in mail.outbox[-1].body and "250,000원" in mail.outbox[-1].body


def test_payment_made_only_once_fully_paid(world, sent):
    with sent():
        claim = world.claim_in(ClaimState.ACCEPTED)
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=50_000, method="bank_transfer", reference="TX-1"
        )
    assert "payment_made" not in kinds(claim)
    with sent():
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=150_000, method="bank_transfer", reference="TX-2"
        )
    assert kinds(claim)[-1] == "payment_made"
    assert "보상금 200,000원을 지급" in mail.outbox[-1].body


def test_a_rolled_back_state_change_leaves_no_message(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        claim = world.submit()
        raise RuntimeError("the request failed after the service")
    assert not Notification.objects.exists()
    assert claim.pk is not None and mail.outbox == []


def test_mail_subjects_carry_the_configured_site_name_in_each_language(world, sent, settings):
    settings.SITE_NAME, settings.SITE_NAME_EN = "코인원 보상팀", "Coinone claims"
    with sent():
        world.submit()
    with sent(), translation.override("en"):
        world.submit(actor=world.other_user)
    subjects = [message.subject for message in mail.outbox]
    assert subjects[0].startswith("[코인원 보상팀] 보상신청") and subjects[1].startswith("[Coinone claims] Claim")


def test_no_mail_template_hard_codes_a_site_name():
    folder = Path(__file__).resolve().parents[2] / "templates" / "emails"
    texts = {p: p.read_text().replace('default:"보상센터"', "") for p in folder.rglob("*.*")}
    assert [str(p) for p, text in texts.items() if "보상센터" in text or "[Compensation]" in text] == []
