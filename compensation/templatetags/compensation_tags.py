from django import template

from compensation.models import ClaimState

register = template.Library()


@register.filter
def claim_state_label(value):
    """A claim state code as its label in the active language (mail contexts store the code)."""
    try:
        return ClaimState(value).label
    except ValueError:
        return value
