"""The bounds every number and date a person types must fall within, checked before the database sees it.

A value the database cannot hold (a year 1 or 9999 moved to UTC, an integer past BIGINT) raised
a server error; one it can hold but no outage produces (10^30 KRW) sizes nothing sensible. Forms,
admin pages and CSV imports share these limits so the messages read the same everywhere.
"""

from decimal import Decimal

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Dates: nothing this app records happened before 2000 or is planned after 2100. The holiday table
# covers the same years (incidents.holiday_sync, the holiday admin): a day outside them cannot be
# in any deadline, and a row the sync wrote must stay one the admin can open and edit.
MIN_YEAR, MAX_YEAR = 2000, 2100
# Money: 1,000조 원 is above any compensation or price and far inside BIGINT (9.2 × 10^18).
MAX_KRW = 10**15
# Quantities of an asset: 15 whole digits and 18 decimals (the model's 38 digits hold 20 whole ones).
MAX_QUANTITY = Decimal(10**15)
QUANTITY_DECIMALS = 18
# Counts typed by staff (affected users, days, basis points): a PositiveIntegerField holds 2^31 − 1.
MAX_COUNT = 10**9
# Counts that move a date: beyond these, date arithmetic leaves the calendar (10^9 hours is 114,000
# years: a report's due time overflowed). A year of hours, a year of business days.
FIELD_CEILINGS = {
    "offset_hours": 24 * 366,
    "offset_business_days": 250,
    "objection_window_business_days": 250,
    "review_business_days": 250,
}
# Primary keys in URLs and query strings: 18 digits always fit a BIGINT.
ID_DIGITS = 18


def year_in_range(value):
    return value is not None and MIN_YEAR <= value.year <= MAX_YEAR


def validate_date_range(value):
    """For dates and date-times: compared by year on the value as typed, so no time-zone arithmetic can overflow."""
    if value is not None and not year_in_range(value):
        raise ValidationError(
            _("Enter a date between %(first)d and %(last)d.") % {"first": MIN_YEAR, "last": MAX_YEAR},
            code="date_range",
        )


def validate_quantity(value):
    if value is None:
        return
    if not value.is_finite() or abs(value) >= MAX_QUANTITY or value.as_tuple().exponent < -QUANTITY_DECIMALS:
        raise ValidationError(
            _("Enter a quantity below %(max)s with at most %(places)d decimal places.")
            % {"max": f"{MAX_QUANTITY:,}", "places": QUANTITY_DECIMALS},
            code="quantity_range",
        )


def parse_id(value):
    """A primary key from a URL or query string, or None when it is not one (letters, 0, 19+ digits)."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > ID_DIGITS or int(text) == 0:
        return None
    return int(text)


def bound_field(field, name=""):
    """Give a form field the bounds of its kind; fields that already carry tighter ones keep them."""
    if isinstance(field, (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)):
        if validate_date_range not in field.validators:
            field.validators.append(validate_date_range)
    elif isinstance(field, forms.DecimalField):
        if validate_quantity not in field.validators:
            field.validators.append(validate_quantity)
    elif isinstance(field, forms.IntegerField):
        ceiling = FIELD_CEILINGS.get(name) or (MAX_KRW if "krw" in name else MAX_COUNT)
        if field.max_value is None or field.max_value > ceiling:
            field.max_value = ceiling
            field.validators.append(_Limit(ceiling, above=True))
            field.widget.attrs["max"] = str(ceiling)
        if field.min_value is None or field.min_value < -ceiling:
            field.min_value = -ceiling
            field.validators.append(_Limit(-ceiling, above=False))
            field.widget.attrs["min"] = str(-ceiling)
    return field


class _Limit:
    """Min/MaxValueValidator with the number written with separators (1,000,000,000,000,000)."""

    def __init__(self, limit, above):
        self.limit, self.above = limit, above

    def __call__(self, value):
        if value is None:
            return
        if self.above and value > self.limit:
            raise ValidationError(
                _("Enter a number of at most %(max)s.") % {"max": f"{self.limit:,}"}, code="max_value"
            )
        if not self.above and value < self.limit:
            raise ValidationError(
                _("Enter a number of at least %(min)s.") % {"min": f"{self.limit:,}"}, code="min_value"
            )

    def __eq__(self, other):
        return isinstance(other, _Limit) and (other.limit, other.above) == (self.limit, self.above)


def bound_form(form):
    """Apply `bound_field` to every field of a form instance; returns the form."""
    for name, field in form.fields.items():
        bound_field(field, name)
    return form


class BoundedFormMixin:
    """For forms: every number and date field gets its bounds when the form is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_form(self)


class _BoundedChangeList:
    """A list whose query string asks for what no date holds (`?paid_at__year=0`, `__year=99999`) or a
    number no column holds: the admin's "wrong filter" answer (a redirect to ?e=1), not a 500."""

    def get_results(self, request):
        try:
            super().get_results(request)
            len(self.result_list)  # run (and cache) the query here, not while the page renders
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


_BOUNDED_CHANGELISTS = {}


class BoundedAdminMixin:
    """For ModelAdmins: the generated form's number and date fields get their bounds, and list filters
    from the query string that no date or number can satisfy are the admin's "wrong filter" answer."""

    def response_action(self, request, queryset):
        """Ticked rows whose id is not one (abc, 20 digits: the query overflowed) count as not ticked."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ids = [value for value in selected if parse_id(value) is not None]
        if ids != selected:
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, ids)
        return super().response_action(request, queryset)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if changelist not in _BOUNDED_CHANGELISTS:
            _BOUNDED_CHANGELISTS[changelist] = type(
                f"Bounded{changelist.__name__}", (_BoundedChangeList, changelist), {}
            )
        return _BOUNDED_CHANGELISTS[changelist]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, (models.DateField, models.IntegerField, models.DecimalField)):
            bound_field(field, db_field.name)
        return field
