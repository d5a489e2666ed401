"""Seed/refresh holiday rows from the `holidays` package (a seed and a cross-check, not the truth).

Shared by the data migration and `manage.py sync_holidays`; it takes the model as an
argument so the migration can pass its historical model.
"""

from dataclasses import dataclass, field

import holidays as holidays_pkg

PUBLIC = "public"
NON_BUSINESS = "non_business"
SOURCE_PACKAGE = "package"


def package_holidays(from_year, to_year):
    """{date: (name, kind)} for Korea: 관공서 공휴일 are `public`, bank-only days `non_business`."""
    years = list(range(from_year, to_year + 1))
    public = holidays_pkg.KR(years=years, categories=("public",), language="ko")
    bank = holidays_pkg.KR(years=years, categories=("bank",), language="ko")
    days = {day: (name, NON_BUSINESS) for day, name in bank.items()}
    days.update({day: (name, PUBLIC) for day, name in public.items()})
    return dict(sorted(days.items()))


@dataclass
class SyncReport:
    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    kept_staff: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed_dates(self):
        return {row[0] for row in self.added} | {row[0] for row in self.updated}


def sync_holiday_rows(holiday_model, from_year, to_year):
    """Add missing days, refresh package rows, never touch or delete staff rows. Idempotent."""
    report = SyncReport()
    wanted = package_holidays(from_year, to_year)
    existing = {
        row.date: row
        for row in holiday_model.objects.filter(date__year__gte=from_year, date__year__lte=to_year)
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
            holiday_model.objects.filter(pk=row.pk).update(name=name, kind=kind)
            report.updated.append((day, name, kind))
        else:
            report.unchanged += 1
    holiday_model.objects.bulk_create(to_create)
    return report
