"""Child process of bench_log_import: runs against a throwaway PostgreSQL database.

Floor: `COPY bare FROM STDIN (FORMAT csv, HEADER)` of the same file, streamed the same way, into a
table with the same typed columns and no index, constraint or check. Ours: `affected_orders_import`
on the same file into an incident with no orders yet, called as the admin page calls it (no
transaction around it): on PostgreSQL that is the loading path (compensation/services/imports/
log_loading.py: two COPYs at once into a loading table under a CHECK of the per-line rules, the
indexes and the anti-join on the known accounts on three connections at once, then the attach in
the import's own transaction), all of it inside the measured time.
Peak Python memory (tracemalloc) is measured on a 100,000-row and on the 1,000,000-row file: if the
import streams, the two are the same. BENCH_VERBOSE=1 lists the loading path's steps (wall time)
and the statements of the import's own connection with their times.
"""

import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
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
from compensation.models import AffectedOrder  # noqa: E402
from compensation.services.imports import log_loading  # noqa: E402
from incidents import roles  # noqa: E402
from incidents.kst import KST  # noqa: E402
from incidents.models import Incident, IncidentType, Severity  # noqa: E402

LAST_QUERIES = []
PHASES = []  # (name, seconds) of the loading path's steps, with BENCH_VERBOSE


def timed(module, name):
    """Wrap module.name so that each call's wall time is recorded in PHASES."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            PHASES.append((name, time.perf_counter() - start))

    setattr(module, name, wrapper)


ROWS, SMALL, ACCOUNTS = int(os.environ.get("BENCH_ROWS", 1_000_000)), 100_000, 200_000


def setup():
    call_command("migrate", verbosity=0)
    User = get_user_model()
    supervisor = User.objects.create(username="sup", email="sup@x.example", is_staff=True)
    supervisor.groups.add(Group.objects.get_or_create(name=roles.SUPERVISOR)[0])
    now = timezone.now()
    incidents = [
        Incident.objects.create(
            title=f"bench {n}",
            incident_type=IncidentType.ORDER_FAILURE,
            severity=Severity.MAJOR,
            affected_services="KRW 마켓",
            started_at=now - timedelta(days=2),
            ended_at=now - timedelta(days=1),
            detected_at=now - timedelta(days=2),
        )
        for n in range(2)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO compensation_exchangeaccount (account_id, email, payout_kind, payout_details, "
            "identity_check, link_method, imported_by_id, imported_at) SELECT 'A' || lpad(g::text, 7, '0'), "
            "'a' || g || '@example.com', 'exchange_credit', '', '', '', %s, now() FROM generate_series(0, %s) g",
            [supervisor.pk, ACCOUNTS - 1],
        )
        cursor.execute("ANALYZE")
    return supervisor, incidents


def write_log(path, rows, start):
    rng = random.Random(rows)
    base = start.astimezone(KST).replace(tzinfo=None)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("order_id,account_id,asset,side,quantity,price_krw,attempted_at\n")
        for i in range(rows):
            at = base + timedelta(seconds=1 + i % 80000)
            out.write(
                f"O-{i:08d},A{rng.randrange(ACCOUNTS):07d},{rng.choice(('BTC', 'ETH', 'XRP'))},"
                f"{rng.choice(('buy', 'sell'))},0.{rng.randrange(1, 99):02d},{rng.randrange(1000, 100_000_000)},"
                f"{at:%Y-%m-%d %H:%M:%S}\n"
            )


def floor(path):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bare")
        cursor.execute(
            "CREATE TABLE bare (order_id text, account_id text, asset text, side text, quantity numeric, "
            "price_krw bigint, attempted_at timestamp)"
        )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(path, "rb") as handle:
        with cursor.cursor.copy("COPY bare FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            while chunk := handle.read(1 << 16):
                copy.write(chunk)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bare")
    return seconds


def ours(path, incident, supervisor, *, trace=False):
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with open(path, "rb") as handle, CaptureQueriesContext(connection) as queries:
        result = services.affected_orders_import(incident=incident, actor=supervisor, stream=handle)
    seconds = time.perf_counter() - start
    LAST_QUERIES[:] = queries.captured_queries
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    assert not result.errors, result.errors[:5]
    return seconds, result, peak, len(queries)


def main():
    if os.environ.get("BENCH_VERBOSE"):
        for name in ("_connect", "_drop_leftovers", "_copy_dealt", "_build_and_check", "_attach"):
            timed(log_loading, name)
    supervisor, (small_incident, big_incident) = setup()
    folder = tempfile.mkdtemp(prefix="bench-log-")
    big, small = os.path.join(folder, "big.csv"), os.path.join(folder, "small.csv")
    write_log(big, ROWS, big_incident.started_at)
    write_log(small, SMALL, small_incident.started_at)
    size_mb = os.path.getsize(big) / 1024 / 1024

    small_seconds, small_result, small_peak, small_statements = ours(small, small_incident, supervisor, trace=True)
    floors = [floor(big)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, result, peak, statements = ours(big, big_incident, supervisor, trace=True)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    floors.append(floor(big))
    f = statistics.median(floors)
    assert AffectedOrder.objects.filter(incident=big_incident).count() == ROWS
    print(f"file: {ROWS:,} rows, {size_mb:.0f} MB; {ACCOUNTS:,} known accounts")
    each = ", ".join(f"{x:.2f}" for x in floors)
    print(f"floor (COPY into a bare typed table, no index): {f:.2f} s (median of {each})")
    print(
        f"affected_orders_import: {seconds:.2f} s, {result.read:,} read, {result.added:,} added, "
        f"{statements} statements ({small_statements} for {SMALL:,} rows)"
    )
    print(
        f"peak Python memory during the import (tracemalloc): {SMALL:,} rows {small_peak / 1024:.0f} KiB, "
        f"{ROWS:,} rows {peak / 1024:.0f} KiB; process max RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MiB"
    )
    if os.environ.get("BENCH_VERBOSE"):
        for name, spent in PHASES[len(PHASES) // 2 :]:  # the big file's (the small one's come first)
            print(f"  {spent:7.3f} s  log_loading.{name} (wall time, on the other connections)")
        for query in LAST_QUERIES:
            print(f"  {float(query['time']):7.3f} s  {query['sql'][:150]}")
    print(f"RESULT order log import: {seconds / f:.2f}× COPY into a bare table (target ≤ 2×)")


main()
