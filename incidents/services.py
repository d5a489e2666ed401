"""Incident use cases. Each is keyword-only, one transaction, locks the row, writes an event."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from incidents import calendar, legal, panels, roles
from incidents.errors import DomainError, ErrorCode
from incidents.models import Incident, IncidentEvent, IncidentState, Notice, NoticeVersion

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
    root_cause="",
    actions_taken="",
    estimated_affected_users=None,
):
    roles.require_role(actor, *NOTICE_EDITORS, action=_("record an incident"))
    if ended_at is not None and ended_at < started_at:
        raise DomainError(_("The end of the incident cannot be before its start."))
    if detected_at < started_at:
        raise DomainError(_("An incident cannot be detected before it started."))
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            incident_type=incident_type,
            severity=severity,
            affected_services=affected_services,
            started_at=started_at,
            ended_at=ended_at,
            detected_at=detected_at,
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
    "root_cause",
    "actions_taken",
    "estimated_affected_users",
)


def incident_update(*, incident, actor, **fields):
    """Correct an incident's facts (not its state); times that fix the intake freeze at publishing."""
    roles.require_role(actor, *NOTICE_EDITORS, action=_("edit an incident"))
    unknown = set(fields) - set(_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown incident fields: {sorted(unknown)}")
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != IncidentState.DETECTED:
            frozen = [
                name for name in _FROZEN_AFTER_NOTICE if name in fields and fields[name] != getattr(incident, name)
            ]
            if frozen:
                raise DomainError(
                    _(
                        "The start and detection times cannot change after the notice is published: "
                        "they fix the intake period and the notice delay."
                    ),
                    code=ErrorCode.FROZEN,
                )
        for name, value in fields.items():
            setattr(incident, name, value)
        if incident.ended_at is not None and incident.ended_at < incident.started_at:
            raise DomainError(_("The end of the incident cannot be before its start."))
        if incident.detected_at < incident.started_at:
            raise DomainError(_("An incident cannot be detected before it started."))
        incident.save()
    return incident


def legal_intake_end(incident):
    return calendar.intake_end_date(incident.incident_date, settings.COMPENSATION_INTAKE_MONTHS)


def effective_intake_end(incident, requested_end):
    """The intake end a notice asking for `requested_end` would publish (refused if too short)."""
    minimum = legal_intake_end(incident)
    if requested_end is None:
        return minimum
    if requested_end < minimum:
        raise DomainError(
            _("The intake period cannot end before %(date)s (at least one month from the incident).")
            % {"date": minimum.isoformat()}
        )
    return requested_end


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


def _publish_version(*, incident, notice, actor, change_summary):
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
        published_by=actor,
        **{k: v for k, v in notice.section_values().items()},
    )
    version.save()
    incident.intake_ends_on = intake_end
    panels.version_published(incident=incident, version=version, actor=actor)
    return version


def notice_publish(*, incident, actor, change_summary=""):
    """Publish the draft as version 1: the notice goes up and claims open."""
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
        incident.notice_first_posted_at = version.published_at
        _transition(incident, method_name="post_notice", actor=actor, reason=change_summary)
    return version


def notice_revise(*, incident, actor, change_summary, **sections):
    """Publish an edited notice as a new version; earlier versions stay readable."""
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
        version = _publish_version(incident=incident, notice=notice, actor=actor, change_summary=change_summary)
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
    roles.require_role(actor, *NOTICE_EDITORS, action=_("close an incident"))
    with transaction.atomic():
        incident = _locked(incident)
        return _transition(incident, method_name="close", actor=actor, reason=reason)


def incident_dismiss(*, incident, actor, reason):
    """No compensation is due (e.g. no user impact); only before any notice went up."""
    roles.require_role(actor, *NOTICE_EDITORS, action=_("dismiss an incident"))
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for dismissing the incident."))
    with transaction.atomic():
        incident = _locked(incident)
        return _transition(incident, method_name="dismiss", actor=actor, reason=reason)
