from typing import Any

from django.db import migrations, models

# Until this migration any signed-in user could create ledgers. From it on, administrators and
# system administrators may, and whoever is listed; an installation starts with everyone listed,
# as before (the contract's default rules of a new ledger are those of any user's ledger), and
# administrators narrow the list (docs/permissions.md).
DEFAULT_SUBJECTS = [{"everyone": True}]


def seed(apps: Any, schema_editor: Any) -> None:
    creator = apps.get_model("daicho", "LedgerCreator")
    for position, subject in enumerate(DEFAULT_SUBJECTS):
        creator.objects.create(subject=subject, position=position)


class Migration(migrations.Migration):

    dependencies = [
        ('daicho', '0008_account_security'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerCreator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.JSONField()),
                ('position', models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
