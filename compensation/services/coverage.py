"""Coverage of liabilities: the monthly snapshot and fixing a shortfall (see compensation/models/coverage.py)."""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import CoverageBasis, CoverageSnapshot, InsurancePolicy, LicenceType, required_amount
from incidents import calendar, roles
from incidents.errors import DomainError, ErrorCode


def month_end(month):
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def fix_deadline(*, basis, as_of):
    """Next business day after the computation (decree), or the 10th of the following month (seed 003)."""
    if basis == CoverageBasis.HOT_WALLET:
        return calendar.add_business_days(as_of, 1)
    following = (as_of.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following.replace(day=10)


def policies_in_force(day):
    return list(InsurancePolicy.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("starts_on", "pk"))


def _cover(policies):
    aggregate = sum(p.aggregate_limit_krw for p in policies)
    per_incident = sum(p.per_incident_limit_krw for p in policies)
    return aggregate, per_incident


def coverage_record(*, actor, month, basis_value_krw, reserve_krw, as_of=None, licence_type=None):
    """Record a month's check: basis (setting) and licence set the required amount; a shortfall gets a deadline."""
    roles.require_role(actor, roles.COMPLIANCE, action=_("record the monthly coverage check"))
    if not isinstance(month, date):
        raise DomainError(_("Give the month the check is for."))
    month = month.replace(day=1)
    as_of = as_of or month_end(month)
    if not month <= as_of <= month_end(month) + timedelta(days=31):
        raise DomainError(_("The computation date must fall in the month checked or just after it."))
    if basis_value_krw is None or basis_value_krw < 0 or reserve_krw is None or reserve_krw < 0:
        raise DomainError(_("Amounts are whole KRW, zero or more."))
    basis = settings.COVERAGE_BASIS
    licence_type = licence_type or settings.COVERAGE_LICENCE
    if licence_type not in LicenceType.values:
        raise DomainError(_("Unknown licence type."))
    policies = policies_in_force(as_of)
    aggregate, per_incident = _cover(policies)
    required = required_amount(basis_value_krw, licence_type)
    # Each incident draws on the per-incident limit: a limit below the standard is the shortfall
    # the FSS finds (사고발생 건당 보상한도를 기준금액 미만으로 가입).
    shortfall = max(0, required - (min(per_incident, aggregate) + reserve_krw))
    status = CoverageSnapshot.Status.SHORTFALL if shortfall else CoverageSnapshot.Status.COVERED
    try:
        with transaction.atomic():
            return CoverageSnapshot.objects.create(
                month=month,
                as_of=as_of,
                basis=basis,
                basis_value_krw=basis_value_krw,
                licence_type=licence_type,
                required_krw=required,
                insurance_aggregate_krw=aggregate,
                insurance_per_incident_krw=per_incident,
                reserve_krw=reserve_krw,
                shortfall_krw=shortfall,
                policies=[
                    {
                        "id": p.pk,
                        "insurer": p.insurer,
                        "policy_number": p.policy_number,
                        "starts_on": p.starts_on.isoformat(),
                        "ends_on": p.ends_on.isoformat(),
                        "aggregate_limit_krw": p.aggregate_limit_krw,
                        "per_incident_limit_krw": p.per_incident_limit_krw,
                    }
                    for p in policies
                ],
                status=status,
                fix_by=fix_deadline(basis=basis, as_of=as_of) if shortfall else None,
                recorded_by=actor,
            )
    except IntegrityError:
        raise DomainError(
            _("The check for %(month)s is already recorded.") % {"month": f"{month:%Y-%m}"}, code=ErrorCode.DUPLICATE
        )


def coverage_fix(*, snapshot, actor, reserve_krw, note, now=None):
    """Record that a shortfall is covered: the reserve now held, plus the policies in force today."""
    roles.require_role(actor, roles.COMPLIANCE, action=_("record a coverage fix"))
    if not (note or "").strip():
        raise DomainError(_("Say how the shortfall was fixed (top-up, higher limit, new policy)."))
    now = now or timezone.now()
    with transaction.atomic():
        snapshot = CoverageSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        if snapshot.status != CoverageSnapshot.Status.SHORTFALL:
            raise DomainError(_("This month has no open shortfall."), code=ErrorCode.INVALID_TRANSITION)
        aggregate, per_incident = _cover(policies_in_force(calendar.to_kst_date(now)))
        still_short = snapshot.required_krw - (min(per_incident, aggregate) + reserve_krw)
        if still_short > 0:
            raise DomainError(
                _("Still %(krw)s KRW short of the required %(required)s KRW.")
                % {"krw": f"{still_short:,}", "required": f"{snapshot.required_krw:,}"},
                code=ErrorCode.NOT_ALLOWED,
            )
        snapshot.status = CoverageSnapshot.Status.FIXED
        snapshot.fixed_at = now
        snapshot.fixed_by = actor
        snapshot.fix_note = note.strip()
        snapshot.fixed_reserve_krw = reserve_krw
        snapshot.save()
    return snapshot
