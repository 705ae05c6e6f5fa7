"""daicho_history's own index on ledger_id goes: the unique (ledger, record, revision) index
serves every query by ledger, and each import wrote one more index entry per record.

The index is dropped by name instead of through AlterField, which on SQLite would copy the
whole history table to change nothing else."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("daicho", "0006_job_owner"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="history",
                    name="ledger",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="daicho.ledger"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "daicho_history_ledger_id_5daf0611"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "daicho_history_ledger_id_5daf0611"'
                                ' ON "daicho_history" ("ledger_id")',
                ),
            ],
        ),
    ]
