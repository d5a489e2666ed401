import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_snapshot():
    """Each test starts with no cached calendar: the database is rolled back between tests."""
    from incidents.calendar import forget_cached_calendar

    forget_cached_calendar()
    yield
    forget_cached_calendar()
