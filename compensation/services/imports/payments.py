"""Finance's bank confirmations, imported as payments: every row checked first, then all or nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from compensation import permissions
from compensation.models import Claim, Decision, Payment, PaymentMethod
from compensation.permissions import Action, Actor
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


def _still_due(claims):
    """{claim id: the in-force decision's amount less what is paid}: two queries for every claim of the file."""
    ids = [claim.pk for claim in claims]
    decided = dict(
        # Ordered so the latest decision in force (as `in_force_decision` picks it) is the one kept.
        Decision.objects.filter(claim_id__in=ids, status=Decision.Status.IN_FORCE)
        .order_by("claim_id", "decided_at", "pk")
        .values_list("claim_id", "amount_krw")
    )
    paid = dict(
        Payment.objects.filter(claim_id__in=ids)
        .order_by()
        .values("claim_id")
        .annotate(total=Sum("amount_krw"))
        .values_list("claim_id", "total")
    )
    return {pk: decided.get(pk, 0) - (paid.get(pk) or 0) for pk in ids}


class _Rows:
    """What the whole file needs from the database, read up front: a fixed number of queries however long."""

    def __init__(self, rows):
        numbers = {row["claim_number"].strip()[:64] for _line, row in rows}
        self.claims = {c.number: c for c in Claim.objects.filter(number__in=numbers)}
        self.due = _still_due(self.claims.values())
        references = {row["reference"].strip()[:100] for _line, row in rows}
        self.used = set(Payment.objects.filter(reference__in=references).values_list("method", "reference"))

    def check(self, row):
        """(claim, amount, method, reference, paid_at) for a payment that fits, or the error message."""
        number = row["claim_number"].strip()
        claim = self.claims.get(number)
        try:
            amount = parse_krw(row["amount_krw"], "amount_krw")
            paid_at = _parse_paid_at(row["paid_at"])
        except ValueError as error:
            return str(error)
        if len(number) > 64:
            return _("claim_number is too long to be a claim number.")
        method, reference = row["method"].strip(), row["reference"].strip()
        if claim is None:
            return _("No claim numbered %(n)s.") % {"n": number}
        if not permissions.allows(Actor.SUPERVISOR, Action.RECORD_PAYMENT, claim.state):
            return _("Claim %(n)s is %(state)s, not accepted.") % {"n": number, "state": claim.get_state_display()}
        if method not in PaymentMethod.values:
            return _("Unknown method “%(m)s”; use %(all)s.") % {"m": method, "all": ", ".join(PaymentMethod.values)}
        if len(reference) > 100:
            return _("reference must be at most 100 characters.")
        if not reference or (method, reference) in self.used:
            return _("Reference “%(r)s” is empty or already used.") % {"r": reference}
        self.used.add((method, reference))
        due = self.due[claim.pk]
        if amount <= 0 or amount > due:
            return _("%(a)s KRW is more than the %(due)s KRW still due on %(n)s.") % {
                "a": f"{amount:,}",
                "due": f"{max(due, 0):,}",
                "n": number,
            }
        self.due[claim.pk] = due - amount
        return claim, amount, method, reference, paid_at


def _apply(actor, parsed, result):
    """Record every payment through `payment_record`, all or none."""
    try:
        with transaction.atomic():
            for line, (claim, amount, method, reference, paid_at) in parsed:
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


def payments_import(*, actor, csv_text):
    roles.require_role(actor, roles.SUPERVISOR, action=_("record payments"))
    result = ImportResult()
    rows, errors = read_csv(csv_text, COLUMNS)
    if errors:
        result.errors.extend(errors)
        return result
    checker = _Rows(rows)
    parsed = []
    for line, row in rows:
        outcome = checker.check(row)
        if isinstance(outcome, tuple):
            parsed.append((line, outcome))
        else:
            result.errors.append((line, outcome))
    if result.errors:
        return result
    return _apply(actor, parsed, result)
