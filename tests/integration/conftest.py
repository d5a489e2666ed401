"""The integration suite runs against this machine's real PostgreSQL and Redis (`make test-integration`).

A service that cannot be reached must not turn into a green run by accident: with CI=true
it fails the test; on a developer machine the test is skipped with the reason and the fix.
The checks live in `services.py`; use `service_unavailable(...)` for any further service.
"""

import os
import uuid

import pytest

from .notification_support import real_components  # noqa: F401 - a fixture, shared by the worker tests
from .services import DEFAULT_REDIS_URL, postgres_problem, redis_problem, service_unavailable


@pytest.fixture(scope="session", autouse=True)
def _integration_postgresql():
    """Checked before pytest-django creates the test database, so a stopped server reads clearly."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        service_unavailable(
            "The integration suite needs PostgreSQL: set DATABASE_URL "
            "(make test-integration sets postgres://postgres@127.0.0.1:5432/test)"
        )
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
