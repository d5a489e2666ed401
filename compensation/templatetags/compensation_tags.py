from django import template

from compensation.formatting import hours_colon_minutes
from compensation.formatting import krw as _krw
from compensation.formatting import plain_decimal as _plain_decimal
from compensation.models import ClaimState, Notification
from incidents import roles
from incidents.models import Incident, IncidentState

register = template.Library()


@register.filter
def claim_state_label(value):
    """A claim state code as its label in the active language (mail contexts store the code)."""
    try:
        return ClaimState(value).label
    except ValueError:
        return value


@register.filter
def plain_decimal(value):
    return _plain_decimal(value)


@register.filter
def notification_kind_label(value):
    try:
        return Notification.Kind(value).label
    except ValueError:
        return value


@register.filter
def timedelta_hm(value):
    return hours_colon_minutes(value)


@register.filter
def krw(value):
    """Whole KRW with thousands separators: 3000000000 → 3,000,000,000."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value


@register.filter
def won(value):
    """Whole KRW with separators and the unit in the active language: 12345000 → 12,345,000원."""
    return _krw(value)


@register.simple_tag(takes_context=True)
def workspace_links(context):
    """For the admin home: the reports this user may open, and the dashboards of incidents still running."""
    user = context["request"].user
    if not roles.has_role(user, roles.AGENT, roles.SUPERVISOR, roles.COMPLIANCE):
        return {"reports": False, "incidents": []}
    running = (
        Incident.objects.exclude(state__in=[IncidentState.CLOSED, IncidentState.DISMISSED])
        .only("pk", "title", "started_at")
        .order_by("-started_at")[:8]
    )
    return {"reports": True, "incidents": list(running)}
