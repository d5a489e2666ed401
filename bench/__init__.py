"""Benchmarks, run by `make bench` (`python -m bench [NAME ...]`).

Convention: each `bench/bench_<name>.py` exposes `TITLE` (one line) and `run() -> list[str]`
(the lines to print; a line starting with "RESULT" states the measured ratio against its
floor and the target). In-process benches call `bench.django_env.setup()`; PostgreSQL
benches run a child process through `bench.pg.run_module`.
"""
