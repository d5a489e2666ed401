from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from incidents import legal
from incidents.kst import end_of_day


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
    """One row per state change of an incident: who, when, from, to, why."""

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
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_event_at")]

    def __str__(self):
        return f"{self.incident_id}: {self.from_state or '∅'} → {self.to_state}"

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


class NoticeSections(models.Model):
    description = models.TextField(_("incident details (사고내용)"), blank=True)
    claim_procedure = models.TextField(_("how to claim (보상신청 방법·절차)"), blank=True)
    intake_period_note = models.TextField(_("intake period (접수기간)"), blank=True)
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

    def missing_sections(self):
        return [label for field, label in NOTICE_SECTIONS if not getattr(self, field).strip()]

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


class NoticeVersion(NoticeSections):
    """A published notice, kept forever; every edit after publishing is a new version."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="notice_versions", verbose_name=_("incident")
    )
    number = models.PositiveIntegerField(_("version"))
    intake_starts_on = models.DateField(_("intake starts on"))
    effective_intake_ends_on = models.DateField(_("intake ends on"))
    change_summary = models.TextField(_("what changed"), blank=True)
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

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A published notice version is immutable; publish a new version.")
        super().save(*args, **kwargs)


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
