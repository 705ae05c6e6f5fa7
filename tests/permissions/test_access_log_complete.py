"""The access log is complete and names who acted (issue 12): ledger creation, imports — dry
runs and refused ones too — and their rollback, users made on the screen or the command line;
the administrators' screen shows each entry's details in words, in Japanese."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import ApiClient, make_ledger

CSV = "名称,金額\n庁舎,100\n倉庫,200\n".encode()


def _entries(**filters: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    from daicho.models import AuditEvent

    return [(e.user, e.action, e.target, e.details)
            for e in AuditEvent.objects.filter(**filters).order_by("seq")]


def _admin_browser() -> Client:
    from django.contrib.auth import get_user_model

    web = Client()
    web.force_login(get_user_model().objects.get(username="admin"))
    return web


def test_ledger_creation_is_logged_with_its_creator(api: ApiClient) -> None:
    led = make_ledger(api, "備品台帳")
    assert _entries(action="ledger_create") == [
        ("admin", "ledger_create", f"ledger:{led['id']}", {"name": "備品台帳", "fields": 4})]


def test_imports_dry_runs_refusals_and_rollback_are_logged(api: ApiClient,
                                                            make_client: Any) -> None:
    made = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", CSV),
                                          "name": "建物"})
    assert made.status == 200 and made.body["ok"], made.body
    lid, batch = made.body["ledger"]["id"], made.body["batch_id"]
    # A new ledger from a file: its creation and the import, both by the importer.
    assert [(u, a, t) for u, a, t, _d in _entries(target=f"ledger:{lid}")] == [
        ("admin", "ledger_create", f"ledger:{lid}"), ("admin", "import", f"ledger:{lid}")]
    dry = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", CSV),
                                         "ledger": str(lid), "dry_run": "true"})
    assert dry.status == 200 and dry.body["dry_run"], dry.body
    bad_rows = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(
        "建物.csv", "名称,金額\n庁舎,たくさん\n".encode()), "ledger": str(lid)})
    assert bad_rows.status == 400, bad_rows.body
    bad_mode = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", CSV),
                                              "ledger": str(lid), "mode": "merge"})
    assert bad_mode.status == 400
    # Someone who may not import into it is refused (404) and logged as well.
    clerk = make_client("clerk")
    hidden = clerk.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", CSV),
                                              "ledger": str(lid)})
    assert hidden.status == 404
    assert api.post(f"/api/v1/imports/{batch}/rollback", {"confirm": True}).status == 200
    logged = [(u, a, d) for u, a, _t, d in _entries(target=f"ledger:{lid}")][2:]
    assert [(u, a) for u, a, _d in logged] == [
        ("admin", "import_dry_run"), ("admin", "import_refused"), ("admin", "import_refused"),
        ("clerk", "import_refused"), ("admin", "import_rollback")]
    assert logged[0][2] == {"file": "建物.csv", "mode": None, "dry_run": True, "created": 2,
                            "updated": 0}
    assert logged[1][2]["reason"] and logged[2][2]["reason"] == "invalid_mode"
    assert logged[3][2]["reason"] == "not_found"
    assert logged[4][2] == {"batch": batch, "trashed": 2, "reverted": 0, "edited_since": 0}


def test_users_made_on_the_screen_and_the_command_line_name_who_made_them(
        api: ApiClient, cli: Any) -> None:
    web = _admin_browser()
    resp = web.post("/manage/users", {"login": "kato", "name": "加藤", "password": "",
                                      "password2": ""})
    assert resp.status_code in (200, 302), resp.content[:500]
    assert cli("user", "create", "ito").code == 0
    made = {t: u for u, _a, t, _d in _entries(action="user_create")}
    assert made["user:kato"] == "admin"
    assert made["user:ito"] == f"cli:{getpass.getuser()}"
    # Outside a command, nothing is logged in the command line's name.
    from daicho.services import audit

    assert audit.record(user=None, action="sign_in_failed").user == ""


def test_the_screen_shows_details_in_japanese(api: ApiClient) -> None:
    from daicho.services import audit

    led = make_ledger(api, "備品台帳")
    api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", CSV),
                                   "ledger": str(led["id"]), "dry_run": "true"})
    for action in ("password_change", "2fa_enrol", "2fa_reset", "signin_locked",
                   "signin_unlocked"):
        audit.record(user="sato", action=action, target="user:sato")
    page = _admin_browser().get("/manage/audit").content.decode()
    assert "台帳の作成" in page and "読み込みの試行（保存なし）" in page
    assert "名前: 備品台帳、項目数: 4" in page
    assert "ファイル: 建物.csv、試行: はい" in page
    table = page.split('id="audit"')[1].split("</table>")[0]
    assert "{" not in table and "&quot;" not in table
    for label in ("パスワード変更", "2段階認証の設定", "2段階認証のリセット",
                  "サインインのロック（端末単位）", "サインインのロック解除"):
        assert label in page, label
