"""When staff change the holiday table, open deadlines it touches are recomputed — each change logged."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from compensation.models import Claim, ClaimEvent
from compensation.models.claim import CLOCKS
from incidents import calendar
from incidents.kst import today_kst


def _affected(changed_dates, today):
    # Only clocks still running whose date has not passed: a deadline that has passed stays passed
    # (an overdue claim never leaves the overdue list through a holiday edit), and the statutory
    # review date is not a clock here at all — nothing ever moves it.
    condition = Q()
    for clock in CLOCKS:
        clause = Q(
            state__in=clock.states,
            **{f"{clock.started_field}__isnull": False, f"{clock.due_field}__gte": today},
        )
        if changed_dates:
            clause &= Q(
                **{f"{clock.started_field}__lt": max(changed_dates), f"{clock.due_field}__gte": min(changed_dates)}
            )
        condition |= clause
    return Claim.objects.filter(condition)


def claims_recompute_deadlines(*, changed_dates=None, actor=None, batch_size=2000):
    """Recompute the running clock of every open claim the changed dates can touch; returns the count changed."""
    cal = calendar.get_calendar()
    changed_dates = sorted(changed_dates or [])
    fields = ["pk", "state", "calendar_revision"] + [
        name for clock in CLOCKS for name in (clock.started_field, clock.days_field, clock.due_field)
    ]
    changed, events = [], []
    with transaction.atomic():
        rows = _affected(changed_dates, today_kst()).select_for_update().only(*fields).order_by("pk")
        for claim in rows.iterator(chunk_size=batch_size):
            clock = claim.running_clock()
            start, days, old_due = (
                getattr(claim, clock.started_field),
                getattr(claim, clock.days_field),
                getattr(claim, clock.due_field),
            )
            if start is None or not days:
                continue
            new_due = cal.add_business_days(start, days)
            if new_due != old_due:
                setattr(claim, clock.due_field, new_due)
                claim.calendar_revision = cal.revision
                changed.append(claim)
                events.append(
                    ClaimEvent(
                        claim_id=claim.pk,
                        kind=ClaimEvent.Kind.DEADLINE,
                        actor=actor,
                        reason=_("The business-day calendar changed (revision %(rev)d)") % {"rev": cal.revision},
                        data={
                            "deadline": clock.due_field,
                            "from": old_due.isoformat(),
                            "to": new_due.isoformat(),
                            "calendar_revision": cal.revision,
                            "dates": [d.isoformat() for d in changed_dates],
                        },
                    )
                )
        due_fields = [clock.due_field for clock in CLOCKS] + ["calendar_revision"]
        Claim.objects.bulk_update(changed, due_fields, batch_size=batch_size)
        ClaimEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(changed)
