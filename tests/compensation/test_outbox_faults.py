"""Issue 15: the outbox against a real SMTP server (aiosmtpd) that misbehaves on purpose.

Each class of reply is classified by its code: 4xx at any stage and per recipient is retried with
backoff, 5xx at MAIL/RCPT/DATA is permanent; a dropped connection and a stalled server are retried.
A sender that lost its lease does not count its copy; retries are published with their ETA; the sweep
only takes due rows that have no task on its way.
"""

import asyncio
import email
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from email import policy as email_policy

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from compensation import checks
from compensation.models import Notification
from compensation.notifications import outbox
from tests.integration.notification_support import broker


class ScriptedServer:
    """aiosmtpd handler whose replies the test sets: refuse at RCPT, refuse after DATA, drop, stall."""

    def __init__(self):
        self.rcpt_reply = None  # e.g. "450 4.2.0 greylisted"
        self.data_reply = None  # e.g. "451 4.3.0 try later"
        self.drop = False  # close the connection instead of answering DATA
        self.stall = 0.0  # seconds to sit on DATA before answering
        self.during_data = None  # a callable run (in a thread) before answering DATA
        self.messages = []
        self.rcpt_seen = 0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen += 1
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.during_data is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.during_data)
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.drop:
            server.transport.close()
            return "421 closing"
        if self.data_reply:
            return self.data_reply
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"


@contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = ScriptedServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings):
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1
        yield handler


def make_row(key="it:faults:1"):
    return Notification.objects.create(
        key=key,
        kind="deadline_alert",
        to_email="staff@example.com",
        context={"deadline": "review_due", "stage": "d1", "due_on": "2025-02-18", "claim_number": "C-FAULT-1"},
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )


def after_one_attempt(row):
    result = outbox.deliver(notification_id=row.pk)
    row.refresh_from_db()
    return result, row


# --- replies classified by code -------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("code", ["450 4.2.0 Greylisted, try again later", "451 4.3.0 Busy", "452 4.2.2 Mailbox full"])
def test_a_temporary_refusal_at_rcpt_is_retried_with_backoff(smtp, code):
    """Defect 1: smtplib raises SMTPRecipientsRefused for 450/451/452 too; greylisting is not a bounce."""
    smtp.rcpt_reply = code
    row = make_row()
    result, row = after_one_attempt(row)
    assert result == "retry"
    assert (row.state, row.attempts) == ("pending", 1)
    assert "SMTPRecipientsRefused" in row.last_error and code[:3] in row.last_error
    assert row.next_attempt_at == pytest.approx(timezone.now() + outbox.backoff(1), abs=timedelta(seconds=5))

    smtp.rcpt_reply = None  # the greylisting server accepts the second attempt
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    result, row = after_one_attempt(row)
    assert (result, row.state, row.attempts) == ("sent", "sent", 2)
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_temporary_refusal_after_data_is_retried(smtp):
    smtp.data_reply = "451 4.3.0 Local error in processing"
    result, row = after_one_attempt(make_row())
    assert (result, row.state) == ("retry", "pending")
    assert "SMTPDataError" in row.last_error and "451" in row.last_error


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stage, reply, error",
    [("rcpt", "550 5.1.1 No such user", "SMTPRecipientsRefused"), ("data", "554 5.7.1 Rejected", "SMTPDataError")],
)
def test_a_permanent_refusal_fails_at_once(smtp, stage, reply, error):
    setattr(smtp, f"{stage}_reply", reply)
    result, row = after_one_attempt(make_row())
    assert (result, row.state, row.attempts) == ("failed", "failed", 1)
    assert error in row.last_error and reply[:3] in row.last_error
    assert outbox.requeue_pending() == 0  # parked for staff (admin resend), never retried by itself


@pytest.mark.django_db
def test_a_dropped_connection_is_retried(smtp):
    smtp.drop = True
    result, row = after_one_attempt(make_row())
    assert (result, row.state) == ("retry", "pending")
    assert row.last_error.startswith("SMTPServerDisconnected")
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_stalled_server_frees_the_sender_after_the_timeout_and_is_retried(smtp):
    smtp.stall = 5.0  # longer than EMAIL_TIMEOUT (1 s here)
    result, row = after_one_attempt(make_row())
    assert (result, row.state) == ("retry", "pending")
    assert "timed out" in row.last_error.lower()


def test_classification_by_code():
    import smtplib

    assert not outbox.is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (450, b"greylisted")}))
    assert outbox.is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}))
    assert outbox.is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (450, b"later"), "b@x": (550, b"no")}))
    assert not outbox.is_permanent(smtplib.SMTPDataError(421, b"closing"))
    assert outbox.is_permanent(smtplib.SMTPSenderRefused(553, b"bad sender", "from@x"))
    # A 5xx at AUTH/HELO/connect is our configuration: retried until staff fix it, not a bounce.
    assert not outbox.is_permanent(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    assert not outbox.is_permanent(smtplib.SMTPServerDisconnected("gone"))
    assert not outbox.is_permanent(TimeoutError("timed out"))


# --- timeouts, the lease ----------------------------------------------------------
def test_mail_and_tasks_have_time_limits_inside_the_lease():
    """Defect 4: EMAIL_TIMEOUT was unset and tasks had no time limit."""
    from config.settings import base

    assert 0 < base.EMAIL_TIMEOUT <= 30
    assert base.CELERY_TASK_SOFT_TIME_LIMIT < base.CELERY_TASK_TIME_LIMIT
    soft, hard = base.NOTIFICATION_TASK_SOFT_TIME_LIMIT, base.NOTIFICATION_TASK_TIME_LIMIT
    assert soft < hard < base.NOTIFICATION_LEASE_SECONDS
    # A batch stops taking rows after its budget; one more slow send (≈ ten SMTP round trips) still fits.
    assert base.NOTIFICATION_BATCH_BUDGET_SECONDS + 10 * base.EMAIL_TIMEOUT <= soft
    assert checks.notification_timeouts(None) == []


def test_a_lease_shorter_than_a_send_is_refused_at_start(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 60
    assert [error.id for error in checks.notification_timeouts(None)] == ["compensation.E002"]


@pytest.mark.parametrize(
    ("seconds", "ids"), [(0.5, []), (0, []), (10, []), (60, ["compensation.E004"]), (-1, ["compensation.E004"])]
)
def test_the_burst_window_of_claim_mails_stays_within_seconds(settings, seconds, ids):
    settings.NOTIFICATION_KICK_SECONDS = seconds
    assert [error.id for error in checks.notification_kick(None)] == ids


@pytest.mark.django_db
def test_sending_tasks_are_published_with_their_time_limits():

    row = make_row()
    with real_publishing() as app:
        published(app)
        outbox.enqueue([row.pk], queue=outbox.queue_for(row.kind))
        [message] = published(app)
    assert message.headers["timelimit"] == [270, 240]


@pytest.mark.django_db(transaction=True)
def test_a_sender_that_lost_its_lease_records_its_copy_and_does_not_count_it(smtp):
    """Defect 4: the final UPDATE's row count was ignored, so both senders reported "sent"."""
    row = make_row()

    def another_worker_takes_the_row():
        # The lease ran out while the server held our DATA; the sweep handed the row to another worker.
        Notification.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        connection.close()

    smtp.during_data = another_worker_takes_the_row
    result, row = after_one_attempt(row)
    assert result == "late_copy"
    assert len(smtp.messages) == 1  # the server has the copy: the one window SMTP cannot close
    assert (row.state, row.late_copies, row.sent_at) == ("pending", 1, None)  # the holder decides
    assert smtp.messages[0]["Message-ID"] == outbox._message(row).extra_headers["Message-ID"]  # recognisable


@pytest.mark.django_db
def test_a_sender_that_lost_its_lease_before_sending_sends_nothing(smtp, monkeypatch):
    row = make_row()
    real_render = outbox.render

    def slow_render(row_being_rendered):
        # Rendering outlived the lease and another worker claimed the row meanwhile.
        Notification.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        return real_render(row_being_rendered)

    monkeypatch.setattr(outbox, "render", slow_render)
    assert outbox.deliver(notification_id=row.pk) == "lease_lost"
    assert smtp.rcpt_seen == 0 and smtp.messages == []


# --- retries at their time, the sweep -------------------------------------------------
def real_publishing():
    """Celery publishes to kombu's in-memory transport (not eager), so the ETA is observable."""
    return broker("memory://")


def published(app, queue_name=None):
    """Messages waiting in the queue where the rows of `make_row` go (taken off it)."""
    queue_name = queue_name or outbox.queue_for("deadline_alert")
    messages = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(queue_name)
        try:
            while True:
                message = queue.get(block=False)
                messages.append(message)
                message.ack()
        except queue.Empty:
            pass
        queue.close()
    return messages


@pytest.mark.django_db
def test_a_retry_is_published_for_its_backoff_time(smtp):
    """Defect 5: retries waited for the sweep (grace + interval on top of the backoff)."""

    smtp.rcpt_reply = "450 4.2.0 Greylisted"
    row = make_row()
    with real_publishing() as app:
        published(app)  # empty the queue
        assert outbox.deliver(notification_id=row.pk) == "retry"
        row.refresh_from_db()
        [message] = published(app)
    assert message.headers["task"] == "compensation.tasks.send_notification"
    eta = message.headers["eta"]
    assert abs(timezone.datetime.fromisoformat(eta) - row.next_attempt_at) < timedelta(seconds=1)
    assert row.queued_at == row.next_attempt_at  # the sweep leaves it to its ETA task


@pytest.mark.django_db
def test_the_sweep_takes_due_rows_without_a_task_and_skips_queued_ones(settings):
    settings.NOTIFICATION_REQUEUE_GRACE_SECONDS = 30
    now = timezone.now()
    lost = make_row("sweep:lost")  # its publish failed: no task on its way
    Notification.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(seconds=2), queued_at=None)
    queued = make_row("sweep:queued")  # published a moment ago, not taken yet
    Notification.objects.filter(pk=queued.pk).update(next_attempt_at=now - timedelta(seconds=2), queued_at=now)
    waiting = make_row("sweep:later")  # a retry whose time has not come
    Notification.objects.filter(pk=waiting.pk).update(next_attempt_at=now + timedelta(seconds=30), queued_at=None)
    stale = make_row("sweep:stale")  # its task was queued long ago and never ran (worker lost it)
    Notification.objects.filter(pk=stale.pk).update(
        next_attempt_at=now - timedelta(minutes=5), queued_at=now - timedelta(minutes=5)
    )
    with real_publishing() as app:
        published(app)
        assert outbox.requeue_pending() == 2
        [message] = published(app)
    _args, kwargs, _embed = message.decode()
    assert sorted(kwargs["notification_ids"]) == sorted([lost.pk, stale.pk])
    assert Notification.objects.get(pk=waiting.pk).queued_at is None


@pytest.mark.django_db
def test_a_failed_publish_leaves_the_row_for_the_sweep_and_skips_the_broker_a_while(caplog):
    row = make_row("publish:down")
    with broker("redis://127.0.0.1:1/5"):  # nothing listens there
        assert outbox.enqueue([row.pk]) is False
        assert outbox.enqueue([row.pk]) is False  # breaker open: no second attempt, no second log line
    row.refresh_from_db()
    assert (row.state, row.queued_at) == ("pending", None)
    assert len([r for r in caplog.records if "Celery broker unreachable" in r.getMessage()]) == 1


# --- on call ---------------------------------------------------------------------
@pytest.mark.django_db
def test_outbox_status_shows_what_waits_and_why(smtp):
    from io import StringIO

    from django.core.management import call_command

    smtp.rcpt_reply = "450 4.2.0 Greylisted"
    greylisted = make_row("status:greylisted")
    outbox.deliver(notification_id=greylisted.pk)
    smtp.rcpt_reply = "550 5.1.1 No such user"
    bounced = make_row("status:bounced")
    outbox.deliver(notification_id=bounced.pk)
    stuck = make_row("status:stuck")  # its publish failed a minute ago
    Notification.objects.filter(pk=stuck.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("outbox_status", stdout=out)
    text = out.getvalue()
    assert "sent 0, pending 2, failed 1" in text
    assert "due now 1 (no task on its way: 1;" in text
    assert "waiting for a retry 1" in text
    assert "pending       1  SMTPRecipientsRefused 450" in text
    assert "failed        1  SMTPRecipientsRefused 550" in text


def test_workers_wait_out_a_frozen_broker_while_web_processes_do_not():
    from celery import Celery

    from config.celery import _worker_waits_out_a_frozen_broker, app

    web = app.conf.broker_transport_options
    assert (web["socket_timeout"], web["socket_connect_timeout"], web["max_retries"]) == (2.0, 2.0, 0)
    worker = Celery("worker-conf", set_as_current=False)
    worker.conf.broker_transport_options = dict(web)
    _worker_waits_out_a_frozen_broker(conf=worker.conf)
    options = worker.conf.broker_transport_options
    assert options["socket_timeout"] is None and options["socket_keepalive"] is True
    assert options["socket_connect_timeout"] == 2.0 and app.conf.broker_transport_options["socket_timeout"] == 2.0
