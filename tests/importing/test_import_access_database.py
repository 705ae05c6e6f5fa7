"""An Access database with related tables becomes linked ledgers in one import (issue 15,
Access migration), through the real mdbtools on files tests/importing/jetfile.py writes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from daicho.models import Ledger
from tests.conftest import ApiClient
from tests.importing.jetfile import Column, ColumnType, Table, relationships, write_mdb

pytestmark = pytest.mark.skipif(shutil.which("mdb-tables") is None,
                                reason="mdbtools is installed by make test")
T = ColumnType
ITEMS = Table("物品", [Column("物品ID", T.LONG), Column("品名", T.TEXT, 50),
                       Column("分類ID", T.LONG)],
              [[1, "プロジェクター", 10], [2, "マイク", 20], [3, "延長コード", 20]])
KINDS = Table("分類", [Column("分類ID", T.LONG), Column("分類名", T.TEXT, 20)],
              [[10, "映像機器"], [20, "音響機器"]])
LOANS = Table("貸出", [Column("貸出ID", T.LONG), Column("物品ID", T.LONG),
                       Column("借受人", T.TEXT, 50)],
              [[100, 1, "山田"], [101, 2, "佐藤"], [102, 1, "鈴木"], [103, 9, "高橋"]])
RELATIONS = relationships(("貸出", "物品ID", "物品", "物品ID"), ("物品", "分類ID", "分類", "分類ID"))


def _values(api: ApiClient, lid: int) -> list[dict[str, Any]]:
    body = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id", "limit": 100}).body
    return [r["values"] | {"_id": r["id"]} for r in body["items"]]


def test_related_tables_become_linked_ledgers(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    path = write_mdb(tmp_path / "備品管理.mdb", [LOANS, ITEMS, KINDS, RELATIONS])
    result = cli("import", str(path), "--json")
    assert result.code == 0, result.out + result.err
    report = result.json
    assert report["ok"] is True and report["sheet"] == "貸出" and report["created"] == 4
    by_table = {item["table"]: item for item in report["ledgers"]}
    assert [item["table"] for item in report["ledgers"]] == ["分類", "物品", "貸出"]  # parents first
    assert by_table["貸出"]["links"] == [{"field": "物品ID", "ledger": "物品"}]
    assert by_table["物品"]["links"] == [{"field": "分類ID", "ledger": "分類"}]
    _kinds, items, loans = (by_table[t]["id"] for t in ("分類", "物品", "貸出"))
    fields = {f["name"]: f for f in api.get(f"/api/v1/ledgers/{loans}").body["fields"]}
    assert fields["物品ID"]["type"] == "link" and fields["物品ID"]["options"]["ledger"] == items
    name_code = next(f["code"] for f in api.get(f"/api/v1/ledgers/{items}").body["fields"]
                     if f["name"] == "品名")
    item_ids = {v[name_code]: v["_id"] for v in _values(api, items)}
    loan_field = fields["物品ID"]["code"]
    assert [v[loan_field] for v in _values(api, loans)] == [
        item_ids["プロジェクター"], item_ids["マイク"], item_ids["プロジェクター"], None]
    # The orphan key 9 is left empty with a warning naming its row and table.
    assert any(w["message"].startswith("貸出:") and "9" in w["message"] and w["row"] == 5
               for w in report["warnings"])
    # The record page's related records follow the new links.
    related = api.get(f"/api/v1/ledgers/{items}/records/{item_ids['プロジェクター']}/related").body
    assert [(g["ledger"]["name"], g["total"]) for g in related["items"]] == [("貸出", 2)]
    assert Ledger.objects.filter(name="分類").exists()


def test_a_dry_run_or_a_refused_table_writes_nothing(cli: Any, api: ApiClient,
                                                     tmp_path: Path) -> None:
    path = write_mdb(tmp_path / "備品管理.mdb", [LOANS, ITEMS, KINDS, RELATIONS])
    before = Ledger.objects.count()
    dry = cli("import", str(path), "--dry-run", "--json").json
    assert dry["ok"] is True and dry["dry_run"] is True and len(dry["ledgers"]) == 3
    assert Ledger.objects.count() == before
    Ledger.objects.create(name="物品")  # the names are taken: free ones are chosen, with a word
    report = cli("import", str(path), "--json").json
    assert report["ok"] is True
    assert [item["name"] for item in report["ledgers"]][1].startswith("物品")
    assert [item["name"] for item in report["ledgers"]][1] != "物品"


def test_one_table_chosen_or_no_relations_import_one_table(cli: Any, api: ApiClient,
                                                           tmp_path: Path) -> None:
    plain = write_mdb(tmp_path / "plain.mdb", [LOANS, ITEMS])
    report = cli("import", str(plain), "--json").json
    assert report["ok"] is True and "ledgers" not in report and report["sheet"] == "貸出"
    related = write_mdb(tmp_path / "related.mdb", [LOANS, ITEMS, KINDS, RELATIONS])
    chosen = cli("import", str(related), "--sheet", "分類", "--name", "分類だけ", "--json").json
    assert chosen["ok"] is True and "ledgers" not in chosen and chosen["created"] == 2


def test_self_reference_stays_plain(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    staff = Table("職員", [Column("職員ID", T.LONG), Column("氏名", T.TEXT, 20),
                           Column("上司ID", T.LONG)], [[1, "課長", None], [2, "係長", 1]])
    path = write_mdb(tmp_path / "職員.mdb", [staff, KINDS, ITEMS, relationships(
        ("職員", "上司ID", "職員", "職員ID"), ("物品", "分類ID", "分類", "分類ID"))])
    report = cli("import", str(path), "--json").json
    assert report["ok"] is True
    assert any("職員.上司ID → 職員" in w["message"] for w in report["warnings"])
    staff_ledger = next(item for item in report["ledgers"] if item["table"] == "職員")
    assert staff_ledger["links"] == []
