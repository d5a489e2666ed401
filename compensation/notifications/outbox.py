"""The notification outbox: rows written in the caller's transaction, sent by Celery after commit.

Guarantees (README "Mail: the outbox"):

- **Nothing is lost.** The row is the source of truth, committed with the change that causes it.
  Publishing its task (for a few rows: pushing its id to the queue's kick list, one drain task
  per burst, see `kicks`) is one bounded attempt after commit (broker timeouts in settings); if the
  broker is down or frozen the row is marked not queued and the every-minute sweep
  (`requeue_pending`) queues it. A killed worker's row comes back when its lease runs out.
- **One send per row from our side.** A sender first *claims* the row with a conditional UPDATE
  (pending and due → leased for `NOTIFICATION_LEASE_SECONDS`, `attempts` + 1). `attempts` is the
  lease's fencing token: the sender checks it again before talking to the server and when it
  marks the row sent (conditional UPDATE, row count checked). A sender that lost its lease does
  not count its copy as the send; it records it in `late_copies` and logs it.
- **The window SMTP cannot close.** A worker killed (or frozen past its lease) after the server's
  "250" and before the UPDATE that marks the row sent leaves a row that is sent again later. Each
  row has a stable Message-ID (`<n{id}.{hash}@domain>`), so such a copy is recognisable. Rows the
  server accepted are marked together (one statement, `_mark_sent`) at the latest
  MARK_AFTER_SECONDS after the oldest one's send began, at the end of each chunk and before the
  connection is closed (QUIT); until then they stay leased by us, so that window holds at most one
  chunk's rows accepted in the last tenth of a second — on a slow server, only the message just
  accepted, as when each row was marked on its own.
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
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial, reduce
from hashlib import sha1
from operator import or_

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compensation import tasks
from compensation.models import ClaimState, Decision, Notification
from compensation.notifications import kicks, links, mime, outbox_sql, shared_render
from config.breaker import Breaker
from incidents import calendar

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
        if eta is not None or not _kicked(ids, queue, options):
            _publish(ids, options)
    except Exception as exc:  # noqa: BLE001 - any broker error: the outbox row is the source of truth
        broker_breaker.failed(exc, "publish")
        logger.info("broker unavailable; %d notification(s) stay pending for the sweep", len(ids))
        _not_queued(ids)
        return False
    broker_breaker.succeeded(generation)
    return True


def _publish(ids, options):
    if len(ids) == 1:
        tasks.send_notification.apply_async(kwargs={"notification_id": ids[0]}, **options)
        return
    for start in range(0, len(ids), ENQUEUE_CHUNK):
        tasks.send_notifications.apply_async(kwargs={"notification_ids": ids[start : start + ENQUEUE_CHUNK]}, **options)


def kick_seconds():
    """How long a drain waits for more rows after the first of a burst (the mail's added latency)."""
    return _setting("NOTIFICATION_KICK_SECONDS", 0.5)


def _kick_client():
    return kicks.client(tasks.drain_kicked.app.conf.broker_url, timeout=_setting("BROKER_TIMEOUT_SECONDS", 2.0))


def _kicked(ids, queue, options):
    """A few rows due now go to the queue's kick list (`kicks`): one drain task per burst, not one per
    row. False when the broker is not Redis or the set is large (the caller publishes batch tasks).
    Raises like a failed publish (the caller marks the rows not queued)."""
    conn = _kick_client() if len(ids) <= kicks.MAX_IDS else None
    if conn is None:
        return False
    if kicks.push(conn, ids, queue=queue, window=kick_seconds()):
        try:
            not_before = time.time() + kick_seconds()
            tasks.drain_kicked.apply_async(kwargs={"queue": queue, "not_before": not_before}, **options)
        except Exception:
            kicks.forget_kick(conn, queue=queue)
            raise
    return True


def drain_kicked(*, queue, not_before=None):
    """The drain task: deliver every row kicked for `queue` so far, as one batch (`kicks`).

    It first waits until `not_before` (the kick's time + NOTIFICATION_KICK_SECONDS, at most that long
    on a skewed clock) so the rows of a burst go together; a drain that waited in the queue longer
    starts at once. Not an ETA task: a worker holding an unacknowledged message when the broker
    connection drops stops for good (kombu's restore at close fails); the drain task is acknowledged
    when it starts, and if it dies its rows are the sweep's. If Redis cannot be read the rows stay
    pending and queued; the sweep takes them after the grace."""
    conn = _kick_client()
    if conn is None:
        return []
    if not_before is not None:
        time.sleep(max(0.0, min(kick_seconds(), not_before - time.time())))
    try:
        ids = kicks.take(conn, queue=queue)
    except Exception:  # noqa: BLE001 - the rows are in the database: the sweep sends them
        logger.warning("could not read the kicked notifications of %s; the sweep sends them", queue, exc_info=True)
        return []
    return deliver_batch(notification_ids=ids) if ids else []


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
# Rows a batch task leases per statement. Small enough that a budget running out leaves few rows
# to hand back; large enough that the bookkeeping per chunk (lease, store renders, renew) is noise.
CLAIM_CHUNK = 50
# A batch renews the leases of the rows it still has to send when this long has passed since it
# last did: a sender that stalled (a paused process, a slow server) finds out it lost a row before
# sending it, as a single-row send did, without an UPDATE per message on a fast drain.
RENEW_AFTER_SECONDS = 1.0


def _claim(notification_id, now):
    """Lease the row: exactly one caller gets 1 here while the row is pending and due."""
    return _due(now).filter(pk=notification_id).update(**_lease(now))


def _due(now):
    # One second of slack: batch stamps may sit microseconds ahead of the clock (see _batch_stamp);
    # a lease is minutes long, so the slack never lets a second sender in.
    return Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now + timedelta(seconds=1))


def _lease(now):
    return {
        "next_attempt_at": now + timedelta(seconds=lease_seconds()),
        "attempts": F("attempts") + 1,
        "queued_at": None,
    }


def _claim_many(ids, now):
    """Lease the pending, due rows among `ids` in one statement; returns {id: row} of those now ours.

    Rows another sender is leasing right now are skipped, not waited for (SKIP LOCKED; SQLite
    serialises writers instead). The UPDATE repeats the condition, so a row is leased only once.
    """
    if connection.vendor == "postgresql":
        return outbox_sql.claim(ids, now=now, until=now + timedelta(seconds=lease_seconds()))
    with transaction.atomic():
        free = list(_due(now).filter(pk__in=ids).select_for_update(skip_locked=True).values_list("pk", flat=True))
        if not free:
            return {}
        _due(now).filter(pk__in=free).update(**_lease(now))
        return Notification.objects.in_bulk(free)


def _ours(row):
    """The row, still pending and still leased by this sender (`attempts` is the fencing token)."""
    return Notification.objects.filter(pk=row.pk, state=State.PENDING, attempts=row.attempts)


def _all_ours(rows):
    return Notification.objects.filter(
        reduce(or_, (Q(pk=row.pk, attempts=row.attempts) for row in rows)), state=State.PENDING
    )


def _renew(rows, *, store=False):
    """Extend the leases of `rows` in one UPDATE; returns the rows still ours (others took the rest).

    `store`: keep what was rendered now as well (so a retry sends the same words), in the same
    statement on PostgreSQL."""
    if not rows:
        return []
    until = timezone.now() + timedelta(seconds=lease_seconds())
    if connection.vendor == "postgresql":
        kept = outbox_sql.renew(rows, until=until, store=store)
    else:
        if store:
            Notification.objects.bulk_update([row for row in rows if row.rendered_now], RENDERED)
        if _all_ours(rows).update(next_attempt_at=until) == len(rows):
            return rows
        kept = set(_all_ours(rows).values_list("pk", flat=True))
    for row in rows:
        if row.pk not in kept:
            logger.warning("notification %s: lease lost before sending; left to its current holder", row.pk)
    return [row for row in rows if row.pk in kept]


def _release(rows):
    """Hand leased rows back unsent (the batch ran out of time): due now, the claim not counted."""
    if rows:
        _all_ours(rows).update(attempts=F("attempts") - 1, next_attempt_at=timezone.now(), queued_at=None)


def deliver(*, notification_id):
    """Send one outbox row if it is ours to send; returns what happened.

    "sent", "retry", "failed", "skipped" (not ours: sent, leased elsewhere or not due),
    "lease_lost" (the lease ran out before the send began: nothing sent) or "late_copy"
    (the server accepted our copy after the lease had run out and another sender took the row).
    """
    return deliver_batch(notification_ids=[notification_id])[0]


class _Sender:
    """One mail connection for a whole batch: opened at the first send, again after any error."""

    def __init__(self):
        self.connection = None

    def send(self, message):
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        message.connection = self.connection
        data = mime.as_bytes(message) if isinstance(self.connection, SMTPBackend) else None
        if data is None or self.connection.connection is None:
            self.connection.send_messages([message])
            return
        # What Django's SMTP backend does for one message, with the bytes written directly (mime).
        self.connection.connection.sendmail(
            mime.sender_address(message.from_email), [mime.envelope_address(message.to[0])], data
        )

    def close(self):
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection has nothing left to tell us
                logger.info("mail connection closed uncleanly", exc_info=True)


class _Batch:
    """One call of deliver_batch: its deadline, its mail connection, what happened to each id, and
    the rows the server accepted that are not marked sent yet (still leased by us)."""

    def __init__(self, budget):
        self.deadline = time.monotonic() + (batch_budget_seconds() if budget is None else budget)
        self.sender = _Sender()
        self.outcomes = {}
        self.attempted = False  # the first row is always tried, however small the budget
        self.unmarked = []  # (row, Message-ID) accepted by the server ("250"), not marked yet
        self.unmarked_since = None  # when the send of the oldest of them began

    def out_of_time(self):
        return self.attempted and time.monotonic() > self.deadline

    def accepted(self, row, message_id, started):
        """The server took `row`: mark it with the others, at the latest MARK_AFTER_SECONDS after its
        send began (on a slow server that is right after its own "250", before the next send)."""
        self.unmarked.append((row, message_id))
        self.unmarked_since = self.unmarked_since or started
        if time.monotonic() - self.unmarked_since > MARK_AFTER_SECONDS:
            self.mark_sent()

    def mark_sent(self):
        rows, self.unmarked, self.unmarked_since = self.unmarked, [], None
        if rows:
            self.outcomes.update(_mark_sent(rows))

    def close_connection(self):
        """QUIT tells the server we heard every "250": so the rows it confirms are marked first."""
        self.mark_sent()
        self.sender.close()


def deliver_batch(*, notification_ids, budget=None):
    """Send the rows that are ours to send; rows left when the time budget runs out go back to the broker.

    Rows are leased CLAIM_CHUNK at a time with one statement, rendered (one template pass per kind
    and language where that is provably the same, `render_rows`), their renders stored and leases
    renewed in one UPDATE, then sent one by one over one mail connection (bytes written by `mime`).
    The rows the server accepted are marked sent together, with the decisions their mails carry
    (`_mark_sent`, see "The window SMTP cannot close" above). Returns one outcome per id given.
    """
    ids = list(dict.fromkeys(notification_ids))
    batch = _Batch(budget)
    try:
        with _unsynced_commits():
            for start in range(0, len(ids), CLAIM_CHUNK):
                if batch.out_of_time():
                    break
                _deliver_chunk(ids[start : start + CLAIM_CHUNK], batch)
    finally:
        batch.close_connection()
    rest = [pk for pk in ids if pk not in batch.outcomes or batch.outcomes[pk] == "requeued"]
    if rest:
        enqueue_rows(Notification.objects.filter(pk__in=rest).values_list("pk", "kind"))
    results, seen = [], set()
    for pk in notification_ids:  # an id given twice: the second one finds the row taken
        results.append(batch.outcomes.get(pk, "requeued") if pk not in seen else "skipped")
        seen.add(pk)
    return results


@contextmanager
def _unsynced_commits():
    """The sender's own commits (lease, sent, decision delivered) do not wait for the disk.

    `synchronous_commit = off` risks nothing but the last moments of commits if PostgreSQL itself
    crashes (never consistency: the database comes back as it was a fraction of a second earlier).
    For the outbox that means a row marked sent just before such a crash is pending again and sent
    once more with the same Message-ID: the window SMTP cannot close, a little wider, and only on a
    database crash, not a worker crash. Waiting for the disk at every message made a drain of
    200,000 decision mails take hours. Session-level, reset after the batch; not inside a caller's
    transaction (its commit is the caller's business).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # the connection broke: a new one starts with the default anyway
            logger.info("could not reset synchronous_commit", exc_info=True)


def _deliver_chunk(ids, batch):
    rows = _claim_many(ids, timezone.now())
    batch.outcomes.update({pk: "skipped" for pk in ids if pk not in rows})
    ready = _rendered([rows[pk] for pk in ids if pk in rows], batch)
    # Store the renders and renew the leases right before talking to the server: a sender that
    # stalled since its claim (rendering, a paused process) and lost a row sends nothing for it.
    queue, renewed_at = _renewed(ready, batch, store=True), time.monotonic()
    try:
        while queue:
            if batch.out_of_time():
                _release(queue)
                batch.outcomes.update({row.pk: "requeued" for row in queue})
                return
            if time.monotonic() - renewed_at > RENEW_AFTER_SECONDS:
                queue, renewed_at = _renewed(queue, batch), time.monotonic()
                continue
            row = queue.pop(0)
            batch.attempted = True
            _send(row, batch)
    finally:
        batch.mark_sent()  # the chunk's accepted rows, in one statement


def _renewed(rows, batch, store=False):
    kept = _renew(rows, store=store)
    kept_ids = {row.pk for row in kept}
    batch.outcomes.update({row.pk: "lease_lost" for row in rows if row.pk not in kept_ids})
    return kept


def _rendered(rows, batch):
    """Render the rows never rendered (one template pass per kind and language where that is the same,
    `render_rows`); a template error will not heal by retrying: that row is parked for staff."""
    for row in rows:
        row.rendered_now = not row.subject
    failed = render_rows([row for row in rows if row.rendered_now])
    for row in rows:
        if row.pk in failed:
            logger.error("notification %s could not be rendered", row.pk, exc_info=failed[row.pk])
            batch.outcomes[row.pk] = _record_failure(row, failed[row.pk], permanent=True)
    return [row for row in rows if row.pk not in failed]


RENDERED = ("subject", "body_text", "body_html")


def _send(row, batch):
    message = _message(row)
    started = time.monotonic()
    try:
        batch.sender.send(message)
    except Exception as exc:  # noqa: BLE001 - classified: temporary ones are retried with backoff
        batch.close_connection()  # a connection that failed once is not trusted with the next message
        permanent = is_permanent(exc)
        log = logger.error if _our_configuration(exc) else logger.warning
        log("notification %s not sent (attempt %d, %s): %s", row.pk, row.attempts, _kind(permanent), exc)
        batch.outcomes[row.pk] = _record_failure(row, exc, permanent=permanent)
        return
    batch.accepted(row, message.extra_headers["Message-ID"], started)


# Rows the server accepted are marked sent together: after the send of the oldest of them began
# more than this long ago (checked after each "250"; on a slow server each row is marked before
# the next send starts), at the end of each chunk, and before the connection is closed.
MARK_AFTER_SECONDS = 0.1


def _mark_sent(accepted):
    """Mark rows the server accepted as sent, and their decisions as delivered, in one statement.

    Only rows still pending under our lease (`attempts`) are marked. A row whose lease ran out during
    the send and that another sender holds (or has sent) is not ours: the server has our copy but it
    is not the row's send; it is recorded as a late copy so a duplicate is explained. Between a
    "250" and this statement the row stays leased by us: a worker killed (or a PostgreSQL crash,
    `_unsynced_commits`) in that gap leaves it pending, and it is sent again with the same
    Message-ID once the lease runs out — at most the rows accepted in the last MARK_AFTER_SECONDS
    of one chunk, none of them confirmed to the server by QUIT. Never a loss. → {id: outcome}.
    """
    rows = {row.pk: (row, message_id) for row, message_id in accepted}
    if connection.vendor == "postgresql":
        marked = outbox_sql.mark_sent([row for row, _id in rows.values()], decision_kinds=DECISION_KINDS)
    else:
        marked = {}
        for row, _id in rows.values():
            if _ours(row).update(state=State.SENT, sent_at=timezone.now(), last_error="", queued_at=None):
                marked[row.pk] = False
    for pk, delivered in marked.items():
        if not delivered:
            _decision_delivered(rows[pk][0])  # not a decision, a resend, or its objection window restarts
    late = [pk for pk in rows if pk not in marked]
    if late:
        Notification.objects.filter(pk__in=late).update(late_copies=F("late_copies") + 1)
        for pk in late:
            logger.error(
                "notification %s: copy accepted by the mail server after the lease ran out (Message-ID %s); "
                "not counted as sent, recorded as a late copy",
                pk,
                rows[pk][1],
            )
    return {pk: "sent" if pk in marked else "late_copy" for pk in rows}


def _decision_delivered(row):
    """A decision mail went out: the claimant's objection window counts from today (issue 12)."""
    decision_id = (row.context or {}).get("decision_id")
    if row.kind not in DECISION_KINDS or not decision_id:
        return
    at = timezone.now()
    # The usual case in one UPDATE: the window needs no restart (the portal showed the decision
    # first, the decision is not in force, or the window already counts from today or later).
    nothing_to_restart = (
        Q(first_opened_at__isnull=False)
        | ~Q(status=Decision.Status.IN_FORCE)
        | ~Q(claim__state=ClaimState.DECIDED)
        | Q(claim__objection_window_started_on__gte=calendar.to_kst_date(at))
    )
    unseen = Decision.objects.filter(pk=decision_id, mail_sent_at__isnull=True)
    if unseen.filter(nothing_to_restart).update(mail_sent_at=at) or not unseen.exists():
        return  # recorded; or a mail of this decision went out before (a resend): nothing to do
    # Imported here: the services import this module (through notifications.claimant).
    from compensation.services.review import decision_notice_seen

    decision = Decision.objects.filter(pk=decision_id).select_related("claim").first()
    if decision is None:
        return
    try:
        decision_notice_seen(decision=decision, at=at, via="mail")
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
    with translation.override(row.language), timezone.override(settings.TIME_ZONE):
        return _written(row, _render_strings(row.kind, _context(row)))


def _context(row):
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
        context["account_link_path"] = links.link_path(context["exchange_account_pk"])
    if "assisted_claim_pk" in context:
        context["confirm_link_path"] = links.confirmation_link_path(context["assisted_claim_pk"])
    return context


def _templates(kind):
    return tuple(f"{TEMPLATE_DIR}/{kind}.{ending}" for ending in ("subject.txt", "txt", "html"))


def _render_strings(kind, context):
    """(subject, text, html) as the templates write them (call inside the row's language and time zone)."""
    return tuple(render_to_string(name, context) for name in _templates(kind))


def _written(row, strings):
    subject, text, html = strings
    row.subject = " ".join(subject.split())[:300]
    row.body_text = text.strip() + "\n"
    row.body_html = html
    return row


def render_rows(rows):
    """Render rows as `render` does, those of one kind and language with one template pass per group
    where that is provably the same (`shared_render`); → {row id: exception} for rows that failed."""
    groups, failed = {}, {}
    for row in rows:
        groups.setdefault((row.kind, row.language), []).append(row)
    for (kind, language), group in groups.items():
        try:
            with translation.override(language), timezone.override(settings.TIME_ZONE):
                contexts = [_context(row) for row in group]
                strings = shared_render.render_group(
                    contexts, templates=_templates(kind), render=partial(_render_strings, kind)
                )
                for row, rendered in zip(group, strings, strict=True):
                    _written(row, rendered)
            continue
        except shared_render.NotShared as why:
            if len(group) > 1:
                logger.debug("%d %s mails rendered one by one: %s", len(group), kind, why)
        except Exception:  # noqa: BLE001 - rendered one by one below, where the failing row is named
            logger.debug("%d %s mails rendered one by one after an error", len(group), kind, exc_info=True)
        for row in group:
            try:
                render(row)
            except Exception as exc:  # noqa: BLE001 - any template error
                failed[row.pk] = exc
    return failed


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
