"""Daily "intake closes soon" reminders at 10:00 KST; editable in the admin like the other schedules."""

from django.db import migrations
from django.utils import timezone

NAME = "compensation: intake closing reminders 10:00 KST"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="10", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Seoul",
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={
        "task": "compensation.tasks.remind_intake_closing", "crontab": crontab, "enabled": True,
        "kwargs": "{}", "args": "[]",
    })
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("compensation", "0006_claim_intent")]

    operations = [migrations.RunPython(create, remove)]
