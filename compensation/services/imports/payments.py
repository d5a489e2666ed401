"""Finance's bank confirmations, imported as payments: every row checked first, then all or nothing."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from compensation.models import Claim, ClaimState, Payment, PaymentMethod
from compensation.selectors import in_force_decision, paid_total
from compensation.services.imports._csv import csv_rows
from compensation.services.settlement import payment_record
from incidents import calendar, roles
from incidents.errors import DomainError

COLUMNS = ("claim_number", "amount_krw", "method", "reference", "paid_at")


@dataclass
class ImportResult:
    applied: int = 0
    errors: list = field(default_factory=list)  # (line number, message)


def _parse_paid_at(value):
    value = value.strip()
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=calendar.KST)


def payments_import(*, actor, csv_text):
    roles.require_role(actor, roles.SUPERVISOR, action=_("record payments"))
    result = ImportResult()
    reader, problem = csv_rows(csv_text, COLUMNS)
    if problem:
        result.errors.append((1, problem))
        return result
    rows = list(reader)
    numbers = {row["claim_number"].strip() for row in rows}
    claims = {c.number: c for c in Claim.objects.filter(number__in=numbers)}
    seen_refs, planned = set(), {}
    parsed = []
    for line, row in enumerate(rows, start=2):
        number = row["claim_number"].strip()
        claim = claims.get(number)
        try:
            amount = int(row["amount_krw"].replace(",", "").strip())
            paid_at = _parse_paid_at(row["paid_at"])
        except ValueError:
            result.errors.append((line, _("amount_krw must be a whole number of KRW and paid_at an ISO date-time.")))
            continue
        method, reference = row["method"].strip(), row["reference"].strip()
        if claim is None:
            result.errors.append((line, _("No claim numbered %(n)s.") % {"n": number}))
            continue
        if claim.state != ClaimState.ACCEPTED:
            result.errors.append(
                (line, _("Claim %(n)s is %(state)s, not accepted.") % {"n": number, "state": claim.get_state_display()})
            )
            continue
        if method not in PaymentMethod.values:
            result.errors.append(
                (
                    line,
                    _("Unknown method “%(m)s”; use %(all)s.") % {"m": method, "all": ", ".join(PaymentMethod.values)},
                )
            )
            continue
        if (
            not reference
            or (method, reference) in seen_refs
            or Payment.objects.filter(method=method, reference=reference).exists()
        ):
            result.errors.append((line, _("Reference “%(r)s” is empty or already used.") % {"r": reference}))
            continue
        seen_refs.add((method, reference))
        due = in_force_decision(claim).amount_krw - paid_total(claim) - planned.get(claim.pk, 0)
        if amount <= 0 or amount > due:
            result.errors.append(
                (
                    line,
                    _("%(a)s KRW is more than the %(due)s KRW still due on %(n)s.")
                    % {"a": f"{amount:,}", "due": f"{max(due, 0):,}", "n": number},
                )
            )
            continue
        planned[claim.pk] = planned.get(claim.pk, 0) + amount
        parsed.append((line, claim, amount, method, reference, paid_at))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for line, claim, amount, method, reference, paid_at in parsed:
                try:
                    payment_record(
                        claim=claim, actor=actor, amount_krw=amount, method=method, reference=reference, paid_at=paid_at
                    )
                except DomainError as error:
                    result.errors.append((line, error.message))
                    raise
    except DomainError:
        result.applied = 0
        return result
    result.applied = len(parsed)
    return result
