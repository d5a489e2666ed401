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


@register.filter
def plain_decimal(value):
    """0.005000000000000000 → 0.005 (quantities are stored with 18 places)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
