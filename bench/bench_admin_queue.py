"""Staff claim queue (Django admin changelist) at 100,000 claims on PostgreSQL, with EXPLAIN."""

from bench.pg import run_module

TITLE = "Admin claim queue: 100,000 vs 1,000 claims (PostgreSQL)"


def run():
    return run_module("bench.admin_queue_child", "bench_admin_queue")


if __name__ == "__main__":
    print("\n".join(run()))
