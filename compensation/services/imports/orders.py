"""Orders the exchange's log shows failing during an incident: import them, then invite the users hit.

DAXA asks the exchange to look at its own data to find who was harmed, not only to wait for claims.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Exists, Max, Min
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import AffectedOrder, Notification, TradeSide
from compensation.notifications import keys, outbox
from compensation.selectors import live_claims_by_address
from compensation.services.imports._csv import (
    RecordImportResult,
    add_all_or_none,
    cell,
    parse_asset,
    parse_kst_datetime,
    parse_positive_krw,
    parse_quantity,
    parsed_lines,
)
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from incidents.models import IncidentState

COLUMNS = ("order_id", "email", "asset", "side", "quantity", "price_krw", "attempted_at")
ORDER_IMPORTERS = (roles.SUPERVISOR, roles.COMPLIANCE)
# Compared when the same order id comes again: a re-import must bring the same order.
COMPARED = ("email", "asset", "side", "quantity", "price_krw", "attempted_at")
LOOKUP_CHUNK = 5000


def _parse_row(row):
    order_ref = cell(row, "order_id")
    if not order_ref or len(order_ref) > 64:
        raise ValueError(_("order_id must be the exchange's order id (1 to 64 characters)."))
    email = cell(row, "email").lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(_("email “%(email)s” is not an email address.") % {"email": email}) from None
    side = cell(row, "side").lower()
    if side not in TradeSide.values:
        raise ValueError(_("side must be buy or sell."))
    return {
        "order_ref": order_ref,
        "email": email,
        "asset": parse_asset(cell(row, "asset")),
        "side": side,
        "quantity": parse_quantity(cell(row, "quantity"), "quantity"),
        "price_krw": parse_positive_krw(cell(row, "price_krw"), "price_krw"),
        "attempted_at": parse_kst_datetime(cell(row, "attempted_at"), "attempted_at"),
        "error": cell(row, "error")[:200],
    }


def affected_orders_import(*, incident, actor, csv_text):
    """Check every row first, then add them all or none. The same file imported twice adds nothing."""
    roles.require_role(actor, *ORDER_IMPORTERS, action=_("import order logs"))
    result = RecordImportResult()
    planned = {}  # order_ref -> (line, values)
    for line, values in parsed_lines(csv_text, COLUMNS, _parse_row, result):
        earlier = planned.get(values["order_ref"])
        if earlier is not None:
            result.errors.append(
                (
                    line,
                    _("Order %(ref)s is already on line %(other)d.")
                    % {"ref": values["order_ref"], "other": earlier[0]},
                )
            )
            continue
        planned[values["order_ref"]] = (line, values)
    if not planned and not result.errors:
        result.errors.append((1, _("The file has no order rows.")))
    if result.errors:
        return result
    refs = list(planned)
    # In chunks: a log of 100,000 orders would otherwise be one IN list beyond SQLite's parameter limit.
    recorded = {
        order.order_ref: order
        for start in range(0, len(refs), LOOKUP_CHUNK)
        for order in AffectedOrder.objects.filter(incident=incident, order_ref__in=refs[start : start + LOOKUP_CHUNK])
    }
    new_rows = []
    for ref, (line, values) in planned.items():
        before = recorded.get(ref)
        if before is None:
            new_rows.append(AffectedOrder(incident=incident, imported_by=actor, **values))
        elif all(getattr(before, name) == values[name] for name in COMPARED):
            result.unchanged += 1
        else:
            result.errors.append(
                (
                    line,
                    _("Order %(ref)s is already recorded with other details; imported orders are never changed.")
                    % {"ref": ref},
                )
            )
    return add_all_or_none(result, AffectedOrder, new_rows)


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
