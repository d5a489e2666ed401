""" "Intake closes soon" mails to users who have not filed for an incident they were hit by.

Two kinds of people get one: those who opened the claim form but filed nothing (`ClaimIntent`),
and those the exchange's order log shows failing (`AffectedOrder`) who have not filed either.
Set-based like the deadline sweep: one query per kind finds every (incident, person) pair due a
reminder across all incidents closing within three business days; the unique key sends each once.
"""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from compensation.models import AffectedOrder, Claim, ClaimIntent, ClaimState, Notification
from compensation.notifications import keys, outbox
from compensation.selectors import live_claims_by_address
from incidents import calendar
from incidents.models import IncidentState

REMIND_BUSINESS_DAYS = 3


def remind_intake_closing(*, now=None):
    now = now or timezone.now()
    today = calendar.to_kst_date(now)
    last = calendar.add_business_days(today, REMIND_BUSINESS_DAYS)
    filed = Claim.objects.filter(claimant=OuterRef("user_id"), incident=OuterRef("incident_id")).exclude(
        state=ClaimState.WITHDRAWN
    )
    pending = (
        ClaimIntent.objects.filter(
            incident__state=IncidentState.NOTICE_POSTED,
            incident__intake_ends_on__gte=today,
            incident__intake_ends_on__lte=last,
        )
        .exclude(user__email="")
        .filter(~Exists(filed))
        .values_list("incident_id", "incident__title", "incident__intake_ends_on", "user_id", "user__email")
    )
    rows = [
        Notification(
            key=keys.intake_closing_to_user(incident_id, user_id),
            kind=Notification.Kind.INTAKE_CLOSING,
            recipient_id=user_id,
            to_email=email,
            language="ko",
            context=_context(incident_id, title, ends_on),
        )
        for incident_id, title, ends_on, user_id, email in pending
    ]
    rows += _order_log_reminders(today, last)
    return outbox.add(rows)


def _context(incident_id, title, ends_on, **extra):
    return {
        "incident_title": title,
        "intake_ends_on": ends_on.isoformat(),
        "claim_path": f"{reverse('compensation:claim_new')}?incident={incident_id}",
        **extra,
    }


def _order_log_reminders(today, last):
    """Addresses in an incident's order log with no live claim, unless the form-intent reminder covers them."""
    filed = live_claims_by_address(OuterRef("incident_id"))
    intended = ClaimIntent.objects.filter(incident=OuterRef("incident_id"), user__email__iexact=OuterRef("email"))
    pending = (
        AffectedOrder.objects.filter(
            incident__state=IncidentState.NOTICE_POSTED,
            incident__intake_ends_on__gte=today,
            incident__intake_ends_on__lte=last,
        )
        .filter(~Exists(filed), ~Exists(intended))
        .values_list("incident_id", "incident__title", "incident__intake_ends_on", "email")
        .order_by()  # without the model's ordering, or DISTINCT would see each order apart
        .distinct()
    )
    return [
        Notification(
            key=keys.intake_closing_to_address(incident_id, email),
            kind=Notification.Kind.INTAKE_CLOSING,
            to_email=email,
            language="ko",
            context=_context(incident_id, title, ends_on, from_order_log=True),
        )
        for incident_id, title, ends_on, email in pending
    ]
