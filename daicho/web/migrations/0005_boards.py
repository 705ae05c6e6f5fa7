from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("daicho_web", "0004_view_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedview",
            name="board",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
