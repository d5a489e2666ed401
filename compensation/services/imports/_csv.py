"""Reading an uploaded CSV for the imports: a BOM from Excel is fine, missing columns are line 1's error.

The cell parsers raise ValueError with the message the user sees next to the line number.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incidents import calendar


def csv_rows(csv_text, columns):
    """(rows as dicts, None) or (None, the error for line 1)."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        return None, _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}
    return reader, None


def parsed_lines(csv_text, columns, parse, result):
    """(line number, parse(row)) for each good line; a missing column or a bad line goes to result.errors."""
    reader, problem = csv_rows(csv_text, columns)
    if problem:
        result.errors.append((1, problem))
        return
    for line, row in enumerate(reader, start=2):
        try:
            yield line, parse(row)
        except ValueError as error:
            result.errors.append((line, str(error)))


def cell(row, name):
    return (row.get(name) or "").strip()


def parse_asset(value):
    asset = value.strip().upper()
    if not asset or len(asset) > 20:
        raise ValueError(_("asset must be a ticker of 1 to 20 characters, e.g. BTC."))
    return asset


def parse_kst_datetime(value, column):
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("%(column)s must be a date and time such as 2025-01-20 11:05 (KST).") % {"column": column}
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=calendar.KST)


def parse_positive_krw(value, column):
    try:
        amount = int(value.replace(",", "").strip())
    except ValueError:
        raise ValueError(_("%(column)s must be a whole number of KRW.") % {"column": column}) from None
    if amount <= 0:
        raise ValueError(_("%(column)s must be more than 0.") % {"column": column})
    return amount


def parse_quantity(value, column):
    try:
        quantity = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(_("%(column)s must be a number such as 0.01.") % {"column": column}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity.as_tuple().exponent < -18:
        raise ValueError(_("%(column)s must be more than 0, with at most 18 decimal places.") % {"column": column})
    return quantity


@dataclass
class RecordImportResult:
    added: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # (line number, message)


def add_all_or_none(result, model, new_rows):
    """The end of an append-only import: nothing when a line failed, else every new row in one go."""
    if result.errors:
        result.unchanged = 0
        return result
    try:
        with transaction.atomic():
            model.objects.bulk_create(new_rows, batch_size=1000)
    except IntegrityError:
        # The unique constraint caught a parallel import of the same rows.
        result.errors.append((1, _("Another import of the same rows ran at the same time; import the file again.")))
        return result
    result.added = len(new_rows)
    return result
