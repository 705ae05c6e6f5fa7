from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("daicho_web", "0003_view_layout"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedview",
            name="group_by",
            field=models.CharField(blank=True, default="", max_length=80),
        ),
    ]
