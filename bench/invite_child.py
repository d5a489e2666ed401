"""Child process of bench_invite: runs against a throwaway PostgreSQL database.

The floor is the same answer written by hand: one raw grouped SELECT of the addresses without a
claim and one bulk INSERT of as many outbox rows. The service adds the outbox's idempotent insert
(ON CONFLICT DO NOTHING, ids read back) and the broker hand-off.
"""

import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from compensation import services  # noqa: E402
from compensation.models import AffectedOrder, Claim, CompensationPolicy, Method, Notification  # noqa: E402
from config.celery import app  # noqa: E402
from incidents import roles  # noqa: E402
from incidents.models import Incident, IncidentType, Severity  # noqa: E402

ORDERS, ADDRESSES, ACCOUNTS, CLAIMED, REPEAT = 100_000, 50_000, 30_000, 10_000, 5
BATCH = 5000


def setup():
    call_command("migrate", verbosity=0)
    app.conf.task_always_eager = False  # publish to the in-memory broker: we time the invite, not mail
    now = timezone.now()
    User = get_user_model()
    supervisor = User.objects.create(username="sup", email="sup@x.example", is_staff=True)
    supervisor.groups.add(Group.objects.get_or_create(name=roles.SUPERVISOR)[0])
    incident = Incident.objects.create(
        title="bench 주문 장애",
        incident_type=IncidentType.ORDER_FAILURE,
        severity=Severity.MAJOR,
        affected_services="KRW 마켓",
        started_at=now - timedelta(days=2),
        ended_at=now - timedelta(days=2, hours=-2),
        detected_at=now - timedelta(days=2),
        intake_ends_on=(now + timedelta(days=25)).date(),
    )
    Incident.objects.filter(pk=incident.pk).update(state="notice_posted")
    incident.refresh_from_db()
    users = User.objects.bulk_create(
        [User(username=f"u{i}@example.com", email=f"u{i}@example.com") for i in range(ACCOUNTS)], batch_size=BATCH
    )
    policy = CompensationPolicy.objects.create(
        incident_type=IncidentType.ORDER_FAILURE,
        damage_type="missed_trade",
        name="bench",
        criteria="bench",
        method=Method.PRICE_DIFFERENCE,
        cap_krw=5_000_000,
    )
    today = now.date()
    Claim.objects.bulk_create(
        [
            Claim(
                number=f"C-i-{i:07d}",
                incident=incident,
                policy=policy,
                claimant=user,
                idempotency_key=uuid.uuid4(),
                amount_claimed_krw=100_000,
                description="bench",
                payout_method="bank",
                payout_account="bench",
                filed_at=now,
                review_due_on=today,
                statutory_due_on=today,
                review_clock_started_on=today,
                review_business_days=15,
                calendar_revision=1,
            )
            for i, user in enumerate(users[:CLAIMED])
        ],
        batch_size=BATCH,
    )
    AffectedOrder.objects.bulk_create(
        [
            AffectedOrder(
                incident=incident,
                order_ref=f"O-{i:07d}",
                email=f"u{i % ADDRESSES}@example.com",
                asset="BTC",
                side="buy",
                quantity=Decimal("0.01"),
                price_krw=100_000_000,
                attempted_at=incident.started_at + timedelta(seconds=i % 7200),
                imported_by=supervisor,
            )
            for i in range(ORDERS)
        ],
        batch_size=BATCH,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return incident, supervisor


def truncate():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compensation_notification")
        cursor.execute("VACUUM ANALYZE compensation_notification")


def floor(incident):
    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.email, count(*), min(o.attempted_at), max(o.attempted_at) "
                "FROM compensation_affectedorder o WHERE o.incident_id = %s AND NOT EXISTS ("
                " SELECT 1 FROM compensation_claim c JOIN auth_user u ON u.id = c.claimant_id"
                " WHERE c.incident_id = %s AND c.state <> 'withdrawn' AND upper(u.email) = upper(o.email))"
                " GROUP BY o.email",
                [incident.pk, incident.pk],
            )
            rows = cursor.fetchall()
        Notification.objects.bulk_create(
            [
                Notification(
                    key=f"floor:{email}",
                    kind="claim_invitation",
                    to_email=email,
                    context={"orders": n, "first_at": first.isoformat(), "last_at": last.isoformat()},
                )
                for email, n, first, last in rows
            ]
        )
    return time.perf_counter() - start, len(rows)


def invite(incident, supervisor):
    start = time.perf_counter()
    queued = services.affected_users_invite(incident=incident, actor=supervisor)
    return time.perf_counter() - start, len(queued)


def main():
    incident, supervisor = setup()
    floors, ours = [], []
    for _ in range(REPEAT):
        truncate()
        seconds, expected = floor(incident)
        floors.append(seconds)
        truncate()
        seconds, queued = invite(incident, supervisor)
        ours.append(seconds)
        assert queued == expected == ADDRESSES - CLAIMED, (queued, expected)
    truncate()
    with CaptureQueriesContext(connection) as queries:
        queued = services.affected_users_invite(incident=incident, actor=supervisor)
    again = services.affected_users_invite(incident=incident, actor=supervisor)
    f, s = statistics.median(floors), statistics.median(ours)
    print(
        f"order log: {ORDERS:,} orders, {ADDRESSES:,} addresses ({ACCOUNTS:,} with an account, "
        f"{CLAIMED:,} already claimed); invitations: {len(queued):,}; second run: {len(again)}"
    )
    print(f"floor (raw grouped SELECT + one bulk INSERT of {expected:,} rows): {f * 1000:.0f} ms (median of {REPEAT})")
    print(f"affected_users_invite: {s * 1000:.0f} ms (median of {REPEAT})")
    print(
        f"invite queries: {len(queries)} (independent of the log's size; statements: "
        + ", ".join(q["sql"].split()[0] for q in queries.captured_queries)
        + ")"
    )
    print(f"RESULT claim invitations: {s / f:.2f}× the hand-written floor (target ≤ 2×)")


main()
