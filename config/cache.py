"""The shared cache is an optimisation: when it fails, callers fall back to the database.

One mechanism for every cache user (the calendar's revision stamp, the policy cache, allauth's
rate limits, sessions never: they live in the database):

- `get`, `add`, `set`, `delete` here never raise. A failure opens a per-process breaker: for
  ten seconds nobody in this process touches the cache (each call answers as a miss,
  so the caller reads the database), then one call tries again. A frozen server costs one
  request one socket timeout per `RETRY_AFTER`, not every request.
- The outage is logged once when it starts (WARNING, with the error) and once when the cache
  answers again, not once per request.
- While it is down the cache behaves like Django's DummyCache: reads miss, `add` says stored
  (a lock taken on an absent cache, e.g. allauth's rate-limit lock, lets the request through:
  rate limits are off during a cache outage rather than every login refused).
- `ResilientRedisCache` is Django's Redis backend behind the same breaker, so code that uses
  `django.core.cache.cache` directly (allauth) degrades the same way. Its socket timeouts come
  from `OPTIONS` (see `config.settings.base.redis_cache`).
"""

import threading

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import request_finished, request_started, setting_changed
from django.dispatch import receiver

from config.breaker import Breaker

_MISSING = object()


breaker = Breaker("shared cache", "reading from the database")


def guarded(what, operation, *args, default=None, **kwargs):
    """Run one cache operation; on any failure (or while the breaker is open) return `default`."""
    if not breaker.allows():
        return default
    generation = breaker.failures
    try:
        result = operation(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - connection, timeout, protocol: all mean "no cache"
        breaker.failed(exc, what)
        return default
    breaker.succeeded(generation)
    return result


def get(key, default=None):
    return guarded("get", cache.get, key, default, default=default)


def add(key, value, timeout=None):
    _forget_stamp(key)
    return guarded("add", cache.add, key, value, timeout=timeout, default=True)


def set(key, value, timeout=None):  # noqa: A001 - mirrors the cache API
    _forget_stamp(key)
    return guarded("set", cache.set, key, value, timeout=timeout)


def delete(key):
    _forget_stamp(key)
    return guarded("delete", cache.delete, key, default=False)


# --- stamps, read once per request ----------------------------------------------
# A few small keys say whether cached things are still current (the notice stamp, the policies
# stamp, the calendar revision). A claim's form and submit read them seven times; inside a request
# the first read fetches all of them in one round trip (get_many) and later reads reuse it. What
# this request writes through `add`/`set`/`delete` above is read back fresh. Outside a request
# (tasks, commands, shells) every read goes to the cache: nothing clears a memo there.
STAMP_KEYS = []
_stamps = threading.local()


def register_stamp(key):
    if key not in STAMP_KEYS:
        STAMP_KEYS.append(key)
    return key


def stamp(key):
    """The value of stamp `key` (None when missing), read at most once per request."""
    memo = getattr(_stamps, "memo", None)
    if memo is None:
        return get(key)
    if not memo and STAMP_KEYS:
        memo.update(dict.fromkeys(STAMP_KEYS))
        memo.update(guarded("get_many", cache.get_many, STAMP_KEYS, default={}))
        memo["#"] = True  # fetched, even if every stamp was missing
    if key not in memo:
        memo[key] = get(key)
    return memo[key]


def _forget_stamp(key):
    memo = getattr(_stamps, "memo", None)
    if memo:
        memo.pop(key, None)


@receiver(request_started)
def _request_started(**kwargs):
    _stamps.memo = {}


@receiver(request_finished)
def _request_finished(**kwargs):
    _stamps.memo = None


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every command (with its ~170 response callbacks:
    0.3 ms of CPU, more than the command itself); one per connection pool does (it is thread-safe)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose failures are misses (through the breaker above), never errors."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def get(self, key, default=None, version=None):
        return guarded("get", super().get, key, default, version, default=default)

    def add(self, key, value, timeout=_MISSING, version=None):
        args = (key, value) if timeout is _MISSING else (key, value, timeout)
        return guarded("add", super().add, *args, version=version, default=True)

    def set(self, key, value, timeout=_MISSING, version=None):
        args = (key, value) if timeout is _MISSING else (key, value, timeout)
        return guarded("set", super().set, *args, version=version)

    def touch(self, key, timeout=_MISSING, version=None):
        args = (key,) if timeout is _MISSING else (key, timeout)
        return guarded("touch", super().touch, *args, version=version, default=False)

    def delete(self, key, version=None):
        return guarded("delete", super().delete, key, version, default=False)

    def get_many(self, keys, version=None):
        return guarded("get_many", super().get_many, keys, version, default={})

    def has_key(self, key, version=None):
        return guarded("has_key", super().has_key, key, version, default=False)

    def set_many(self, data, timeout=_MISSING, version=None):
        args = (data,) if timeout is _MISSING else (data, timeout)
        return guarded("set_many", super().set_many, *args, version=version, default=list(data))

    def delete_many(self, keys, version=None):
        return guarded("delete_many", super().delete_many, keys, version)

    def clear(self):
        return guarded("clear", super().clear, default=False)


@receiver(setting_changed)
def _cache_setting_changed(*, setting, **kwargs):
    # Tests swap caches: a breaker opened by one cache must not make the next one look down.
    if setting == "CACHES":
        breaker.reset()
