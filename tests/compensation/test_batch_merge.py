"""A user who filed a claim and is in a batch too is paid once, the larger amount — whatever state the claim is in."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from compensation import services
from compensation.admin.batches import credit_file_csv
from compensation.models import (
    BatchLine,
    Claim,
    ClaimOrigin,
    ClaimState,
    Decision,
    ExchangeAccount,
    LineOutcome,
    Notification,
    Payment,
)
from compensation.notifications.outbox import render
from compensation.selectors import in_force_decision, paid_total
from compensation.services.imports.payments import payments_import
from incidents.errors import DomainError
from tests.compensation.proactive_world import computed
from tests.factories import UserFactory

BATCH_AMOUNT = 100_000  # BUY 0.1 BTC at 100,000,000, executable 101,000,000


@pytest.fixture
def filer(proactive):
    user = UserFactory()
    services.exchange_account_link_by_staff(
        account=ExchangeAccount.objects.get(account_id="A-3"),
        user=user,
        actor=proactive.supervisor,
        identity_check="Phone call, ID questions",
    )
    return user


def _filed(world, filer, *, decided=None, accept=False, pay=False):
    claim = world.submit(actor=filer)
    if decided is None:
        return claim
    services.claim_start_review(claim=claim, actor=world.agent)
    services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=decided, reasons="산정 결과")
    if accept:
        services.claim_accept(claim=claim, actor=filer)
    if pay:
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=decided, method="bank_transfer", reference=f"TX-{claim.pk}"
        )
    return world.reload(claim)


def _issue(world, django_capture_on_commit_callbacks):
    batch = computed(world)
    services.batch_approve(batch=batch, actor=world.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        return services.batch_issue(batch=batch, actor=world.supervisor)


def _mails(claim):
    return list(Notification.objects.filter(claim=claim).order_by("pk").values_list("kind", flat=True))


def _credit_rows(client_user):
    request = RequestFactory().get("/")
    request.user = client_user
    body = b"".join(credit_file_csv(None, request).streaming_content).decode("utf-8-sig")
    return [line.split(",") for line in body.strip().splitlines()[1:]]


def test_an_undecided_filed_claim_keeps_the_batch_amount_as_its_floor(
    proactive, filer, django_capture_on_commit_callbacks
):
    claim = _filed(proactive, filer)
    batch = _issue(proactive, django_capture_on_commit_callbacks)
    line = BatchLine.objects.get(batch=batch, account_id="A-3")
    assert (line.outcome, line.filed_claim_id, line.corrected_decision) == (LineOutcome.FILED_CLAIM, claim.pk, None)
    assert not claim.decisions.exists() and world_state(claim) == ClaimState.SUBMITTED
    assert not Claim.objects.filter(exchange_account__account_id="A-3", origin=ClaimOrigin.PROACTIVE).exists()


def world_state(claim):
    return Claim.objects.get(pk=claim.pk).state


def test_a_decided_claim_below_the_batch_gets_a_new_decision_a_new_objection_window_and_one_mail(
    proactive, filer, django_capture_on_commit_callbacks, at
):
    """Issue 16: a filed claim decided below the batch amount was never corrected (only later decisions were)."""
    claim = _filed(proactive, filer, decided=30_000)
    old = in_force_decision(claim)
    window_before = claim.objection_window_ends_on
    mails_before = _mails(claim)
    at(2025, 1, 28, 10)  # a few business days later
    batch = _issue(proactive, django_capture_on_commit_callbacks)

    claim = proactive.reload(claim)
    line = BatchLine.objects.get(batch=batch, account_id="A-3")
    decision = in_force_decision(claim)
    assert line.corrected_decision == decision and decision.pk != old.pk
    assert (decision.amount_krw, decision.approved, decision.is_correction) == (BATCH_AMOUNT, True, True)
    assert Decision.objects.get(pk=old.pk).status == Decision.Status.SUPERSEDED
    korean, english = decision.reasons.split("\n\n")
    assert f"proactive batch {batch.pk}, line {line.pk} computed 100,000 KRW" in english and "O-3" in english
    assert f"일괄처리 {batch.pk}" in korean and "O-3" in korean  # Korean first, English below
    assert claim.state == ClaimState.DECIDED and claim.objection_window_ends_on > window_before
    assert _mails(claim) == [*mails_before, Notification.Kind.DECISION_CORRECTED]
    body = render(Notification.objects.filter(claim=claim).latest("pk")).body_text
    assert "100,000" in body and claim.objection_window_ends_on.isoformat() in body  # how to object, by when
    # The claimant may still object to it, or accept it: paid once, the larger amount.
    services.claim_accept(claim=claim, actor=filer)
    assert [row[2] for row in _credit_rows(proactive.supervisor)] == [str(BATCH_AMOUNT)]


def test_a_decided_claim_above_the_batch_is_left_as_it_is(proactive, filer, django_capture_on_commit_callbacks):
    claim = _filed(proactive, filer, decided=200_000)
    mails_before = _mails(claim)
    batch = _issue(proactive, django_capture_on_commit_callbacks)
    line = BatchLine.objects.get(batch=batch, account_id="A-3")
    assert line.outcome == LineOutcome.FILED_CLAIM and line.corrected_decision is None
    assert claim.decisions.count() == 1 and in_force_decision(claim).amount_krw == 200_000
    assert _mails(claim) == mails_before
    assert claim.events.filter(data__batch=batch.pk).count() == 1  # the staff note naming the batch


def test_a_paid_claim_below_the_batch_gets_the_difference_as_a_top_up_paid_once(
    proactive, filer, django_capture_on_commit_callbacks
):
    claim = _filed(proactive, filer, decided=30_000, accept=True, pay=True)
    assert claim.state == ClaimState.PAID
    mails_before = _mails(claim)
    batch = _issue(proactive, django_capture_on_commit_callbacks)

    claim = proactive.reload(claim)
    decision = in_force_decision(claim)
    assert BatchLine.objects.get(batch=batch, account_id="A-3").corrected_decision == decision
    assert (decision.amount_krw, decision.is_correction, paid_total(claim)) == (BATCH_AMOUNT, True, 30_000)
    assert claim.state == ClaimState.ACCEPTED  # the difference is owed
    assert _mails(claim) == [*mails_before, Notification.Kind.DECISION_CORRECTED]

    rows = [row for row in _credit_rows(proactive.supervisor) if row[0] == claim.number]
    assert len(rows) == 1
    number, account_id, amount, method, payout_to, reference, _paid_at = rows[0]
    assert (account_id, amount, method, payout_to) == ("A-3", "70000", "wallet_credit", "A-3")
    credit = "claim_number,account_id,amount_krw,method,payout_to,reference,paid_at\n" + ",".join(rows[0]) + "\n"
    result = payments_import(actor=proactive.supervisor, csv_text=credit)
    assert result.errors == [] and result.applied == 1
    claim = proactive.reload(claim)
    assert claim.state == ClaimState.PAID and paid_total(claim) == BATCH_AMOUNT
    assert payments_import(actor=proactive.supervisor, csv_text=credit).errors  # never twice
    assert Payment.objects.filter(claim=claim).count() == 2
    assert not [row for row in _credit_rows(proactive.supervisor) if row[0] == claim.number]


def test_an_accepted_claim_below_the_batch_is_paid_the_batch_amount(
    proactive, filer, django_capture_on_commit_callbacks
):
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    _issue(proactive, django_capture_on_commit_callbacks)
    claim = proactive.reload(claim)
    assert claim.state == ClaimState.ACCEPTED and in_force_decision(claim).amount_krw == BATCH_AMOUNT
    with pytest.raises(DomainError):
        services.payment_record(
            claim=claim, actor=proactive.supervisor, amount_krw=BATCH_AMOUNT + 1, method="bank_transfer", reference="X"
        )
    services.payment_record(
        claim=claim, actor=proactive.supervisor, amount_krw=BATCH_AMOUNT, method="bank_transfer", reference="Y"
    )
    assert proactive.reload(claim).state == ClaimState.PAID


def test_a_decision_waiting_for_approval_below_the_batch_cannot_be_put_in_force(
    proactive, filer, django_capture_on_commit_callbacks, settings
):
    settings.COMPENSATION_FOUR_EYES_LIMIT_KRW = 10_000
    claim = _filed(proactive, filer)
    services.claim_start_review(claim=claim, actor=proactive.agent)
    pending = services.claim_decide(
        claim=claim, actor=proactive.supervisor, approved=True, amount_krw=50_000, reasons="r"
    )
    assert pending.status == Decision.Status.PENDING_APPROVAL
    _issue(proactive, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as refused:
        services.decision_approve(decision=pending, actor=proactive.supervisor2)
    assert "100,000" in str(refused.value)
    assert proactive.reload(claim).state == ClaimState.AWAITING_APPROVAL
    assert Decision.objects.get(pk=pending.pk).status == Decision.Status.PENDING_APPROVAL


@pytest.mark.parametrize(
    "four_eyes_limit", [10_000, 1_000_000], ids=["waits-for-a-second-supervisor", "in-force-at-once"]
)
def test_a_correction_below_an_issued_batch_is_refused(
    proactive, filer, django_capture_on_commit_callbacks, settings, four_eyes_limit
):
    """A filed claim is never paid below what an issued batch offered the account, corrected or not."""
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    settings.COMPENSATION_FOUR_EYES_LIMIT_KRW = four_eyes_limit
    _issue(proactive, django_capture_on_commit_callbacks)
    claim = proactive.reload(claim)
    assert in_force_decision(claim).amount_krw == BATCH_AMOUNT
    with pytest.raises(DomainError) as refused:
        services.decision_correct(claim=claim, actor=proactive.supervisor, amount_krw=50_000, reasons="재산정")
    assert "100,000" in str(refused.value)
    assert not claim.decisions.filter(amount_krw=50_000).exists()
    # Above the batch amount a correction is fine.
    services.decision_correct(claim=claim, actor=proactive.supervisor, amount_krw=120_000, reasons="추가 산정")


def test_a_correction_waiting_when_the_batch_went_out_cannot_go_in_force_below_it(
    proactive, filer, django_capture_on_commit_callbacks
):
    """`correction_approve` holds the floor as `decision_approve` does (a correction drafted before the issue
    and still waiting — e.g. filed while the issue ran — must not undercut the batch)."""
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    _issue(proactive, django_capture_on_commit_callbacks)
    waiting = Decision.objects.create(
        claim=claim,
        approved=True,
        amount_krw=50_000,
        reasons="재산정",
        is_correction=True,
        status=Decision.Status.PENDING_APPROVAL,
        decided_by=proactive.supervisor,
    )
    with pytest.raises(DomainError) as refused:
        services.correction_approve(decision=waiting, actor=proactive.supervisor2)
    assert "100,000" in str(refused.value)
    assert Decision.objects.get(pk=waiting.pk).status == Decision.Status.PENDING_APPROVAL
    assert in_force_decision(claim).amount_krw == BATCH_AMOUNT


def test_a_batch_with_a_merged_claim_whose_correction_waits_is_not_issued_until_it_is_approved(
    proactive, filer, django_capture_on_commit_callbacks, settings, client
):
    """Neither paid twice nor silently left out: the issue is refused naming the account and the claim, the
    batch page lists it; once the correction is approved the issue raises the claim once."""
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    settings.COMPENSATION_FOUR_EYES_LIMIT_KRW = 10_000
    waiting = services.decision_correct(claim=claim, actor=proactive.supervisor, amount_krw=60_000, reasons="재산정")
    assert waiting.status == Decision.Status.PENDING_APPROVAL
    batch = computed(proactive)
    services.batch_approve(batch=batch, actor=proactive.supervisor2)
    with pytest.raises(DomainError) as refused:
        services.batch_issue(batch=batch, actor=proactive.supervisor)
    assert "A-3" in str(refused.value) and claim.number in str(refused.value)
    batch.refresh_from_db()
    assert batch.state == "approved" and not Claim.objects.filter(origin=ClaimOrigin.PROACTIVE).exists()
    client.force_login(proactive.supervisor)
    page = client.get(reverse("admin:compensation_batch", args=[batch.pk])).content.decode()
    assert 'id="batch-waiting-corrections"' in page and claim.number in page

    services.correction_approve(decision=waiting, actor=proactive.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_issue(batch=batch, actor=proactive.supervisor)
    claim = proactive.reload(claim)
    assert in_force_decision(claim).amount_krw == BATCH_AMOUNT
    assert claim.decisions.filter(status=Decision.Status.IN_FORCE).count() == 1
    assert BatchLine.objects.get(batch=batch, account_id="A-3").corrected_decision == in_force_decision(claim)
    page = client.get(reverse("admin:compensation_batch", args=[batch.pk])).content.decode()
    assert 'id="batch-waiting-corrections"' not in page


def test_an_accepted_claim_raised_by_a_batch_keeps_its_acceptance_and_is_mailed_without_objection_text(
    proactive, filer, django_capture_on_commit_callbacks
):
    """A raise in the claimant's favour after acceptance is a favourable correction: no new objection
    window (only a correction against the claimant opens one), the higher amount is simply what is paid."""
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    window = claim.objection_window_ends_on
    _issue(proactive, django_capture_on_commit_callbacks)
    claim = proactive.reload(claim)
    assert (claim.state, claim.objection_window_ends_on) == (ClaimState.ACCEPTED, window)
    body = render(Notification.objects.filter(claim=claim).latest("pk")).body_text
    assert "100,000" in body and "[이의제기]" not in body


def test_a_claim_in_objection_is_decided_at_least_at_the_batch_amount_with_its_own_window(
    proactive, filer, django_capture_on_commit_callbacks
):
    """The objection under review is not overtaken by a correction: its decision pays at least the batch
    amount and, as every decision, starts an objection window."""
    claim = _filed(proactive, filer, decided=30_000)
    services.claim_object(claim=claim, actor=filer, reason="금액이 적습니다")
    batch = _issue(proactive, django_capture_on_commit_callbacks)
    assert BatchLine.objects.get(batch=batch, account_id="A-3").corrected_decision is None
    claim = proactive.reload(claim)
    assert claim.state == ClaimState.OBJECTED and in_force_decision(claim).amount_krw == 30_000
    services.claim_start_review(claim=claim, actor=proactive.agent2)
    with pytest.raises(DomainError):
        services.objection_decide(claim=claim, actor=proactive.agent2, approved=True, amount_krw=50_000, reasons="r")
    services.objection_decide(claim=claim, actor=proactive.agent2, approved=True, amount_krw=BATCH_AMOUNT, reasons="r")
    claim = proactive.reload(claim)
    assert claim.state == ClaimState.DECIDED and claim.objection_window_ends_on is not None
    assert claim.objection_rounds_left == 1


def test_refusing_the_waiting_correction_lets_the_batch_issue_and_raise_the_claim_once(
    proactive, filer, django_capture_on_commit_callbacks, settings
):
    claim = _filed(proactive, filer, decided=30_000, accept=True)
    settings.COMPENSATION_FOUR_EYES_LIMIT_KRW = 10_000
    waiting = services.decision_correct(claim=claim, actor=proactive.supervisor, amount_krw=60_000, reasons="재산정")
    batch = computed(proactive)
    services.batch_approve(batch=batch, actor=proactive.supervisor2)
    services.correction_refuse(decision=waiting, actor=proactive.supervisor2, reason="배치로 보상")
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_issue(batch=batch, actor=proactive.supervisor)
    claim = proactive.reload(claim)
    assert in_force_decision(claim).amount_krw == BATCH_AMOUNT
    assert claim.decisions.filter(status=Decision.Status.IN_FORCE).count() == 1
    assert Decision.objects.get(pk=waiting.pk).status == Decision.Status.SENT_BACK
