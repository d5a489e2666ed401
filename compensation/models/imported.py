from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportedRecord(models.Model):
    """A row imported from the exchange's own records: who brought it in, and when. Never edited."""

    # Set once per file from the importing user (the same value for every row of the file), so no
    # per-row foreign-key check or index: a million-row log pays for neither. PROTECT still holds
    # in the ORM, and users are never deleted.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
        db_constraint=False,
        db_index=False,
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        abstract = True
