import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models.claim import Claim
from compensation.models.policy import RequiredDocument


def private_storage():
    """Outside the web root; files leave only through the authorised download view.

    The "documents" storage of settings.STORAGES when configured (private objects on S3-compatible
    storage, DOCUMENTS_S3_BUCKET), else the local folder PRIVATE_MEDIA_ROOT.
    """
    if "documents" in settings.STORAGES:
        return storages["documents"]
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def document_path(instance, filename):
    # Never reuse the user's file name on disk: it may carry path tricks or personal data.
    return f"claims/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class DocumentPurpose(models.TextChoices):
    APPLICATION = "application", _("With the application")
    SUPPLEMENT = "supplement", _("Supplement")
    OBJECTION = "objection", _("With an objection")
    STAFF = "staff", _("Added by staff")


class ClaimDocument(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    requirement = models.ForeignKey(
        RequiredDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("required document"),
    )
    objection = models.ForeignKey(
        "Objection", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=DocumentPurpose.choices)
    file = models.FileField(_("file"), upload_to=document_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["claim", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name
