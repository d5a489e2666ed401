"""Hourly sweep of uploads left without a row by a killed process (compensation/services/orphans.py)."""

from django.db import migrations
from django.utils import timezone

NAME = "compensation: sweep orphan uploads (hourly)"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="23", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Seoul",
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={
        "task": "compensation.tasks.sweep_orphan_uploads", "crontab": crontab, "enabled": True,
        "kwargs": "{}", "args": "[]",
    })
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("compensation", "0024_assisted_intake"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create, remove)]
