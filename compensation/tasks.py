"""Celery tasks: thin wrappers; the work and the idempotency live in outbox / alerts / lapses."""

from celery import shared_task

from . import alerts, lapses, outbox


@shared_task(ignore_result=True)
def send_notification(*, notification_id):
    return outbox.deliver(notification_id=notification_id)


@shared_task(ignore_result=True)
def send_notifications(*, notification_ids):
    # Each row is claimed on its own, so a batch redelivered after a crash resends nothing sent.
    return [outbox.deliver(notification_id=pk) for pk in notification_ids]


@shared_task(ignore_result=True)
def requeue_pending():
    return outbox.requeue_pending()


@shared_task(ignore_result=True)
def sweep_deadline_alerts():
    return alerts.sweep()


@shared_task(ignore_result=True)
def send_daily_digests():
    return alerts.digest()


@shared_task(ignore_result=True)
def lapse_objection_windows():
    return lapses.lapse_objection_windows()


@shared_task(ignore_result=True)
def remind_intake_closing():
    from .intake_reminders import remind_intake_closing as remind

    remind()
