"""The integration suite runs against this machine's real PostgreSQL and Redis (`make test-integration`).

A service that cannot be reached must not turn into a green run by accident: with CI=true
it fails the test; on a developer machine the test is skipped with the reason and the fix.
Use `service_unavailable(...)` for any further service a fixture here needs.
"""

import os
import uuid

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT = 3  # seconds: a stopped service must fail fast, not hang the suite


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def service_unavailable(message):
    """Fail in CI, skip elsewhere: always with a message that says what to start."""
    if in_ci():
        pytest.fail(f"{message} — CI=true, so the integration services must be running.", pytrace=False)
    pytest.skip(f"{message} — skipped outside CI; start the service (see the env notes) "
                "and run `make test-integration`.")


def postgres_problem(db):
    """None when the configured PostgreSQL server answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(
            host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, user=db.get("USER") or None,
            password=db.get("PASSWORD") or None, dbname="postgres", connect_timeout=CONNECT_TIMEOUT,
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


@pytest.fixture(scope="session", autouse=True)
def _integration_postgresql():
    """Checked before pytest-django creates the test database, so a stopped server reads clearly."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        service_unavailable("The integration suite needs PostgreSQL: set DATABASE_URL "
                            "(make test-integration sets postgres://postgres@127.0.0.1:5432/test)")
    problem = postgres_problem(db)
    if problem:
        service_unavailable(problem)


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    problem = redis_problem(url)
    if problem:
        service_unavailable(problem)
    return url


@pytest.fixture
def redis_cache_settings(redis_url):
    """A CACHES setting on the real Redis, with a key prefix of its own so runs never collide."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"oc-test-{uuid.uuid4().hex[:12]}",
        }
    }


@pytest.fixture
def redis_cache(redis_cache_settings, settings):
    """Make Redis the Django cache of this test process (restored afterwards)."""
    settings.CACHES = redis_cache_settings
    from django.core.cache import cache

    yield cache
