"""`next_due_on` becomes a column the database computes from the state and the three due dates.

Until now Claim.save(), the holiday recompute, migration 0008 and the bench loaders each wrote it.
A column cannot turn into a generated one in place: drop it (and its index), add it back generated.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0011_affected_order"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="claim", name="claim_next_due_id"),
        migrations.RemoveField(model_name="claim", name="next_due_on"),
        migrations.RemoveField(model_name="historicalclaim", name="next_due_on"),
        migrations.AddField(
            model_name="claim",
            name="next_due_on",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        state__in=["submitted", "in_review", "supplement_requested", "awaiting_approval", "objected"],
                        then=models.F("review_due_on"),
                    ),
                    models.When(state__in=["decided"], then=models.F("objection_window_ends_on")),
                    models.When(state__in=["accepted"], then=models.F("payment_due_on")),
                    default=None,
                    output_field=models.DateField(),
                ),
                output_field=models.DateField(),
                verbose_name="next deadline",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["next_due_on", "id"], name="claim_next_due_id"),
        ),
    ]
