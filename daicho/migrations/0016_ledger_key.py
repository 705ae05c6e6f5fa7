"""Ledger.key: the plan's ledgers are found by a stable key, not by their names. The ledgers an
earlier version's demo made are keyed here by the names it gave them."""

from typing import Any

from django.db import migrations, models

# daicho.plan.ledgers.NAMES as it was when this migration was written (migrations stay frozen).
PLAN_KEYS = {
    "plan_info": "計画概要",
    "plan_inventory": "情報システム台帳",
    "plan_measures": "全体最適化取組",
    "plan_progress": "取組進捗",
    "plan_committee_meetings": "委員会開催",
    "plan_committee_items": "委員会議題",
    "plan_revisions": "計画改定",
    "plan_kpis": "目標指標",
    "plan_reference_1": "参考資料1",
    "plan_reference_2": "参考資料2",
    "plan_reference_3": "参考資料3",
}


def key_plan_ledgers(apps: Any, schema_editor: Any) -> None:
    ledger = apps.get_model("daicho", "Ledger")
    for key, name in PLAN_KEYS.items():
        ledger.objects.filter(name=name, key__isnull=True).update(key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("daicho", "0015_scale"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledger",
            name="key",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(key_plan_ledgers, migrations.RunPython.noop),
    ]
