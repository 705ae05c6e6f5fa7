"""Migration 0016 keys the plan's ledgers an earlier version's demo made (found by their names
then), so their pages keep working after the upgrade; a ledger of another name stays unkeyed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MIGRATE_SCRIPT = """
import django, json
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", "daicho", "0015", verbosity=0)
apps = MigrationExecutor(connection).loader.project_state(("daicho", "0015_scale")).apps
Ledger = apps.get_model("daicho", "Ledger")
for name in ("全体最適化取組", "目標指標", "参考資料2", "公有財産台帳"):
    Ledger.objects.create(name=name)
call_command("migrate", verbosity=0)
from daicho.models import Ledger
print(json.dumps(sorted([ledger.name, ledger.key] for ledger in Ledger.objects.all())))
"""


def test_the_upgrade_keys_the_plan_ledgers_of_an_earlier_demo(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "daicho.settings"}
    Path(env["DAICHO_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", MIGRATE_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == sorted([
        ["全体最適化取組", "plan_measures"], ["目標指標", "plan_kpis"],
        ["参考資料2", "plan_reference_2"], ["公有財産台帳", None]])
