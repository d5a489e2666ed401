"""The configured Redis cache reuses one redis client per connection pool.

Django's own client built a new `redis.Redis` (with its ~170 response callbacks) for every command:
0.3 ms of CPU per cache call, more than the call itself, on every request (sessions, stamps).
"""

import uuid

import pytest

from config.settings.base import redis_cache

pytestmark = pytest.mark.integration


@pytest.fixture
def configured(redis_url, settings):
    settings.CACHES = {"default": redis_cache(redis_url, key_prefix=f"oc-test-{uuid.uuid4().hex[:12]}")}
    from django.core.cache import cache

    return cache


def test_one_client_serves_every_command(configured):
    first = configured._cache.get_client("a")
    configured.set("a", 1)
    assert configured.get("a") == 1
    assert configured.get_many(["a", "b"]) == {"a": 1}
    configured.delete("a")
    assert configured.get("a") is None
    assert configured._cache.get_client("b", write=True) is first


def test_each_connection_pool_has_its_own_client(redis_url, settings):
    settings.CACHES = {"default": redis_cache(f"{redis_url},{redis_url}")}
    from django.core.cache import cache

    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client(write=False)  # the second server: reads go there
    assert reader is not writer
    assert reader.connection_pool is not writer.connection_pool
    assert cache._cache.get_client(write=False) is reader
