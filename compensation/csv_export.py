"""CSV files for finance and compliance; streamed so 100,000 rows never sit in memory."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

from incidents.calendar import KST


class _Echo:
    def write(self, value):
        return value


def stream_csv(filename, header, rows):
    writer = csv.writer(_Echo())

    def generate():
        yield "\ufeff"  # Excel opens UTF-8 Korean text correctly with a BOM
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def kst(moment):
    return timezone.localtime(moment, KST).strftime("%Y-%m-%d %H:%M") if moment else ""


def hours_minutes(delta):
    """A timedelta as "h:mm" (27:05 for a day and three hours), "" for none."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"
