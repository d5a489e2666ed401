"""Mail queues split by job: a huge bulk batch waiting in `mail` does not hold up a deadline alert.

A real worker consuming only `mail_urgent` and `celery` (as the urgent-mail worker of README
"Deployment" does) sends the staff alert while 20,000 bulk mails are still queued on Redis.
"""

import pytest
import redis
from django.db import transaction

from compensation.models import Notification
from compensation.notifications import outbox

from .notification_support import BROKER_URL, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BULK = 20_000


def queued(queue):
    return redis.Redis.from_url(BROKER_URL).llen(queue)


def test_a_bulk_batch_in_the_mail_queue_does_not_delay_a_deadline_alert(real_components):
    inbox, start = real_components
    with transaction.atomic():
        outbox.add(
            Notification(key=f"it:bulk:{i}", kind="claim_invitation", to_email=f"user{i}@example.com", context={})
            for i in range(BULK)
        )
    assert queued("mail") == BULK // outbox.ENQUEUE_CHUNK
    worker = start(queues="mail_urgent,celery")
    with transaction.atomic():
        outbox.add(
            [
                Notification(
                    key="it:alert:1",
                    kind="deadline_alert",
                    to_email="agent@example.com",
                    context={"deadline": "review_due", "stage": "d1", "due_on": "2025-02-18", "claim_number": "C-1"},
                )
            ]
        )
    try:
        wait_for(lambda: inbox.count() == 1, timeout=30, what="the deadline alert")
    except AssertionError:
        raise AssertionError(worker.log()) from None
    assert inbox.keys() == ["it:alert:1"]
    assert queued("mail") == BULK // outbox.ENQUEUE_CHUNK  # the bulk batch is still waiting, untouched
    assert Notification.objects.filter(state=Notification.State.PENDING).count() == BULK
