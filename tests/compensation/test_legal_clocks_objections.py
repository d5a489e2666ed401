"""Issue 12, case 5: objection rights cannot be hollowed out.

Claims are filed and decided Wed 2025-01-22 (world fixture); 10 영업일 later (설 연휴 skipped) is 2025-02-11.
"""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import reverse

from compensation import services
from compensation.models import ClaimState, Notification
from compensation.notifications import staff_alerts as alerts
from incidents.errors import DomainError

REMEDIES = ("금융감독원 민원·분쟁조정", "한국소비자원")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@override_settings(COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS=1)
def test_an_objection_window_below_10_business_days_is_refused_and_clamped(world):
    with pytest.raises(SystemCheckError):
        call_command("check")
    claim = world.claim_in(ClaimState.DECIDED)
    assert claim.objection_window_ends_on == date(2025, 2, 11)  # 10 영업일, not 1


def test_a_correction_against_the_claimant_opens_its_own_window_and_mail_and_defers_recovery(world, at, sent):
    claim = world.claim_in(ClaimState.PAID)  # 200,000 decided and paid
    at(2025, 2, 3, 10)
    with sent():
        services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=150_000, reasons="중복 산정")
    claim = world.reload(claim)
    assert claim.state == ClaimState.DECIDED and claim.objection_round == 0
    assert claim.objection_window_ends_on == date(2025, 2, 17)  # its own 10 영업일 from 2025-02-03
    row = Notification.objects.get(claim=claim, kind="decision_corrected")
    assert row.state == "sent" and "정정 결정" in row.subject and "[이의제기]" in row.body_text
    with pytest.raises(DomainError):  # no recovery before the window lapses
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=-50_000, method="bank_transfer", reference="R-1"
        )
    at(2025, 2, 18, 0, 30)
    services.claim_lapse_objection_window(claim=claim)
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=-50_000, method="bank_transfer", reference="R-1"
    )
    assert world.reload(claim).state == ClaimState.PAID


def test_the_claimant_may_object_to_a_correction_even_after_both_rounds(world, at, sent, client):
    claim = world.claim_in(ClaimState.DECIDED)
    for round_no, reviewer in ((1, world.supervisor), (2, world.agent2)):
        services.claim_object(claim=claim, actor=world.claimant, reason=f"{round_no}차 이의")
        services.claim_start_review(claim=claim, actor=reviewer)
        services.objection_decide(claim=claim, actor=reviewer, approved=True, amount_krw=200_000, reasons="유지")
    services.claim_accept(claim=claim, actor=world.claimant)
    services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=100_000, reasons="산정 오류")
    client.force_login(world.claimant)
    page = client.get(reverse("compensation:claim_detail", args=[claim.pk])).content.decode()
    assert 'id="correction-objection"' in page and "이의제기 횟수를 모두 사용하셨더라도" in page
    with sent():
        objection = services.claim_object(claim=claim, actor=world.claimant, reason="정정에 이의")
    assert objection.round == 3 and world.reload(claim).state == ClaimState.OBJECTED
    receipt = Notification.objects.get(claim=claim, kind="objection_received", body_text__contains="3차")
    # Not "3차 이의제기(최대 2차)": the mail says why a third round exists.
    assert "3차 이의제기(정정 결정에 대한 이의제기로, 최대 2차와 별도)" in receipt.body_text
    assert "round 3, against a correction: beyond the 2 rounds" in receipt.body_text
    assert "최대 2차와 별도" in receipt.body_html


def test_a_favourable_correction_is_mailed_without_objection_text(world, sent):
    claim = world.claim_in(ClaimState.PAID)
    with sent():
        services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=250_000, reasons="추가 보상")
    row = Notification.objects.get(claim=claim, kind="decision_corrected")
    assert "정정 결정" in row.subject
    assert "[이의제기]" not in row.body_text and "[Object]" not in row.body_text
    assert world.reload(claim).state == ClaimState.ACCEPTED


def test_the_final_round_mail_and_portal_offer_no_objection_and_name_the_outside_remedies(world, sent, client):
    claim = world.claim_in(ClaimState.DECIDED)
    for round_no, reviewer in ((1, world.supervisor), (2, world.agent2)):
        services.claim_object(claim=claim, actor=world.claimant, reason=f"{round_no}차 이의")
        services.claim_start_review(claim=claim, actor=reviewer)
        with sent():
            services.objection_decide(claim=claim, actor=reviewer, approved=True, amount_krw=210_000, reasons="재산정")
    final = Notification.objects.filter(claim=claim, kind="objection_decided").order_by("-pk").first()
    assert "[이의제기]" not in final.body_text and "[Object]" not in final.body_text
    assert "남은 이의제기 횟수" not in final.body_text
    for remedy in REMEDIES:
        assert remedy in final.body_text and remedy in final.body_html
    first_round = Notification.objects.filter(claim=claim, kind="objection_decided").order_by("pk").first()
    assert "[이의제기]" in first_round.body_text
    client.force_login(world.claimant)
    page = client.get(reverse("compensation:claim_detail", args=[claim.pk])).content.decode()
    assert all(remedy in page for remedy in REMEDIES)


def test_deemed_acceptance_never_runs_before_the_decision_reached_the_claimant(world, at):
    claim = world.claim_in(ClaimState.DECIDED)  # its mail row is still pending: never delivered
    at(2025, 3, 4, 10)
    with pytest.raises(DomainError) as refused:
        services.claim_lapse_objection_window(claim=claim)
    assert refused.value.code == "not_delivered"
    from compensation.services.lapses import lapse_objection_windows

    assert lapse_objection_windows() == 0
    assert world.reload(claim).state == ClaimState.DECIDED


def test_the_window_starts_when_the_claimant_first_opens_the_decision_in_the_portal(world, at, client):
    claim = world.claim_in(ClaimState.DECIDED)
    at(2025, 2, 3, 10)
    client.force_login(world.claimant)
    client.get(reverse("compensation:claim_detail", args=[claim.pk]))
    claim = world.reload(claim)
    assert claim.objection_window_ends_on == date(2025, 2, 17)  # 10 영업일 from 2025-02-03
    at(2025, 2, 18, 0, 30)
    services.claim_lapse_objection_window(claim=claim)
    assert world.reload(claim).state == ClaimState.ACCEPTED


def test_a_delivered_mail_starts_the_window_on_the_day_it_went_out(world, sent):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with sent():
        decision = services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1, reasons="x")
    decision.refresh_from_db()
    assert decision.mail_sent_at is not None
    assert world.reload(claim).objection_window_ends_on == date(2025, 2, 11)


def test_a_failed_decision_mail_raises_a_staff_alert_and_a_digest_line(world, at):
    claim = world.claim_in(ClaimState.DECIDED)
    Notification.objects.filter(claim=claim, kind="decision").update(state="failed", last_error="550 no such user")
    alerts.sweep()
    alert = Notification.objects.get(kind="deadline_alert", context__deadline="decision_mail_failed")
    assert alert.claim_id == claim.pk and alert.recipient == world.agent
    alerts.digest()
    digest = Notification.objects.get(kind="daily_digest", recipient=world.agent)
    assert [item["claim_id"] for item in digest.context["failed_decision_mails"]] == [claim.pk]
