"""Child process of bench_admin_queue: runs against a throwaway PostgreSQL database."""

import time
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.claims_data import load_claims  # noqa: E402
from compensation.models import Claim  # noqa: E402
from incidents.kst import today_kst  # noqa: E402

PAGES = {
    "queue (sorted by next deadline)": "/admin/compensation/claim/?queue=all",
    "overdue filter": "/admin/compensation/claim/?queue=all&deadline=overdue",
    "due within 3 business days": "/admin/compensation/claim/?queue=all&deadline=soon",
    "search by claim number": "/admin/compensation/claim/?queue=all&q=C-L-0000777",
}


def best_of(fn, repeat=15):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(client):
    results = {}
    for label, url in PAGES.items():
        client.get(url)  # warm caches and the calendar snapshot
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        captured = list(queries.captured_queries)  # later requests reset the connection's query log
        results[label] = (best_of(lambda u=url: client.get(u)), len(captured), captured)
    return results


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)
        return [row[0] for row in cursor.fetchall()]


def main():
    call_command("migrate", verbosity=0)
    User = get_user_model()
    admin = User.objects.create_superuser("bench-admin", "bench-admin@example.com", "x")
    client = Client()
    client.force_login(admin)
    today = today_kst()

    def due_on(i):
        return today + timedelta(days=(i % 41) - 10)

    load_claims(1_000, due_on=due_on, progress=lambda _m: None, tag="S")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    small = measure(client)
    Claim.objects.all().delete()
    print("  loading 100,000 claims …", flush=True)
    load_claims(100_000, due_on=due_on, progress=lambda _m: None, tag="L")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    large = measure(client)

    worst = 0.0
    for label in PAGES:
        t_small, q_small, _ = small[label]
        t_large, q_large, captured = large[label]
        ratio = t_large / t_small
        worst = max(worst, ratio)
        print(
            f"  {label:<32} 1k: {t_small * 1000:6.1f} ms ({q_small} queries)   "
            f"100k: {t_large * 1000:6.1f} ms ({q_large} queries)   ratio {ratio:.2f}×"
        )
        slowest = max(captured, key=lambda q: float(q["time"]))
        print(f"      slowest query {float(slowest['time']) * 1000:.1f} ms: {slowest['sql'][:150]}")
    for label in ("queue (sorted by next deadline)", "overdue filter"):
        list_query = next(
            q["sql"] for q in large[label][2] if 'FROM "compensation_claim"' in q["sql"] and "LIMIT 50" in q["sql"]
        )
        print(f"  EXPLAIN {label} (list query, 100,000 claims):")
        for line in explain(list_query):
            print("    " + line)
    print(f"RESULT admin queue at 100k vs 1k claims: worst ratio {worst:.2f}× (target ≤ 1.5×, floor = same page at 1k)")


if __name__ == "__main__":
    main()
