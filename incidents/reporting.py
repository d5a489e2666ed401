"""Reporting to the regulator: the reportability decision (four eyes) and the incident reports.

Services here are keyword-only, one transaction each, lock what they change and write an
event row; reads used by the admin, the PDF and the alerts are the functions at the end.
Nothing about when a report is due is written in code: `report_due` reads the
`ReportDeadlineRule` rows compliance keeps (example rows ship marked as examples).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents import calendar, panels, roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import KST, end_of_day, to_kst_date
from incidents.models import (
    DeadlineAnchor,
    Incident,
    IncidentReport,
    IncidentReportAttachment,
    IncidentReportEvent,
    ReportabilityCriterion,
    ReportabilityDecision,
    ReportChannel,
    ReportDeadlineRule,
    ReportKind,
    ReportState,
)
from incidents.pdf import render_pdf

DECIDERS = (roles.COMPLIANCE,)
APPROVERS = (roles.COMPLIANCE, roles.SUPERVISOR)
Status = ReportabilityDecision.Status


# --- reportability ------------------------------------------------------------------
def active_criteria():
    return list(ReportabilityCriterion.objects.filter(active=True).order_by("position", "pk"))


def decision_in_force(incident):
    return incident.reportability_decisions.filter(status=Status.APPROVED).first()


def pending_decision(incident):
    return incident.reportability_decisions.filter(status=Status.PENDING).first()


def reportability_decide(*, incident, actor, reportable, met_criteria, reason):
    """Answer the checklist and say reported or not; a second person must approve it.

    `met_criteria` are the ids of the active criteria the incident meets. Any one met makes
    the incident reportable: "not reported" with a criterion met is refused, so the answer
    cannot drift from the checklist (the FSS finding this guards against).
    """
    roles.require_role(actor, *DECIDERS, action=_("decide whether an incident is reported"))
    if not (reason or "").strip():
        raise DomainError(_("Give the reasoning behind the decision."))
    criteria = active_criteria()
    if not criteria:
        raise DomainError(_("The reportability checklist is empty; compliance adds the criteria first."))
    known = {criterion.pk for criterion in criteria}
    met = {int(pk) for pk in met_criteria}
    if met - known:
        raise DomainError(_("The checklist changed while you answered it; reload the page and answer again."))
    if met and not reportable:
        raise DomainError(
            _("A criterion on the checklist is met, so the incident is reportable: %(criteria)s.")
            % {"criteria": "; ".join(c.text for c in criteria if c.pk in met)},
            code=ErrorCode.NOT_ALLOWED,
        )
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if pending_decision(incident):
            raise DomainError(
                _("A decision on this incident is waiting for its second approver."), code=ErrorCode.PENDING
            )
        return ReportabilityDecision.objects.create(
            incident=incident,
            reportable=bool(reportable),
            checklist=[{"id": c.pk, "text": c.text, "met": c.pk in met, "example": c.is_example} for c in criteria],
            reason=reason.strip(),
            decided_by=actor,
        )


def _review(decision, actor, verb):
    roles.require_role(actor, *APPROVERS, action=verb)
    decision = ReportabilityDecision.objects.select_for_update().select_related("incident").get(pk=decision.pk)
    if decision.status != Status.PENDING:
        raise DomainError(
            _("This decision is already %(status)s.") % {"status": decision.get_status_display()},
            code=ErrorCode.INVALID_TRANSITION,
        )
    if decision.decided_by_id == actor.pk:
        raise DomainError(
            _("A second person must review this decision; you made it yourself."), code=ErrorCode.FOUR_EYES
        )
    return decision


def reportability_approve(*, decision, actor, note="", now=None):
    """The second name on the decision; a reportable incident gets its initial report drafted."""
    now = now or timezone.now()
    with transaction.atomic():
        decision = _review(decision, actor, _("approve a reportability decision"))
        decision.incident.reportability_decisions.filter(status=Status.APPROVED).update(status=Status.SUPERSEDED)
        decision.status = Status.APPROVED
        decision.reviewed_by = actor
        decision.reviewed_at = now
        decision.review_note = note.strip()
        decision.save()
        if decision.reportable and not decision.incident.reports.filter(kind=ReportKind.INITIAL).exists():
            _create_report(
                incident=decision.incident, kind=ReportKind.INITIAL, prepared_by=decision.decided_by, now=now
            )
    return decision


def reportability_reject(*, decision, actor, note):
    """The second person disagrees: the decision is kept, rejected, and a new one must be made."""
    if not (note or "").strip():
        raise DomainError(_("Say why you do not approve the decision."))
    with transaction.atomic():
        decision = _review(decision, actor, _("review a reportability decision"))
        decision.status = Status.REJECTED
        decision.reviewed_by = actor
        decision.reviewed_at = timezone.now()
        decision.review_note = note.strip()
        decision.save()
    return decision


# --- deadlines ------------------------------------------------------------------------
def _rule_for(incident, kind):
    """The most specific active rule: type and severity, then type, then severity, then any."""
    rules = ReportDeadlineRule.objects.filter(
        Q(incident_type="") | Q(incident_type=incident.incident_type),
        Q(severity="") | Q(severity=incident.severity),
        kind=kind,
        active=True,
    )
    return max(rules, key=lambda r: (bool(r.incident_type), bool(r.severity), -r.pk), default=None)


def _anchor_time(incident, anchor):
    if anchor == DeadlineAnchor.DETECTED:
        return incident.detected_at
    if anchor == DeadlineAnchor.ENDED:
        return incident.ended_at
    decision = decision_in_force(incident)
    return decision.reviewed_at if decision and decision.reportable else None


def report_due(*, incident, kind):
    """(due time or None, the rule used or None, a sentence saying how) for a report of `kind`."""
    rule = _rule_for(incident, kind)
    if rule is None:
        return None, None, _("No deadline rule for this kind of report; compliance adds one.")
    start = _anchor_time(incident, rule.anchor)
    if start is None:
        return (
            None,
            rule,
            _("%(rule)s — not yet known (%(anchor)s has not happened).")
            % {
                "rule": rule,
                "anchor": rule.get_anchor_display().lower(),
            },
        )
    if rule.offset_hours is not None:
        due = start + timedelta(hours=rule.offset_hours)
    else:
        due = end_of_day(calendar.add_business_days(to_kst_date(start), rule.offset_business_days))
    return due, rule, str(rule)


# --- the report's snapshot -------------------------------------------------------------
def _iso(moment):
    return moment.isoformat() if moment else None


def incident_snapshot(incident):
    """The incident as it stands: type, stage, actions, impact; frozen into a report."""
    outage = incident.outage_duration
    notice_delay = incident.notice_delay
    return {
        "title": incident.title,
        "incident_type": incident.incident_type,
        "incident_type_label": str(incident.get_incident_type_display()),
        "severity": incident.severity,
        "severity_label": str(incident.get_severity_display()),
        "stage": incident.state,
        "stage_label": str(incident.get_state_display()),
        "affected_services": incident.affected_services,
        "started_at": _iso(incident.started_at),
        "ended_at": _iso(incident.ended_at),
        "detected_at": _iso(incident.detected_at),
        "outage_minutes": int(outage.total_seconds() // 60) if outage is not None else None,
        "notice_first_posted_at": _iso(incident.notice_first_posted_at),
        "notice_delay_minutes": int(notice_delay.total_seconds() // 60) if notice_delay is not None else None,
        "notice_late": incident.notice_was_late,
        "root_cause": incident.root_cause,
        "actions_taken": incident.actions_taken,
        "estimated_affected_users": incident.estimated_affected_users,
        "timeline": [
            {"at": _iso(e.created_at), "to": e.to_state_label and str(e.to_state_label), "reason": e.reason}
            for e in incident.events.order_by("created_at", "pk")
        ],
        "withdrawal_blocks": [
            {
                "started_at": _iso(b.started_at),
                "ended_at": _iso(b.ended_at),
                "scope": b.scope,
                "legal_ground": str(b.get_legal_ground_display()),
                "ground_detail": b.ground_detail,
                "users_notified_at": _iso(b.users_notified_at),
                "notice_channel": b.notice_channel,
                "notice_after_block": b.notice_after_block,
            }
            for b in incident.withdrawal_blocks.order_by("started_at", "pk")
        ],
        "impact": panels.impact_figures(incident=incident),
    }


# --- reports ---------------------------------------------------------------------------
def _event(report, *, from_state, actor, note=""):
    IncidentReportEvent.objects.create(
        report=report, from_state=from_state, to_state=report.state, actor=actor, note=note
    )


def _create_report(*, incident, kind, prepared_by, summary="", recipient="", channel="", now=None):
    now = now or timezone.now()
    due_at, rule, explanation = report_due(incident=incident, kind=kind)
    report = IncidentReport.objects.create(
        incident=incident,
        kind=kind,
        due_at=due_at,
        due_rule=rule,
        due_explanation=explanation[:400],
        summary=summary,
        recipient=recipient,
        channel=channel,
        snapshot=incident_snapshot(incident),
        snapshot_at=now,
        prepared_by=prepared_by,
        prepared_at=now,
    )
    _event(report, from_state="", actor=prepared_by, note=_("Report prepared"))
    return report


def report_prepare(*, incident, actor, kind, summary="", recipient="", channel=""):
    """Draft a report of an incident decided reportable (by two people)."""
    roles.require_role(actor, *DECIDERS, action=_("prepare a regulator report"))
    if kind not in ReportKind.values:
        raise DomainError(_("Unknown kind of report."))
    if channel and channel not in ReportChannel.values:
        raise DomainError(_("Unknown channel."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        decision = decision_in_force(incident)
        if decision is None or not decision.reportable:
            raise DomainError(
                _("Reports are prepared once the incident is decided reportable and a second person approved it."),
                code=ErrorCode.NOT_ALLOWED,
            )
        return _create_report(
            incident=incident, kind=kind, prepared_by=actor, summary=summary, recipient=recipient, channel=channel
        )


def _locked_report(report):
    return IncidentReport.objects.select_for_update().select_related("incident").get(pk=report.pk)


def report_update(*, report, actor, **fields):
    """Edit the text and addressing of a draft; an approved report changes only by submitting it."""
    roles.require_role(actor, *DECIDERS, action=_("edit a regulator report"))
    allowed = {"summary", "recipient", "channel", "reference_number"}
    if set(fields) - allowed:
        raise TypeError(f"unknown report fields: {sorted(set(fields) - allowed)}")
    if fields.get("channel") and fields["channel"] not in ReportChannel.values:
        raise DomainError(_("Unknown channel."))
    with transaction.atomic():
        report = _locked_report(report)
        if report.state != ReportState.DRAFT:
            raise DomainError(_("Only a draft report can be edited."), code=ErrorCode.FROZEN)
        for name, value in fields.items():
            setattr(report, name, value)
        report.save()
    return report


def report_refresh_snapshot(*, report, actor):
    """Take the incident's figures again (a draft only: approval freezes them)."""
    roles.require_role(actor, *DECIDERS, action=_("edit a regulator report"))
    with transaction.atomic():
        report = _locked_report(report)
        if report.state != ReportState.DRAFT:
            raise DomainError(_("The snapshot of an approved report is frozen."), code=ErrorCode.FROZEN)
        report.snapshot = incident_snapshot(report.incident)
        report.snapshot_at = timezone.now()
        report.save(update_fields=["snapshot", "snapshot_at"])
        _event(report, from_state=report.state, actor=actor, note=_("Snapshot refreshed"))
    return report


def report_approve(*, report, actor, now=None):
    """Four eyes: someone other than who prepared the report approves it, freezing it."""
    roles.require_role(actor, *APPROVERS, action=_("approve a regulator report"))
    with transaction.atomic():
        report = _locked_report(report)
        if report.prepared_by_id == actor.pk:
            raise DomainError(
                _("A second person must approve this report; you prepared it yourself."), code=ErrorCode.FOUR_EYES
            )
        if report.state != ReportState.DRAFT:
            raise DomainError(_("Only a draft report can be approved."), code=ErrorCode.INVALID_TRANSITION)
        report.approve()
        report.approved_by = actor
        report.approved_at = now or timezone.now()
        report.save()
        _event(report, from_state=ReportState.DRAFT, actor=actor, note=_("Approved"))
    return report


def report_submit(*, report, actor, submitted_at, recipient, channel, reference_number=""):
    """Record that the approved report went to the regulator: when, to whom, how, their number."""
    roles.require_role(actor, *DECIDERS, action=_("record a report as submitted"))
    if not (recipient or "").strip() or channel not in ReportChannel.values:
        raise DomainError(_("Say to whom and through which channel the report was sent."))
    now = timezone.now()
    if submitted_at is None or submitted_at > now + timedelta(minutes=5):
        raise DomainError(_("The submission time cannot be in the future."))
    with transaction.atomic():
        report = _locked_report(report)
        if report.state != ReportState.APPROVED:
            raise DomainError(
                _("Only an approved report can be submitted; a second person approves it first."),
                code=ErrorCode.INVALID_TRANSITION,
            )
        if submitted_at < report.approved_at:
            raise DomainError(_("A report cannot be submitted before it was approved."))
        report.submit()
        report.submitted_by = actor
        report.submitted_at = submitted_at
        report.recipient = recipient.strip()
        report.channel = channel
        report.reference_number = (reference_number or "").strip()
        report.save()
        late = _(" (after the due time)") if report.submitted_late else ""
        _event(report, from_state=ReportState.APPROVED, actor=actor, note=_("Submitted") + late)
    return report


def report_add_attachment(*, report, actor, upload, description=""):
    roles.require_role(actor, *DECIDERS, action=_("attach a file to a regulator report"))
    if report.state == ReportState.SUBMITTED:
        raise DomainError(_("The report is submitted; its attachments are final."), code=ErrorCode.FROZEN)
    with transaction.atomic():
        return IncidentReportAttachment.objects.create(
            report=report,
            file=upload,
            name=(upload.name or "attachment")[-200:],
            description=description,
            uploaded_by=actor,
        )


# The impact figures a provider (compensation) fills in; unknown keys print under their own name.
IMPACT_LABELS = {
    "claimants": gettext_lazy("users who filed claims"),
    "affected_orders": gettext_lazy("failed orders in the exchange's log"),
    "affected_addresses": gettext_lazy("accounts in the exchange's order log"),
    "claims": gettext_lazy("claims filed"),
    "claimed_krw": gettext_lazy("amount claimed (KRW)"),
    "decided_claims": gettext_lazy("claims decided"),
    "approved_krw": gettext_lazy("amount decided (KRW)"),
    "paid_krw": gettext_lazy("amount paid (KRW)"),
}


# --- reads -----------------------------------------------------------------------------
OPEN_REPORT_STATES = (ReportState.DRAFT, ReportState.APPROVED)


def open_reports_due_by(moment):
    """Reports not yet submitted whose due time is at or before `moment` (alerts, digest)."""
    return (
        IncidentReport.objects.filter(state__in=OPEN_REPORT_STATES, due_at__lte=moment)
        .select_related("incident")
        .order_by("due_at", "pk")
    )


def _kst(value):
    """An ISO time (or datetime) as 'YYYY-MM-DD HH:MM KST'; '' for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(KST):%Y-%m-%d %H:%M} KST"


def report_rows(report):
    """The report's own facts as (label, value): due, names, submission."""
    return [
        (_("report kind"), report.get_kind_display()),
        (_("state"), report.get_state_display()),
        (_("due at"), _kst(report.due_at)),
        (_("how the due time was set"), report.due_explanation),
        (_("prepared by"), report.prepared_by.get_username()),
        (_("prepared at"), _kst(report.prepared_at)),
        (_("approved by"), report.approved_by.get_username() if report.approved_by else ""),
        (_("approved at"), _kst(report.approved_at)),
        (_("submitted at"), _kst(report.submitted_at)),
        (_("recipient"), report.recipient),
        (_("channel"), report.get_channel_display() if report.channel else ""),
        (_("reference number"), report.reference_number),
        (_("snapshot taken at"), _kst(report.snapshot_at)),
    ]


def snapshot_rows(snap):
    """The frozen incident as (label, value): type, stage, actions, impact, 입출금 차단."""
    impact = snap.get("impact", {})
    outage = snap.get("outage_minutes")
    rows = [
        (_("title"), snap.get("title", "")),
        (_("incident type"), snap.get("incident_type_label", "")),
        (_("severity"), snap.get("severity_label", "")),
        (_("stage"), snap.get("stage_label", "")),
        (_("affected services"), snap.get("affected_services", "")),
        (_("started at"), _kst(snap.get("started_at"))),
        (_("ended at"), _kst(snap.get("ended_at"))),
        (_("detected at"), _kst(snap.get("detected_at"))),
        (_("outage minutes"), "" if outage is None else outage),
        (_("notice first posted at"), _kst(snap.get("notice_first_posted_at"))),
        (_("root cause"), snap.get("root_cause", "")),
        (_("actions taken"), snap.get("actions_taken", "")),
        (_("estimated affected users"), snap.get("estimated_affected_users") or ""),
    ]
    rows.extend((str(IMPACT_LABELS.get(key, key)), value) for key, value in impact.items())
    for i, block in enumerate(snap.get("withdrawal_blocks", []), start=1):
        told = _kst(block["users_notified_at"]) or "—"
        text = (
            f"{block['scope']} · {_kst(block['started_at'])} – {_kst(block['ended_at'])} · {block['legal_ground']} · "
            f"{_('users told at')} {told} ({block['notice_channel']})"
        )
        if block["notice_after_block"]:
            text += f" · ⚠ {_('notice after the block')}"
        rows.append((_("deposit/withdrawal block %(n)d") % {"n": i}, text))
    return rows


def csv_rows(report):
    """The report as (field, value) rows: the CSV export, the admin page and the PDF read the same snapshot."""
    return report_rows(report) + snapshot_rows(report.snapshot)


def render_report_pdf(report):
    """The report as PDF bytes (DomainError when PDFs cannot be made on this machine)."""
    return render_pdf(
        "pdf/incident_report.html",
        {
            "report": report,
            "report_rows": report_rows(report),
            "incident_rows": snapshot_rows(report.snapshot),
            "snapshot": report.snapshot,
        },
    )
