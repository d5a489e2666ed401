"""Issue 17: a burst of claim mails is one drain task, not one task per row (outbox `kicks`).

Against the real Redis broker (db 5, flushed), publishing for real (not eager); the drain task runs
in this process so the mails land in Django's test outbox. Each test checks rows and mails.
"""

import pytest
import redis
from django.core import mail
from django.db import transaction

from compensation import services, tasks
from compensation.models import Notification
from compensation.notifications import kicks, outbox
from tests.compensation.factories import PolicyFactory, open_incident, submit_kwargs
from tests.factories import UserFactory

from .notification_support import BROKER_URL, broker, flush_redis, require_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_broker():
    require_services()
    flush_redis()
    outbox.broker_breaker.reset()
    with broker(BROKER_URL):
        yield redis.Redis.from_url(BROKER_URL)
    flush_redis()
    outbox.broker_breaker.reset()


def published(conn, queue="mail"):
    """The task names waiting in `queue` (ETA tasks are there until a worker takes them)."""
    import json

    return [json.loads(raw)["headers"]["task"] for raw in conn.lrange(queue, 0, -1)]


_world = {}


@pytest.fixture(autouse=True)
def _fresh_world():
    _world.clear()
    yield
    _world.clear()


def submit_claims(count):
    if not _world:
        _world.update(policy=PolicyFactory(), incident=open_incident())
    policy, incident = _world["policy"], _world["incident"]
    return [
        services.claim_submit(actor=UserFactory(), **submit_kwargs(incident=incident, policy=policy, files=[]))
        for _ in range(count)
    ]


def sent_keys():
    return sorted(m.extra_headers["X-Notification-Key"] for m in mail.outbox)


def test_a_burst_of_claims_is_one_drain_task_and_each_mail_goes_out_once(redis_broker):
    claims = submit_claims(5)  # five transactions, five commits: one task published, not five
    assert published(redis_broker) == ["compensation.tasks.drain_kicked"]
    assert Notification.objects.filter(state="pending", queued_at__isnull=False).count() == 5

    tasks.drain_kicked(queue="mail")  # what the worker runs when the countdown is over
    assert sent_keys() == sorted(f"claim:{claim.pk}:received" for claim in claims)
    assert Notification.objects.filter(state="sent").count() == 5

    tasks.drain_kicked(queue="mail")  # a second drain (an expired kick's) finds nothing to send
    assert len(mail.outbox) == 5

    [late] = submit_claims(1)  # the drain cleared the kick: the next claim publishes a new one
    assert published(redis_broker) == ["compensation.tasks.drain_kicked"] * 2
    tasks.drain_kicked(queue="mail")
    assert f"claim:{late.pk}:received" in sent_keys()
    assert len(mail.outbox) == 6


def test_a_drain_that_could_not_be_published_leaves_its_rows_to_the_sweep(redis_broker, monkeypatch, settings):
    settings.NOTIFICATION_REQUEUE_GRACE_SECONDS = 0

    def broker_refuses(*args, **kwargs):
        raise ConnectionError("broker went away")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.drain_kicked, "apply_async", broker_refuses)
        [claim] = submit_claims(1)
    row = Notification.objects.get()
    assert (row.state, row.queued_at) == ("pending", None)  # marked not queued: the sweep's
    assert published(redis_broker) == []

    outbox.broker_breaker.reset()  # the broker is back
    assert outbox.requeue_pending() == 1  # the sweep kicks it again (the failed kick was dropped)
    assert published(redis_broker) == ["compensation.tasks.drain_kicked"]
    tasks.drain_kicked(queue="mail")
    assert sent_keys() == [f"claim:{claim.pk}:received"]
    assert Notification.objects.get().state == "sent"


def test_ids_taken_by_a_drain_that_died_are_sent_once_by_the_sweep(redis_broker, settings):
    settings.NOTIFICATION_REQUEUE_GRACE_SECONDS = 0
    [claim] = submit_claims(1)
    assert kicks.take(redis_broker, queue="mail")  # a drain took the ids, then its worker was killed
    tasks.drain_kicked(queue="mail")  # the task redelivered: the list is empty, nothing sent
    assert mail.outbox == []
    assert Notification.objects.get().state == "pending"

    outbox.requeue_pending()  # the row is still pending and queued: once the grace is over, swept
    tasks.drain_kicked(queue="mail")
    tasks.drain_kicked(queue="mail")
    assert sent_keys() == [f"claim:{claim.pk}:received"]
    assert Notification.objects.get().state == "sent"


def test_an_id_kicked_twice_is_sent_once(redis_broker):
    [claim] = submit_claims(1)
    row = Notification.objects.get()
    outbox.enqueue([row.pk])  # e.g. the sweep and the claim's own kick: the id is listed twice
    tasks.drain_kicked(queue="mail")
    outbox.enqueue([row.pk])  # and once more after it was sent
    tasks.drain_kicked(queue="mail")
    assert sent_keys() == [f"claim:{claim.pk}:received"]


def test_many_rows_still_go_as_batch_tasks_that_several_workers_share(redis_broker):
    with transaction.atomic():
        outbox.add(
            Notification(key=f"it:kick:bulk:{i}", kind="claim_invitation", to_email=f"u{i}@example.com", context={})
            for i in range(kicks.MAX_IDS + 1)
        )
    assert published(redis_broker) == ["compensation.tasks.send_notifications"]
    assert redis_broker.llen("outbox:kicked:mail") == 0
