"""Incident use cases. Each is keyword-only, one transaction, locks the row, writes an event."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from incidents import calendar, holiday_guards, legal, panels, roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst
from incidents.models import (
    Holiday,
    HolidayChange,
    HolidayKind,
    HolidaySource,
    Incident,
    IncidentEvent,
    IncidentState,
    Notice,
    NoticeVersion,
)

NOTICE_EDITORS = (roles.SUPERVISOR, roles.COMPLIANCE)


def _locked(incident):
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _transition(incident, *, method_name, actor, reason=""):
    method = getattr(incident, method_name)
    if not can_proceed(method):
        raise DomainError(
            _("This incident cannot do “%(action)s” while it is %(state)s.")
            % {"action": method_name.replace("_", " "), "state": incident.get_state_display()},
            code=ErrorCode.INVALID_TRANSITION,
        )
    from_state = incident.state
    method()
    incident._history_user = actor
    incident.save()
    IncidentEvent.objects.create(
        incident=incident, from_state=from_state, to_state=incident.state, actor=actor, reason=reason
    )
    return incident


def incident_create(
    *,
    actor,
    title,
    incident_type,
    severity,
    affected_services,
    started_at,
    detected_at,
    ended_at=None,
    root_cause_category="",
    root_cause="",
    actions_taken="",
    estimated_affected_users=None,
):
    roles.require_role(actor, *NOTICE_EDITORS, action=_("record an incident"))
    _check_times(started_at=started_at, detected_at=detected_at, ended_at=ended_at)
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            incident_type=incident_type,
            severity=severity,
            affected_services=affected_services,
            started_at=started_at,
            ended_at=ended_at,
            detected_at=detected_at,
            root_cause_category=root_cause_category,
            root_cause=root_cause,
            actions_taken=actions_taken,
            estimated_affected_users=estimated_affected_users,
            created_by=actor,
        )
        Notice.objects.create(incident=incident, updated_by=actor)
        IncidentEvent.objects.create(
            incident=incident,
            from_state="",
            to_state=incident.state,
            actor=actor,
            reason=_("Incident recorded"),
        )
    return incident


# Once a notice is up these fix the legal intake period, so they stay as published.
_FROZEN_AFTER_NOTICE = ("started_at", "detected_at")
_EDITABLE_FIELDS = (
    "title",
    "incident_type",
    "severity",
    "affected_services",
    "started_at",
    "ended_at",
    "detected_at",
    "root_cause_category",
    "root_cause",
    "actions_taken",
    "estimated_affected_users",
)


def _check_times(*, started_at, detected_at, ended_at):
    if ended_at is not None and ended_at < started_at:
        raise DomainError(_("The end of the incident cannot be before its start."))
    if detected_at < started_at:
        raise DomainError(_("An incident cannot be detected before it started."))


def _check_update(incident, fields, reason=None):
    published = incident.notice_first_posted_at is not None
    if published and "incident_type" in fields and fields["incident_type"] != incident.incident_type:
        raise DomainError(
            _(
                "The incident type cannot change after the notice is published: the published notice, "
                "its compensation criteria and the claims filed under them rest on it."
            ),
            code=ErrorCode.FROZEN,
        )
    if published and reason is not None and _fact_changes(incident, fields) and not reason.strip():
        raise DomainError(
            _("Give the reason for correcting the facts of a published incident; it is kept in its record."),
            code=ErrorCode.REASON_REQUIRED,
        )
    if incident.state != IncidentState.DETECTED:
        frozen = [name for name in _FROZEN_AFTER_NOTICE if name in fields and fields[name] != getattr(incident, name)]
        if frozen:
            raise DomainError(
                _(
                    "The start and detection times cannot change after the notice is published: "
                    "they fix the intake period and the notice delay."
                ),
                code=ErrorCode.FROZEN,
            )
    times = {name: fields.get(name, getattr(incident, name)) for name in ("started_at", "detected_at", "ended_at")}
    _check_times(**times)


def _plain(value):
    """JSON for an event row: times in UTC ISO 8601, dates ISO, the rest as is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _fact_changes(incident, fields):
    """{field: {"from": old, "to": new}} for the fields whose value changes (JSON-ready)."""
    return {
        name: {"from": _plain(getattr(incident, name)), "to": _plain(value)}
        for name, value in fields.items()
        if value != getattr(incident, name)
    }


def incident_check(*, actor, incident=None, reason=None, **fields):
    """Refuse what `incident_create` (no `incident`) or `incident_update` would refuse, writing nothing.

    Forms validate with this; the write services check the same again when they run.
    """
    if incident is None:
        roles.require_role(actor, *NOTICE_EDITORS, action=_("record an incident"))
        _check_times(
            started_at=fields["started_at"], detected_at=fields["detected_at"], ended_at=fields.get("ended_at")
        )
    else:
        roles.require_role(actor, *NOTICE_EDITORS, action=_("edit an incident"))
        _check_update(incident, fields, reason)


def incident_update(*, incident, actor, reason="", **fields):
    """Correct an incident's facts (not its state). Every save is in its history (who, why); after the
    first publication a change needs a reason and writes an IncidentEvent with the old and new values.
    The type and the times that fix the intake freeze at publishing."""
    roles.require_role(actor, *NOTICE_EDITORS, action=_("edit an incident"))
    unknown = set(fields) - set(_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown incident fields: {sorted(unknown)}")
    with transaction.atomic():
        incident = _locked(incident)
        _check_update(incident, fields, reason or "")
        changes = _fact_changes(incident, fields)
        if not changes:
            return incident
        for name, value in fields.items():
            setattr(incident, name, value)
        incident._history_user = actor
        incident._change_reason = reason or ""
        incident.save()
        if incident.notice_first_posted_at is not None:
            IncidentEvent.objects.create(
                incident=incident,
                kind=IncidentEvent.Kind.FACTS,
                from_state=incident.state,
                to_state=incident.state,
                actor=actor,
                reason=reason,
                data={"changes": changes},
            )
    return incident


@dataclass(frozen=True)
class IntakeEnd:
    """The legal intake end and how it was found: one month (민법 157/160/161) from the incident
    date and one month from the first publication of the notice; the later of the two applies."""

    incident_date: date
    published_on: date
    from_incident: date
    from_publication: date

    @property
    def end(self):
        return max(self.from_incident, self.from_publication)

    @property
    def applied(self):
        """ "incident" or "publication": which period gave the end (the incident's when equal)."""
        return "publication" if self.from_publication > self.from_incident else "incident"

    def days_left(self, today=None):
        """Calendar days from today to the end, the end day included (0 once it has passed)."""
        return max(0, (self.end - (today or today_kst())).days + 1)


def legal_intake_end(incident, *, published_on=None):
    """The legal minimum intake end: a late notice still leaves users a full month.

    `published_on` is the KST date of the first publication; for a notice not yet published it
    is today (the day it would go up).
    """
    months = max(legal.MIN_INTAKE_MONTHS, settings.COMPENSATION_INTAKE_MONTHS)
    if published_on is None:
        first = incident.notice_first_posted_at
        published_on = calendar.to_kst_date(first) if first else today_kst()
    return IntakeEnd(
        incident_date=incident.incident_date,
        published_on=published_on,
        from_incident=calendar.intake_end_date(incident.incident_date, months),
        from_publication=calendar.intake_end_date(max(published_on, incident.incident_date), months),
    )


def effective_intake_end(incident, requested_end, *, published_on=None):
    """The intake end a notice asking for `requested_end` would publish (refused if too short)."""
    minimum = legal_intake_end(incident, published_on=published_on).end
    if requested_end is None:
        return minimum
    if requested_end < minimum:
        raise DomainError(
            _(
                "The intake period cannot end before %(date)s (at least one month from the incident "
                "and from the first publication of the notice)."
            )
            % {"date": minimum.isoformat()}
        )
    return requested_end


def notice_is_late(incident, *, at=None):
    """Published (or, unpublished, still up) later than the target after detection."""
    posted = incident.notice_first_posted_at or at or timezone.now()
    return posted - incident.detected_at > timedelta(hours=legal.notice_target_hours())


def notice_save_draft(*, incident, actor, **sections):
    """Edit the working draft; nothing public changes until it is published."""
    roles.require_role(actor, *NOTICE_EDITORS, action=_("edit a notice"))
    allowed = {
        "description",
        "claim_procedure",
        "intake_period_note",
        "compensation_criteria",
        "intake_ends_on",
        "objection_window_business_days",
    }
    unknown = set(sections) - allowed
    if unknown:
        raise TypeError(f"unknown notice fields: {sorted(unknown)}")
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(incident=incident)
        for name, value in sections.items():
            setattr(notice, name, value)
        notice.updated_by = actor
        notice.save()
    return notice


def _check_objection_window(incident, days):
    """The notice may give users longer to object than the default, never shorter, nor shorter than before."""
    if days is None:
        return
    default = legal.objection_window_business_days()
    previous = (
        incident.notice_versions.order_by("-number").values_list("objection_window_business_days", flat=True).first()
    ) or 0
    if days < max(default, previous):
        raise DomainError(
            _("The objection window can be lengthened, never shortened: at least %(days)d business days.")
            % {"days": max(default, previous)},
            code=ErrorCode.OBJECTION_WINDOW,
        )


def _publish_version(*, incident, notice, actor, change_summary, applies_to_filed_claims=False):
    missing = notice.missing_sections()
    if missing:
        raise DomainError(
            _("The notice cannot be published without: %(sections)s.")
            % {"sections": ", ".join(str(label) for label in missing)},
            code=ErrorCode.NOTICE_INCOMPLETE,
        )
    problems = panels.publish_problems(incident=incident)
    if problems:
        raise DomainError(" ".join(str(problem) for problem in problems), code=ErrorCode.POLICY)
    intake_end = effective_intake_end(incident, notice.intake_ends_on)
    _check_objection_window(incident, notice.objection_window_business_days)
    last = incident.notice_versions.order_by("-number").values_list("number", flat=True).first()
    version = NoticeVersion(
        incident=incident,
        number=(last or 0) + 1,
        intake_starts_on=incident.incident_date,
        effective_intake_ends_on=intake_end,
        change_summary=change_summary,
        applies_to_filed_claims=applies_to_filed_claims,
        published_by=actor,
        **{k: v for k, v in notice.section_values().items()},
    )
    version.take_facts(incident)
    version.generate_intake_period()
    version.save()
    incident.intake_ends_on = intake_end
    panels.version_published(incident=incident, version=version, actor=actor)
    return version


def notice_publish(*, incident, actor, change_summary="", delay_reason=""):
    """Publish the draft as version 1: the notice goes up and claims open.

    Later than the target after detection (`NOTICE_TARGET_HOURS`, at most 24), it needs the reason
    for the delay, which the incident register shows; the intake then runs a full month from today.
    """
    roles.require_role(actor, *NOTICE_EDITORS, action=_("publish a notice"))
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != IncidentState.DETECTED:
            raise DomainError(
                _("The notice of this incident is already published; publish a revision instead."),
                code=ErrorCode.INVALID_TRANSITION,
            )
        notice = Notice.objects.select_for_update().get(incident=incident)
        version = _publish_version(
            incident=incident,
            notice=notice,
            actor=actor,
            change_summary=change_summary or _("First publication"),
        )
        if notice_is_late(incident) and not (delay_reason or "").strip():
            raise DomainError(
                _(
                    "The notice goes up more than %(hours)d hours after detection: give the reason for the delay "
                    "(it is shown in the incident register)."
                )
                % {"hours": legal.notice_target_hours()},
                code=ErrorCode.DELAY_REASON,
            )
        incident.notice_delay_reason = (delay_reason or "").strip()
        incident.notice_first_posted_at = version.published_at
        _transition(incident, method_name="post_notice", actor=actor, reason=change_summary)
    return version


def notice_revise(*, incident, actor, change_summary, applies_to_filed_claims=False, **sections):
    """Publish an edited notice as a new version; earlier versions stay readable.

    `applies_to_filed_claims`: the compensation terms this revision publishes apply to claims
    filed before it even where less favourable (it must say so in `change_summary`).
    """
    roles.require_role(actor, *NOTICE_EDITORS, action=_("revise a notice"))
    if not change_summary.strip():
        raise DomainError(_("Say what changed in this revision."))
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state not in (IncidentState.NOTICE_POSTED, IncidentState.INTAKE_CLOSED):
            raise DomainError(
                _("Only a published notice of an open incident can be revised."),
                code=ErrorCode.INVALID_TRANSITION,
            )
        notice = Notice.objects.select_for_update().get(incident=incident)
        previous_end = incident.intake_ends_on
        for name, value in sections.items():
            setattr(notice, name, value)
        notice.updated_by = actor
        notice.save()
        if (
            incident.state == IncidentState.INTAKE_CLOSED
            and notice.intake_ends_on
            and notice.intake_ends_on != previous_end
        ):
            raise DomainError(_("Intake is closed; its end date can no longer change."))
        if previous_end and notice.intake_ends_on and notice.intake_ends_on < previous_end:
            raise DomainError(
                _("A published intake period can be lengthened, never shortened (it ends %(date)s).")
                % {"date": previous_end.isoformat()}
            )
        version = _publish_version(
            incident=incident,
            notice=notice,
            actor=actor,
            change_summary=change_summary,
            applies_to_filed_claims=applies_to_filed_claims,
        )
        incident.save(update_fields=["intake_ends_on", "updated_at"])
    return version


def incident_close_intake(*, incident, actor, reason=""):
    """Stop taking claims; allowed only after the published intake period has ended."""
    if actor is not None:
        roles.require_role(actor, *NOTICE_EDITORS, action=_("close the intake"))
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state == IncidentState.NOTICE_POSTED and not incident.intake_period_has_ended():
            raise DomainError(
                _("Intake stays open until the end of %(date)s (KST).") % {"date": incident.intake_ends_on.isoformat()},
                code=ErrorCode.INTAKE_OPEN,
            )
        return _transition(incident, method_name="close_intake", actor=actor, reason=reason)


def incident_close(*, incident, actor, reason=""):
    """Close the incident: refused while any of its claims is still open, and without the root cause
    (category and description) and the actions taken against recurrence (재발방지) on record."""
    roles.require_role(actor, *NOTICE_EDITORS, action=_("close an incident"))
    with transaction.atomic():
        incident = _locked(incident)
        if not can_proceed(incident.close):
            return _transition(incident, method_name="close", actor=actor, reason=reason)  # refuses with the state
        missing = [
            str(label)
            for value, label in (
                (incident.root_cause_category, _("root cause category")),
                (incident.root_cause.strip(), _("root cause")),
                (incident.actions_taken.strip(), _("actions taken (재발방지)")),
            )
            if not value
        ]
        if missing:
            raise DomainError(
                _("Record on the incident before closing it: %(fields)s.") % {"fields": ", ".join(missing)},
                code=ErrorCode.NOTICE_INCOMPLETE,
            )
        problems = panels.close_problems(incident=incident)
        if problems:
            raise DomainError(" ".join(str(p) for p in problems), code=ErrorCode.CLAIMS_OPEN)
        return _transition(incident, method_name="close", actor=actor, reason=reason)


DISMISSAL_REASON_MIN_CHARS = 20


def _substantial(reason):
    return len("".join((reason or "").split())) >= DISMISSAL_REASON_MIN_CHARS


def incident_dismiss(*, incident, actor, reason):
    """Ask to dismiss (no compensation is due, e.g. no user impact); only before any notice went up.

    Four eyes: it takes effect when a second supervisor approves (`incident_dismiss_approve`).
    """
    roles.require_role(actor, *NOTICE_EDITORS, action=_("dismiss an incident"))
    if not _substantial(reason):
        raise DomainError(
            _(
                "Give the reason for dismissing the incident in substance (at least %(n)d characters): "
                "why no user was harmed and no compensation is due."
            )
            % {"n": DISMISSAL_REASON_MIN_CHARS},
            code=ErrorCode.REASON_REQUIRED,
        )
    with transaction.atomic():
        incident = _locked(incident)
        if not can_proceed(incident.dismiss):
            return _transition(incident, method_name="dismiss", actor=actor, reason=reason)  # refuses
        if incident.dismissal_requested_by_id is not None:
            raise DomainError(
                _("A dismissal of this incident is already waiting for a second supervisor."),
                code=ErrorCode.PENDING,
            )
        incident.dismissal_requested_by = actor
        incident.dismissal_requested_at = timezone.now()
        incident.dismissal_reason = reason
        incident._history_user = actor
        incident.save()
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEvent.Kind.DISMISSAL_REQUEST,
            from_state=incident.state,
            to_state=incident.state,
            actor=actor,
            reason=reason,
        )
    return incident


def incident_dismiss_approve(*, incident, actor, reason=""):
    """The second supervisor, never the one who asked, dismisses the incident."""
    roles.require_role(actor, roles.SUPERVISOR, action=_("approve a dismissal"))
    with transaction.atomic():
        incident = _locked(incident)
        if incident.dismissal_requested_by_id is None:
            raise DomainError(_("Nobody has asked to dismiss this incident."), code=ErrorCode.INVALID_TRANSITION)
        if incident.dismissal_requested_by_id == actor.pk:
            raise DomainError(
                _("You asked for this dismissal; another supervisor must approve it."), code=ErrorCode.FOUR_EYES
            )
        note = incident.dismissal_reason + (f"\n{reason}" if (reason or "").strip() else "")
        return _transition(incident, method_name="dismiss", actor=actor, reason=note)


# --- the holiday table: every edit is a HolidayChange row; history needs a second pair of eyes ---------
HOLIDAY_EDITORS = (roles.COMPLIANCE,)


def _holiday_values(holiday):
    return {
        "date": holiday.date.isoformat(),
        "name": holiday.name,
        "kind": holiday.kind,
        "exchange_open": holiday.exchange_open,
    }


def _check_holiday_fields(*, day, name, kind, exchange_open, reason):
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the holiday change; it is kept with the change."))
    if day is None:
        raise DomainError(_("Enter the date."))
    if not (name or "").strip():
        raise DomainError(_("Name the holiday."))
    if kind not in HolidayKind.values:
        raise DomainError(_("Choose the kind of day: public holiday or non-business day."))
    if exchange_open and day.weekday() >= 5:
        raise DomainError(_("Saturdays and Sundays are never business days; leave this unticked."))


def _approval_needed_because(days):
    """Why a change to these days must wait for a second compliance user (empty: it need not)."""
    today = today_kst()
    reasons = []
    for day in days:
        if day < today:
            reasons.append(
                _("%(date)s is in the past: deadlines already counted over it must not change silently.")
                % {"date": day.isoformat()}
            )
        reasons.extend(holiday_guards.ended_clocks_over(day=day, today=today))
    return "\n".join(str(reason) for reason in reasons)


def _apply_holiday_change(change, *, actor):
    """Write the holiday row; the signal bumps the calendar revision and, after commit, recomputes
    the running deadlines (statutory dates are never touched)."""
    if change.action == HolidayChange.Action.ADD:
        if Holiday.objects.filter(date=change.day).exists():
            raise DomainError(
                _("%(date)s is already in the holiday table; change that row instead.")
                % {"date": change.day.isoformat()},
                code=ErrorCode.DUPLICATE,
            )
        change.holiday = Holiday.objects.create(
            date=change.day,
            name=change.name,
            kind=change.kind,
            exchange_open=change.exchange_open,
            source=HolidaySource.STAFF,
            updated_by=actor,
        )
    elif change.holiday is None:
        raise DomainError(_("The holiday row of this change no longer exists."), code=ErrorCode.NOT_FOUND)
    elif change.action == HolidayChange.Action.CHANGE:
        holiday = Holiday.objects.select_for_update().get(pk=change.holiday_id)
        if Holiday.objects.filter(date=change.day).exclude(pk=holiday.pk).exists():
            raise DomainError(
                _("%(date)s is already in the holiday table.") % {"date": change.day.isoformat()},
                code=ErrorCode.DUPLICATE,
            )
        holiday.date, holiday.name, holiday.kind = change.day, change.name, change.kind
        holiday.exchange_open = change.exchange_open
        holiday.source, holiday.updated_by = HolidaySource.STAFF, actor
        holiday.save()
    else:
        Holiday.objects.filter(pk=change.holiday_id).delete()
        change.holiday = None
    change.status = HolidayChange.Status.APPLIED
    change.applied_at = timezone.now()
    change.save()
    return change


def _propose(change, *, actor):
    change.proposed_by = actor
    change.approval_needed_because = _approval_needed_because(change.days)
    if change.approval_needed_because:
        change.status = HolidayChange.Status.PENDING
        change.save()
        return change
    return _apply_holiday_change(change, actor=actor)


def holiday_add(*, actor, day, name, kind, reason, exchange_open=False):
    """Add a day that is not a business day (e.g. a temporary holiday announced weeks ahead).

    Returns the `HolidayChange`: applied at once, or pending a second compliance user when the
    day is in the past or inside a claim's clock that has already ended.
    """
    roles.require_role(actor, *HOLIDAY_EDITORS, action=_("edit holidays"))
    _check_holiday_fields(day=day, name=name, kind=kind, exchange_open=exchange_open, reason=reason)
    with transaction.atomic():
        if Holiday.objects.filter(date=day).exists():
            raise DomainError(
                _("%(date)s is already in the holiday table; change that row instead.") % {"date": day.isoformat()},
                code=ErrorCode.DUPLICATE,
            )
        change = HolidayChange(
            action=HolidayChange.Action.ADD, day=day, name=name, kind=kind, exchange_open=exchange_open, reason=reason
        )
        return _propose(change, actor=actor)


def holiday_change(*, actor, holiday, reason, day=None, name=None, kind=None, exchange_open=None):
    """Change a row (its name, kind, "exchange works this day", or its date); same rules as adding."""
    roles.require_role(actor, *HOLIDAY_EDITORS, action=_("edit holidays"))
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().get(pk=holiday.pk)
        change = HolidayChange(
            action=HolidayChange.Action.CHANGE,
            holiday=holiday,
            day=holiday.date if day is None else day,
            name=holiday.name if name is None else name,
            kind=holiday.kind if kind is None else kind,
            exchange_open=holiday.exchange_open if exchange_open is None else exchange_open,
            before=_holiday_values(holiday),
            reason=reason,
        )
        _check_holiday_fields(
            day=change.day, name=change.name, kind=change.kind, exchange_open=change.exchange_open, reason=reason
        )
        after = Holiday(date=change.day, name=change.name, kind=change.kind, exchange_open=change.exchange_open)
        if _holiday_values(after) == change.before:
            raise DomainError(_("Nothing changed."))
        return _propose(change, actor=actor)


def holiday_remove(*, actor, holiday, reason):
    """Remove a row: the day becomes a business day again (if it is a weekday)."""
    roles.require_role(actor, *HOLIDAY_EDITORS, action=_("edit holidays"))
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the holiday change; it is kept with the change."))
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().get(pk=holiday.pk)
        change = HolidayChange(
            action=HolidayChange.Action.REMOVE,
            holiday=holiday,
            day=holiday.date,
            name=holiday.name,
            kind=holiday.kind,
            exchange_open=holiday.exchange_open,
            before=_holiday_values(holiday),
            reason=reason,
        )
        return _propose(change, actor=actor)


def holiday_change_approve(*, actor, change):
    """A second compliance user, never the proposer, applies a pending change."""
    roles.require_role(actor, *HOLIDAY_EDITORS, action=_("approve holiday changes"))
    with transaction.atomic():
        change = HolidayChange.objects.select_for_update().get(pk=change.pk)
        if change.status != HolidayChange.Status.PENDING:
            raise DomainError(_("This holiday change is not waiting for approval."), code=ErrorCode.INVALID_TRANSITION)
        if change.proposed_by_id == actor.pk:
            raise DomainError(
                _("You proposed this holiday change; another compliance user must approve it."),
                code=ErrorCode.FOUR_EYES,
            )
        change.approved_by = actor
        return _apply_holiday_change(change, actor=actor)
