"""Seed/refresh holiday rows from the `holidays` package: `manage.py sync_holidays --from-year 2026 --to-year 2027`.

Adds missing days and refreshes rows the package itself wrote; rows staff created or
edited are reported and left alone; nothing is ever deleted. A second run adds nothing.
When anything changed the calendar revision is bumped (bulk writes send no signals), so
every process reloads and open deadlines are recomputed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.holiday_sync import sync_from_package


def _row(entry):
    day, name, kind = entry
    return f"{day:%Y-%m-%d} ({day:%a}) {kind:<12} {name}"


class Command(BaseCommand):
    help = "Add/refresh holiday rows from the holidays package; never deletes or overwrites staff rows."

    def add_arguments(self, parser):
        this_year = timezone.localdate().year
        parser.add_argument("--from-year", type=int, default=this_year)
        parser.add_argument("--to-year", type=int, default=this_year + 1)

    def handle(self, *args, from_year, to_year, verbosity=1, **options):
        verbose = verbosity >= 2

        def progress(year, report):
            if verbosity < 1:
                return
            self.stdout.write(
                f"{year}: {len(report.added)} added, {len(report.updated)} updated, "
                f"{len(report.kept_staff)} staff rows kept, {report.unchanged} unchanged"
            )
            for label, rows in (
                ("added", report.added),
                ("updated", report.updated),
                ("kept (staff)", report.kept_staff),
            ):
                if rows and (verbose or label != "kept (staff)"):
                    for entry in rows:
                        self.stdout.write(f"  {label:<12} {_row(entry)}")
            for entry in report.stale:
                self.stdout.write(
                    self.style.WARNING(f"  not in package {_row(entry)} (kept; delete it in the admin if it is wrong)")
                )

        try:
            total = sync_from_package(from_year=from_year, to_year=to_year, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error

        summary = (
            f"{from_year}-{to_year}: {len(total.added)} added, {len(total.updated)} updated, "
            f"{len(total.kept_staff)} staff rows kept, {total.unchanged} unchanged"
        )
        if total.changed_dates:
            self.stdout.write(self.style.SUCCESS(f"{summary}; calendar revision bumped."))
        else:
            self.stdout.write(f"{summary}; nothing changed.")
