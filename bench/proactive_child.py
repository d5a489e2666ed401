"""Child process of bench_proactive: runs against a throwaway PostgreSQL database.

Compute + issue: the floor is the same rows written by hand — one INSERT … SELECT of the claims
(amount grouped from the order log joined with the executable price), one of their decisions and
one of their outbox rows. Ours: `batch_compute` + `batch_issue` (batch lines, classification,
caps, minimum, merge with filed claims, event rows, the broker hand-off after commit).

Drain: two worker processes each deliver their half of the pending decision mails with
`outbox.deliver_batch`, 100 ids per call as each `send_notifications` task (lease a chunk, render,
one mail connection per batch, accepted rows marked together): once with Django's dummy (no-op) mail backend —
the floor — and once through SMTP to a local sink that accepts every message (`bench.smtp_sink`:
aiosmtpd took a core at a few hundred messages a second and set the pace itself).
"""

import os
import subprocess
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from compensation import services  # noqa: E402
from compensation.models import Claim, CompensationPolicy, Decision, Method, Notification  # noqa: E402
from compensation.notifications import outbox  # noqa: E402
from compensation.services.batches import _with_defaults  # noqa: E402
from config.celery import app  # noqa: E402
from incidents import roles  # noqa: E402
from incidents.models import Incident, IncidentType, Severity  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 200_000))
ROWS = ACCOUNTS * 3 // 2
DRAIN = int(os.environ.get("BENCH_DRAIN", ACCOUNTS))
SMALL = 2_000
COMPLIANCE = []
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", 8161))


def _user(name, role):
    user = get_user_model().objects.create(username=name, email=f"{name}@x.example", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def setup():
    call_command("migrate", verbosity=0)
    app.conf.task_always_eager = False  # publish to the in-memory broker: we time the issue, not mail
    preparer, approver = _user("prep", roles.SUPERVISOR), _user("appr", roles.SUPERVISOR)
    COMPLIANCE.append(_user("comp", roles.COMPLIANCE))
    CompensationPolicy.objects.create(
        incident_type=IncidentType.ORDER_FAILURE,
        damage_type="missed_trade",
        name="bench",
        criteria="bench",
        method=Method.PRICE_DIFFERENCE,
        cap_krw=5_000_000,
    )
    now = timezone.now()
    incidents = []
    for n, accounts in enumerate((SMALL, ACCOUNTS)):
        incident = Incident.objects.create(
            title=f"bench 주문 장애 {n}",
            incident_type=IncidentType.ORDER_FAILURE,
            severity=Severity.MAJOR,
            affected_services="KRW 마켓",
            started_at=now - timedelta(days=2),
            ended_at=now - timedelta(days=2) + timedelta(hours=2),
            detected_at=now - timedelta(days=2),
        )
        prefix = f"B{n}-"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO compensation_exchangeaccount (account_id, email, payout_kind, payout_details, "
                "identity_check, link_method, imported_by_id, imported_at) SELECT %s || g, "
                "'u' || g || '-' || %s || '@example.com', 'exchange_credit', '', '', '', %s, now() "
                "FROM generate_series(0, %s) g",
                [prefix, n, preparer.pk, accounts - 1],
            )
            cursor.execute(
                "INSERT INTO compensation_affectedorder (incident_id, order_ref, account_id, email, asset, side, "
                "quantity, price_krw, attempted_at, error, imported_by_id, imported_at) SELECT %s, 'O-' || g, "
                "%s || (g %% %s), '', 'BTC', 'buy', 0.01, 100000000, %s, '', %s, now() "
                "FROM generate_series(0, %s) g",
                [incident.pk, prefix, accounts, incident.started_at + timedelta(minutes=5), preparer.pk,
                 accounts * 3 // 2 - 1],
            )  # fmt: skip
            cursor.execute(
                "INSERT INTO compensation_marketprice (incident_id, asset, at, price_krw, imported_by_id, imported_at) "
                "VALUES (%s, 'BTC', %s, 101000000, %s, now())",
                [incident.pk, incident.ended_at + timedelta(minutes=1), preparer.pk],
            )
        incidents.append(incident)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return preparer, approver, incidents


def cleanup(incident):
    with transaction.atomic(), connection.cursor() as cursor:
        claims = "SELECT id FROM compensation_claim WHERE incident_id = %s"
        cursor.execute(f"DELETE FROM compensation_notification WHERE claim_id IN ({claims})", [incident.pk])
        cursor.execute(f"DELETE FROM compensation_claimevent WHERE claim_id IN ({claims})", [incident.pk])
        cursor.execute(f"DELETE FROM compensation_decision WHERE claim_id IN ({claims})", [incident.pk])
        cursor.execute(
            "UPDATE compensation_batchline SET claim_id = NULL WHERE batch_id IN "
            "(SELECT id FROM compensation_compensationbatch WHERE incident_id = %s)",
            [incident.pk],
        )
        cursor.execute("DELETE FROM compensation_claim WHERE incident_id = %s", [incident.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE compensation_claim")


def floor(incident, preparer, approver):
    """The same claims, decisions and outbox rows, written by hand in three INSERT … SELECT."""
    now = timezone.now()
    today = now.date()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = (
            "INSERT INTO compensation_claim (id, number, incident_id, policy_id, origin, exchange_account_id, state, "
            "idempotency_key, amount_claimed_krw, description, payout_method, payout_account, filed_at, "
            "review_due_on, statutory_due_on, review_clock_started_on, objection_window_started_on, "
            "objection_window_business_days, objection_window_ends_on, created_at, updated_at) "
            "SELECT s.id, 'F-' || s.id, %s, p.id, 'proactive', a.id, 'decided', gen_random_uuid(), s.amount, "
            "'bench', 'wallet', a.account_id, %s, %s, %s, %s, %s, 10, %s, %s, %s "
            "FROM (SELECT nextval(pg_get_serial_sequence('compensation_claim', 'id')) AS id, o.account_id, "
            "SUM(floor(GREATEST(0, x.price_krw - o.price_krw) * o.quantity))::bigint AS amount "
            "FROM compensation_affectedorder o JOIN compensation_marketprice x ON x.incident_id = o.incident_id "
            "AND x.asset = o.asset WHERE o.incident_id = %s GROUP BY o.account_id) s "
            "JOIN compensation_exchangeaccount a ON a.account_id = s.account_id, compensation_compensationpolicy p"
        )
        cursor.execute(
            *_with_defaults(Claim, sql, [incident.pk, now, today, today, today, today, today, now, now, incident.pk])
        )
        sql = (
            "INSERT INTO compensation_decision (claim_id, approved, amount_krw, reasons, internal_note, pay_on, "
            "due_on, cap_override_reason, status, decided_by_id, decided_at, approved_by_id, approved_at, "
            "notified_at) SELECT c.id, true, c.amount_claimed_krw, 'bench', '', %s, %s, '', 'in_force', %s, %s, "
            "%s, %s, %s FROM compensation_claim c WHERE c.incident_id = %s"
        )
        cursor.execute("ANALYZE compensation_claim")  # rows of this transaction: let the planner know
        cursor.execute(
            *_with_defaults(Decision, sql, [today, today, preparer.pk, now, approver.pk, now, now, incident.pk])
        )
        cursor.execute("ANALYZE compensation_decision")
        sql = (
            "INSERT INTO compensation_notification (key, kind, claim_id, to_email, language, context, subject, "
            "body_text, body_html, state, attempts, last_error, next_attempt_at, created_at) "
            "SELECT 'floor:' || c.id || ':' || d.id, 'proactive_decision', c.id, a.email, 'ko', "
            "json_build_object('claim_id', c.id, 'amount_krw', d.amount_krw, 'reasons', d.reasons), '', '', '', "
            "'pending', 0, '', %s, %s FROM compensation_claim c JOIN compensation_decision d ON d.claim_id = c.id "
            "JOIN compensation_exchangeaccount a ON a.id = c.exchange_account_id WHERE c.incident_id = %s"
        )
        cursor.execute(*_with_defaults(Notification, sql, [now, now, incident.pk]))
    return time.perf_counter() - start


def ours(incident, preparer, approver):
    batch = services.batch_create(incident=incident, actor=preparer)
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as computing:
        batch = services.batch_compute(batch=batch, actor=preparer)
    computed = time.perf_counter() - start
    batch = services.batch_approve(batch=batch, actor=approver)
    if batch.state != "approved":  # above the compliance limit: compliance co-approves
        batch = services.batch_approve(batch=batch, actor=COMPLIANCE[0])
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as issuing:
        batch = services.batch_issue(batch=batch, actor=preparer)
    issued = time.perf_counter() - start
    return computed + issued, batch, len(computing), len(issuing)


def drain(backend_env, ids_total):
    """Two worker processes deliver the pending decision mails; returns (seconds, messages sent)."""
    env = {**os.environ, **backend_env}
    started = time.perf_counter()
    workers = [
        subprocess.Popen([sys.executable, "-m", "bench.outbox_drain_worker", str(part), "2"], env=env)
        for part in range(2)
    ]
    for worker in workers:
        if worker.wait(timeout=7200) != 0:
            raise RuntimeError("a drain worker failed")
    seconds = time.perf_counter() - started
    sent = Notification.objects.filter(kind=Notification.Kind.PROACTIVE_DECISION, state="sent").count()
    return seconds, sent


def reset_outbox(incident):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_notification SET state = 'pending', attempts = 0, sent_at = NULL, subject = '', "
            "body_text = '', body_html = '', last_error = '', next_attempt_at = now() - interval '1 minute' "
            "WHERE kind = 'proactive_decision'"
        )
        # Both runs record each decision's delivery the same way (the first would leave it done).
        cursor.execute(
            "UPDATE compensation_decision SET mail_sent_at = NULL WHERE claim_id IN "
            "(SELECT claim_id FROM compensation_notification WHERE kind = 'proactive_decision')"
        )
        # Keep DRAIN of them pending; the rest are parked as sent so both runs deliver the same rows.
        cursor.execute(
            "UPDATE compensation_notification SET state = 'sent' WHERE kind = 'proactive_decision' AND id NOT IN "
            "(SELECT id FROM compensation_notification WHERE kind = 'proactive_decision' ORDER BY id LIMIT %s)",
            [DRAIN],
        )
        cursor.execute(
            "SELECT count(*) FROM compensation_notification WHERE kind = 'proactive_decision' AND state = 'pending'"
        )
        return cursor.fetchone()[0]


def main():
    preparer, approver, (small, big) = setup()
    _seconds, small_batch, small_compute, small_issue = ours(small, preparer, approver)
    f1 = floor(big, preparer, approver)
    floor_claims = Claim.objects.filter(incident=big).count()
    cleanup(big)
    seconds, batch, compute_statements, issue_statements = ours(big, preparer, approver)
    claims = Claim.objects.filter(incident=big).count()
    assert claims == floor_claims == ACCOUNTS, (claims, floor_claims)
    print(f"{ACCOUNTS:,} accounts, {ROWS:,} order log rows → {claims:,} claims, decisions and outbox rows")
    print(f"floor (three hand-written INSERT … SELECT): {f1:.2f} s")
    print(f"batch_compute + batch_issue: {seconds:.2f} s")
    print(
        f"statements: compute {compute_statements}, issue {issue_statements} for {ACCOUNTS:,} accounts; "
        f"compute {small_compute}, issue {small_issue} for {SMALL:,} accounts"
    )
    print(f"RESULT proactive compute + issue: {seconds / f1:.2f}× the hand-written INSERT … SELECT (target ≤ 2×)")

    from bench.smtp_sink import Sink

    pending = reset_outbox(big)
    connection.close()
    noop_seconds, noop_sent = drain({"EMAIL_URL": "dummymail://", "BENCH_EMAIL_BACKEND": "dummy"}, pending)
    pending = reset_outbox(big)
    connection.close()
    with Sink(SMTP_PORT) as sink:
        smtp_seconds, smtp_sent = drain({"BENCH_EMAIL_BACKEND": "smtp", "BENCH_SMTP_PORT": str(SMTP_PORT)}, pending)
    assert sink.accepted == pending, (sink.accepted, pending)
    noop_rate, smtp_rate = pending / noop_seconds, pending / smtp_seconds
    print(
        f"drain: {pending:,} decision mails, two worker processes (outbox.deliver_batch per 100 ids: lease "
        f"{outbox.CLAIM_CHUNK} in one statement, one template pass per chunk, renders stored and leases renewed "
        f"in one statement, one mail connection per batch, accepted rows and their decisions marked together)"
    )
    print("load average (1, 5, 15 min) after the drains: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"floor (no-op sender): {noop_seconds:.1f} s, {noop_rate:,.0f} msgs/s")
    print(f"SMTP to a local sink: {smtp_seconds:.1f} s, {smtp_rate:,.0f} msgs/s")
    ratio = noop_rate / smtp_rate
    print(f"RESULT outbox drain: {smtp_rate:,.0f} msgs/s through SMTP, {ratio:.2f}× the no-op sender's time")


main()
