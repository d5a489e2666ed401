"""Cache invalidation across processes: another Python process holding a calendar snapshot
sees a holiday this process adds, through the revision stamp in the real Redis.

The child process uses the same settings and the same (committed) PostgreSQL test database,
so the test is transactional: rows must be committed for the child to see them.
"""

import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from incidents import calendar
from incidents.models import CalendarRevision, Holiday

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DAY = date(2031, 6, 10)  # a Tuesday without a holiday row

# Answers one question per line on stdin: is DAY a business day, at which revision, with how many queries.
CHILD = r"""
import json, os, sys
import django
from django.conf import settings
settings.CACHES = json.loads(os.environ["CALENDAR_TEST_CACHES"])
django.setup()
from datetime import date
from django.db import connection
from django.test.utils import CaptureQueriesContext
from incidents import calendar

day = date.fromisoformat(sys.argv[1])

def answer(label):
    with CaptureQueriesContext(connection) as queries:
        business = calendar.is_business_day(day)
        revision = calendar.get_calendar().revision
    print(json.dumps({"label": label, "business": business, "revision": revision,
                      "queries": len(queries.captured_queries)}), flush=True)

answer("start")
for line in sys.stdin:
    answer(line.strip())
"""


def database_url():
    db = connection.settings_dict  # NAME is already the test database (test_test)
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Child:
    """Another process of the app, holding its own calendar snapshot."""

    def __init__(self, caches):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        env = {
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "CALENDAR_TEST_CACHES": json.dumps(caches),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, DAY.isoformat()],
            cwd=Path(django_settings.BASE_DIR),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )

    def read(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            self.stderr.seek(0)
            pytest.fail(f"the child process ended early:\n{self.stderr.read()[-3000:]}")
        return json.loads(line)

    def ask(self, label):
        self.process.stdin.write(label + "\n")
        self.process.stdin.flush()
        answer = self.read()
        assert answer["label"] == label
        return answer

    def close(self):
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()


@pytest.fixture
def child(redis_cache, redis_cache_settings):
    Holiday.objects.filter(date=DAY).delete()
    process = Child(redis_cache_settings)
    yield process
    process.close()
    redis_cache.delete(calendar.STAMP_KEY)


def test_a_holiday_added_here_is_seen_by_another_process(child, redis_cache):
    assert connection.vendor == "postgresql"
    start = child.read()
    assert start["business"] is True
    assert start["queries"] <= 2  # revision + holiday rows, once

    # Nothing changed: the other process answers from its snapshot, no query at all.
    again = child.ask("unchanged")
    assert again == {**start, "label": "unchanged", "queries": 0}

    # This process commits a holiday (autocommit: the on-commit hook runs at once).
    Holiday.objects.create(date=DAY, name="임시공휴일", kind="public", source="staff")
    number = CalendarRevision.objects.get().number
    assert number > start["revision"]
    assert redis_cache.get(calendar.STAMP_KEY) == number

    added = child.ask("after-add")
    assert added["business"] is False
    assert added["revision"] == number
    assert added["queries"] == 1  # only the holiday rows: the stamp came from Redis

    assert child.ask("unchanged-again")["queries"] == 0

    Holiday.objects.filter(date=DAY).delete()
    removed = child.ask("after-delete")
    assert removed["business"] is True and removed["revision"] == number + 1


def test_the_stamp_in_redis_expires(redis_cache):
    calendar.forget_cached_calendar()
    calendar.get_calendar()
    client = redis_cache._cache.get_client(write=False)
    ttl = client.ttl(redis_cache.make_and_validate_key(calendar.STAMP_KEY))
    assert 0 < ttl <= calendar.STAMP_TTL
