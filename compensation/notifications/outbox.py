"""The notification outbox: rows written in the caller's transaction, sent by Celery after commit.

Guarantees (README "Mail: the outbox"):

- **Nothing is lost.** The row is the source of truth, committed with the change that causes it.
  Publishing its task is one bounded attempt after commit (broker timeouts in settings); if the
  broker is down or frozen the row is marked not queued and the every-minute sweep
  (`requeue_pending`) queues it. A killed worker's row comes back when its lease runs out.
- **One send per row from our side.** A sender first *claims* the row with a conditional UPDATE
  (pending and due → leased for `NOTIFICATION_LEASE_SECONDS`, `attempts` + 1). `attempts` is the
  lease's fencing token: the sender checks it again before talking to the server and when it
  marks the row sent (conditional UPDATE, row count checked). A sender that lost its lease does
  not count its copy as the send; it records it in `late_copies` and logs it.
- **The window SMTP cannot close.** A worker killed (or frozen past its lease) after the server's
  "250" and before the UPDATE that marks the row sent leaves a row that is sent again later. Each
  row has a stable Message-ID (`<n{id}.{hash}@domain>`), so such a copy is recognisable.
- **Replies are classified by code.** 4xx at any stage (connect, MAIL, each RCPT, DATA) and
  network errors are retried with backoff; 5xx at MAIL, RCPT or DATA is permanent for that message
  (`failed`, resend from the admin); 5xx at connect/HELO/AUTH is our configuration, not the
  recipient, and is retried like a 4xx (logged as an error).
- **Retries come at their time.** A retry's task is published with an ETA of the backoff
  (1, 2, 4 … minutes); retries further out than `ETA_LIMIT` (beyond the broker's visibility
  timeout) and rows whose task was lost are queued by the sweep within a minute of being due.
"""

import logging
import smtplib
import time
from datetime import date, datetime, timedelta
from functools import partial
from hashlib import sha1

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compensation import account_links, tasks
from compensation.models import Decision, Notification
from config.breaker import Breaker

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
# Retries due later than this are not published with an ETA: Redis would hand such a task out
# again after its visibility timeout (an hour). The sweep queues them when they are due.
ETA_LIMIT = timedelta(minutes=50)
# After a failed publish this process does not try the broker again for a while: the rows wait
# for the sweep and requests do not each pay the broker timeout.
broker_breaker = Breaker("Celery broker", "outbox rows stay pending for the every-minute sweep")


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
    row.created_at = row.next_attempt_at = row.queued_at = stamp
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
        row.queued_at = stamp  # published right after commit; the sweep leaves it alone meanwhile
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


def enqueue(ids, *, queue=MAIL_QUEUE, eta=None):
    """Hand ids to the broker: one attempt, bounded by the broker timeouts, never an error.

    If the broker is down or frozen (or was a moment ago: `broker_breaker`), the rows are marked not
    queued and stay pending; the every-minute sweep queues them. Called after commit in requests,
    so it must neither raise nor wait long.
    """
    ids = list(ids)
    if not ids:
        return False
    if not broker_breaker.allows():
        _not_queued(ids)
        return False
    generation = broker_breaker.failures
    options = {
        "queue": queue,
        "retry": False,
        "soft_time_limit": _setting("NOTIFICATION_TASK_SOFT_TIME_LIMIT", 240),
        "time_limit": _setting("NOTIFICATION_TASK_TIME_LIMIT", 270),
    }
    if eta is not None:
        options["eta"] = eta
    try:
        if len(ids) == 1:
            tasks.send_notification.apply_async(kwargs={"notification_id": ids[0]}, **options)
        else:
            for start in range(0, len(ids), ENQUEUE_CHUNK):
                tasks.send_notifications.apply_async(
                    kwargs={"notification_ids": ids[start : start + ENQUEUE_CHUNK]}, **options
                )
    except Exception as exc:  # noqa: BLE001 - any broker error: the outbox row is the source of truth
        broker_breaker.failed(exc, "publish")
        logger.info("broker unavailable; %d notification(s) stay pending for the sweep", len(ids))
        _not_queued(ids)
        return False
    broker_breaker.succeeded(generation)
    return True


def _not_queued(ids):
    """No task is on its way for these rows: let the next sweep queue them as soon as they are due."""
    try:
        Notification.objects.filter(pk__in=ids, state=State.PENDING).update(queued_at=None)
    except Exception:  # noqa: BLE001 - the sweep still finds them once `queued_at` is older than its grace
        logger.warning("could not mark %d notification(s) as not queued", len(ids), exc_info=True)


def requeue_pending(*, limit=1000):
    """Queue rows that are due and have no task on its way (broker was down, worker died, task lost).

    A row counts as queued while `queued_at` is set and not older than the grace: its task is in the
    broker (or held by a worker until its ETA). Rows are due at `next_attempt_at` exactly, so a
    retry the ETA task missed is queued within one sweep interval of its time.
    """
    now = timezone.now()
    grace = timedelta(seconds=_setting("NOTIFICATION_REQUEUE_GRACE_SECONDS", 30))
    due = Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lte=now - grace)
    )
    rows = list(due.order_by("next_attempt_at").values_list("pk", "kind")[:limit])
    if rows:
        Notification.objects.filter(pk__in=[pk for pk, _kind in rows], state=State.PENDING).update(queued_at=now)
        enqueue_rows(rows)
    return len(rows)


def resend(ids):
    """Admin: give failed rows a fresh start (attempts reset) and enqueue them after commit."""
    with transaction.atomic():
        rows = list(Notification.objects.filter(pk__in=list(ids), state=State.FAILED).values_list("pk", "kind"))
        now = timezone.now()
        Notification.objects.filter(pk__in=[pk for pk, _kind in rows], state=State.FAILED).update(
            state=State.PENDING, attempts=0, last_error="", next_attempt_at=now, queued_at=now
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
    ).update(next_attempt_at=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1, queued_at=None)


def _ours(row):
    """The row, still pending and still leased by this sender (`attempts` is the fencing token)."""
    return Notification.objects.filter(pk=row.pk, state=State.PENDING, attempts=row.attempts)


def deliver(*, notification_id):
    """Send one outbox row if it is ours to send; returns what happened.

    "sent", "retry", "failed", "skipped" (not ours: sent, leased elsewhere or not due),
    "lease_lost" (the lease ran out before the send began: nothing sent) or "late_copy"
    (the server accepted our copy after the lease had run out and another sender took the row).
    """
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
    # Renew the lease right before talking to the server: a sender that stalled since its claim
    # (rendering, a paused process) and lost the row sends nothing.
    if not _ours(row).update(next_attempt_at=timezone.now() + timedelta(seconds=lease_seconds())):
        logger.warning("notification %s: lease lost before sending; left to its current holder", row.pk)
        return "lease_lost"
    message = _message(row)
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - classified: temporary ones are retried with backoff
        permanent = is_permanent(exc)
        log = logger.error if _our_configuration(exc) else logger.warning
        log("notification %s not sent (attempt %d, %s): %s", row.pk, row.attempts, _kind(permanent), exc)
        return _record_failure(row, exc, permanent=permanent)
    if _ours(row).update(state=State.SENT, sent_at=timezone.now(), last_error="", queued_at=None):
        _decision_delivered(row)
        return "sent"
    # The server has our copy, but our lease ran out during the send and another sender holds (or
    # has sent) the row: this copy is not the row's send. Recorded so a duplicate is explained.
    Notification.objects.filter(pk=row.pk).update(late_copies=F("late_copies") + 1)
    logger.error(
        "notification %s: copy accepted by the mail server after the lease ran out (Message-ID %s); "
        "not counted as sent, recorded as a late copy",
        row.pk,
        message.extra_headers["Message-ID"],
    )
    return "late_copy"


def _decision_delivered(row):
    """A decision mail went out: the claimant's objection window counts from today (issue 12)."""
    decision_id = (row.context or {}).get("decision_id")
    if row.kind not in DECISION_KINDS or not decision_id:
        return
    # Imported here: the services import this module (through notifications.claimant).
    from compensation.services.review import decision_notice_seen

    decision = Decision.objects.filter(pk=decision_id).select_related("claim").first()
    if decision is None:
        return
    try:
        decision_notice_seen(decision=decision, at=timezone.now(), via="mail")
    except Exception:  # noqa: BLE001 - the mail is sent; the window then starts when the portal shows it
        logger.exception("decision %s: mail sent but the objection window was not restarted", decision_id)


# Kept here (not imported from claimant.py, which imports this module) for `_decision_delivered`.
DECISION_KINDS = (
    Notification.Kind.DECISION,
    Notification.Kind.OBJECTION_DECIDED,
    Notification.Kind.DECISION_CORRECTED,
    Notification.Kind.PROACTIVE_DECISION,
)


def batch_budget_seconds():
    """A batch task stops taking new rows after this long and queues the rest as a new task, so it
    stays well inside the task time limit however slow the mail server is."""
    return _setting("NOTIFICATION_BATCH_BUDGET_SECONDS", 60)


def deliver_batch(*, notification_ids, budget=None):
    """Send rows one by one; rows left when the time budget runs out go back to the broker."""
    deadline = time.monotonic() + (batch_budget_seconds() if budget is None else budget)
    results = []
    for index, pk in enumerate(notification_ids):
        if index and time.monotonic() > deadline:
            rest = list(notification_ids[index:])
            enqueue_rows(Notification.objects.filter(pk__in=rest).values_list("pk", "kind"))
            results.extend(["requeued"] * len(rest))
            break
        results.append(deliver(notification_id=pk))
    return results


# SMTP stages where a 5xx is about this message (sender, recipient, content), not about our server.
_MESSAGE_STAGES = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def smtp_codes(exc):
    """The reply codes in an SMTP error: one per refused recipient, or the one reply; [] for others."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _reply in exc.recipients.values()]
    if isinstance(exc, smtplib.SMTPResponseException):
        return [exc.smtp_code]
    return []


def is_permanent(exc):
    """5xx at MAIL, RCPT or DATA: this message will never be accepted. All else is retried.

    smtplib raises `SMTPRecipientsRefused` for a temporary refusal too (450/451/452: greylisting,
    a full mailbox); only the codes tell the two apart. One 5xx among the recipients is enough.
    A 5xx at connect, HELO or AUTH means our server settings are wrong: retried (and logged as an
    error) so the mail goes out once they are fixed, instead of every mail failing meanwhile.
    """
    if not isinstance(exc, _MESSAGE_STAGES):
        return False
    return any(500 <= code < 600 for code in smtp_codes(exc))


def _our_configuration(exc):
    return (
        isinstance(exc, smtplib.SMTPResponseException)
        and not isinstance(exc, _MESSAGE_STAGES)
        and (500 <= exc.smtp_code < 600)
    )


def _kind(permanent):
    return "permanent" if permanent else "temporary"


def _record_failure(row, exc, *, permanent):
    """Record a failed attempt, if the lease is still ours; schedule the retry at its backoff time."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or row.attempts >= max_attempts():
        if not _ours(row).update(state=State.FAILED, last_error=error, queued_at=None):
            return "lease_lost"
        return "failed"
    delay = backoff(row.attempts)
    next_at = timezone.now() + delay
    eta = next_at if delay <= ETA_LIMIT else None
    if not _ours(row).update(last_error=error, next_attempt_at=next_at, queued_at=eta):
        return "lease_lost"
    if eta is not None:
        enqueue([row.pk], queue=queue_for(row.kind), eta=eta)
    return "retry"


def render(row):
    """Render subject and bodies once, in the row's language, from the context stored with it."""
    context = revive(row.context)
    context.update(
        language=row.language,
        kind=row.kind,
        site_url=_setting("SITE_URL", "http://127.0.0.1:8000"),
        site_name=_setting("SITE_NAME", "보상센터"),
        site_name_en=_setting("SITE_NAME_EN", "Compensation desk"),
    )
    if "exchange_account_pk" in context:
        # Signed when the mail is written, not when the row was inserted (set-based, in SQL).
        context["account_link_path"] = account_links.link_path(context["exchange_account_pk"])
    if "assisted_claim_pk" in context:
        context["confirm_link_path"] = account_links.confirmation_link_path(context["assisted_claim_pk"])
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
