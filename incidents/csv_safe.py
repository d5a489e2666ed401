"""CSV cells a spreadsheet will not run: every export writes through `formula_safe_writer`.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV injection): a sign-up email `=1+1@…` or a payout account
`=HYPERLINK(…)` typed by a claimant would run on a staff member's machine. Such text cells are
prefixed with an apostrophe, which spreadsheets show as text. Numbers (int, Decimal, float) are
written as they are, so a negative amount stays a number; anything else (a lazy translation, a
model whose name a user typed, a date) is checked as the text the csv module would write for it.
"""

import csv
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(row):
    return [safe_cell(value) for value in row]


class _SafeWriter:
    def __init__(self, target, **kwargs):
        self._writer = csv.writer(target, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self._writer.writerow(safe_row(row))


def formula_safe_writer(target, **kwargs):
    """A csv.writer whose text cells cannot start a formula."""
    return _SafeWriter(target, **kwargs)
