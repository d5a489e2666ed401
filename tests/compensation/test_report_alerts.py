"""Regulator reports due or overdue reach the staff alerts and the daily digest."""

from datetime import timedelta

from django.core import mail

from compensation.models import Notification
from compensation.notifications import staff_alerts as alerts
from incidents import reporting
from incidents.models import DeadlineAnchor, ReportabilityCriterion, ReportDeadlineRule, ReportKind
from tests.factories import ComplianceFactory, IncidentFactory, SupervisorFactory


def _reportable_incident():
    ReportDeadlineRule.objects.all().delete()
    ReportDeadlineRule.objects.create(kind=ReportKind.INITIAL, anchor=DeadlineAnchor.DETECTED, offset_hours=24)
    incident = IncidentFactory(title="출금 지연 장애")
    decider, approver = ComplianceFactory(), SupervisorFactory()
    decision = reporting.reportability_decide(
        incident=incident,
        actor=decider,
        reportable=True,
        met_criteria=[ReportabilityCriterion.objects.filter(active=True).first().pk],
        reason="출금 3시간 지연",
    )
    reporting.reportability_approve(decision=decision, actor=approver)
    return incident, incident.reports.get(), decider, approver


def _report_alerts(report, **filters):
    return Notification.objects.filter(kind="deadline_alert", context__report_id=report.pk, **filters)


def test_a_report_due_tomorrow_alerts_d1_and_overdue_once_the_time_passes(
    world, at, django_capture_on_commit_callbacks
):
    at(2025, 1, 20, 12)  # the factory incident was detected 2025-01-20 09:05 KST; due 2025-01-21 09:05
    incident, report, decider, approver = _reportable_incident()
    with django_capture_on_commit_callbacks(execute=True):
        alerts.sweep()
    mine = [m.body for m in mail.outbox if m.to == [decider.email]]
    assert any("금융당국 보고서 제출 기한" in body and f"/incidentreport/{report.pk}/" in body for body in mine), mine
    rows = _report_alerts(report)
    assert rows.exists() and {r.context["stage"] for r in rows} == {"d1"}
    assert {decider.pk, approver.pk} <= set(rows.values_list("recipient_id", flat=True))
    assert rows.first().context["deadline"] == "report_due"
    at(2025, 1, 21, 9, 10)
    alerts.sweep()
    assert _report_alerts(report, context__stage="overdue").exists()
    assert alerts.sweep() == 0  # nothing twice


def test_a_submitted_report_raises_no_alert(world, at):
    at(2025, 1, 20, 12)
    incident, report, decider, approver = _reportable_incident()
    reporting.report_approve(report=report, actor=approver)
    report.refresh_from_db()
    reporting.report_submit(
        report=report,
        actor=decider,
        submitted_at=report.approved_at + timedelta(minutes=1),
        recipient="금융감독원",
        channel="email",
    )
    alerts.sweep()
    assert not _report_alerts(report).exists()


def test_the_digest_lists_overdue_reports(world, at, django_capture_on_commit_callbacks):
    at(2025, 1, 20, 12)
    incident, report, _decider, _approver = _reportable_incident()
    at(2025, 1, 22, 9)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.digest()
    row = Notification.objects.filter(kind="daily_digest").first()
    assert [item["report_id"] for item in row.context["late_reports"]] == [report.pk]
    assert any("기한이 지난 금융당국 보고서" in m.body and "출금 지연 장애" in m.body for m in mail.outbox)
