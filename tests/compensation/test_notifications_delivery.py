"""Sending: a row is sent once however often its task runs; SMTP errors back off and retry."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils import timezone

from compensation import tasks
from compensation.models import Notification
from compensation.notifications import outbox


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends the way a mail server going away does, then delivers."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.NOTIFICATION_REQUEUE_GRACE_SECONDS = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.fixture
def row(world):
    claim = world.submit()  # its row stays pending: on_commit callbacks do not run in a test transaction
    return Notification.objects.get(claim=claim)


def test_a_task_run_twice_sends_once(row):
    assert tasks.send_notification.delay(notification_id=row.pk).get() == "sent"
    assert tasks.send_notification.delay(notification_id=row.pk).get() == "skipped"
    assert tasks.send_notifications.delay(notification_ids=[row.pk, row.pk]).get() == ["skipped", "skipped"]
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)


def test_a_row_being_sent_elsewhere_is_not_taken_again(row):
    now = timezone.now()
    assert outbox._claim(row.pk, now) == 1  # another worker holds the lease
    assert outbox.deliver(notification_id=row.pk) == "skipped"
    assert mail.outbox == []


def test_smtp_failure_backs_off_exponentially_then_succeeds(row, flaky, at):
    flaky.failures = 2
    start = timezone.now()
    assert outbox.deliver(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("SMTPServerDisconnected")
    assert row.next_attempt_at == start + timedelta(minutes=1)
    first_subject = row.subject
    assert first_subject  # rendered once, kept for the retries

    assert outbox.requeue_pending() == 0  # not due yet
    at(2025, 1, 22, 10, 1, 1)
    assert outbox.requeue_pending() == 1  # eager: runs the send, fails again
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == timezone.now() + timedelta(minutes=2)

    Notification.objects.filter(pk=row.pk).update(context={"claim_number": "changed"})
    at(2025, 1, 22, 10, 3, 2)
    assert outbox.requeue_pending() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")
    assert mail.outbox[0].subject == first_subject


def test_gives_up_after_max_attempts_and_admin_resend_starts_over(
    row, flaky, settings, admin_client, django_capture_on_commit_callbacks
):

    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    flaky.failures = 5
    assert outbox.deliver(notification_id=row.pk) == "retry"
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 2)
    assert outbox.requeue_pending() == 0

    flaky.failures = 0
    changelist = reverse("admin:compensation_notification_changelist")
    assert admin_client.get(changelist, {"q": row.key}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist, {"action": "resend", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1


def test_a_refused_recipient_is_not_retried(row, settings):
    class Refusing(LocmemBackend):
        def send_messages(self, messages):
            raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})

    import sys

    sys.modules[__name__].Refusing = Refusing
    settings.EMAIL_BACKEND = f"{__name__}.Refusing"
    assert outbox.deliver(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.state == "failed" and "550" in row.last_error


def test_broker_down_at_commit_leaves_the_row_pending(row, monkeypatch):
    from kombu.exceptions import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.send_notification, "apply_async", broken)
    outbox.enqueue([row.pk])  # logged, not raised: the user's action already committed
    row.refresh_from_db()
    assert row.state == "pending"


def test_mail_is_routed_by_kind_apart_from_sweeps():
    from config.celery import app

    router = app.amqp.router
    assert router.route({}, "compensation.tasks.send_notifications")["queue"].name == "mail"
    assert router.route({}, "compensation.tasks.send_notification")["queue"].name == "mail"
    for sweep in ("sweep_deadline_alerts", "remind_intake_closing", "requeue_pending", "lapse_objection_windows"):
        assert router.route({}, f"compensation.tasks.{sweep}")["queue"].name == "celery"
    assert {q for q in app.amqp.queues} == {"celery", "mail", "mail_urgent"}  # a worker without -Q takes all
    assert outbox.queue_for("deadline_alert") == outbox.queue_for("account_mail") == "mail_urgent"
    assert outbox.queue_for("claim_invitation") == outbox.queue_for("intake_closing") == "mail"
