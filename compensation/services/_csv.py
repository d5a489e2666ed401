"""Reading an uploaded CSV for the imports: a BOM from Excel is fine, missing columns are line 1's error."""

import csv
import io

from django.utils.translation import gettext as _


def csv_rows(csv_text, columns):
    """(rows as dicts, None) or (None, the error for line 1)."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        return None, _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}
    return reader, None
