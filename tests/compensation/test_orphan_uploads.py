"""Uploads left without a row by a process killed before its commit: the sweep deletes them, and
never a file whose row exists (compensation/services/orphans.py, the command, the beat entry)."""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from compensation import services, tasks
from compensation.models import Claim, ClaimDocument
from compensation.services.orphans import orphan_uploads_sweep
from tests.compensation.factories import (
    PNG_BYTES,
    PolicyFactory,
    RequiredDocumentFactory,
    open_incident,
    png_upload,
    submit_kwargs,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_documents_folder(tmp_path, monkeypatch):
    """Files other tests left in the shared test folder are orphans too: each test gets its own."""
    monkeypatch.setattr(ClaimDocument._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))


def storage():
    return ClaimDocument._meta.get_field("file").storage


def stored(name, *, minutes_ago):
    """A file on the documents storage as an upload leaves it, `minutes_ago` old."""
    name = storage().save(name, ContentFile(PNG_BYTES))
    path = storage().path(name)
    when = time.time() - minutes_ago * 60
    os.utime(path, (when, when))
    return name


def month():
    return f"claims/{timezone.now():%Y/%m}"


def filed_claim():
    policy = PolicyFactory()
    requirement = RequiredDocumentFactory(policy=policy)
    claim = services.claim_submit(
        actor=UserFactory(),
        **submit_kwargs(incident=open_incident(), policy=policy, files=[(requirement, png_upload())]),
    )
    return claim.documents.get()


def test_an_old_file_no_row_names_is_deleted_and_one_whose_row_exists_is_kept():
    document = filed_claim()
    aged = document.file.path
    os.utime(aged, (time.time() - 3 * 3600, time.time() - 3 * 3600))
    orphan = stored(f"{month()}/orphan-old", minutes_ago=90)

    swept = orphan_uploads_sweep()

    assert swept == [orphan]
    assert not storage().exists(orphan)
    assert storage().exists(document.file.name)  # three hours old, but its row exists


def test_a_young_file_without_a_row_is_left_alone_its_transaction_may_still_run():
    young = stored(f"{month()}/in-flight", minutes_ago=5)
    assert orphan_uploads_sweep() == []
    assert storage().exists(young)


def test_files_outside_the_upload_prefix_are_never_touched():
    other = stored("reports/2026/01/attachment", minutes_ago=10_000)
    assert orphan_uploads_sweep(all_months=True) == []
    assert storage().exists(other)


def test_a_killed_submit_leaves_an_orphan_that_the_sweep_removes(monkeypatch):
    """The real submit path, killed after the file was stored: no cleanup runs (as on SIGKILL)."""

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed

    # A killed process never reaches atomic_with_files' cleanup: the file stays, the row never commits.
    monkeypatch.setattr("compensation.notifications.claimant.claim_received", killed)
    monkeypatch.setattr(storage(), "delete", lambda name: None)
    policy = PolicyFactory()
    requirement = RequiredDocumentFactory(policy=policy)
    with pytest.raises(Killed):
        services.claim_submit(
            actor=UserFactory(),
            **submit_kwargs(incident=open_incident(), policy=policy, files=[(requirement, png_upload())]),
        )
    monkeypatch.delattr(storage(), "delete")  # the next process (the sweep) deletes as usual
    assert not Claim.objects.exists()
    _folders, left = storage().listdir(month())
    assert len(left) == 1

    assert orphan_uploads_sweep() == []  # just stored: not yet
    swept = orphan_uploads_sweep(now=timezone.now() + timedelta(hours=2))
    assert swept == [f"{month()}/{left[0]}"]
    assert storage().listdir(month()) == ([], [])


def test_last_month_is_swept_by_the_beat_and_older_months_by_the_command():
    now = timezone.now()
    last_month = now.replace(day=1) - timedelta(days=1)
    recent = stored(f"claims/{last_month:%Y/%m}/orphan", minutes_ago=24 * 60)
    ancient = stored("claims/2020/01/orphan", minutes_ago=10_000_000)

    assert tasks.sweep_orphan_uploads() == 1
    assert not storage().exists(recent) and storage().exists(ancient)

    out = StringIO()
    call_command("sweep_orphan_uploads", "--all-months", "--dry-run", stdout=out)
    assert ancient in out.getvalue() and "would delete 1" in out.getvalue()
    assert storage().exists(ancient)
    call_command("sweep_orphan_uploads", "--all-months", stdout=StringIO())
    assert not storage().exists(ancient)


def test_the_sweep_runs_every_hour_from_beat():
    entry = PeriodicTask.objects.get(task="compensation.tasks.sweep_orphan_uploads")
    assert entry.enabled and entry.crontab.minute == "23" and entry.crontab.hour == "*"
