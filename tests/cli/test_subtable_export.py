"""`daicho export --detail lines`: one row per detail line, read back by `daicho import`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "件名", "type": "text", "code": "title"},
          {"name": "明細", "type": "subtable", "code": "items", "options": {"fields": [
              {"code": "name", "name": "品名", "type": "text"},
              {"code": "qty", "name": "数量", "type": "number"}]}}]


def test_export_detail_lines_and_import_them_back(cli: Any, api: ApiClient,
                                                  tmp_path: Path) -> None:
    led = make_ledger(api, "見積", FIELDS)
    url = f"/api/v1/ledgers/{led['id']}/records"
    api.post(url, {"values": {"title": "机", "items": [{"name": "天板", "qty": 1},
                                                       {"name": "脚", "qty": 4}]}})
    out = tmp_path / "見積.xlsx"
    assert cli("export", "見積", "--format", "xlsx", "--detail", "lines", "-o", str(out)).code == 0
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows == [["件名", "明細.品名", "明細.数量"], ["机", "天板", 1], ["机", "脚", 4]]
    assert cli("export", "見積", "--format", "xlsx", "--detail", "cells", "-o",
               str(out)).code == 2
    copy = make_ledger(api, "見積2", FIELDS)
    result = cli("import", str(tmp_path / "見積.xlsx"), "--ledger", str(copy["id"]),
                 "--mode", "append", "--json")
    assert result.code == 0, result.stdout
    [record] = api.get(f"/api/v1/ledgers/{copy['id']}/records").body["items"]
    assert record["values"]["items"] == [{"id": 1, "name": "天板", "qty": 1},
                                         {"id": 2, "name": "脚", "qty": 4}]
