"""A holiday change bumps the calendar revision so every process reloads its snapshot.

`calendar_changed` is the hook for code that stores deadlines (compensation recomputes
open claims on it). It is sent once per bump, **after the transaction commits**, with
``dates=`` a sorted list of every date whose business-day status may have changed
(the old and the new date when a row was moved). Receivers run in the committing
process and see the new calendar through `incidents.calendar.get_calendar()`.
Bulk writes (`bulk_create`, `QuerySet.update`) send no model signals: callers such as
`sync_holidays` must call `bump_revision` themselves.
"""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from incidents import public_cache
from incidents.calendar import publish_revision
from incidents.models import CalendarRevision, Holiday, Incident, NoticeVersion

# Sent after commit with `dates=[...]`; see the module docstring.
calendar_changed = Signal()


def bump_revision(changed_dates):
    """Count one calendar change now; publish it to all processes once it commits."""
    updated = CalendarRevision.objects.update(number=F("number") + 1, changed_at=timezone.now())
    if not updated:
        CalendarRevision.objects.create(number=2)
    dates = sorted(changed_dates)

    def after_commit():
        publish_revision()
        calendar_changed.send(sender=Holiday, dates=dates)

    # Lets the calendar see that this connection holds an uncommitted change (see current_revision).
    after_commit.calendar_bump = True
    transaction.on_commit(after_commit)


@receiver(pre_save, sender=Holiday, dispatch_uid="holiday_remember_date")
def holiday_remember_date(sender, instance, raw=False, **kwargs):
    # Moving a holiday frees its old date too: claims counted over that date must be recomputed.
    instance._previous_date = None
    if not raw and instance.pk is not None:
        instance._previous_date = Holiday.objects.filter(pk=instance.pk).values_list("date", flat=True).first()


@receiver(post_save, sender=Holiday, dispatch_uid="holiday_saved")
def holiday_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    dates = {instance.date}
    previous = getattr(instance, "_previous_date", None)
    if previous is not None:
        dates.add(previous)
    bump_revision(dates)


@receiver(post_delete, sender=Holiday, dispatch_uid="holiday_deleted")
def holiday_deleted(sender, instance, **kwargs):
    bump_revision({instance.date})


# The public notice page shares its rendered article from the cache (incidents/public_cache.py):
# a saved incident or a newly published version makes every cached article stale after commit.
@receiver(post_save, sender=Incident, dispatch_uid="public_notice_incident_saved")
@receiver(post_delete, sender=Incident, dispatch_uid="public_notice_incident_deleted")
@receiver(post_save, sender=NoticeVersion, dispatch_uid="public_notice_version_saved")
@receiver(post_delete, sender=NoticeVersion, dispatch_uid="public_notice_version_deleted")
def public_notice_changed(sender, **kwargs):
    public_cache.changed()
