"""Importing a 1,000,000-row order log (streamed into its own partition, indexed after the load) against a bare COPY."""

from bench.pg import run_module

TITLE = "Order log import: 1,000,000 rows vs COPY into a bare table (PostgreSQL)"


def run():
    return run_module("bench.log_import_child", "bench_log_import", timeout=3600)


if __name__ == "__main__":
    print("\n".join(run()))
