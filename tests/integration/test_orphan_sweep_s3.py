"""The orphan-upload sweep on S3-compatible object storage (moto's server): it lists the bucket
through django-storages, deletes the object no row names and keeps the one whose row exists."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from compensation import services
from compensation.models import ClaimDocument
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

from .stack import S3Server

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BUCKET = "claims-sweep"


def test_the_sweep_walks_the_bucket_and_deletes_only_the_orphan(tmp_path, monkeypatch):
    s3 = S3Server(tmp_path / "moto.log")
    try:
        s3.create_bucket(BUCKET)
        storage = s3.storage(BUCKET)
        monkeypatch.setattr(ClaimDocument._meta.get_field("file"), "storage", storage)
        policy = PolicyFactory()
        requirement = RequiredDocumentFactory(policy=policy)
        claim = services.claim_submit(
            actor=UserFactory(),
            **submit_kwargs(incident=open_incident(), policy=policy, files=[(requirement, png_upload())]),
        )
        kept = claim.documents.get().file.name
        orphan = storage.save(f"claims/{timezone.now():%Y/%m}/killed-before-commit", ContentFile(PNG_BYTES))

        assert orphan_uploads_sweep() == []  # both just stored
        later = timezone.now() + timedelta(hours=2)
        assert orphan_uploads_sweep(now=later) == [orphan]
        assert s3.keys(BUCKET) == [f"documents/{kept}"]
    finally:
        s3.stop()
