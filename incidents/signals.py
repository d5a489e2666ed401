"""A holiday change bumps the calendar revision so every process reloads its snapshot."""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from .models import CalendarRevision, Holiday

# Sent after commit with the dates that changed; compensation recomputes deadlines on it.
calendar_changed = Signal()


def bump_revision(changed_dates):
    updated = CalendarRevision.objects.update(number=F("number") + 1, changed_at=timezone.now())
    if not updated:
        CalendarRevision.objects.create(number=2)

    def after_commit():
        from .calendar import forget_cached_calendar

        forget_cached_calendar()
        calendar_changed.send(sender=Holiday, dates=sorted(changed_dates))

    transaction.on_commit(after_commit)


@receiver(post_save, sender=Holiday, dispatch_uid="holiday_saved")
def holiday_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        bump_revision({instance.date})


@receiver(post_delete, sender=Holiday, dispatch_uid="holiday_deleted")
def holiday_deleted(sender, instance, **kwargs):
    bump_revision({instance.date})
