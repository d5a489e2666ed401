from django import template
from django.utils.translation import gettext_lazy as _

from compensation.formatting import hours_minutes
from compensation.formatting import plain_decimal as _plain_decimal
from compensation.models import ClaimState

NOTIFICATION_KINDS = {
    "account_mail": _("Account mail"),
    "claim_received": _("Claim received"),
    "supplement_requested": _("Supplement requested"),
    "decision": _("Decision"),
    "objection_received": _("Objection received"),
    "objection_decided": _("Objection decided"),
    "payment_made": _("Payment made"),
    "intake_closing": _("Intake closes soon"),
    "claim_invitation": _("Invitation to claim"),
    "deadline_alert": _("Deadline alert"),
    "daily_digest": _("Daily digest"),
}

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
    return NOTIFICATION_KINDS.get(value, value)


@register.filter
def timedelta_hm(value):
    return hours_minutes(value)
