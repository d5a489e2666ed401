""""Intake closes soon" mails to users who opened the claim form of an incident but filed nothing.

Set-based like the deadline sweep: one query finds every (incident, user) pair due a reminder
across all incidents closing within three business days; the unique key sends each pair once.
"""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from incidents import calendar
from incidents.models import IncidentState

from . import outbox
from .models import Claim, ClaimIntent, ClaimState, Notification

REMIND_BUSINESS_DAYS = 3


def remind_intake_closing(*, now=None):
    now = now or timezone.now()
    today = calendar.to_kst_date(now)
    last = calendar.add_business_days(today, REMIND_BUSINESS_DAYS)
    filed = Claim.objects.filter(claimant=OuterRef("user_id"), incident=OuterRef("incident_id")).exclude(
        state=ClaimState.WITHDRAWN)
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
            key=f"intake_closing:{incident_id}:u{user_id}", kind="intake_closing", recipient_id=user_id,
            to_email=email, language="ko",
            context={"incident_title": title, "intake_ends_on": ends_on.isoformat(),
                     "claim_path": f"{reverse('compensation:claim_new')}?incident={incident_id}"},
        )
        for incident_id, title, ends_on, user_id, email in pending
    ]
    return outbox.add(rows)
