from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Outbox row: written in the same transaction as the change that causes it, sent by Celery.

    `key` is unique so the same message (claim, kind, round / due date) is never queued twice.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (gave up)")

    class Kind(models.TextChoices):
        """What a message is; also the name of its templates in templates/emails/compensation/."""

        ACCOUNT_MAIL = "account_mail", _("Account mail")
        CLAIM_RECEIVED = "claim_received", _("Claim received")
        SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
        DECISION = "decision", _("Decision")
        OBJECTION_RECEIVED = "objection_received", _("Objection received")
        OBJECTION_DECIDED = "objection_decided", _("Objection decided")
        DECISION_CORRECTED = "decision_corrected", _("Corrected decision (정정 결정)")
        REVIEW_EXTENDED = "review_extended", _("Review deadline extended")
        PAY_DATE_REPLANNED = "pay_date_replanned", _("Planned pay date moved")
        PAYMENT_MADE = "payment_made", _("Payment made")
        INTAKE_CLOSING = "intake_closing", _("Intake closes soon")
        CLAIM_INVITATION = "claim_invitation", _("Invitation to claim")
        PROACTIVE_DECISION = "proactive_decision", _("Decision without a claim")
        ACCOUNT_LINK = "account_link", _("Exchange account link")
        ASSISTED_CONFIRMATION = "assisted_confirmation", _("Confirm a claim staff recorded")
        ASSISTED_CORRECTION = "assisted_correction", _("Claimant asked to correct a recorded claim")
        DEADLINE_ALERT = "deadline_alert", _("Deadline alert")
        DAILY_DIGEST = "daily_digest", _("Daily digest")

    # Built by compensation/notifications/keys.py, never by hand.
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40, db_index=True, choices=Kind.choices)
    claim = models.ForeignKey(
        "compensation.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=8, default="ko")
    context = models.JSONField(_("context"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When a published task is due to take the row (now, or a retry's ETA); empty when no task is
    # known to be queued. The sweep skips rows whose task is queued and not yet overdue.
    queued_at = models.DateTimeField(_("queued for"), null=True, blank=True)
    # Copies the mail server accepted from a sender that had lost its lease meanwhile (another
    # sender held the row): not counted as the send, kept so a duplicate can be explained.
    late_copies = models.PositiveSmallIntegerField(_("copies sent after the lease ran out"), default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["claim", "created_at"], name="notification_claim"),
        ]

    def __str__(self):
        return self.key
