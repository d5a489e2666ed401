"""The yearly control review (연 1회 이상 점검): signed off by compliance, its figures frozen at sign-off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ControlReview(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    conclusion = models.TextField(_("conclusion and findings"))
    pack = models.JSONField(_("figures as signed off"), default=list)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed off by")
    )
    signed_off_at = models.DateTimeField(_("signed off at"))

    class Meta:
        verbose_name = _("yearly control review")
        verbose_name_plural = _("yearly control reviews")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A signed-off control review is final; record findings in the next year's review.")
        super().save(*args, **kwargs)
