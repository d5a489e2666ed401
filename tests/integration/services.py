"""Reachability of the real services the integration and browser suites need: fail in CI, skip elsewhere."""

import os

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT = 3  # seconds: a stopped service must fail fast, not hang the suite


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def service_unavailable(message, *, suite="make test-integration"):
    """Fail in CI, skip elsewhere: always with a message that says what to start (or install)."""
    if in_ci():
        pytest.fail(f"{message} — CI=true, so what the suite needs must be there.", pytrace=False)
    else:
        pytest.skip(f"{message} — skipped outside CI; start or install it (see the env notes) and run `{suite}`.")


def postgres_problem(db):
    """None when the configured PostgreSQL server answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=CONNECT_TIMEOUT,
        ) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure to connect means the same thing here
        return f"PostgreSQL at {db.get('HOST')}:{db.get('PORT')} is unreachable ({error.__class__.__name__}: {error})"
    return None


def redis_problem(url):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT).ping()
    except Exception as error:
        return f"Redis at {url} is unreachable ({error.__class__.__name__}: {error})"
    return None
