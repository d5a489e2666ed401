"""The outbox sender's statements on PostgreSQL: one round trip each, whatever the chunk size.

A drain of 200,000 decision mails is bound by round trips to the database on a busy machine, so
each step of a chunk is one statement: lease the chunk (`claim`), store its renders and renew its
leases (`renew`), mark what the server accepted and record the decisions delivered (`mark_sent`).
Each keeps the conditions of the ORM version in `outbox` (pending and due to lease; pending and
still leased by us, `attempts` as fencing token, to renew and to mark). SQLite takes the ORM path.
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from compensation.models import Claim, ClaimState, Decision, Notification
from incidents import calendar

State = Notification.State
RENDERED = ("subject", "body_text", "body_html")


def _t(model):
    return model._meta.db_table


def claim(ids, *, now, until):
    """Lease the pending, due rows among `ids` (others' locked rows skipped); → {id: row} now ours."""
    n = _t(Notification)
    due = "state = %s AND next_attempt_at <= %s"
    slack = now + timedelta(seconds=1)  # outbox._due's second of slack
    rows = Notification.objects.raw(
        f"UPDATE {n} SET next_attempt_at = %s, attempts = attempts + 1, queued_at = NULL WHERE id IN "
        f"(SELECT id FROM {n} WHERE id = ANY(%s) AND {due} FOR UPDATE SKIP LOCKED) AND {due} RETURNING *",
        [until, list(ids), State.PENDING, slack, State.PENDING, slack],
    )
    return {row.pk: row for row in rows}


def renew(rows, *, until, store=False):
    """Extend the leases still ours (and keep the renders made now, if `store`); → ids still ours."""
    n = _t(Notification)
    texts = [[getattr(row, name) if store and row.rendered_now else None for row in rows] for name in RENDERED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {n} n SET next_attempt_at = %s, subject = coalesce(v.subject, n.subject), "
            f"body_text = coalesce(v.body_text, n.body_text), body_html = coalesce(v.body_html, n.body_html) "
            f"FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::text[], %s::text[]) "
            f"AS v(id, attempts, subject, body_text, body_html) "
            f"WHERE n.id = v.id AND n.attempts = v.attempts AND n.state = %s RETURNING n.id",
            [until, [row.pk for row in rows], [row.attempts for row in rows], *texts, State.PENDING],
        )
        return {pk for (pk,) in cursor.fetchall()}


def mark_sent(rows, *, decision_kinds):
    """Mark the rows still ours sent and record the decisions their mails carry as delivered where
    the objection window needs no restart (`outbox._decision_delivered`'s usual case), in one
    statement; → {id marked: True unless `_decision_delivered` must still look at it}."""
    at = timezone.now()
    n, d, c = _t(Notification), _t(Decision), _t(Claim)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v AS (SELECT * FROM unnest(%s::bigint[], %s::integer[]) AS v(id, attempts)), "
            f"sent AS (UPDATE {n} n SET state = %s, sent_at = %s, last_error = '', queued_at = NULL FROM v "
            f"WHERE n.id = v.id AND n.attempts = v.attempts AND n.state = %s RETURNING n.id, "
            f"CASE WHEN n.kind = ANY(%s) THEN (n.context ->> 'decision_id')::bigint END AS decision_id), "
            f"delivered AS (UPDATE {d} d SET mail_sent_at = %s FROM sent s, {c} c WHERE d.id = s.decision_id "
            f"AND d.mail_sent_at IS NULL AND c.id = d.claim_id AND (d.first_opened_at IS NOT NULL "
            f"OR d.status <> %s OR c.state <> %s OR c.objection_window_started_on >= %s) RETURNING d.id) "
            f"SELECT s.id, s.decision_id IS NULL OR s.decision_id IN (SELECT id FROM delivered) FROM sent s",
            [
                [row.pk for row in rows],
                [row.attempts for row in rows],
                State.SENT,
                at,
                State.PENDING,
                list(decision_kinds),
                at,
                Decision.Status.IN_FORCE,
                ClaimState.DECIDED,
                calendar.to_kst_date(at),
            ],
        )
        return dict(cursor.fetchall())
