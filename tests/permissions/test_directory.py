"""Departments and users through the API and `daicho org import` (contract §5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.conftest import ApiClient


def test_orgs_api(api: ApiClient, make_client: Any) -> None:
    assert api.post("/api/v1/orgs", {"code": "100", "name": "総務部"}).status == 201
    resp = api.post("/api/v1/orgs", {"code": "110", "name": "総務課", "parent_code": "100"})
    assert resp.status == 201 and resp.body == {"code": "110", "name": "総務課",
                                                "parent_code": "100"}
    assert api.post("/api/v1/orgs", {"code": "110", "name": "x"}).status == 409
    bad = api.post("/api/v1/orgs", {"code": "120", "name": "x", "parent_code": "999"})
    assert bad.status == 400 and bad.body["error"]["code"] == "unknown_org"
    assert api.post("/api/v1/orgs", {"code": "", "name": "x"}).status == 400
    clerk = make_client("clerk", org="110")
    assert clerk.get("/api/v1/orgs").body == {"items": [
        {"code": "100", "name": "総務部", "parent_code": None},
        {"code": "110", "name": "総務課", "parent_code": "100"}]}
    refused = clerk.post("/api/v1/orgs", {"code": "130", "name": "x"})
    assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"


def test_users_api(api: ApiClient, make_client: Any, anon: ApiClient) -> None:
    api.post("/api/v1/orgs", {"code": "210", "name": "生活福祉課"})
    resp = api.post("/api/v1/users", {"login": "sato", "name": "佐藤", "org": "210",
                                      "roles": ["台帳管理者"], "password": "Zq8-long-pass-word"})
    assert resp.status == 201, resp.body
    assert resp.body == {"login": "sato", "name": "佐藤", "org": "210", "roles": ["台帳管理者"],
                         "admin": False, "email": ""}
    assert api.post("/api/v1/users", {"login": "sato"}).status == 409
    for body in ({"login": "bad login"}, {"login": "x", "org": "999"},
                 {"login": "y", "roles": "admin"}, {"login": "z", "password": "1"}):
        assert api.post("/api/v1/users", body).status == 400, body
    listed = {u["login"]: u for u in api.get("/api/v1/users").body["items"]}
    assert set(listed) == {"admin", "sato"} and listed["admin"]["admin"] is True
    clerk = make_client("clerk")
    assert clerk.get("/api/v1/users").status == 200
    assert clerk.post("/api/v1/users", {"login": "evil"}).status == 403
    assert anon.get("/api/v1/users").status == 401 and anon.get("/api/v1/orgs").status == 401


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_org_import_cli(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    csv_file = _write(tmp_path / "orgs.csv", (
        "code,name,parent_code,valid_from\r\n"
        "111,庶務係,110,\r\n"  # the parent comes later in the file
        "100,総務部,,\r\n"
        "110,総務課,100,2020-04-01\r\n"
        f"120,新設課,100,{future}\r\n"), "cp932")
    result = cli("org", "import", str(csv_file), "--json")
    assert result.code == 0, result.out
    assert result.json == {"ok": True, "created": 3, "updated": 0, "scheduled": 1,
                           "applied_scheduled": 0}
    items = api.get("/api/v1/orgs").body["items"]
    assert [(o["code"], o["parent_code"]) for o in items] == [
        ("100", None), ("110", "100"), ("111", "110")]
    # A rename in UTF-8 with a BOM; a cycle or an unknown parent is refused whole.
    _write(tmp_path / "rename.csv", "\ufeffcode,name,parent_code\n110,総務管理課,100\n")
    assert cli("org", "import", str(tmp_path / "rename.csv"), "--json").json["updated"] == 1
    _write(tmp_path / "cycle.csv", "code,name,parent_code\n100,総務部,111\n110,総務課,100\n")
    bad = cli("org", "import", str(tmp_path / "cycle.csv"), "--json")
    assert bad.code == 1 and bad.json["error"]["code"] == "org_cycle"
    _write(tmp_path / "bad.csv", "code,name,parent_code\n130,x,999\n")
    assert cli("org", "import", str(tmp_path / "bad.csv"), "--json").code == 1
    _write(tmp_path / "hdr.csv", "コード,名称\n1,x\n")
    assert cli("org", "import", str(tmp_path / "hdr.csv"), "--json").json["error"]["code"] == \
        "invalid_header"
    assert [o["name"] for o in api.get("/api/v1/orgs").body["items"]] == [
        "総務部", "総務管理課", "庶務係"]
    # The scheduled change takes effect on its day.
    from daicho.services.orgs import apply_due_changes

    assert apply_due_changes(today=dt.date.today()) == 0
    assert apply_due_changes(today=dt.date.fromisoformat(future)) == 1
    assert ("120", "100") in [(o["code"], o["parent_code"])
                              for o in api.get("/api/v1/orgs").body["items"]]
    assert cli("org", "apply", "--json").json == {"ok": True, "applied": 0}


def test_user_create_cli_with_roles(cli: Any, api: ApiClient) -> None:
    api.post("/api/v1/orgs", {"code": "210", "name": "生活福祉課"})
    result = cli("user", "create", "kato", "--org", "210", "--role", "監査", "--json")
    assert result.code == 0, result.out
    listed = {u["login"]: u for u in api.get("/api/v1/users").body["items"]}
    assert listed["kato"]["roles"] == ["監査"] and listed["kato"]["org"] == "210"
