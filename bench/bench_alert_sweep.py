"""Deadline alert sweep at 100,000 open claims (5,000 due) on PostgreSQL, against a bulk-query floor."""

from bench.pg import run_module

TITLE = "Alert sweep: 100,000 open claims, 5,000 due (PostgreSQL)"


def run():
    return run_module("bench.alert_sweep_child", "bench_alerts")


if __name__ == "__main__":
    print("\n".join(run()))
