"""Celery tasks: thin wrappers. Each looks its work up by id and calls the module that does it.

Names are explicit because they are stored in beat rows and queued messages: moving a module
must not rename a task. The work is imported inside each body (HackSoft's rule), so the code
that enqueues (the outbox) can import this module at its top without a cycle.
"""

from celery import shared_task


@shared_task(name="compensation.tasks.send_notification", ignore_result=True)
def send_notification(*, notification_id):
    from compensation.notifications import outbox

    return outbox.deliver(notification_id=notification_id)


@shared_task(name="compensation.tasks.send_notifications", ignore_result=True)
def send_notifications(*, notification_ids):
    from compensation.notifications import outbox

    # Rows are leased (attempts is the fencing token) and each is marked sent after its 250, so a
    # batch redelivered after a crash resends nothing sent.
    return outbox.deliver_batch(notification_ids=notification_ids)


# Acknowledged on receipt (not acks_late): a lost drain loses no row, the sweep has them (outbox.kicks).
@shared_task(name="compensation.tasks.drain_kicked", ignore_result=True, acks_late=False)
def drain_kicked(*, queue, not_before=None):
    from compensation.notifications import outbox

    # One task per burst of claim mails (outbox.kicks): takes the ids pushed since the last drain.
    return outbox.drain_kicked(queue=queue, not_before=not_before)


@shared_task(name="compensation.tasks.requeue_pending", ignore_result=True)
def requeue_pending():
    from compensation.notifications import outbox

    return outbox.requeue_pending()


@shared_task(name="compensation.tasks.sweep_deadline_alerts", ignore_result=True)
def sweep_deadline_alerts():
    from compensation.notifications import staff_alerts

    return staff_alerts.sweep()


@shared_task(name="compensation.tasks.send_daily_digests", ignore_result=True)
def send_daily_digests():
    from compensation.notifications import staff_alerts

    return staff_alerts.digest()


@shared_task(name="compensation.tasks.lapse_objection_windows", ignore_result=True)
def lapse_objection_windows():
    from compensation.services import lapses

    return lapses.lapse_objection_windows()


@shared_task(name="compensation.tasks.remind_intake_closing", ignore_result=True)
def remind_intake_closing():
    from compensation.notifications import reminders

    return reminders.remind_intake_closing()


@shared_task(name="compensation.tasks.sweep_orphan_uploads", ignore_result=True)
def sweep_orphan_uploads():
    from compensation.services import orphans

    return len(orphans.orphan_uploads_sweep())
