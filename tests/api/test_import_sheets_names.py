"""POST /api/v1/imports: the sheet read and `sheets`, the new ledger's name and a name already
taken, `key` by name (contract §3.1, §4.3; issue 13 points 5 and 6), and the wizard's proposal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ApiClient, make_ledger
from tests.importing.conftest import write_xlsx

LIST = [["番号", "名称", "金額"], [1, "本庁舎", 1000], [2, "公民館", 2000]]


def _post(api: ApiClient, path: Path, **fields: Any) -> Any:
    return api.upload("/api/v1/imports", {"file": SimpleUploadedFile(path.name, path.read_bytes()),
                                          **fields})


def test_the_report_lists_every_sheet(api: ApiClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "施設.xlsx", {
        "説明": [["この台帳について"], ["毎年4月に更新します。"]],
        "R5": LIST,
        "R6": [*LIST, [3, "倉庫", 300], [4, "車庫", 400]]})
    resp = _post(api, path, dry_run="true")
    assert resp.status == 200, resp.body
    assert resp.body["sheet"] == "R5" and resp.body["created"] == 2
    assert [(s["name"], s["table"], s["read"], s["rows"]) for s in resp.body["sheets"]] == [
        ("説明", False, False, 2), ("R5", True, True, 3), ("R6", True, False, 5)]
    assert resp.body["sheets"][1]["records"] == 2


def test_a_csv_has_no_sheets(api: ApiClient) -> None:
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(
        "名簿.csv", "名称,数\r\nA,1\r\n".encode()), "dry_run": "true"})
    assert resp.status == 200 and resp.body["sheet"] is None and resp.body["sheets"] == []
    assert resp.body["ledger"]["name"] == "名簿"


def test_names_default_free_and_taken(api: ApiClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "道路台帳.xlsx", {"Sheet1": LIST})
    first = _post(api, path)
    assert first.status == 200 and first.body["ledger"]["name"] == "道路台帳"
    second = _post(api, path)
    assert second.status == 200 and second.body["ledger"]["name"] == "道路台帳(2)"
    assert second.body["warnings"][0]["row"] is None
    assert "道路台帳(2)" in second.body["warnings"][0]["message"]
    taken = _post(api, path, name="道路台帳")
    assert taken.status == 409
    assert taken.body["error"]["code"] == "duplicate_ledger_name"
    assert taken.body["error"]["details"] == {"name": "道路台帳", "suggested_name": "道路台帳(3)"}
    assert taken.body["error"]["message"] == (
        "台帳「道路台帳」は既にあります。別の名前を指定してください（例:「道路台帳(3)」）。")
    names = [x["name"] for x in api.get("/api/v1/ledgers").body["items"]]
    assert sorted(names) == ["道路台帳", "道路台帳(2)"]


def test_key_by_name(api: ApiClient, tmp_path: Path) -> None:
    make_ledger(api, "備品", [{"name": "管理番号", "type": "text", "code": "no", "unique": True},
                              {"name": "数量", "type": "number", "code": "qty"}])
    path = write_xlsx(tmp_path / "備品.xlsx", {"Sheet1": [["管理番号", "数量"], ["A1", 1]]})
    made = _post(api, path, ledger="備品", key="管理番号")
    assert made.status == 200 and made.body["created"] == 1, made.body
    path = write_xlsx(tmp_path / "備品2.xlsx", {"Sheet1": [["管理番号", "数量"], ["A1", 5]]})
    again = _post(api, path, ledger="備品", key="管理 番号")
    assert again.status == 200 and again.body["updated"] == 1, again.body
    unknown = _post(api, path, ledger="備品", key="品番")
    assert unknown.status == 400 and unknown.body["error"]["code"] == "unknown_field"
    assert unknown.body["error"]["details"]["fields"] == [{"code": "no", "name": "管理番号"},
                                                          {"code": "qty", "name": "数量"}]


def test_the_wizard_offers_a_free_name(admin: Any, api: ApiClient, tmp_path: Path,
                                       settings: Any) -> None:
    import re

    from django.test import Client

    settings.DATA_DIR = settings.FILES_DIR = tmp_path
    path = write_xlsx(tmp_path / "道路台帳.xlsx", {"Sheet1": LIST})
    assert _post(api, path).body["ledger"]["name"] == "道路台帳"
    web = Client()
    web.force_login(admin)
    resp = web.post("/import/", {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert resp.status_code == 302
    html = web.get("/import/columns").content.decode()
    assert re.search(r'name="ledger_name"[^>]*value="道路台帳\(2\)"', html)
    taken = web.post("/import/check", {"ledger_name": "道路台帳"})
    assert "台帳「道路台帳」は既にあります。別の名前を指定してください（例:「道路台帳(2)」）。" in (
        taken.content.decode())
