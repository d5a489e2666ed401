"""Orders the exchange's log shows failing during an incident: import them, then invite the users hit.

DAXA asks the exchange to look at its own data to find who was harmed, not only to wait for claims.
"""

import io

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, Max, Min
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import AffectedOrder, Notification
from compensation.notifications import keys, outbox
from compensation.selectors import live_claims_by_address
from compensation.services.imports import logs
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from incidents.models import IncidentState

ORDER_IMPORTERS = (roles.SUPERVISOR, roles.COMPLIANCE)
# Kept for callers that page through a large log themselves.
LOOKUP_CHUNK = 5000


def affected_orders_import(*, incident, actor, csv_text=None, stream=None):
    """Check every row first, then add them all or none. The same file imported twice adds nothing.

    Columns `order_id,account_id,email,asset,side,quantity,price_krw,attempted_at[,error]`; each row
    names the exchange account (`account_id`, which must be imported first), an address, or both.
    The file is streamed (see `logs`): a log of a million orders never sits in memory.
    """
    roles.require_role(actor, *ORDER_IMPORTERS, action=_("import order logs"))
    return logs.log_import(spec=logs.ORDERS, incident=incident, actor=actor, stream=_stream(csv_text, stream))


def _stream(csv_text, stream):
    if stream is not None:
        return stream
    return io.BytesIO(csv_text.encode("utf-8"))


def affected_users_invite(*, incident, actor):
    """Mail every address in the order log that has no claim for this incident yet, once per address.

    One query finds them however many orders there are; the outbox key makes a second run (or a
    double click) queue nothing new. Returns the ids of the messages queued now.
    """
    roles.require_role(actor, *ORDER_IMPORTERS, action=_("invite affected users"))
    if incident.state != IncidentState.NOTICE_POSTED or not incident.intake_is_open():
        raise DomainError(_("Invitations go out only while the incident takes claims."), code=ErrorCode.INTAKE_CLOSED)
    unclaimed = (
        AffectedOrder.objects.filter(incident=incident)
        .exclude(email="")
        .filter(~Exists(live_claims_by_address(incident.pk)))
        .values("email")
        .annotate(orders=Count("pk"), first_at=Min("attempted_at"), last_at=Max("attempted_at"))
        .order_by("email")
    )
    users = dict(
        get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=AffectedOrder.objects.filter(incident=incident).values("email"))
        .values_list("email_lower", "pk")
    )
    claim_path = f"{reverse('compensation:claim_new')}?incident={incident.pk}"
    with transaction.atomic():
        rows = [
            Notification(
                key=keys.claim_invitation(incident.pk, row["email"]),
                kind=Notification.Kind.CLAIM_INVITATION,
                recipient_id=users.get(row["email"]),
                to_email=row["email"],
                language="ko",
                context={
                    "incident_title": incident.title,
                    "intake_ends_on": incident.intake_ends_on.isoformat(),
                    "claim_path": claim_path,
                    "orders": row["orders"],
                    "first_at": row["first_at"].isoformat(),
                    "last_at": row["last_at"].isoformat(),
                    "has_account": row["email"] in users,
                },
                created_at=timezone.now(),
            )
            for row in unclaimed
        ]
        return outbox.add(rows)
