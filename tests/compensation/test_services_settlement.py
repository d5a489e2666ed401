from datetime import date

import pytest

from compensation import selectors, services
from compensation.models import Claim, ClaimEvent, ClaimState, Decision, ObjectionOutcome
from incidents.errors import DomainError
from incidents.models import Holiday
from tests.compensation.factories import png_upload


def test_objection_reopens_review_with_a_fresh_15_day_clock(world, at):
    claim = world.claim_in(ClaimState.DECIDED)
    at(2025, 2, 3, 9)
    objection = services.claim_object(
        claim=claim, actor=world.claimant, reason="가격 기준이 틀렸습니다", files=[(None, png_upload())]
    )
    claim = world.reload(claim)
    assert claim.state == ClaimState.OBJECTED and claim.objection_round == 1
    assert objection.round == 1 and objection.documents.count() == 1
    assert objection.review_due_on == claim.review_due_on == date(2025, 2, 24)


def test_objection_is_reviewed_by_someone_other_than_the_decider(world):
    claim = world.claim_in(ClaimState.OBJECTED)  # decided by world.agent
    with pytest.raises(DomainError) as same:
        services.claim_start_review(claim=claim, actor=world.agent)
    assert same.value.code == "same_reviewer"
    services.claim_start_review(claim=claim, actor=world.agent2)
    with pytest.raises(DomainError):
        services.objection_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1, reasons="x")
    decision = services.objection_decide(
        claim=claim, actor=world.agent2, approved=True, amount_krw=260_000, reasons="재산정"
    )
    objection = claim.objections.get()
    assert decision.objection == objection
    assert objection.outcome == ObjectionOutcome.UPHELD and objection.reviewer == world.agent2
    assert claim.decisions.get(status=Decision.Status.SUPERSEDED).amount_krw == 200_000


def test_objection_without_reason_is_refused(world):
    claim = world.claim_in(ClaimState.DECIDED)
    with pytest.raises(DomainError):
        services.claim_object(claim=claim, actor=world.claimant, reason="  ")


def test_late_objection_is_refused_with_the_window_end(world, at):
    claim = world.claim_in(ClaimState.DECIDED)  # window ends 2025-02-11
    at(2025, 2, 11, 23, 59)
    at(2025, 2, 12, 0, 0, 1)
    with pytest.raises(DomainError) as late:
        services.claim_object(claim=claim, actor=world.claimant, reason="늦음")
    assert late.value.code == "objection_late" and "2025-02-11" in late.value.message


def test_third_objection_is_refused(world):
    claim = world.claim_in(ClaimState.DECIDED)
    reviewers = [world.agent2, world.supervisor]
    for round_number, reviewer in enumerate(reviewers, start=1):
        services.claim_object(claim=claim, actor=world.claimant, reason=f"{round_number}차 이의")
        services.claim_start_review(claim=claim, actor=reviewer)
        services.objection_decide(claim=claim, actor=reviewer, approved=True, amount_krw=200_000, reasons="유지")
    assert world.reload(claim).objection_round == 2
    with pytest.raises(DomainError) as third:
        services.claim_object(claim=claim, actor=world.claimant, reason="3차 이의")
    assert third.value.code == "no_rounds_left"
    assert [o.outcome for o in claim.objections.all()] == [ObjectionOutcome.REJECTED] * 2


def test_more_rounds_can_be_configured_but_never_fewer(world, settings):
    settings.COMPENSATION_MAX_OBJECTION_ROUNDS = 1
    claim = world.claim_in(ClaimState.DECIDED)
    assert claim.max_objection_rounds == 2
    settings.COMPENSATION_MAX_OBJECTION_ROUNDS = 3
    assert claim.max_objection_rounds == 3


def test_only_the_claimant_objects_or_accepts(world):
    claim = world.claim_in(ClaimState.DECIDED)
    for service in (services.claim_accept,):
        with pytest.raises(DomainError):
            service(claim=claim, actor=world.other_user)
    with pytest.raises(DomainError):
        services.claim_object(claim=claim, actor=world.other_user, reason="x")


def test_acceptance_starts_the_payment_clock(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    # Accepted Wed 2025-01-22: 20 business days → 2025-02-25.
    assert claim.payment_due_on == date(2025, 2, 25)


def test_accepting_a_rejection_closes_the_claim(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    services.claim_decide(claim=claim, actor=world.agent, approved=False, amount_krw=0, reasons="대상 아님")
    services.claim_accept(claim=claim, actor=world.claimant)
    claim = world.reload(claim)
    assert claim.state == ClaimState.CLOSED
    assert claim.payment_due_on is None  # nothing to pay, so no payment deadline runs


def test_objection_window_lapses_only_after_its_end(world, at):
    claim = world.claim_in(ClaimState.DECIDED)
    world.decision_mail_delivered(claim)
    with pytest.raises(DomainError):
        services.claim_lapse_objection_window(claim=claim)
    at(2025, 2, 12, 0, 1)
    services.claim_lapse_objection_window(claim=claim)
    claim = world.reload(claim)
    assert claim.state == ClaimState.ACCEPTED
    assert claim.events.last().actor is None


def test_payments_add_up_to_the_decided_amount(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    with pytest.raises(DomainError) as over:
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=200_001, method="bank_transfer", reference="A"
        )
    assert over.value.code == "overpayment"
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=50_000, method="bank_transfer", reference="A"
    )
    assert world.reload(claim).state == ClaimState.ACCEPTED
    with pytest.raises(DomainError):
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=1, method="bank_transfer", reference="A"
        )
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=150_000, method="bank_transfer", reference="B"
    )
    assert world.reload(claim).state == ClaimState.PAID
    assert selectors.paid_total(claim) == 200_000


def test_agents_do_not_record_payments(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    with pytest.raises(DomainError):
        services.payment_record(claim=claim, actor=world.agent, amount_krw=1, method="bank_transfer", reference="A")


def test_new_holiday_moves_open_review_deadlines_with_a_logged_event(world, django_capture_on_commit_callbacks):
    decided = world.claim_in(ClaimState.DECIDED)
    claim = world.submit(actor=world.other_user)
    untouched_due = world.reload(decided).objection_window_ends_on
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2025, 2, 14), name="임시공휴일(테스트)", kind="public")
    claim = world.reload(claim)
    assert claim.review_due_on == date(2025, 2, 19)
    event = claim.events.get(kind=ClaimEvent.Kind.DEADLINE)
    assert event.data["from"] == "2025-02-18" and event.data["to"] == "2025-02-19"
    assert claim.calendar_revision == event.data["calendar_revision"]
    # The objection window (ends 2025-02-11) lies before the new holiday and stays.
    assert world.reload(decided).objection_window_ends_on == untouched_due


def test_raising_the_amount_after_payment_leaves_the_difference_to_pay(world):
    claim = world.claim_in(ClaimState.PAID)  # 200,000 decided and paid
    services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=250_000, reasons="재산정 결과 증액")
    claim = world.reload(claim)
    assert claim.state == ClaimState.ACCEPTED and claim.payment_due_on is not None
    assert claim.decisions.filter(status=Decision.Status.SUPERSEDED).get().amount_krw == 200_000
    with pytest.raises(DomainError):
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=60_000, method="bank_transfer", reference="DIFF"
        )
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=50_000, method="bank_transfer", reference="DIFF"
    )
    assert world.reload(claim).state == ClaimState.PAID
    assert list(claim.payments.values_list("amount_krw", flat=True)) == [200_000, 50_000]


def test_lowering_the_amount_after_payment_is_recovered_not_overwritten(world):
    claim = world.claim_in(ClaimState.CLOSED)
    services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=150_000, reasons="중복 산정 정정")
    claim = world.reload(claim)
    # A correction against the claimant is a new decision they may object to; nothing is recovered
    # before they accept it or its objection window lapses (issue 12).
    assert claim.state == ClaimState.DECIDED
    with pytest.raises(DomainError):
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=-50_000, method="bank_transfer", reference="EARLY"
        )
    services.claim_accept(claim=claim, actor=world.claimant)
    claim = world.reload(claim)
    assert claim.state == ClaimState.ACCEPTED
    with pytest.raises(DomainError):
        services.payment_record(
            claim=claim, actor=world.supervisor, amount_krw=10_000, method="bank_transfer", reference="R"
        )
    services.payment_record(
        claim=claim, actor=world.supervisor, amount_krw=-50_000, method="bank_transfer", reference="RECOVERY-1"
    )
    assert world.reload(claim).state == ClaimState.PAID
    assert selectors.paid_total(claim) == 150_000


def test_only_supervisors_correct_and_only_with_a_change(world):
    claim = world.claim_in(ClaimState.PAID)
    with pytest.raises(DomainError):
        services.decision_correct(claim=claim, actor=world.agent, amount_krw=1, reasons="x")
    with pytest.raises(DomainError):
        services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=200_000, reasons="x")


def test_next_due_on_follows_the_running_clock(world):
    claim = world.submit()
    assert claim.next_due_on == claim.review_due_on
    decided = world.claim_in(ClaimState.DECIDED, claimant=world.other_user)
    assert decided.next_due_on == decided.objection_window_ends_on
    services.claim_accept(claim=decided, actor=world.other_user)
    decided = world.reload(decided)
    assert decided.next_due_on == decided.payment_due_on
    services.payment_record(
        claim=decided, actor=world.supervisor, amount_krw=200_000, method="bank_transfer", reference="N"
    )
    assert world.reload(decided).next_due_on is None


def test_holiday_recompute_moves_next_due_on_too(world, django_capture_on_commit_callbacks):
    claim = world.submit()
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2025, 2, 14), name="임시공휴일(테스트)", kind="public")
    claim = world.reload(claim)
    assert claim.next_due_on == claim.review_due_on == date(2025, 2, 19)


def test_the_notice_may_lengthen_the_objection_window(world):
    from incidents import services as incident_services

    incident_services.notice_revise(
        incident=world.incident,
        actor=world.supervisor,
        change_summary="이의제기 기간 연장",
        objection_window_business_days=15,
    )
    claim = world.claim_in(ClaimState.DECIDED)
    # Decided Wed 2025-01-22: 15 business days → 2025-02-18 (10 would have been 2025-02-11).
    assert claim.objection_window_ends_on == date(2025, 2, 18)


def test_the_notice_cannot_shorten_the_objection_window(world):
    from incidents import services as incident_services

    with pytest.raises(DomainError) as refused:
        incident_services.notice_revise(
            incident=world.incident, actor=world.supervisor, change_summary="단축", objection_window_business_days=5
        )
    assert refused.value.code == "objection_window"


def test_a_correction_above_the_limit_waits_for_a_second_supervisor(world):
    claim = world.claim_in(ClaimState.PAID)
    pending = services.decision_correct(
        claim=claim, actor=world.supervisor, amount_krw=1_200_000, reasons="대규모 재산정"
    )
    assert pending.status == Decision.Status.PENDING_APPROVAL
    assert world.reload(claim).state == ClaimState.PAID  # nothing changes until approved
    with pytest.raises(DomainError) as own:
        services.correction_approve(decision=pending, actor=world.supervisor)
    assert own.value.code == "four_eyes"
    services.correction_approve(decision=pending, actor=world.supervisor2)
    claim = world.reload(claim)
    assert claim.state == ClaimState.ACCEPTED
    assert selectors.in_force_decision(claim).amount_krw == 1_200_000


def test_next_due_on_is_computed_by_the_database_whatever_writes_the_row(world):
    """A queryset UPDATE (no save(), no recompute) still moves the running deadline: one definition."""
    claim = world.submit()
    Claim.objects.filter(pk=claim.pk).update(review_due_on=date(2025, 3, 31))
    assert world.reload(claim).next_due_on == date(2025, 3, 31)
    assert Claim.objects.filter(pk=claim.pk, next_due_on=date(2025, 3, 31)).exists()


def test_next_due_on_read_after_a_save_is_the_new_one(world):
    claim = world.claim_in(ClaimState.DECIDED)
    services.claim_accept(claim=claim, actor=world.claimant)
    claim.refresh_from_db(fields=["state", "payment_due_on"])
    claim.save()
    assert claim.next_due_on == claim.payment_due_on


def test_a_waiting_correction_can_be_refused_and_nothing_in_force_changes(world):
    claim = world.claim_in(ClaimState.PAID)
    before = selectors.in_force_decision(claim)
    pending = services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=1_200_000, reasons="재산정")
    with pytest.raises(DomainError):
        services.correction_refuse(decision=pending, actor=world.supervisor2, reason="  ")
    services.correction_refuse(decision=pending, actor=world.supervisor2, reason="근거 자료 부족")
    claim = world.reload(claim)
    assert Decision.objects.get(pk=pending.pk).status == Decision.Status.SENT_BACK
    assert claim.state == ClaimState.PAID and selectors.in_force_decision(claim) == before
    note = claim.events.filter(data__refused_correction_to_krw=1_200_000).get()
    assert note.actor == world.supervisor2 and note.reason == "근거 자료 부족" and not note.visible_to_claimant
    with pytest.raises(DomainError):  # refused: it can no longer be put in force
        services.correction_approve(decision=pending, actor=world.supervisor2)
    with pytest.raises(DomainError):  # nor refused twice
        services.correction_refuse(decision=pending, actor=world.supervisor2, reason="다시")
    # Nothing waits any more, so the claim can be corrected again (its maker may withdraw their own).
    again = services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=1_100_000, reasons="재산정 2")
    services.correction_refuse(decision=again, actor=world.supervisor, reason="제가 철회합니다")
    assert Decision.objects.get(pk=again.pk).status == Decision.Status.SENT_BACK
    with pytest.raises(DomainError):  # an agent may not
        services.correction_refuse(decision=pending, actor=world.agent, reason="x")
