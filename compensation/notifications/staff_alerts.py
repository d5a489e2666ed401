"""Staff alerts for running deadlines, and the daily digest: set-based, a few queries for any N.

The sweep computes its target dates from the calendar once, selects the due rows through the
due-date indexes, builds the outbox rows in Python and inserts them in bulk; the unique key
(deadline, object, due date, stage, recipient) makes hourly reruns and concurrent sweeps no-ops.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Count, F, Q, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from compensation.models import Claim, ClaimState, CoverageSnapshot, Notification
from compensation.models.claim import OPEN_STATES, REVIEW_CLOCK_STATES
from compensation.notifications import keys, outbox
from incidents import calendar, legal, reporting, roles
from incidents.kst import end_of_day
from incidents.models import Incident, IncidentState

D3, D1, OVERDUE = "d3", "d1", "overdue"
REVIEW_DUE = "review_due"
OBJECTION_REVIEW_DUE = "objection_review_due"
PAYMENT_DUE = "payment_due"
INTAKE_END = "intake_end"
NOTICE_NOT_POSTED = "notice_not_posted"
REPORT_DUE = "report_due"
COVERAGE_SHORTFALL = "coverage_shortfall"
INCIDENT_ROLES = (roles.SUPERVISOR, roles.COMPLIANCE)
DIGEST_ITEMS = 20


def overdue_lookback_days():
    # Overdue alerts go out once per deadline; anything older than this is left to the daily
    # digest so that long-stuck rows are not re-read by every hourly sweep.
    return getattr(settings, "ALERT_OVERDUE_LOOKBACK_DAYS", 7)


class AlertWindow:
    """Today's alert windows, from one calendar snapshot."""

    def __init__(self, now):
        cal = calendar.get_calendar()
        self.now = now
        self.today = calendar.to_kst_date(now)
        self.d1 = cal.add_business_days(self.today, 1)
        self.d3 = cal.add_business_days(self.today, 3)
        self.floor = self.today - timedelta(days=overdue_lookback_days())

    def stage(self, due):
        """Ranges rather than exact days, so a sweep that missed a day still sends the alert."""
        if due < self.today:
            return OVERDUE
        if due <= self.d1:
            return D1
        if due <= self.d3:
            return D3
        return None


def _staff_by_role():
    """{role: [(user id, email)]} for active staff with an address: one query."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles.ALL_ROLES)
        .exclude(email="")
        .values_list("pk", "email", "groups__name")
    )
    out = {name: [] for name in roles.ALL_ROLES}
    for pk, email, role in rows:
        out[role].append((pk, email))
    return out


def _alert(*, deadline, ref, due, stage, to, claim_id=None, **context):
    user_id, email = to
    return Notification(
        key=keys.deadline_alert(deadline, ref, due, stage, user_id),
        kind=Notification.Kind.DEADLINE_ALERT,
        claim_id=claim_id,
        recipient_id=user_id,
        to_email=email,
        language="ko",
        context={"deadline": deadline, "stage": stage, "due_on": due.isoformat(), "claim_id": claim_id, **context},
    )


def _claim_alerts(window, supervisors):
    rows = Claim.objects.filter(
        Q(state__in=REVIEW_CLOCK_STATES, review_due_on__gte=window.floor, review_due_on__lte=window.d3)
        | Q(state=ClaimState.ACCEPTED, payment_due_on__gte=window.floor, payment_due_on__lte=window.d3)
    ).values_list(
        "pk", "number", "state", "objection_round", "review_due_on", "payment_due_on", "assignee_id", "assignee__email"
    )
    for pk, number, state, objection_round, review_due, payment_due, assignee_id, assignee_email in rows:
        if state == ClaimState.ACCEPTED:
            deadline, due = PAYMENT_DUE, payment_due
        else:
            deadline = OBJECTION_REVIEW_DUE if objection_round else REVIEW_DUE
            due = review_due
        stage = window.stage(due)
        if stage is None:
            continue
        recipients = [(assignee_id, assignee_email)] if assignee_id and assignee_email else supervisors
        for to in recipients:
            yield _alert(
                deadline=deadline,
                ref=f"c{pk}",
                due=due,
                stage=stage,
                to=to,
                claim_id=pk,
                claim_number=number or str(pk),
                state=state,
                objection_round=objection_round,
            )


def _incident_alerts(window, editors):
    target = timedelta(hours=legal.notice_target_hours())
    rows = Incident.objects.filter(
        Q(state=IncidentState.NOTICE_POSTED, intake_ends_on__gte=window.floor, intake_ends_on__lte=window.d3)
        | Q(
            state=IncidentState.DETECTED, detected_at__gte=window.now - target - timedelta(days=overdue_lookback_days())
        )
    ).values_list("pk", "title", "state", "intake_ends_on", "detected_at")
    for pk, title, state, intake_ends_on, detected_at in rows:
        if state == IncidentState.DETECTED:
            deadline, due_at = NOTICE_NOT_POSTED, detected_at + target
            due = calendar.to_kst_date(due_at)
            # An hours target: overdue the moment it passes, not at the end of the day.
            stage = OVERDUE if window.now > due_at else window.stage(max(due, window.today))
            extra = {"due_at": due_at.isoformat(), "target_hours": legal.notice_target_hours()}
        else:
            deadline, due = INTAKE_END, intake_ends_on
            stage = window.stage(due)
            extra = {}
        if stage is None:
            continue
        for to in editors:
            yield _alert(
                deadline=deadline,
                ref=f"i{pk}",
                due=due,
                stage=stage,
                to=to,
                incident_id=pk,
                incident_title=title,
                **extra,
            )


def _report_alerts(window, editors):
    """Regulator reports not yet submitted: D-3 / D-1 by KST date, overdue the moment the due time passes."""
    rows = reporting.open_reports_due_by(end_of_day(window.d3)).filter(
        due_at__gte=window.now - timedelta(days=overdue_lookback_days())
    )
    for report in rows:
        due = calendar.to_kst_date(report.due_at)
        stage = OVERDUE if window.now > report.due_at else window.stage(max(due, window.today))
        if stage is None:
            continue
        for to in editors:
            yield _alert(
                deadline=REPORT_DUE,
                ref=f"r{report.pk}",
                due=due,
                stage=stage,
                to=to,
                incident_id=report.incident_id,
                incident_title=report.incident.title,
                report_id=report.pk,
                report_kind=report.kind,
                due_at=report.due_at.isoformat(),
            )


DECISION_MAIL_FAILED = "decision_mail_failed"


def _failed_decision_mails():
    """Decision mails the outbox gave up on while the claim waits on them: nothing is deemed accepted
    until the claimant has the decision, so staff must reach them another way (or resend)."""
    return Notification.objects.filter(
        state=Notification.State.FAILED, kind__in=outbox.DECISION_KINDS, claim__state=ClaimState.DECIDED
    ).values_list("pk", "claim_id", "claim__number", "claim__assignee_id", "claim__assignee__email", "created_at")


def _failed_decision_mail_alerts(supervisors):
    for pk, claim_id, number, assignee_id, assignee_email, created_at in _failed_decision_mails():
        recipients = [(assignee_id, assignee_email)] if assignee_id and assignee_email else supervisors
        for to in recipients:
            yield _alert(
                deadline=DECISION_MAIL_FAILED,
                ref=f"n{pk}",
                due=calendar.to_kst_date(created_at),
                stage=OVERDUE,
                to=to,
                claim_id=claim_id,
                claim_number=number or str(claim_id),
                state=ClaimState.DECIDED,
            )


def _coverage_alerts(window, compliance):
    """A coverage shortfall runs to its fix-by date (next business day, or the 10th)."""
    rows = CoverageSnapshot.objects.filter(
        status=CoverageSnapshot.Status.SHORTFALL, fix_by__gte=window.floor, fix_by__lte=window.d3
    ).values_list("pk", "month", "fix_by", "shortfall_krw")
    for pk, month, fix_by, shortfall in rows:
        stage = window.stage(fix_by)
        if stage is None:
            continue
        for to in compliance:
            yield _alert(
                deadline=COVERAGE_SHORTFALL,
                ref=f"cov{pk}",
                due=fix_by,
                stage=stage,
                to=to,
                coverage_month=f"{month:%Y-%m}",
                shortfall_krw=shortfall,
            )


def sweep(*, now=None):
    """Queue D-3, D-1 and overdue alerts for every running deadline; returns how many were new."""
    window = AlertWindow(now or timezone.now())
    staff = _staff_by_role()
    supervisors = staff[roles.SUPERVISOR]
    editors = sorted({to for role in INCIDENT_ROLES for to in staff[role]})
    with transaction.atomic():
        rows = list(_claim_alerts(window, supervisors))
        rows.extend(_incident_alerts(window, editors))
        rows.extend(_report_alerts(window, editors))
        rows.extend(_failed_decision_mail_alerts(supervisors))
        rows.extend(_coverage_alerts(window, sorted(staff[roles.COMPLIANCE])))
        return len(outbox.add(rows))


# --- daily digest --------------------------------------------------------------
def _due_expression():
    """The deadline that matters in the claim's state, as one SQL expression."""
    return Case(
        When(state__in=REVIEW_CLOCK_STATES, then=F("review_due_on")),
        When(state=ClaimState.DECIDED, then=F("objection_window_ends_on")),
        When(state=ClaimState.ACCEPTED, then=F("payment_due_on")),
    )


def _staff_overdue_q(today):
    # Staff deadlines only: a decided claim waits for the claimant, not for staff.
    return Q(state__in=REVIEW_CLOCK_STATES, review_due_on__lt=today) | Q(
        state=ClaimState.ACCEPTED, payment_due_on__lt=today
    )


def _item(pk, number, state, due, assignee_id=None):
    return {
        "claim_id": pk,
        "claim_number": number or str(pk),
        "state": state,
        "due_on": due.isoformat() if due else None,
        "assignee_id": assignee_id,
    }


def _queue_counts(open_claims, overdue_q):
    """Per assignee: how many open claims, how many of them overdue."""
    return {
        row["assignee_id"]: row
        for row in open_claims.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(total=Count("pk"), overdue=Count("pk", filter=overdue_q))
    }


def _queue_heads(open_claims):
    """Per assignee: their DIGEST_ITEMS most urgent open claims (one query, a window per assignee)."""
    queue = {}
    ranked = (
        open_claims.filter(assignee__isnull=False)
        .annotate(
            due=_due_expression(),
            rank=Window(
                RowNumber(), partition_by=[F("assignee_id")], order_by=[F("due").asc(nulls_last=True), F("pk").asc()]
            ),
        )
        .filter(rank__lte=DIGEST_ITEMS)
        .values_list("assignee_id", "pk", "number", "state", "due")
    )
    for assignee_id, pk, number, state, due in ranked:
        queue.setdefault(assignee_id, []).append(_item(pk, number, state, due))
    return queue


def _overdue_claims(overdue_q):
    """The 50 most overdue claims of everyone, and how many there are in all."""
    overdue_rows = (
        Claim.objects.filter(overdue_q)
        .annotate(due=_due_expression(), total=Window(Count("pk")))
        .order_by("due", "pk")
        .values_list("pk", "number", "state", "due", "assignee_id", "total")[:50]
    )
    overdue, overdue_total = [], 0
    for pk, number, state, due, assignee_id, total in overdue_rows:
        overdue.append(_item(pk, number, state, due, assignee_id))
        overdue_total = total
    return overdue, overdue_total


def _late_incidents(now, today):
    """Incidents without a notice past the target hours, or still taking claims after intake ended."""
    return [
        {
            "incident_id": pk,
            "incident_title": title,
            "state": state,
            "due_on": (intake_ends_on or calendar.to_kst_date(detected_at)).isoformat(),
        }
        for pk, title, state, intake_ends_on, detected_at in Incident.objects.filter(
            Q(state=IncidentState.DETECTED, detected_at__lt=now - timedelta(hours=legal.notice_target_hours()))
            | Q(state=IncidentState.NOTICE_POSTED, intake_ends_on__lt=today)
        ).values_list("pk", "title", "state", "intake_ends_on", "detected_at")[:50]
    ]


def _late_reports(now):
    """Regulator reports past their due time and not yet submitted."""
    return [
        {
            "incident_id": report.incident_id,
            "incident_title": report.incident.title,
            "report_id": report.pk,
            "report_kind": report.kind,
            "due_at": report.due_at.isoformat(),
        }
        for report in reporting.open_reports_due_by(now)[:50]
    ]


def _failed_decision_mail_items():
    return [
        {"claim_id": claim_id, "claim_number": number or str(claim_id), "assignee_id": assignee_id}
        for _pk, claim_id, number, assignee_id, _email, _created in _failed_decision_mails()[:50]
    ]


def digest(*, now=None):
    """One mail per staff member: their open queue (counts + most urgent) and everything overdue."""
    now = now or timezone.now()
    today = calendar.to_kst_date(now)
    overdue_q = _staff_overdue_q(today)
    staff = _staff_by_role()
    people = sorted({to for role in (roles.AGENT, roles.SUPERVISOR) for to in staff[role]})
    if not people:
        return 0
    open_claims = Claim.objects.filter(state__in=OPEN_STATES)
    counts = _queue_counts(open_claims, overdue_q)
    queue = _queue_heads(open_claims)
    overdue, overdue_total = _overdue_claims(overdue_q)
    everyone_sees = {
        "digest_on": today.isoformat(),
        "overdue_total": overdue_total,
        "overdue": overdue,
        "late_incidents": _late_incidents(now, today),
        "late_reports": _late_reports(now),
        "failed_decision_mails": _failed_decision_mail_items(),
    }
    rows = []
    for user_id, email in people:
        mine = counts.get(user_id, {})
        rows.append(
            Notification(
                key=keys.daily_digest(user_id, today),
                kind=Notification.Kind.DAILY_DIGEST,
                recipient_id=user_id,
                to_email=email,
                language="ko",
                context={
                    "queue_total": mine.get("total", 0),
                    "queue_overdue": mine.get("overdue", 0),
                    "queue": queue.get(user_id, []),
                    **everyone_sees,
                },
            )
        )
    with transaction.atomic():
        return len(outbox.add(rows))


def assisted_correction_requested(*, claim, intake, event):
    """The claimant disputes what staff recorded for them: the assignee (else who recorded it) is told now.

    Written in the service's transaction; without an address there, every supervisor is told.
    """
    staff = claim.assignee if claim.assignee_id else intake.recorded_by
    if staff.is_active and staff.email:
        recipients = [(staff.pk, staff.email)]
    else:
        recipients = _staff_by_role()[roles.SUPERVISOR]
    return outbox.add(
        [
            Notification(
                key=keys.assisted_correction(claim.pk, event.pk, user_pk),
                kind=Notification.Kind.ASSISTED_CORRECTION,
                claim=claim,
                recipient_id=user_pk,
                to_email=email,
                language="ko",
                context={
                    "claim_id": claim.pk,
                    "claim_number": claim.number or str(claim.pk),
                    "incident_title": claim.incident.title,
                    "request_text": event.reason,
                },
            )
            for user_pk, email in recipients
        ]
    )
