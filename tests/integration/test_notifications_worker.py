"""Notifications through a real Celery worker, real Redis and a real SMTP server (aiosmtpd).

Run by `make test-integration` (PostgreSQL test database shared with the worker subprocess).
"""

import time

import pytest
from django.db import transaction

from compensation import services, tasks
from compensation.models import Notification
from compensation.notifications import outbox
from tests.compensation.factories import PolicyFactory, open_incident, submit_kwargs
from tests.factories import UserFactory

from .notification_support import DEAD_BROKER_URL, broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def submit_claim():
    policy = PolicyFactory()
    incident = open_incident()
    return services.claim_submit(actor=UserFactory(), **submit_kwargs(incident=incident, policy=policy, files=[]))


def states():
    return sorted(Notification.objects.values_list("state", flat=True))


def test_claim_received_mail_reaches_the_smtp_server(real_components):
    inbox, start = real_components
    worker = start()
    claim = submit_claim()  # commits: on_commit publishes to Redis
    try:
        wait_for(lambda: inbox.count() == 1, timeout=40, what="the mail")
    except AssertionError:
        raise AssertionError(worker.log()) from None
    [message] = inbox.messages
    assert claim.number in message["Subject"]
    assert message["X-Notification-Key"] == f"claim:{claim.pk}:received"
    assert message["Message-ID"].startswith(f"<n{Notification.objects.get().pk}.")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"{claim.review_due_on:%Y-%m-%d} 23:59 (KST)" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert claim.number in html
    wait_for(lambda: states() == ["sent"], timeout=10, what="the row marked sent")


def test_worker_killed_mid_run_loses_nothing_and_sends_nothing_twice(real_components):
    inbox, start = real_components
    total = 30
    worker = start(delay=0.15)  # slow server: the kill lands while messages are in flight
    with transaction.atomic():
        outbox.add(
            [
                Notification(
                    key=f"it:kill:{i}",
                    kind="deadline_alert",
                    to_email=f"staff{i}@example.com",
                    context={
                        "deadline": "review_due",
                        "stage": "d1",
                        "due_on": "2025-02-18",
                        "claim_number": f"C-IT-{i:03d}",
                    },
                )
                for i in range(total)
            ]
        )
    # Kill while the server holds a message it has not acknowledged: that row was claimed and
    # is mid-send. (A kill after "250" but before our UPDATE is the one window SMTP cannot close;
    # the stable Message-ID lets the receiver drop such a copy.)
    wait_for(lambda: inbox.count() >= 5 and inbox.in_flight == 1, timeout=40, interval=0.01, what="a message in flight")
    worker.kill()
    delivered_before_restart = inbox.count()
    assert delivered_before_restart < total

    inbox.delay = 0.0
    start()
    # The killed batch stays unacked in Redis; the periodic requeue finds what is still pending
    # (the row that was in flight once its short lease has run out).
    deadline = time.monotonic() + 90
    while states() != ["sent"] * total and time.monotonic() < deadline:
        tasks.requeue_pending.delay()
        time.sleep(2)
    wait_for(lambda: states() == ["sent"] * total, timeout=20, what=f"every row sent (states now: {states()})")
    keys = inbox.keys()
    assert len(keys) == total and len(set(keys)) == total


def test_broker_down_at_commit_delays_the_mail_until_requeue(real_components):
    inbox, start = real_components
    start()
    with broker(DEAD_BROKER_URL):
        claim = submit_claim()  # the state change commits; publishing fails and is only logged
    assert Notification.objects.get(claim=claim).state == "pending"
    time.sleep(3)
    assert inbox.count() == 0  # nothing reached the worker

    tasks.requeue_pending.delay()  # the broker is back (beat runs this every minute)
    wait_for(lambda: inbox.count() == 1, timeout=40, what="the delayed mail")
    wait_for(lambda: states() == ["sent"], timeout=10, what="the row marked sent")
    assert inbox.messages[0]["X-Notification-Key"] == f"claim:{claim.pk}:received"
