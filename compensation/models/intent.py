from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident


class ClaimIntent(models.Model):
    """A signed-in user opened the claim form of an incident: reminded before intake closes if no claim follows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField(_("first opened the claim form"), default=timezone.now)

    class Meta:
        verbose_name = _("started claim")
        verbose_name_plural = _("started claims")
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="one_intent_per_user_incident")]

    def __str__(self):
        return f"{self.user_id} → {self.incident_id}"
