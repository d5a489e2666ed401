"""Seed/refresh holiday rows from the `holidays` package (a seed and a cross-check, not the truth).

Shared by the data migration and `manage.py sync_holidays`; it takes the model as an
argument so the migration can pass its historical model.
"""

from dataclasses import dataclass, field

import holidays as holidays_pkg
from django.db import transaction
from django.utils import timezone

from incidents.bounds import MAX_YEAR, MIN_YEAR
from incidents.models import Holiday
from incidents.signals import bump_revision

PUBLIC = "public"
NON_BUSINESS = "non_business"
SOURCE_PACKAGE = "package"
MAX_YEARS = 50


def package_holidays(from_year, to_year):
    """{date: (name, kind)} for Korea: 관공서 공휴일 are `public`, bank-only days `non_business`."""
    years = list(range(from_year, to_year + 1))
    public = holidays_pkg.KR(years=years, categories=("public",), language="ko")
    bank = holidays_pkg.KR(years=years, categories=("bank",), language="ko")
    days = {day: (name, NON_BUSINESS) for day, name in bank.items()}
    days.update({day: (name, PUBLIC) for day, name in public.items()})
    return dict(sorted(days.items()))


def check_years(from_year, to_year):
    """The holiday table covers the years every other date is bounded to (incidents.bounds), no more."""
    if from_year > to_year:
        raise ValueError("from_year must not be after to_year")
    if from_year < MIN_YEAR or to_year > MAX_YEAR:
        raise ValueError(f"holidays are kept for {MIN_YEAR}–{MAX_YEAR} only (the years any date here may take)")


@dataclass
class SyncReport:
    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    kept_staff: list = field(default_factory=list)
    # Package rows the package no longer lists: reported for a person to decide, never deleted,
    # because a wrong deletion makes a closed day count as a business day.
    stale: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed_dates(self):
        return {row[0] for row in self.added} | {row[0] for row in self.updated}


def sync_holiday_rows(holiday_model, from_year, to_year):
    """Add missing days, refresh package rows, never touch or delete staff rows. Idempotent.

    Positional because the seed migration passes its historical model. Bulk writes send no
    signals: the caller bumps the calendar revision when `report.changed_dates` is not empty.
    """
    check_years(from_year, to_year)
    report = SyncReport()
    wanted = package_holidays(from_year, to_year)
    existing = {
        row.date: row for row in holiday_model.objects.filter(date__year__gte=from_year, date__year__lte=to_year)
    }
    to_create = []
    for day, (name, kind) in wanted.items():
        row = existing.get(day)
        if row is None:
            to_create.append(holiday_model(date=day, name=name, kind=kind, source=SOURCE_PACKAGE))
            report.added.append((day, name, kind))
        elif row.source != SOURCE_PACKAGE:
            report.kept_staff.append((day, row.name, row.kind))
        elif row.name != name or row.kind != kind:
            holiday_model.objects.filter(pk=row.pk).update(name=name, kind=kind, updated_at=timezone.now())
            report.updated.append((day, name, kind))
        else:
            report.unchanged += 1
    for day, row in sorted(existing.items()):
        if day in wanted:
            continue
        if row.source == SOURCE_PACKAGE:
            report.stale.append((day, row.name, row.kind))
        else:
            report.kept_staff.append((day, row.name, row.kind))
    report.kept_staff.sort()
    holiday_model.objects.bulk_create(to_create)
    return report


def sync_from_package(*, from_year, to_year, progress=None):
    """The service behind `manage.py sync_holidays` and the admin button: one transaction, one bump.

    `progress(year, report_for_year)` is called after each year. Returns the merged report.
    """
    check_years(from_year, to_year)
    if to_year - from_year >= MAX_YEARS:
        raise ValueError(f"sync at most {MAX_YEARS} years at a time")
    total = SyncReport()
    with transaction.atomic():
        for year in range(from_year, to_year + 1):
            report = sync_holiday_rows(Holiday, year, year)
            total.added += report.added
            total.updated += report.updated
            total.kept_staff += report.kept_staff
            total.stale += report.stale
            total.unchanged += report.unchanged
            if progress is not None:
                progress(year, report)
        if total.changed_dates:
            bump_revision(total.changed_dates)
    return total
