"""Issue 16: the process status in exports — a 「ステータス」 column after the fields, in xlsx
and CSV, through the CLI and the API — and `daicho import` of that export round-trips: the
status column is left out with a warning saying why, and no status changes."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import ApiClient, make_ledger
from tests.importing.conftest import write_xlsx

PROCESS = {"enabled": True, "statuses": ["未処理", "承認待ち", "承認済"], "initial": "未処理",
           "actions": [{"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
                       {"name": "承認", "from": "承認待ち", "to": "承認済",
                        "by": {"user": "admin"}}]}
FIELDS = [{"name": "管理番号", "type": "text", "code": "no", "unique": True},
          {"name": "品名", "type": "text", "code": "item"}]


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "購入申請", FIELDS)
    lid = led["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 200
    create = [{"values": {"no": "A1", "item": "机"}}, {"values": {"no": "A2", "item": "椅子"}}]
    assert api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": create}).status == 200
    first = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"][0]
    assert api.post(f"/api/v1/ledgers/{lid}/records/{first['id']}/actions",
                    {"action": "申請", "revision": first["revision"]}).status == 200
    return led


def _statuses(api: ApiClient, lid: int) -> list[tuple[str, str, int]]:
    items = api.get(f"/api/v1/ledgers/{lid}/records", {"sort": "id"}).body["items"]
    return [(r["values"]["item"], r["status"], r["revision"]) for r in items]


def _csv(api: ApiClient, lid: int, params: dict[str, str]) -> str:
    resp = api.client.get(f"/api/v1/ledgers/{lid}/export",
                          {"format": "csv", "encoding": "utf-8", **params})
    assert resp.status_code == 200
    return b"".join(resp.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


def test_xlsx_export_has_the_status_and_reimports(cli: Any, api: ApiClient, led: dict[str, Any],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "購入申請.xlsx"
    assert cli("export", "購入申請", "--format", "xlsx", "-o", str(out)).code == 0
    book = CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows == [["管理番号", "品名", "ステータス"], ["A1", "机", "承認待ち"],
                    ["A2", "椅子", "未処理"]]
    before = _statuses(api, led["id"])
    # Someone edits the file's status by hand: the import still leaves the status alone.
    rows[2] = ["A2", "事務椅子", "承認済"]
    out = write_xlsx(tmp_path / "購入申請（修正）.xlsx", {"購入申請": rows})
    result = cli("import", str(out), "--ledger", "購入申請", "--mode", "upsert", "--key", "no",
                 "--json").json
    assert result["ok"] is True and (result["updated"], result["unchanged"]) == (1, 1), result
    assert any("ステータス" in w["message"] and "プロセス" in w["message"]
               for w in result["warnings"]), result["warnings"]
    after = _statuses(api, led["id"])
    assert [s for _i, s, _r in after] == [s for _i, s, _r in before]
    assert after[1][0] == "事務椅子"


def test_csv_export_through_the_api_and_a_plain_reimport(cli: Any, api: ApiClient,
                                                         led: dict[str, Any],
                                                         tmp_path: Path) -> None:
    lid = led["id"]
    text = _csv(api, lid, {})
    assert list(csv.reader(io.StringIO(text))) == [["管理番号", "品名", "ステータス"],
                                                   ["A1", "机", "承認待ち"],
                                                   ["A2", "椅子", "未処理"]]
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    again = cli("import", str(path), "--ledger", str(lid), "--mode", "upsert", "--key", "no",
                "--json").json
    assert again["ok"] is True and again["unchanged"] == 2, again
    # A filter on the status picks the records, as in the list.
    text = _csv(api, lid, {"filter": "status:eq:未処理"})
    assert list(csv.reader(io.StringIO(text)))[1:] == [["A2", "椅子", "未処理"]]


def test_no_status_column_without_a_process(cli: Any, api: ApiClient, led: dict[str, Any],
                                            tmp_path: Path) -> None:
    assert api.put(f"/api/v1/ledgers/{led['id']}/process", {**PROCESS, "enabled": False}
                   ).status == 200
    out = tmp_path / "x.csv"
    assert cli("export", "購入申請", "--format", "csv", "-o", str(out)).code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == "管理番号,品名"
