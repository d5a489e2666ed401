"""How values read to people: KST times, durations, KRW amounts, quantities without trailing zeros."""

from django.utils import timezone
from django.utils.translation import gettext

from incidents.calendar import KST


def kst(moment, *, seconds=False):
    if not moment:
        return ""
    return timezone.localtime(moment, KST).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def hours_colon_minutes(delta):
    """A timedelta as "h:mm" (27:05 for a day and three hours), "" for none."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def plain_decimal(value):
    """0.005000000000000000 → "0.005", 100 → "100" (quantities are stored with 18 places)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def krw(amount):
    """Whole KRW with thousands separators and the unit: 12345000 → "12,345,000원" ("12,345,000 KRW" in English)."""
    if amount is None or amount == "":
        return ""
    try:
        number = int(amount)
    except (TypeError, ValueError):
        return str(amount)
    return gettext("%(amount)s KRW") % {"amount": f"{number:,}"}
