"""Finance's bank confirmations, imported as payments: every row checked first, then all or nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from compensation.models import Claim, ClaimState, Payment, PaymentMethod
from compensation.selectors import in_force_decision, paid_total
from compensation.services.imports._csv import parse_krw, parse_kst_datetime, read_csv
from compensation.services.settlement import payment_record
from incidents import roles
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
    return parse_kst_datetime(value, "paid_at")


def payments_import(*, actor, csv_text):
    roles.require_role(actor, roles.SUPERVISOR, action=_("record payments"))
    result = ImportResult()
    rows, errors = read_csv(csv_text, COLUMNS)
    if errors:
        result.errors.extend(errors)
        return result
    numbers = {row["claim_number"].strip()[:64] for _line, row in rows}
    claims = {c.number: c for c in Claim.objects.filter(number__in=numbers)}
    seen_refs, planned = set(), {}
    parsed = []
    for line, row in rows:
        number = row["claim_number"].strip()
        claim = claims.get(number)
        try:
            amount = parse_krw(row["amount_krw"], "amount_krw")
            paid_at = _parse_paid_at(row["paid_at"])
        except ValueError as error:
            result.errors.append((line, str(error)))
            continue
        if len(number) > 64:
            result.errors.append((line, _("claim_number is too long to be a claim number.")))
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
        if len(reference) > 100:
            result.errors.append((line, _("reference must be at most 100 characters.")))
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
