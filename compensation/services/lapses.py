"""The objection window lapsing: `decided` claims nobody objected to in time become `accepted`."""

import logging

from django.db.models import Exists, OuterRef, Q

from compensation.models import Claim, ClaimState, Decision
from compensation.services.settlement import claim_lapse_objection_window
from incidents.errors import DomainError
from incidents.kst import today_kst

logger = logging.getLogger(__name__)


def lapse_objection_windows(*, chunk_size=200, limit=5000):
    """Run the service claim by claim (each locks, logs and starts the payment clock on its own).

    Chunked by primary key so a long backlog neither holds a huge id list nor one long transaction;
    `limit` bounds one run, the next hourly run continues.
    """
    today = today_kst()
    # Only decisions that reached the claimant (mail delivered or opened in the portal) lapse.
    reached = Decision.objects.filter(claim=OuterRef("pk"), status=Decision.Status.IN_FORCE).filter(
        Q(mail_sent_at__isnull=False) | Q(first_opened_at__isnull=False)
    )
    due = Claim.objects.filter(state=ClaimState.DECIDED, objection_window_ends_on__lt=today).filter(Exists(reached))
    due = due.order_by("pk")
    last_pk, done = 0, 0
    while done < limit:
        chunk = list(due.filter(pk__gt=last_pk).values_list("pk", flat=True)[:chunk_size])
        if not chunk:
            break
        for pk in chunk:
            try:
                claim_lapse_objection_window(claim=Claim(pk=pk), actor=None)
                done += 1
            except DomainError as refused:  # objected or accepted meanwhile: nothing to do
                logger.info("claim %s not lapsed: %s", pk, refused)
        last_pk = chunk[-1]
    return done
