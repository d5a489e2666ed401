"""Claim submission through the real portal view vs a bare one-insert view, both on PostgreSQL."""

from bench.pg import run_module

TITLE = "Claim form submission vs a one-insert floor view (PostgreSQL)"


def run():
    return run_module("bench.claim_submit_child", "bench_claim_submit")


if __name__ == "__main__":
    print("\n".join(run()))
