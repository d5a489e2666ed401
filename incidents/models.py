import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from incidents import legal
from incidents.kst import KST, end_of_day


class IncidentType(models.TextChoices):
    ORDER_FAILURE = "order_failure", _("Order failure")
    DEPOSIT_WITHDRAWAL_DELAY = "deposit_withdrawal_delay", _("Deposit/withdrawal delay")
    LOGIN_FAILURE = "login_failure", _("Login failure")
    MARKET_DATA_ERROR = "market_data_error", _("Market data error")
    HACKING = "hacking", _("Hacking")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class IncidentState(models.TextChoices):
    DETECTED = "detected", _("Detected")
    NOTICE_POSTED = "notice_posted", _("Notice posted")
    INTAKE_CLOSED = "intake_closed", _("Intake closed")
    CLOSED = "closed", _("Closed")
    DISMISSED = "dismissed", _("Dismissed")


class RootCause(models.TextChoices):
    """Root-cause categories of the incident register (전자금융사고 관리대장)."""

    CAPACITY = "capacity", _("Capacity or traffic surge")
    SOFTWARE = "software", _("Software defect or faulty change")
    INFRASTRUCTURE = "infrastructure", _("Hardware or infrastructure failure")
    NETWORK = "network", _("Network failure")
    THIRD_PARTY = "third_party", _("Third-party or outsourced service")
    OPERATOR = "operator", _("Operator error")
    SECURITY = "security", _("Security breach or attack")
    OTHER = "other", _("Other")


PUBLIC_STATES = (IncidentState.NOTICE_POSTED, IncidentState.INTAKE_CLOSED, IncidentState.CLOSED)


class Incident(FSMModelMixin, models.Model):
    """An outage (전산장애). State changes only through `incidents.services`."""

    title = models.CharField(_("title"), max_length=200)
    incident_type = models.CharField(_("incident type"), max_length=32, choices=IncidentType.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    affected_services = models.CharField(
        _("affected services"),
        max_length=500,
        help_text=_("e.g. KRW market orders, BTC withdrawals"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"))
    root_cause_category = models.CharField(
        _("root cause category"), max_length=20, choices=RootCause.choices, blank=True
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    actions_taken = models.TextField(_("actions taken"), blank=True)
    estimated_affected_users = models.PositiveIntegerField(_("estimated affected users"), null=True, blank=True)
    state = FSMField(
        _("state"),
        default=IncidentState.DETECTED,
        choices=IncidentState.choices,
        protected=True,
        db_index=True,
    )
    notice_first_posted_at = models.DateTimeField(_("notice first posted at"), null=True, blank=True)
    notice_delay_reason = models.TextField(
        _("reason the notice was late"),
        blank=True,
        help_text=_("Required when the first notice went up later than the target after detection."),
    )
    intake_ends_on = models.DateField(
        _("intake ends on"),
        null=True,
        blank=True,
        help_text=_("Computed from the incident date and the notice; never typed."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Four eyes: a dismissal is requested by one person and takes effect when a second supervisor approves.
    dismissal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dismissal requested by"),
    )
    dismissal_requested_at = models.DateTimeField(_("dismissal requested at"), null=True, blank=True)
    dismissal_reason = models.TextField(_("reason for dismissal"), blank=True)

    # Every change of the facts, with who and why (the state has its own event rows).
    history = HistoricalRecords(excluded_fields=["state"])

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["state", "-started_at"], name="incident_state_started")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="incident_end_after_start",
            )
        ]

    def __str__(self):
        return self.title

    # --- derived values ------------------------------------------------------
    @property
    def incident_date(self):
        """The KST calendar date the outage began; intake periods count from it."""
        return timezone.localtime(self.started_at, ZoneInfo("Asia/Seoul")).date()

    @property
    def outage_duration(self):
        return self.ended_at - self.started_at if self.ended_at else None

    @property
    def notice_delay(self):
        if self.notice_first_posted_at is None:
            return None
        return self.notice_first_posted_at - self.detected_at

    @property
    def notice_was_late(self):
        """True when the first notice went up later than the configured target."""
        delay = self.notice_delay
        if delay is None:
            delay = timezone.now() - self.detected_at if self.state == IncidentState.DETECTED else None
        if delay is None:
            return False
        return delay > timedelta(hours=legal.notice_target_hours())

    @property
    def intake_closes_at(self):
        return end_of_day(self.intake_ends_on) if self.intake_ends_on else None

    def intake_is_open(self, at=None):
        at = at or timezone.now()
        return (
            self.state == IncidentState.NOTICE_POSTED
            and self.intake_closes_at is not None
            and at <= self.intake_closes_at
        )

    # --- transitions: guards only, no side effects --------------------------
    def intake_period_has_ended(self):
        return self.intake_closes_at is not None and timezone.now() > self.intake_closes_at

    @transition(field=state, source=IncidentState.DETECTED, target=IncidentState.NOTICE_POSTED)
    def post_notice(self):
        pass

    @transition(
        field=state,
        source=IncidentState.NOTICE_POSTED,
        target=IncidentState.INTAKE_CLOSED,
        conditions=[intake_period_has_ended],
    )
    def close_intake(self):
        pass

    @transition(field=state, source=IncidentState.INTAKE_CLOSED, target=IncidentState.CLOSED)
    def close(self):
        pass

    @transition(field=state, source=IncidentState.DETECTED, target=IncidentState.DISMISSED)
    def dismiss(self):
        pass


class IncidentEvent(models.Model):
    """One row per state change of an incident (who, when, from, to, why), and per audited change of
    its facts after the first publication (old and new values in `data`)."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("State change")
        FACTS = "facts", _("Facts corrected")
        DISMISSAL_REQUEST = "dismissal_request", _("Dismissal requested")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events", verbose_name=_("incident"))
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TRANSITION)
    data = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_event_at")]

    def __str__(self):
        """Reads like 탐지 (detected) — 2026-01-20 09:12 KST: the state labels, the code, Korean time."""
        change = f"{self.to_state_label} ({self.to_state})"
        if self.from_state:
            change = f"{self.from_state_label} → {change}"
        if self.kind != self.Kind.TRANSITION:
            change = f"{self.get_kind_display()}: {change}"
        return f"{change} — {timezone.localtime(self.created_at, KST):%Y-%m-%d %H:%M} KST"

    @property
    def from_state_label(self):
        return _state_label(self.from_state)

    @property
    def to_state_label(self):
        return _state_label(self.to_state)


def _state_label(value):
    return IncidentState(value).label if value in IncidentState.values else (value or "—")


NOTICE_SECTIONS = (
    ("description", _("Incident details (사고내용)")),
    ("claim_procedure", _("How to claim (보상신청 방법·절차)")),
    ("intake_period_note", _("Intake period (접수기간)")),
    ("compensation_criteria", _("Compensation criteria (보상기준)")),
)


class Immutable(models.Model):
    """A row that is written once and never changed or deleted (a record that was relied on): a published
    notice version here, policy versions and the terms a notice published in compensation."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} is immutable; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} is kept forever.")


class NoticeSections(models.Model):
    description = models.TextField(_("incident details (사고내용)"), blank=True)
    claim_procedure = models.TextField(_("how to claim (보상신청 방법·절차)"), blank=True)
    intake_period_note = models.TextField(
        _("note below the intake period (접수기간)"),
        blank=True,
        help_text=_(
            "Optional. The intake period itself is written from the computed dates when the notice is "
            "published (Korean and English); this note is shown below it."
        ),
    )
    compensation_criteria = models.TextField(_("compensation criteria (보상기준)"), blank=True)
    intake_ends_on = models.DateField(
        _("longer intake end"),
        null=True,
        blank=True,
        help_text=_("Optional. Only a date after the legal minimum of one month is accepted."),
    )
    objection_window_business_days = models.PositiveSmallIntegerField(
        _("longer objection window (business days)"),
        null=True,
        blank=True,
        help_text=_(
            "Optional. Business days after a decision notice in which users may object; never fewer than the default."
        ),
    )

    class Meta:
        abstract = True

    # The 접수기간 section is generated from the computed dates at publication; the staff note is optional.
    OPTIONAL_SECTIONS = ("intake_period_note",)

    def missing_sections(self):
        return [
            label
            for field, label in NOTICE_SECTIONS
            if field not in self.OPTIONAL_SECTIONS and not getattr(self, field).strip()
        ]

    def section_values(self):
        values = {field: getattr(self, field) for field, _label in NOTICE_SECTIONS}
        values["intake_ends_on"] = self.intake_ends_on
        values["objection_window_business_days"] = self.objection_window_business_days
        return values

    @property
    def effective_objection_window_business_days(self):
        return max(legal.objection_window_business_days(), self.objection_window_business_days or 0)


class Notice(NoticeSections):
    """The working draft of an incident's public notice; publishing snapshots it."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="notice", verbose_name=_("incident")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice draft")
        verbose_name_plural = _("notice drafts")

    def __str__(self):
        return str(self.incident)


class NoticeVersion(NoticeSections, Immutable):
    """A published notice, kept forever; every edit after publishing is a new version."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="notice_versions", verbose_name=_("incident")
    )
    number = models.PositiveIntegerField(_("version"))
    intake_starts_on = models.DateField(_("intake starts on"))
    effective_intake_ends_on = models.DateField(_("intake ends on"))
    change_summary = models.TextField(_("what changed"), blank=True)
    intake_period_generated = models.TextField(
        _("intake period as published"),
        blank=True,
        help_text=_("Written from the computed intake dates when the version was published."),
    )
    applies_to_filed_claims = models.BooleanField(
        _("applies to claims already filed"),
        default=False,
        help_text=_(
            "Changed compensation terms in this revision apply to claims filed before it, even where "
            "they are less favourable. Without it only more favourable terms reach filed claims."
        ),
    )
    # The incident's facts as this version published them; later corrections do not change it.
    title = models.CharField(_("title"), max_length=200, blank=True)
    incident_type = models.CharField(_("incident type"), max_length=32, choices=IncidentType.choices, blank=True)
    affected_services = models.CharField(_("affected services"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice version")
        verbose_name_plural = _("notice versions")
        ordering = ["incident", "-number"]
        constraints = [models.UniqueConstraint(fields=["incident", "number"], name="notice_version_unique")]

    def __str__(self):
        return f"{self.incident} v{self.number}"

    def generate_intake_period(self):
        """Write the 접수기간 section from the computed dates (Korean, then English)."""
        self.intake_period_generated = intake_period_text(self.intake_starts_on, self.effective_intake_ends_on)

    PUBLISHED_FACTS = ("title", "incident_type", "affected_services", "started_at", "ended_at")

    def take_facts(self, incident):
        """Copy the incident's facts as they are at publication into this (unsaved) version."""
        for name in self.PUBLISHED_FACTS:
            setattr(self, name, getattr(incident, name))


ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def intake_period_text(starts_on, ends_on):
    """The 접수기간 a notice publishes, in Korean and in English, from the computed dates.

    Fixed text in both languages (not translated at display): it is part of the published record.
    """
    days = (ends_on - starts_on).days + 1

    def english(day):
        return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"

    korean = (
        f"접수기간: {starts_on.year}년 {starts_on.month}월 {starts_on.day}일부터 "
        f"{ends_on.year}년 {ends_on.month}월 {ends_on.day}일 23:59(한국 시간)까지 {days}일간 "
        "보상 신청을 받습니다."
    )
    english_text = (
        f"(English) Claims are accepted from {english(starts_on)} until {english(ends_on)}, "
        f"23:59 Korean time (KST), {days} days."
    )
    return f"{korean}\n{english_text}"


class HolidayKind(models.TextChoices):
    PUBLIC = "public", _("Public holiday (공휴일)")
    NON_BUSINESS = "non_business", _("Non-business day (영업일 아님)")


class HolidaySource(models.TextChoices):
    PACKAGE = "package", _("holidays package")
    STAFF = "staff", _("Staff")


class Holiday(models.Model):
    """A day that is not a business day. Staff may add temporary holidays here."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=HolidayKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=HolidaySource.choices, default=HolidaySource.STAFF)
    # Whether a day is a 영업일 is the exchange's call (e.g. 근로자의 날 is a bank holiday many
    # exchanges work). Deleting the row instead would not last: the next package sync adds it back.
    exchange_open = models.BooleanField(
        _("exchange works this day"),
        default=False,
        help_text=_(
            "Counts as a business day (영업일) although it is a holiday. A public holiday "
            "still cannot be the last day of a month period (민법 161)."
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"

    def clean(self):
        if self.exchange_open and self.date and self.date.weekday() >= 5:
            raise ValidationError(
                {"exchange_open": _("Saturdays and Sundays are never business days; leave this unticked.")}
            )


class CalendarRevision(models.Model):
    """A single counter bumped whenever any holiday row changes; claims record it."""

    number = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar revision")
        verbose_name_plural = _("calendar revisions")

    def __str__(self):
        return f"r{self.number}"


class HolidayChange(models.Model):
    """A proposed or applied edit of the holiday table, with who, when and why.

    A change to a day before today, or to a day inside a claim's clock that has already ended,
    waits for a second compliance user (`incidents.services.holiday_change_approve`).
    """

    class Action(models.TextChoices):
        ADD = "add", _("Add")
        CHANGE = "change", _("Change")
        REMOVE = "remove", _("Remove")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second compliance user")
        APPLIED = "applied", _("Applied")

    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, db_index=True)
    holiday = models.ForeignKey(
        Holiday, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes", verbose_name=_("holiday")
    )
    day = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=HolidayKind.choices, blank=True)
    exchange_open = models.BooleanField(_("exchange works this day"), default=False)
    before = models.JSONField(_("row before"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    approval_needed_because = models.TextField(_("second approval needed because"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("holiday change")
        verbose_name_plural = _("holiday changes")
        ordering = ["-proposed_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.day:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def days(self):
        """Every date whose business-day status this change can alter (old and new date of a move)."""
        days = {self.day}
        if self.before.get("date"):
            days.add(date.fromisoformat(self.before["date"]))
        return sorted(days)


# --- Reporting to the regulator ---------------------------------------------------
# FSS inspections find incidents left unreported because the criteria were read loosely
# (보고기준을 자의적으로 해석하여 사고 미보고). So whether an incident is reported is a recorded
# decision against a checklist compliance maintains, with two names on it either way.


class ComplianceRuleRow(models.Model):
    """A row compliance maintains (checklist line, deadline rule): in use or not, shipped as an example or
    confirmed, and who last changed it. The seeds fix none of these, so the examples are never law."""

    active = models.BooleanField(_("in use"), default=True)
    is_example = models.BooleanField(
        _("example row"),
        default=False,
        help_text=_("Shipped as an example, not the exchange's rule. Compliance confirms it (untick) or replaces it."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ReportabilityCriterion(ComplianceRuleRow):
    """One line of the reportability checklist; met by any incident, it makes the incident reportable."""

    text = models.CharField(_("criterion"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reportability criterion")
        verbose_name_plural = _("reportability criteria")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class ReportabilityDecision(models.Model):
    """Reported or not, answered against the checklist by one person and approved by another."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second approver")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected by the second person")
        SUPERSEDED = "superseded", _("Superseded by a later decision")

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="reportability_decisions", verbose_name=_("incident")
    )
    reportable = models.BooleanField(_("reportable"))
    checklist = models.JSONField(_("checklist answers"), default=list)
    reason = models.TextField(_("reasoning"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("second approver"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("note of the second person"), blank=True)

    class Meta:
        verbose_name = _("reportability decision")
        verbose_name_plural = _("reportability decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            # Four eyes in the database too: nobody approves their own decision.
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("decided_by")),
                name="reportability_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["incident"], condition=models.Q(status="pending"), name="reportability_one_pending"
            ),
            models.UniqueConstraint(
                fields=["incident"], condition=models.Q(status="approved"), name="reportability_one_in_force"
            ),
        ]

    def __str__(self):
        return f"{self.incident}: {self.get_answer_display()} ({self.get_status_display()})"

    def get_answer_display(self):
        return _("reportable") if self.reportable else _("not reported")

    @property
    def criteria_met(self):
        return [row["text"] for row in self.checklist if row.get("met")]


class ReportKind(models.TextChoices):
    INITIAL = "initial", _("Initial report")
    INTERIM = "interim", _("Interim report")
    FINAL = "final", _("Final report")
    OTHER = "other", _("Other report")


class DeadlineAnchor(models.TextChoices):
    DETECTED = "detected", _("Detection of the incident")
    REPORTABLE = "reportable", _("Approval of the reportability decision")
    ENDED = "ended", _("End of the incident")


class ReportDeadlineRule(ComplianceRuleRow):
    """When a report of a kind is due; compliance keeps these rows (the seeds fix no deadline)."""

    kind = models.CharField(_("report kind"), max_length=16, choices=ReportKind.choices)
    incident_type = models.CharField(
        _("incident type"), max_length=32, choices=IncidentType.choices, blank=True, help_text=_("Empty: any type.")
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, blank=True, help_text=_("Empty: any severity.")
    )
    anchor = models.CharField(_("counted from"), max_length=16, choices=DeadlineAnchor.choices)
    offset_hours = models.PositiveIntegerField(_("hours after"), null=True, blank=True)
    offset_business_days = models.PositiveSmallIntegerField(
        _("business days after"), null=True, blank=True, help_text=_("Due at the end of that business day (KST).")
    )
    basis = models.CharField(_("basis"), max_length=300, blank=True, help_text=_("Where the rule comes from."))

    class Meta:
        verbose_name = _("report deadline rule")
        verbose_name_plural = _("report deadline rules")
        ordering = ["kind", "incident_type", "severity", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(offset_hours__isnull=False) & models.Q(offset_business_days__isnull=True))
                | (models.Q(offset_hours__isnull=True) & models.Q(offset_business_days__isnull=False)),
                name="report_rule_one_offset",
            )
        ]

    def __str__(self):
        if self.offset_hours is not None:
            offset = _("%(n)d hours") % {"n": self.offset_hours}
        else:
            offset = _("%(n)d business days") % {"n": self.offset_business_days}
        text = _("%(kind)s: %(offset)s after %(anchor)s") % {
            "kind": self.get_kind_display(),
            "offset": offset,
            "anchor": self.get_anchor_display().lower(),
        }
        return f"{text} ({_('example')})" if self.is_example else text

    def clean(self):
        if (self.offset_hours is None) == (self.offset_business_days is None):
            raise ValidationError(_("Give either hours or business days, not both."))


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved, not yet submitted")
    SUBMITTED = "submitted", _("Submitted")


class ReportChannel(models.TextChoices):
    FSS_SYSTEM = "fss_system", _("FSS reporting system")
    EMAIL = "email", _("Email")
    DOCUMENT = "document", _("Official letter")
    OTHER = "other", _("Other")


class IncidentReport(FSMModelMixin, models.Model):
    """A report to the regulator, with the incident as it stood frozen into it."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reports", verbose_name=_("incident"))
    kind = models.CharField(_("report kind"), max_length=16, choices=ReportKind.choices)
    state = FSMField(_("state"), default=ReportState.DRAFT, choices=ReportState.choices, protected=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    due_rule = models.ForeignKey(
        ReportDeadlineRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deadline rule"),
    )
    due_explanation = models.CharField(_("how the due time was set"), max_length=400, blank=True)
    summary = models.TextField(_("summary for the regulator"), blank=True)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ReportChannel.choices, blank=True)
    reference_number = models.CharField(_("reference number"), max_length=100, blank=True)
    snapshot = models.JSONField(_("incident snapshot"), default=dict)
    snapshot_at = models.DateTimeField(_("snapshot taken at"), default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    prepared_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        ordering = ["incident", "prepared_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="incident_report_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("prepared_by")),
                name="incident_report_four_eyes",
            )
        ]

    def __str__(self):
        return f"{self.incident} · {self.get_kind_display()}"

    @property
    def submitted_late(self):
        return bool(self.due_at and self.submitted_at and self.submitted_at > self.due_at)

    def is_overdue(self, at=None):
        at = at or timezone.now()
        return bool(self.due_at and self.state != ReportState.SUBMITTED and at > self.due_at)

    @transition(field=state, source=ReportState.DRAFT, target=ReportState.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=ReportState.APPROVED, target=ReportState.SUBMITTED)
    def submit(self):
        pass


class IncidentReportEvent(models.Model):
    """One row per change of a report: prepared, snapshot refreshed, approved, submitted."""

    report = models.ForeignKey(IncidentReport, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident report event")
        verbose_name_plural = _("incident report events")
        ordering = ["created_at", "pk"]


def _private_storage():
    """Outside the web root, like claim documents: served only through the authorised view."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def _report_attachment_path(instance, filename):
    return f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class IncidentReportAttachment(models.Model):
    report = models.ForeignKey(IncidentReport, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_report_attachment_path, storage=_private_storage)
    name = models.CharField(_("file name"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class BlockGround(models.TextChoices):
    """The grounds on which the enforcement decree allows blocking deposits/withdrawals (seed 002)."""

    SYSTEM_FAILURE = "system_failure", _("IT failure of the asset systems (전산장애)")
    AUTHORITY_REQUEST = "authority_request", _("Request of a court, investigator, NTS or financial authority")
    HACKING = "hacking", _("Hacking or another incident, occurred or clearly imminent")
    USER_PROTECTION = "user_protection", _("Other case where blocking is necessary to protect users")


class WithdrawalBlock(models.Model):
    """A block of deposits/withdrawals (입출금 차단); users must be told the reason in advance."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="withdrawal_blocks", verbose_name=_("incident")
    )
    started_at = models.DateTimeField(_("block started at"))
    ended_at = models.DateTimeField(_("block ended at"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=300, help_text=_("e.g. BTC and ETH withdrawals, KRW deposits"))
    legal_ground = models.CharField(_("legal ground"), max_length=32, choices=BlockGround.choices)
    ground_detail = models.TextField(_("ground in detail"), blank=True)
    users_notified_at = models.DateTimeField(_("users told at"), null=True, blank=True)
    notice_channel = models.CharField(
        _("how users were told"), max_length=200, blank=True, help_text=_("e.g. notice on the homepage, app push")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deposit/withdrawal block")
        verbose_name_plural = _("deposit/withdrawal blocks")
        ordering = ["started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="withdrawal_block_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.incident}: {self.scope}"

    @property
    def notice_after_block(self):
        """The law asks for the reason to be told in advance: no notice, or one after the block began, is flagged."""
        return self.users_notified_at is None or self.users_notified_at > self.started_at
