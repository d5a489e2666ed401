"""When staff change the holiday table, open deadlines it touches are recomputed — each change logged."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from incidents import calendar

from ..models import Claim, ClaimEvent, ClaimState
from ..models.claim import REVIEW_CLOCK_STATES

# (state filter, clock start field, business-days field, due field)
CLOCKS = (
    (REVIEW_CLOCK_STATES, "review_clock_started_on", "review_business_days", "review_due_on"),
    ((ClaimState.DECIDED,), "objection_window_started_on", "objection_window_business_days",
     "objection_window_ends_on"),
    ((ClaimState.ACCEPTED,), "payment_clock_started_on", "payment_business_days", "payment_due_on"),
)


def _affected(changed_dates):
    condition = Q()
    for states, start_field, _days_field, due_field in CLOCKS:
        clause = Q(state__in=states, **{f"{start_field}__isnull": False})
        if changed_dates:
            clause &= Q(**{f"{start_field}__lt": max(changed_dates), f"{due_field}__gte": min(changed_dates)})
        condition |= clause
    return Claim.objects.filter(condition)


def claims_recompute_deadlines(*, changed_dates=None, actor=None, batch_size=2000):
    """Recompute the running clock of every open claim the changed dates can touch; returns the count changed."""
    cal = calendar.get_calendar()
    changed_dates = sorted(changed_dates or [])
    fields = ["pk", "state", "calendar_revision"] + [f for clock in CLOCKS for f in clock[1:]]
    changed, events = [], []
    with transaction.atomic():
        rows = _affected(changed_dates).select_for_update().only(*fields).order_by("pk")
        for claim in rows.iterator(chunk_size=batch_size):
            for states, start_field, days_field, due_field in CLOCKS:
                if claim.state not in states:
                    continue
                start, days, old_due = (getattr(claim, start_field), getattr(claim, days_field),
                                        getattr(claim, due_field))
                if start is None or not days:
                    continue
                new_due = cal.add_business_days(start, days)
                if new_due != old_due:
                    setattr(claim, due_field, new_due)
                    claim.calendar_revision = cal.revision
                    changed.append(claim)
                    events.append(ClaimEvent(
                        claim_id=claim.pk, kind=ClaimEvent.Kind.DEADLINE, actor=actor,
                        reason=_("The business-day calendar changed (revision %(rev)d)") % {"rev": cal.revision},
                        data={"deadline": due_field, "from": old_due.isoformat(), "to": new_due.isoformat(),
                              "calendar_revision": cal.revision,
                              "dates": [d.isoformat() for d in changed_dates]},
                    ))
        for claim in changed:
            claim.next_due_on = claim.live_due_on()
        due_fields = [clock[3] for clock in CLOCKS] + ["calendar_revision", "next_due_on"]
        Claim.objects.bulk_update(changed, due_fields, batch_size=batch_size)
        ClaimEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(changed)
