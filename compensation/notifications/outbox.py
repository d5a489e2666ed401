"""The notification outbox: rows written in the caller's transaction, sent by Celery after commit.

Delivery is at-least-once towards the mail server but never twice from our side: a send first
*claims* its row with a conditional UPDATE (pending and due → leased), so a task delivered twice,
a requeue racing the original task, or two workers all end with one SMTP transaction. Retries are
not Celery ETA tasks: an ETA task sits unacked in a worker and Redis would hand it out again after
its visibility timeout; the row's `next_attempt_at` plus the every-minute requeue does the job.
"""

import logging
import smtplib
from datetime import date, datetime, timedelta
from functools import partial
from hashlib import sha1

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compensation import account_links, tasks
from compensation.models import Notification

logger = logging.getLogger(__name__)

State = Notification.State
TEMPLATE_DIR = "emails/compensation"
# Ids per enqueued batch task: the sweep may create thousands of rows; one broker message each
# would cost more than the sweep itself.
ENQUEUE_CHUNK = 100
# Mail goes to its own Celery queues (config/celery.py), apart from sweeps and imports. Staff
# deadline alerts, the digest and account mail (a user waiting for a sign-up or reset link) go to
# the urgent one, so a batch of 200,000 invitations or reminders in the bulk queue never delays them.
MAIL_QUEUE = "mail"
URGENT_MAIL_QUEUE = "mail_urgent"
URGENT_KINDS = frozenset({"deadline_alert", "daily_digest", "account_mail"})


def queue_for(kind):
    return URGENT_MAIL_QUEUE if kind in URGENT_KINDS else MAIL_QUEUE


def _setting(name, default):
    return getattr(settings, name, default)


def max_attempts():
    return _setting("NOTIFICATION_MAX_ATTEMPTS", 8)


def lease_seconds():
    """How long a claimed row stays invisible to others; a worker killed mid-send frees it after this."""
    return _setting("NOTIFICATION_LEASE_SECONDS", 300)


def backoff(attempts):
    """Delay before attempt `attempts + 1`: 1, 2, 4 … minutes, capped at 6 hours."""
    base = _setting("NOTIFICATION_BACKOFF_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


# --- writing ------------------------------------------------------------------
def add_new(row):
    """Insert one row whose key cannot exist yet (it names a row created in this transaction).

    One INSERT … RETURNING instead of insert-then-read-back: this is on the claim form's hot path.
    """
    stamp = _batch_stamp()
    row.created_at = row.next_attempt_at = stamp
    row.state = State.PENDING
    row.save(force_insert=True)
    transaction.on_commit(partial(enqueue, [row.pk], queue=queue_for(row.kind)), robust=True)
    return [row.pk]


def add(rows):
    """Insert outbox rows inside the caller's transaction; enqueue after commit only those created here.

    A row whose key already exists is left alone (ignore_conflicts), which is what makes a service
    retried, a sweep run twice or two concurrent sweeps harmless. Every row of one call carries the
    same `next_attempt_at` stamp, so the ids created by this call are read back with one indexed
    query (state, next_attempt_at) instead of a lookup per key.
    """
    rows = list(rows)
    if not rows:
        return []
    stamp = _batch_stamp()
    for row in rows:
        row.created_at = stamp
        row.next_attempt_at = stamp
        row.state = State.PENDING
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=_insert_batch_size())
    created = list(
        Notification.objects.filter(state=State.PENDING, next_attempt_at=stamp, attempts=0).values_list("pk", "kind")
    )
    if created:
        # robust: a broker failure after commit must not turn the user's action into an error.
        transaction.on_commit(partial(enqueue_rows, created), robust=True)
    return [pk for pk, _kind in created]


_last_stamp = None


def _batch_stamp():
    """Now, but strictly increasing within the process (tests freeze the clock; bursts share a µs)."""
    global _last_stamp
    stamp = timezone.now()
    # Only within the last second: a clock set back further (NTP, time travel in tests) starts over.
    if _last_stamp is not None and _last_stamp - timedelta(seconds=1) < stamp <= _last_stamp:
        stamp = _last_stamp + timedelta(microseconds=1)
    _last_stamp = stamp
    return stamp


def _insert_batch_size():
    # PostgreSQL takes the whole set in one statement; SQLite has a bound-parameter limit.
    return None if connection.vendor == "postgresql" else 500


def enqueue_rows(rows):
    """Enqueue `(id, kind)` pairs, each on its kind's queue (urgent ones first)."""
    by_queue = {}
    for pk, kind in rows:
        by_queue.setdefault(queue_for(kind), []).append(pk)
    for queue in sorted(by_queue, key=lambda name: name != URGENT_MAIL_QUEUE):
        enqueue(by_queue[queue], queue=queue)


def enqueue(ids, *, queue=MAIL_QUEUE):
    """Hand ids to the broker. If it is down the rows stay pending and `requeue_pending` retries."""
    ids = list(ids)
    if not ids:
        return
    try:
        if len(ids) == 1:
            tasks.send_notification.apply_async(
                kwargs={"notification_id": ids[0]}, queue=queue, retry_policy=_PUBLISH_RETRY
            )
            return
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            tasks.send_notifications.apply_async(
                kwargs={"notification_ids": ids[start : start + ENQUEUE_CHUNK]},
                queue=queue,
                retry_policy=_PUBLISH_RETRY,
            )
    except Exception:  # noqa: BLE001 - any broker error: the outbox row is the source of truth
        logger.warning("broker unavailable; %d notification(s) stay pending for requeue", len(ids), exc_info=True)


# Fail fast when the broker is down: the row is safe in the database, the user is waiting.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def requeue_pending(*, limit=1000):
    """Enqueue rows that are due and still pending (broker was down, worker died, retry time came)."""
    grace = timedelta(seconds=_setting("NOTIFICATION_REQUEUE_GRACE_SECONDS", 30))
    rows = list(
        Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now() - grace)
        .order_by("next_attempt_at")
        .values_list("pk", "kind")[:limit]
    )
    enqueue_rows(rows)
    return len(rows)


def resend(ids):
    """Admin: give failed rows a fresh start (attempts reset) and enqueue them after commit."""
    with transaction.atomic():
        rows = list(Notification.objects.filter(pk__in=list(ids), state=State.FAILED).values_list("pk", "kind"))
        Notification.objects.filter(pk__in=[pk for pk, _kind in rows], state=State.FAILED).update(
            state=State.PENDING, attempts=0, last_error="", next_attempt_at=timezone.now()
        )
        if rows:
            transaction.on_commit(partial(enqueue_rows, rows), robust=True)
    return len(rows)


# --- sending ------------------------------------------------------------------
def _claim(notification_id, now):
    """Lease the row: exactly one caller gets 1 here while the row is pending and due."""
    # One second of slack: batch stamps may sit microseconds ahead of the clock (see _batch_stamp);
    # a lease is minutes long, so the slack never lets a second sender in.
    return Notification.objects.filter(
        pk=notification_id, state=State.PENDING, next_attempt_at__lte=now + timedelta(seconds=1)
    ).update(next_attempt_at=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1)


def deliver(*, notification_id):
    """Send one outbox row if it is ours to send; returns what happened ("sent", "retry", …)."""
    now = timezone.now()
    if not _claim(notification_id, now):
        return "skipped"
    row = Notification.objects.get(pk=notification_id)
    try:
        if not row.subject:
            render(row)
            Notification.objects.filter(pk=row.pk).update(
                subject=row.subject, body_text=row.body_text, body_html=row.body_html
            )
    except Exception as exc:  # a template error will not heal by retrying: park it for staff
        logger.exception("notification %s could not be rendered", row.pk)
        _record_failure(row, exc, permanent=True)
        return "failed"
    try:
        _message(row).send()
    except Exception as exc:  # noqa: BLE001 - SMTP, socket, DNS: all retried with backoff
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
            isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600
        )
        logger.warning("notification %s not sent (attempt %d): %s", row.pk, row.attempts, exc)
        return _record_failure(row, exc, permanent=permanent)
    Notification.objects.filter(pk=row.pk, state=State.PENDING).update(
        state=State.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _record_failure(row, exc, *, permanent):
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or row.attempts >= max_attempts():
        Notification.objects.filter(pk=row.pk, state=State.PENDING).update(state=State.FAILED, last_error=error)
        return "failed"
    Notification.objects.filter(pk=row.pk, state=State.PENDING).update(
        last_error=error, next_attempt_at=timezone.now() + backoff(row.attempts)
    )
    return "retry"


def render(row):
    """Render subject and bodies once, in the row's language, from the context stored with it."""
    context = revive(row.context)
    context.update(language=row.language, kind=row.kind, site_url=_setting("SITE_URL", "http://127.0.0.1:8000"))
    if "exchange_account_pk" in context:
        # Signed when the mail is written, not when the row was inserted (set-based, in SQL).
        context["account_link_path"] = account_links.link_path(context["exchange_account_pk"])
    with translation.override(row.language), timezone.override(settings.TIME_ZONE):
        subject = render_to_string(f"{TEMPLATE_DIR}/{row.kind}.subject.txt", context)
        row.subject = " ".join(subject.split())[:300]
        row.body_text = render_to_string(f"{TEMPLATE_DIR}/{row.kind}.txt", context).strip() + "\n"
        row.body_html = render_to_string(f"{TEMPLATE_DIR}/{row.kind}.html", context)
    return row


def revive(context):
    """JSON context back to Python: `*_on` ISO strings become dates, `*_at` become aware datetimes."""
    out = {}
    for name, value in context.items():
        if isinstance(value, str) and name.endswith("_on"):
            value = date.fromisoformat(value)
        elif isinstance(value, str) and name.endswith("_at"):
            value = datetime.fromisoformat(value)
        elif isinstance(value, dict):
            value = revive(value)
        elif isinstance(value, list):
            value = [revive(item) if isinstance(item, dict) else item for item in value]
        out[name] = value
    return out


def _message(row):
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    # Stable per row: a mail server or client can drop a copy if a crash ever makes us send twice.
    message_id = f"<n{row.pk}.{sha1(row.key.encode()).hexdigest()[:12]}@{domain}>"
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers={"Message-ID": message_id, "X-Notification-Key": row.key},
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message
