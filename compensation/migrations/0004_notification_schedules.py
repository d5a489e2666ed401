"""The periodic tasks of issue 7, created once; staff can change or disable them in the admin."""

from django.db import migrations
from django.utils import timezone

TASKS = [
    # (name, task, schedule)
    ("compensation: requeue pending notifications", "compensation.tasks.requeue_pending",
     ("interval", 1, "minutes")),
    ("compensation: deadline alert sweep", "compensation.tasks.sweep_deadline_alerts",
     ("crontab", "5", "*")),
    ("compensation: lapse objection windows", "compensation.tasks.lapse_objection_windows",
     ("crontab", "1", "*")),
    ("compensation: daily staff digest 09:00 KST", "compensation.tasks.send_daily_digests",
     ("crontab", "0", "9")),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, (kind, first, second) in TASKS:
        defaults = {"task": task, "enabled": True, "kwargs": "{}", "args": "[]"}
        if kind == "interval":
            defaults["interval"], _ = IntervalSchedule.objects.get_or_create(every=first, period=second)
        else:
            # The schedule's own time zone: 09:00 means 09:00 in Seoul whatever CELERY_TIMEZONE says.
            defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=first, hour=second, day_of_week="*", day_of_month="*", month_of_year="*",
                timezone="Asia/Seoul",
            )
        PeriodicTask.objects.get_or_create(name=name, defaults=defaults)
    # Tell a running beat (DatabaseScheduler) to reload: signals do not fire in migrations.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _schedule in TASKS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("compensation", "0003_decision_due_on"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
