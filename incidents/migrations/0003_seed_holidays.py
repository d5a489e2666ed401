from django.db import migrations
from django.db.models import F


def seed(apps, schema_editor):
    from incidents.holiday_sync import sync_holiday_rows

    Holiday = apps.get_model("incidents", "Holiday")
    CalendarRevision = apps.get_model("incidents", "CalendarRevision")
    report = sync_holiday_rows(Holiday, 2020, 2035)
    if report.changed_dates:
        CalendarRevision.objects.update(number=F("number") + 1)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_roles_and_calendar_revision")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
