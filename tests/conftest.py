import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with no cached calendar or policies: the database is rolled back between tests.

    The cache's and the broker's breakers are closed too: one test's outage is not the next one's.
    """
    from django.core.cache import cache as django_cache
    from django.utils import translation

    from compensation.notifications import outbox
    from compensation.selectors import policies as policy_cache
    from config import cache
    from incidents import public_cache
    from incidents.calendar import forget_cached_calendar

    cache.breaker.reset()
    outbox.broker_breaker.reset()
    # Rate-limit counters (allauth's sign-up and login limits) live in the cache: one test's
    # sign-ups from 127.0.0.1 must not use up the next one's.
    django_cache.clear()
    forget_cached_calendar()
    policy_cache.forget()
    public_cache.forget()
    # A request through the test client leaves its language active in this thread (LocaleMiddleware
    # does not undo it); a later test calling a service directly would then mail in that language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    forget_cached_calendar()
    policy_cache.forget()
    public_cache.forget()
