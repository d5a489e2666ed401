"""Reportability is a decision with two names on it; report due times come from rule rows."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from incidents import reporting
from incidents.errors import DomainError, ErrorCode
from incidents.models import (
    DeadlineAnchor,
    Holiday,
    HolidayKind,
    IncidentReport,
    IncidentType,
    ReportabilityCriterion,
    ReportabilityDecision,
    ReportDeadlineRule,
    ReportKind,
    ReportState,
    WithdrawalBlock,
)
from tests.factories import AgentFactory, ComplianceFactory, IncidentFactory, SupervisorFactory

KST = ZoneInfo("Asia/Seoul")
Status = ReportabilityDecision.Status


@pytest.fixture
def people(db):
    return ComplianceFactory(), ComplianceFactory(), SupervisorFactory()


@pytest.fixture
def incident(db):
    return IncidentFactory(title="원화 마켓 주문 장애")


def _criteria():
    return list(ReportabilityCriterion.objects.filter(active=True))


def _decide(incident, actor, reportable=True, met=None, reason="이용자 주문 2시간 중단"):
    if met is None:
        met = [_criteria()[0].pk] if reportable else []
    return reporting.reportability_decide(
        incident=incident, actor=actor, reportable=reportable, met_criteria=met, reason=reason
    )


# --- four eyes ------------------------------------------------------------------------
def test_the_shipped_checklist_and_rules_are_marked_as_examples(db):
    assert _criteria() and all(c.is_example for c in _criteria())
    assert ReportDeadlineRule.objects.filter(kind=ReportKind.INITIAL).exists()
    assert all(rule.is_example for rule in ReportDeadlineRule.objects.all())


def test_a_decision_waits_for_a_second_person_and_the_decider_cannot_approve_it(incident, people):
    first, second, _supervisor = people
    decision = _decide(incident, first)
    assert decision.status == Status.PENDING
    assert reporting.decision_in_force(incident) is None
    with pytest.raises(DomainError) as refused:
        reporting.reportability_approve(decision=decision, actor=first)
    assert refused.value.code == ErrorCode.FOUR_EYES
    reporting.reportability_approve(decision=decision, actor=second)
    decision.refresh_from_db()
    assert (decision.status, decision.decided_by, decision.reviewed_by) == (Status.APPROVED, first, second)


def test_the_database_refuses_a_self_approved_decision_too(incident, people):
    first, _second, _supervisor = people
    decision = _decide(incident, first)
    decision.reviewed_by = first
    with pytest.raises(IntegrityError), transaction.atomic():
        decision.save()


def test_not_reported_also_carries_two_names(incident, people):
    first, _second, supervisor = people
    decision = _decide(incident, first, reportable=False, reason="이용자 영향 없음 (내부 배치 지연)")
    reporting.reportability_approve(decision=decision, actor=supervisor, note="동의")
    decision.refresh_from_db()
    assert decision.reportable is False
    assert decision.decided_by == first and decision.reviewed_by == supervisor
    assert not incident.reports.exists()


def test_not_reported_is_refused_while_a_criterion_is_met(incident, people):
    first, *_ = people
    with pytest.raises(DomainError) as refused:
        _decide(incident, first, reportable=False, met=[_criteria()[0].pk])
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    assert not ReportabilityDecision.objects.exists()


def test_a_second_decision_waits_while_one_is_pending_and_a_rejected_one_is_kept(incident, people):
    first, second, _supervisor = people
    decision = _decide(incident, first)
    with pytest.raises(DomainError) as refused:
        _decide(incident, second)
    assert refused.value.code == ErrorCode.PENDING
    with pytest.raises(DomainError):
        reporting.reportability_reject(decision=decision, actor=second, note="")
    reporting.reportability_reject(decision=decision, actor=second, note="기준 2도 해당")
    again = _decide(incident, first)
    assert again.status == Status.PENDING
    assert ReportabilityDecision.objects.filter(status=Status.REJECTED).count() == 1


def test_agents_cannot_decide_or_approve(incident, people):
    first, *_ = people
    agent = AgentFactory()
    with pytest.raises(DomainError) as refused:
        _decide(incident, agent)
    assert refused.value.code == ErrorCode.FORBIDDEN
    decision = _decide(incident, first)
    with pytest.raises(DomainError):
        reporting.reportability_approve(decision=decision, actor=agent)


def test_the_checklist_answers_are_frozen_into_the_decision(incident, people):
    first, *_ = people
    criterion = _criteria()[0]
    decision = _decide(incident, first, met=[criterion.pk])
    original = criterion.text
    criterion.text = "바뀐 기준"
    criterion.save()
    decision.refresh_from_db()
    assert decision.criteria_met == [original]


# --- reports and their due times --------------------------------------------------------
def _approved_reportable(incident, people):
    first, second, _supervisor = people
    decision = _decide(incident, first)
    return reporting.reportability_approve(decision=decision, actor=second)


def test_approving_reportable_drafts_the_initial_report_due_by_the_rule_row(incident, people):
    ReportDeadlineRule.objects.all().delete()
    rule = ReportDeadlineRule.objects.create(
        kind=ReportKind.INITIAL, anchor=DeadlineAnchor.DETECTED, offset_hours=6, basis="내규 제5조"
    )
    _approved_reportable(incident, people)
    report = incident.reports.get()
    assert report.kind == ReportKind.INITIAL and report.state == ReportState.DRAFT
    assert report.due_rule == rule
    assert report.due_at == incident.detected_at + timedelta(hours=6)
    assert report.prepared_by == people[0]


def test_the_most_specific_rule_wins_and_an_edited_rule_changes_the_next_report(incident, people):
    ReportDeadlineRule.objects.all().delete()
    ReportDeadlineRule.objects.create(kind=ReportKind.INITIAL, anchor=DeadlineAnchor.DETECTED, offset_hours=24)
    specific = ReportDeadlineRule.objects.create(
        kind=ReportKind.INITIAL,
        incident_type=IncidentType.ORDER_FAILURE,
        anchor=DeadlineAnchor.DETECTED,
        offset_hours=3,
    )
    due, rule, _text = reporting.report_due(incident=incident, kind=ReportKind.INITIAL)
    assert rule == specific and due == incident.detected_at + timedelta(hours=3)
    specific.offset_hours = 2
    specific.save()
    due, _rule, _text = reporting.report_due(incident=incident, kind=ReportKind.INITIAL)
    assert due == incident.detected_at + timedelta(hours=2)


def test_business_day_rules_skip_weekends_and_holiday_rows(incident, people):
    ReportDeadlineRule.objects.all().delete()
    ReportDeadlineRule.objects.create(kind=ReportKind.FINAL, anchor=DeadlineAnchor.ENDED, offset_business_days=2)
    # The factory incident ends Monday 2025-01-20 11:00 KST; make Wednesday a holiday.
    Holiday.objects.update_or_create(
        date=datetime(2025, 1, 22).date(), defaults={"name": "임시공휴일", "kind": HolidayKind.PUBLIC}
    )
    due, _rule, _text = reporting.report_due(incident=incident, kind=ReportKind.FINAL)
    assert due.astimezone(KST).date() == datetime(2025, 1, 23).date()
    assert (due.astimezone(KST).hour, due.astimezone(KST).minute) == (23, 59)


def test_without_a_rule_the_report_has_no_due_time_and_says_so(incident, people):
    ReportDeadlineRule.objects.filter(kind=ReportKind.INTERIM).delete()
    _approved_reportable(incident, people)
    with translation.override("en"):
        report = reporting.report_prepare(incident=incident, actor=people[0], kind=ReportKind.INTERIM)
    assert report.due_at is None and report.due_rule is None
    assert report.due_explanation == "No deadline rule for this kind of report; compliance adds one."


def test_a_report_counted_from_reportability_runs_from_the_approval(incident, people):
    ReportDeadlineRule.objects.all().delete()
    ReportDeadlineRule.objects.create(kind=ReportKind.INTERIM, anchor=DeadlineAnchor.REPORTABLE, offset_hours=48)
    decision = _approved_reportable(incident, people)
    report = reporting.report_prepare(incident=incident, actor=people[0], kind=ReportKind.INTERIM)
    assert report.due_at == decision.reviewed_at + timedelta(hours=48)


def test_reports_need_an_approved_reportable_decision(incident, people):
    with pytest.raises(DomainError):
        reporting.report_prepare(incident=incident, actor=people[0], kind=ReportKind.OTHER)


def test_a_report_is_approved_by_someone_else_frozen_and_then_submitted(incident, people):
    first, second, supervisor = people
    _approved_reportable(incident, people)
    report = incident.reports.get()
    with pytest.raises(DomainError) as refused:
        reporting.report_approve(report=report, actor=first)
    assert refused.value.code == ErrorCode.FOUR_EYES
    with pytest.raises(DomainError):
        reporting.report_submit(
            report=report, actor=first, submitted_at=report.prepared_at, recipient="금융감독원", channel="email"
        )
    reporting.report_approve(report=report, actor=supervisor)
    with pytest.raises(DomainError) as frozen:
        reporting.report_refresh_snapshot(report=report, actor=first)
    assert frozen.value.code == ErrorCode.FROZEN
    report.refresh_from_db()
    reporting.report_submit(
        report=report,
        actor=first,
        submitted_at=report.approved_at + timedelta(minutes=5),
        recipient="금융감독원 가상자산감독국",
        channel="fss_system",
        reference_number="FSS-2025-0001",
    )
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.reference_number == "FSS-2025-0001"
    assert list(report.events.values_list("to_state", flat=True)) == ["draft", "approved", "submitted"]


def test_the_snapshot_holds_type_stage_actions_and_impact(incident, people):
    WithdrawalBlock.objects.create(
        incident=incident,
        started_at=incident.started_at,
        ended_at=incident.ended_at,
        scope="BTC 출금",
        legal_ground="system_failure",
        users_notified_at=incident.started_at + timedelta(minutes=30),
        notice_channel="홈페이지 공지",
    )
    _approved_reportable(incident, people)
    snap = IncidentReport.objects.get(incident=incident).snapshot
    assert snap["title"] == "원화 마켓 주문 장애"
    assert snap["incident_type"] == IncidentType.ORDER_FAILURE and snap["stage"] == incident.state
    assert snap["outage_minutes"] == 120 and snap["actions_taken"] == "서버 증설"
    assert {"claims", "claimed_krw", "approved_krw", "paid_krw", "affected_orders"} <= set(snap["impact"])
    assert snap["withdrawal_blocks"][0]["notice_after_block"] is True


def test_a_block_told_in_advance_is_not_flagged(incident):
    block = WithdrawalBlock(
        incident=incident,
        started_at=incident.started_at,
        scope="KRW 입금",
        legal_ground="authority_request",
        users_notified_at=incident.started_at - timedelta(hours=1),
    )
    assert block.notice_after_block is False
    block.users_notified_at = None
    assert block.notice_after_block is True
