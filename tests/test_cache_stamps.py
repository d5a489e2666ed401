"""Issue 17: the cache stamps (notice, policies, calendar) are read once per request, in one round trip.

Inside a request the first stamp read fetches them all; later reads reuse it, except a stamp this
request wrote through `config.cache`, which is read back fresh. Outside a request every read is live.
"""

import pytest
from django.core.cache import cache as django_cache
from django.core.signals import request_finished, request_started

from config import cache

NOTICE = "incidents:notice:stamp"
POLICIES = "compensation:policies:stamp"


class CountingGets:
    """Round trips: `config.cache.get` (one key) and the cache's `get_many` (locmem's calls `get` inside)."""

    def __init__(self, monkeypatch):
        self.calls = []
        monkeypatch.setattr(cache, "get", self.counted("get", cache.get))
        monkeypatch.setattr(django_cache, "get_many", self.counted("get_many", django_cache.get_many))

    def counted(self, name, real):
        def call(*args, **kwargs):
            self.calls.append(name)
            return real(*args, **kwargs)

        return call


@pytest.mark.django_db  # request_started also recycles database connections
def test_stamps_are_read_once_per_request_in_one_round_trip(monkeypatch):
    import compensation.selectors.policies  # noqa: F401 - registers its stamp
    import incidents.public_cache  # noqa: F401 - idem

    django_cache.set(NOTICE, "n1")
    django_cache.set(POLICIES, "p1")
    gets = CountingGets(monkeypatch)
    request_started.send(sender=None)
    try:
        assert (cache.stamp(NOTICE), cache.stamp(POLICIES), cache.stamp(NOTICE)) == ("n1", "p1", "n1")
        assert gets.calls == ["get_many"]
        django_cache.set(NOTICE, "n2")  # another process publishes meanwhile: seen by the next request
        assert cache.stamp(NOTICE) == "n1"
        cache.set(POLICIES, "p2")  # this request's own write: read back at once
        assert cache.stamp(POLICIES) == "p2"
    finally:
        request_finished.send(sender=None)
    request_started.send(sender=None)
    try:
        assert cache.stamp(NOTICE) == "n2"
    finally:
        request_finished.send(sender=None)


def test_outside_a_request_every_stamp_read_is_live():
    django_cache.set(NOTICE, "a")
    assert cache.stamp(NOTICE) == "a"
    django_cache.set(NOTICE, "b")
    assert cache.stamp(NOTICE) == "b"
