"""The order log's account index with the account first: (account_id, incident_id).

Within an incident's partition the incident is one value; with it first, the sort that builds the
index after a load compares every pair on both columns (the text's abbreviated keys cannot help).
Account first, the same million-row build took 0.9 s instead of 1.4-1.8 s. The lookups give both
columns with equality (`incident_id = … AND account_id IN …`), so either order serves them.
On PostgreSQL the partitioned index is rebuilt on every partition (a short lock of the table).

PostgreSQL: the ids' sequence hands each session 1,000 values at a time (CACHE 1000). A first
order log is loaded by two COPYs at once (services/imports/log_loading.py) that both take an id
per row; with one value at a time they wait on the sequence for every row. The cost: ids are not
in insertion order across sessions, and a session's unused values are skipped (gaps, as after a
rollback). Nothing reads meaning into an order's id.
"""

from django.conf import settings
from django.db import migrations, models


def cache_ids(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER SEQUENCE compensation_affectedorder_id_seq CACHE 1000")


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0029_affected_order_partitions"),
        ("incidents", "0014_compliance_rule_rows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(cache_ids, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="affectedorder",
            name="affected_order_account",
        ),
        migrations.AddIndex(
            model_name="affectedorder",
            index=models.Index(
                fields=["account_id", "incident"],
                name="affected_order_account_first",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ),
    ]
