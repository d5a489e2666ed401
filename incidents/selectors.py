from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident, IncidentState


def public_incident_list():
    """Incidents the public should see: open notices and recently closed ones."""
    recent = timezone.now() - timedelta(days=settings.PUBLIC_RECENT_DAYS)
    return Incident.objects.filter(
        Q(state__in=[IncidentState.NOTICE_POSTED, IncidentState.INTAKE_CLOSED])
        | Q(state=IncidentState.CLOSED, updated_at__gte=recent)
    ).order_by("-started_at")


def current_notice_version(incident):
    return incident.notice_versions.order_by("-number").first()
