"""A proactive batch at outage scale: compute + issue for 200,000 accounts (300,000 log rows) against a
hand-written INSERT … SELECT of the same claims, decisions and outbox rows; then the 200,000 decision
mails drained by two worker processes through SMTP against a no-op sender (PostgreSQL)."""

from bench.pg import run_module

TITLE = "Proactive batch: compute + issue 200,000 accounts, then drain the outbox (PostgreSQL)"


def run():
    return run_module("bench.proactive_child", "bench_proactive", timeout=7200)


if __name__ == "__main__":
    print("\n".join(run()))
