"""Uploads whose claim never committed: a sweep deletes them, on the local folder or object storage.

A document is stored before its row is inserted (a row must never point at a missing file), and
`atomic_with_files` deletes it again when the transaction rolls back. A process killed in between
(SIGKILL, out of memory, a machine lost) runs no cleanup: the file stays with no row naming it.

The sweep lists the files under the upload prefix (`storage.listdir`, so the same code walks a
folder or an S3 bucket through django-storages) and deletes each one that

- no `ClaimDocument` row names (looked up in batches, and again for each file just before deleting
  it: a file whose row exists is never deleted), and
- was stored more than UPLOAD_ORPHAN_MINUTES ago (60): no transaction of ours lives that long (a
  web request is killed after 30 s), so a file whose transaction is still running is left alone.

The hourly beat entry walks the upload folders of this month and the last (paths are
`claims/YYYY/MM/…`, UTC); `manage.py sweep_orphan_uploads --all-months` walks every one.
"""

import logging
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.utils import timezone

from compensation.models import ClaimDocument

logger = logging.getLogger(__name__)

UPLOAD_PREFIX = "claims"
BATCH = 500


def _files_under(storage, folder):
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local month folder nobody uploaded to
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(folders):
        yield from _files_under(storage, f"{folder}/{sub}")


def _folders(now, all_months):
    if all_months:
        return [UPLOAD_PREFIX]
    last_month = now.replace(day=1) - timedelta(days=1)
    return [f"{UPLOAD_PREFIX}/{month:%Y/%m}" for month in (last_month, now)]


def _batches(names):
    names = iter(names)
    while batch := list(islice(names, BATCH)):
        yield batch


def orphan_uploads_sweep(*, older_than=None, now=None, all_months=False, dry_run=False):
    """Delete (or with `dry_run` only list) stored uploads that no row names; returns their names."""
    storage = ClaimDocument._meta.get_field("file").storage
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(minutes=getattr(settings, "UPLOAD_ORPHAN_MINUTES", 60))
    cutoff = now - older_than
    swept = []
    for folder in _folders(now, all_months):
        for batch in _batches(_files_under(storage, folder)):
            named = set(ClaimDocument.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name in named or storage.get_modified_time(name) > cutoff:
                    continue
                if ClaimDocument.objects.filter(file=name).exists():  # committed since the batch was read
                    continue
                if not dry_run:
                    storage.delete(name)
                    logger.warning("deleted orphan upload %s (no document row names it)", name)
                swept.append(name)
    return swept
