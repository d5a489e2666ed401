"""PostgreSQL benchmarks run in a child process against a throwaway database on the local server."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parent.parent


def recreate_database(name):
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name):
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_module(module, database, timeout=1800):
    """Run `python -m <module>` with Django pointed at a fresh database; return its output lines."""
    recreate_database(database)
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    finally:
        drop_database(database)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.rstrip("\n").splitlines()
