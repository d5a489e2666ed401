import pytest


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with no cached calendar or policies: the database is rolled back between tests."""
    from compensation.selectors import policies as policy_cache
    from incidents import public_cache
    from incidents.calendar import forget_cached_calendar

    forget_cached_calendar()
    policy_cache.forget()
    public_cache.forget()
    yield
    forget_cached_calendar()
    policy_cache.forget()
    public_cache.forget()
