from django.db import migrations

ROLES = ("agent", "supervisor", "compliance")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    CalendarRevision = apps.get_model("incidents", "CalendarRevision")
    if not CalendarRevision.objects.exists():
        CalendarRevision.objects.create(number=1)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
