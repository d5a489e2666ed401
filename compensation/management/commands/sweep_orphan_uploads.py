"""`manage.py sweep_orphan_uploads`: delete stored uploads that no document row names.

What the hourly beat entry runs (compensation/services/orphans.py), by hand: `--dry-run` lists
without deleting, `--all-months` walks every upload folder (the beat entry: this month and the last).
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from compensation.services.orphans import orphan_uploads_sweep


class Command(BaseCommand):
    help = "Delete stored claim uploads older than N minutes that no document row names (a killed upload)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=getattr(settings, "UPLOAD_ORPHAN_MINUTES", 60),
            help="only files stored longer ago than this (default UPLOAD_ORPHAN_MINUTES, 60)",
        )
        parser.add_argument("--all-months", action="store_true", help="walk every upload folder, not the last two")
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")

    def handle(self, *args, older_than_minutes, all_months, dry_run, **options):
        swept = orphan_uploads_sweep(
            older_than=timedelta(minutes=max(0, older_than_minutes)), all_months=all_months, dry_run=dry_run
        )
        for name in swept:
            self.stdout.write(name)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {len(swept)} orphan upload(s)")
