"""The yearly control review (내부통제 점검, DAXA 모범규준: 연 1회 이상): what the controls did in a year.

`control_review_pack(year)` returns sections of plain rows (strings and integers only) so the same
pack renders as the admin page, the PDF and the CSV, and freezes into JSON at sign-off. The SLA
counts use the one definition of on time, `compensation.selectors.reports` (`review_sla`'s
aggregates), restricted to decisions notified in the year.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate, TruncMonth
from django.utils.translation import gettext as _

from compensation.models import Claim, CompensationBatch, CoverageSnapshot, Decision
from compensation.selectors.reports import FIRST_ROUND_SLA, NOTIFIED_ON, claims_open_overdue, first_decisions
from incidents.kst import KST
from incidents.models import (
    HolidayChange,
    Incident,
    IncidentEvent,
    IncidentReport,
    IncidentState,
    ReportabilityDecision,
    ReportState,
)

__all__ = ["claims_per_day", "control_review_pack", "notice_hours_by_incident", "review_sla_by_month"]


def _when(moment):
    return f"{moment.astimezone(KST):%Y-%m-%d %H:%M}" if moment else ""


def _day(day):
    return f"{day:%Y-%m-%d}" if day else ""


def _user(user):
    return user.get_username() if user else ""


def review_sla_by_month(year):
    """{month number: {decided, on_time, extended, late}} for first decisions notified in `year` (KST)."""
    rows = (
        first_decisions()
        .annotate(notified_on=NOTIFIED_ON, month=TruncMonth("notified_at", tzinfo=KST))
        .filter(notified_on__year=year)
        .values("month")
        .annotate(**FIRST_ROUND_SLA)
        .order_by("month")
    )
    months = {m: {"decided": 0, "on_time": 0, "extended": 0, "late": 0} for m in range(1, 13)}
    for row in rows:
        months[row["month"].month] = {key: row[key] for key in ("decided", "on_time", "extended", "late")}
    return months


def _section(key, title, columns, rows, note=""):
    return {"key": key, "title": title, "columns": columns, "rows": rows, "note": note}


def _sla_counts(year):
    by_month = review_sla_by_month(year)
    totals = {key: sum(m[key] for m in by_month.values()) for key in ("decided", "on_time", "extended", "late")}
    open_overdue = claims_open_overdue().filter(statutory_due_on__year=year).count()
    return _section(
        "sla",
        _("Review SLA (15 business days, first decisions notified in the year)"),
        [_("decided"), _("on time"), _("extended"), _("late"), _("open past the statutory date")],
        [[totals["decided"], totals["on_time"], totals["extended"], totals["late"], open_overdue]],
        _("Same definition as the SLA report (review_sla): the decision notice by the statutory date."),
    )


def _late_notices(year):
    target = timedelta(hours=settings.NOTICE_TARGET_HOURS)
    incidents = list(Incident.objects.filter(started_at__year=year).order_by("started_at", "pk"))
    late = [i for i in incidents if i.notice_delay is not None and i.notice_delay > target]
    return _section(
        "late_notices",
        _("Notices later than the target (%(hours)d h after detection)") % {"hours": settings.NOTICE_TARGET_HOURS},
        [_("incident"), _("detected at"), _("notice first posted at"), _("delay (hours)"), _("reason")],
        [
            [
                i.title,
                _when(i.detected_at),
                _when(i.notice_first_posted_at),
                round(i.notice_delay.total_seconds() / 3600, 1),
                getattr(i, "notice_delay_reason", ""),
            ]
            for i in late
        ],
    )


def _extensions(year):
    extended = Claim.objects.filter(filed_at__year=year).exclude(review_extension_reason="").order_by("filed_at")
    return _section(
        "extensions",
        _("Review extensions"),
        [_("claim"), _("filed at"), _("statutory date"), _("extended to"), _("reason")],
        [
            [
                c.number or str(c.pk),
                _when(c.filed_at),
                _day(c.statutory_due_on),
                _day(c.review_due_on),
                c.review_extension_reason,
            ]
            for c in extended.only("number", "filed_at", "statutory_due_on", "review_due_on", "review_extension_reason")
        ],
    )


def _cap_overrides(year):
    overrides = (
        Decision.objects.filter(decided_at__year=year)
        .exclude(cap_override_reason="")
        .select_related("claim", "decided_by", "approved_by")
        .order_by("decided_at")
    )
    return _section(
        "cap_overrides",
        _("Decisions above the policy cap"),
        [_("claim"), _("amount (KRW)"), _("decided by"), _("approved by"), _("reason")],
        [
            [
                d.claim.number or str(d.claim_id),
                d.amount_krw,
                _user(d.decided_by),
                _user(d.approved_by),
                d.cap_override_reason,
            ]
            for d in overrides
        ],
    )


def _four_eyes(year):
    four_eyes = [
        [
            _("decisions above the four-eyes limit"),
            Decision.objects.filter(decided_at__year=year, approved_by__isnull=False).count(),
        ],
        [
            _("reportability decisions"),
            ReportabilityDecision.objects.filter(decided_at__year=year, reviewed_by__isnull=False).count(),
        ],
        [_("regulator reports"), IncidentReport.objects.filter(approved_at__year=year).count()],
        [_("holiday edits"), HolidayChange.objects.filter(proposed_at__year=year, approved_by__isnull=False).count()],
        [
            _("proactive compensation batches"),
            CompensationBatch.objects.filter(created_at__year=year, approved_by__isnull=False).count(),
        ],
    ]
    return _section("four_eyes", _("Approvals by a second person"), [_("what"), _("count")], four_eyes)


def _holiday_edits(year):
    holiday_edits = HolidayChange.objects.filter(proposed_at__year=year).select_related("proposed_by", "approved_by")
    return _section(
        "holiday_edits",
        _("Holiday edits"),
        [_("date"), _("action"), _("status"), _("proposed by"), _("approved by"), _("reason")],
        [
            [
                _day(h.day),
                h.get_action_display(),
                h.get_status_display(),
                _user(h.proposed_by),
                _user(h.approved_by),
                h.reason,
            ]
            for h in holiday_edits.order_by("proposed_at")
        ],
    )


def _dismissed(year):
    dismissed = IncidentEvent.objects.filter(
        to_state=IncidentState.DISMISSED, incident__started_at__year=year
    ).select_related("incident", "actor")
    return _section(
        "dismissed",
        _("Dismissed incidents"),
        [_("incident"), _("dismissed at"), _("by"), _("reason")],
        [[e.incident.title, _when(e.created_at), _user(e.actor), e.reason] for e in dismissed.order_by("created_at")],
    )


def _reports_timeliness(year):
    reports = IncidentReport.objects.filter(incident__started_at__year=year).select_related("incident")
    report_rows = []
    for r in reports.order_by("due_at", "pk"):
        if r.state == ReportState.SUBMITTED:
            timeliness = _("late") if r.submitted_late else _("on time")
        else:
            timeliness = _("overdue") if r.is_overdue() else _("open")
        report_rows.append([r.incident.title, r.get_kind_display(), _when(r.due_at), _when(r.submitted_at), timeliness])
    decided_not = ReportabilityDecision.objects.filter(
        incident__started_at__year=year, status=ReportabilityDecision.Status.APPROVED, reportable=False
    ).count()
    return _section(
        "reports",
        _("Regulator reports and their timeliness"),
        [_("incident"), _("report kind"), _("due at"), _("submitted at"), _("timeliness")],
        report_rows,
        _("Incidents decided not reportable (two names each): %(n)d") % {"n": decided_not},
    )


def _coverage_shortfalls(year):
    shortfalls = CoverageSnapshot.objects.filter(month__year=year, shortfall_krw__gt=0).order_by("month")
    return _section(
        "coverage",
        _("Coverage shortfalls"),
        [_("month"), _("shortfall (KRW)"), _("fix by"), _("fixed at"), _("on time")],
        [
            [
                f"{s.month:%Y-%m}",
                s.shortfall_krw,
                _day(s.fix_by),
                _when(s.fixed_at),
                "" if not s.fixed_at else (_("late") if s.fixed_late else _("on time")),
            ]
            for s in shortfalls
        ],
    )


SECTIONS = (
    _sla_counts,
    _late_notices,
    _extensions,
    _cap_overrides,
    _four_eyes,
    _holiday_edits,
    _dismissed,
    _reports_timeliness,
    _coverage_shortfalls,
)


def control_review_pack(year):
    """Every section of the review for `year`: a list of {key, title, columns, rows, note}."""
    return [section(year) for section in SECTIONS]


def notice_hours_by_incident(year):
    """(label, hours from detection to the first notice) per incident that started in `year`."""
    incidents = Incident.objects.filter(started_at__year=year, notice_first_posted_at__isnull=False).order_by(
        "started_at", "pk"
    )
    return [(f"#{i.pk} {i.title[:14]}", round(i.notice_delay.total_seconds() / 3600, 1)) for i in incidents]


def claims_per_day(incident):
    """(KST day, claims filed) for every day from the incident date to the end of intake, zeros
    included; None before a notice (no intake period yet)."""
    if incident.intake_ends_on is None:
        return None
    first, last = incident.incident_date, incident.intake_ends_on
    per_day = dict(
        Claim.objects.filter(incident=incident)
        .annotate(day=TruncDate("filed_at", tzinfo=KST))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(day, per_day.get(day, 0)) for day in (first + timedelta(days=k) for k in range((last - first).days + 1))]
