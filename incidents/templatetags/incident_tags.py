from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def hours_minutes(delta):
    """A timedelta as '3 h 12 min' (Korean: '3시간 12분'); empty for None."""
    if delta is None:
        return ""
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
