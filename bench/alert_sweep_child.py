"""Child process of bench_alert_sweep: runs against a throwaway PostgreSQL database."""

import statistics
import time
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.claims_data import load_claims  # noqa: E402
from compensation import tasks  # noqa: E402
from compensation.models import Notification  # noqa: E402
from config.celery import app  # noqa: E402
from incidents import calendar, roles  # noqa: E402
from incidents.kst import today_kst  # noqa: E402

N, DUE, AGENTS, REPEAT = 100_000, 5_000, 20, 7


def setup():
    call_command("migrate", verbosity=0)
    # Publish to kombu's in-memory transport: we time the sweep, not sending 5,000 mails eagerly.
    app.conf.task_always_eager = False
    today = today_kst()
    cal = calendar.get_calendar()
    targets = [cal.add_business_days(today, 3), cal.add_business_days(today, 1), today - timedelta(days=1)]
    far = today + timedelta(days=40)
    load_claims(N, due_on=lambda i: targets[i % 3] if i < DUE else far, progress=lambda *_: None, tag="s")
    User = get_user_model()
    agent_group, _ = Group.objects.get_or_create(name=roles.AGENT)
    supervisor_group, _ = Group.objects.get_or_create(name=roles.SUPERVISOR)
    agents = User.objects.bulk_create(
        [User(username=f"agent{i}", email=f"agent{i}@x.example", is_staff=True) for i in range(AGENTS)]
    )
    supervisors = User.objects.bulk_create(
        [User(username=f"sup{i}", email=f"sup{i}@x.example", is_staff=True) for i in range(3)]
    )
    agent_group.user_set.add(*agents)
    supervisor_group.user_set.add(*supervisors)
    ids = "{" + ",".join(str(a.pk) for a in agents) + "}"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE compensation_claim SET assignee_id = (%s::bigint[])[id %% %s + 1]", [ids, AGENTS])
        cursor.execute("ANALYZE")
    return targets, agents[0]


def truncate():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compensation_notification")
        cursor.execute("VACUUM ANALYZE compensation_notification")


def floor(targets, agent):
    """One raw SELECT of the due ids + one bulk insert of as many outbox rows: the least any sweep does."""
    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM compensation_claim WHERE state IN ('submitted','in_review',"
                "'supplement_requested','awaiting_approval','objected') AND review_due_on BETWEEN %s AND %s",
                [min(targets), max(targets)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        Notification.objects.bulk_create(
            [
                Notification(
                    key=f"floor:{pk}",
                    kind="deadline_alert",
                    claim_id=pk,
                    recipient_id=agent.pk,
                    to_email=agent.email,
                    context={"claim_id": pk},
                )
                for pk in ids
            ],
            ignore_conflicts=True,
        )
    return time.perf_counter() - start, len(ids)


def sweep():
    start = time.perf_counter()
    created = tasks.sweep_deadline_alerts()  # the task body, in-process
    return time.perf_counter() - start, created


def main():
    targets, agent = setup()
    calendar.get_calendar()
    floors, sweeps = [], []
    for _ in range(REPEAT):
        truncate()
        seconds, due_ids = floor(targets, agent)
        floors.append(seconds)
        truncate()
        seconds, created = sweep()
        sweeps.append(seconds)
        assert created == DUE, created
    truncate()
    with CaptureQueriesContext(connection) as queries:
        created = tasks.sweep_deadline_alerts()
    again = tasks.sweep_deadline_alerts()
    f, s = statistics.median(floors), statistics.median(sweeps)
    print(f"open claims: {N:,}; due for an alert: {due_ids:,}; alerts created: {created:,}; rerun created: {again}")
    print(
        f"floor (raw SELECT of due ids + one bulk INSERT of {due_ids:,} rows): {f * 1000:.0f} ms (median of {REPEAT})"
    )
    print(f"sweep task in-process: {s * 1000:.0f} ms (median of {REPEAT})")
    print(f"ratio sweep / floor: {s / f:.2f}x (target <= 2x)")
    print(
        f"sweep queries: {len(queries)} (independent of N; statements: "
        + ", ".join(q["sql"].split()[0] for q in queries.captured_queries)
        + ")"
    )


main()
