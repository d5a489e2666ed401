"""Reading an uploaded CSV for the imports: a BOM from Excel is fine, missing columns are line 1's error.

The cell parsers raise ValueError with the message the user sees next to the line number.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incidents import bounds, calendar

# Python's csv module refuses longer cells; the limit is named in the message.
MAX_CELL = 131_072


def decode_upload(raw):
    """The uploaded bytes as text; ValueError with the message for the user when they are not UTF-8 text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            raw.decode("cp949")
        except UnicodeDecodeError:
            raise ValueError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")) from None
        raise ValueError(
            _(
                "The file is in the Korean Windows encoding (CP949/EUC-KR), as Excel saves “CSV”. "
                "Save it as “CSV UTF-8 (comma delimited)” and upload it again."
            )
        ) from None
    if "\x00" in text:
        raise ValueError(_("The file contains NUL characters; it is not a CSV text file."))
    return text


def read_csv(csv_text, columns):
    """(rows, errors): rows are (line number, {column: cell}); errors are (line number, message).

    Line endings may be LF, CRLF or CR alone; blank lines are skipped. A row with fewer cells than
    the header, an unterminated quote or a cell longer than MAX_CELL characters is an error on its
    line (reading stops at a broken quote, since every later line would be misread).
    """
    rows, errors = [], []
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return [], [(1, _("The header line cannot be read: %(error)s") % {"error": error})]
    header = [name.strip() for name in header or []]
    missing = [c for c in columns if c not in header]
    if missing:
        return [], [(1, _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)})]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        # Which of the two cells counts would be a guess: the last one silently won.
        return [], [(1, _("Repeated columns: %(cols)s") % {"cols": ", ".join(repeated)})]
    while True:
        starts_on = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            message = str(error)
            if "field larger than field limit" in message:
                message = _("A cell is longer than %(limit)s characters.") % {"limit": f"{MAX_CELL:,}"}
            elif "unexpected end of data" in message or "EOF" in message:
                message = _('A quote (") opened on this line is never closed.')
            else:
                message = _("The line cannot be read as CSV: %(error)s") % {"error": message}
            errors.append((starts_on, message))
            break
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) < len(header):
            errors.append(
                (
                    reader.line_num,
                    _("The line has %(found)d of the %(expected)d columns (%(columns)s).")
                    % {"found": len(cells), "expected": len(header), "columns": ", ".join(header)},
                )
            )
            continue
        rows.append((reader.line_num, dict(zip(header, cells))))
    return rows, errors


def csv_rows(csv_text, columns):
    """(rows as dicts, None) or (None, the first error with its line number)."""
    rows, errors = read_csv(csv_text, columns)
    if errors:
        line, message = errors[0]
        return None, message if line == 1 else _("Line %(line)d: %(message)s") % {"line": line, "message": message}
    return [row for _line, row in rows], None


def parsed_lines(csv_text, columns, parse, result):
    """(line number, parse(row)) for each good line; a missing column or a bad line goes to result.errors."""
    rows, errors = read_csv(csv_text, columns)
    result.errors.extend(errors)
    for line, row in rows:
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
    if not bounds.year_in_range(moment):
        raise ValueError(
            _("%(column)s must be between %(first)d and %(last)d.")
            % {"column": column, "first": bounds.MIN_YEAR, "last": bounds.MAX_YEAR}
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=calendar.KST)


def parse_krw(value, column):
    """A whole number of KRW within ±MAX_KRW (digits, optional thousands separators, optional sign)."""
    text = value.replace(",", "").strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(_("%(column)s must be a whole number of KRW.") % {"column": column})
    if len(digits) > 16 or abs(int(text)) > bounds.MAX_KRW:
        raise ValueError(
            _("%(column)s must be at most %(max)s KRW.") % {"column": column, "max": f"{bounds.MAX_KRW:,}"}
        )
    return int(text)


def parse_positive_krw(value, column):
    amount = parse_krw(value, column)
    if amount <= 0:
        raise ValueError(_("%(column)s must be more than 0.") % {"column": column})
    return amount


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
