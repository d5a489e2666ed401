"""One drain worker of bench_proactive: deliver the pending decision mails whose id % N == part, in
batches of `outbox.ENQUEUE_CHUNK` ids (`outbox.deliver_batch`, what each `send_notifications` task runs)."""

import os
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from compensation.models import Notification  # noqa: E402
from compensation.notifications import outbox  # noqa: E402

BACKENDS = {
    "dummy": {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"},
    "smtp": {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": int(os.environ.get("BENCH_SMTP_PORT", 8161)),
        "EMAIL_USE_TLS": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    },
}


def main(part, parts):
    ids = list(
        Notification.objects.filter(kind=Notification.Kind.PROACTIVE_DECISION, state="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    mine = [pk for pk in ids if pk % parts == part]
    outcomes = []
    with override_settings(**BACKENDS[os.environ.get("BENCH_EMAIL_BACKEND", "dummy")]):
        # As the Celery worker does: one `send_notifications` task per ENQUEUE_CHUNK ids.
        for start in range(0, len(mine), outbox.ENQUEUE_CHUNK):
            outcomes += outbox.deliver_batch(notification_ids=mine[start : start + outbox.ENQUEUE_CHUNK])
    failed = [o for o in outcomes if o != "sent"]
    assert not failed, (failed[:5], settings.EMAIL_BACKEND)


main(int(sys.argv[1]), int(sys.argv[2]))
