"""The generated permission matrix (contract §5), through the web UI: subjects × record rules ×
field rules × pages (grid, search, record, history, trash, chart, export link, home, the record
form) and attachments. Every case asserts what is shown and what is absent; the API side of the
matrix is in test_matrix.py."""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.permissions.conftest import RECORDS, World
from tests.permissions.test_matrix import RECORD_RULES, SUBJECTS

ALL = set(RECORDS)
SECRETS = {"秘密甲", "秘密甲改", "秘密乙", "秘密丙", "秘密丁"}
# Moved to the trash by the admin before each case: one made by the admin in 庶務係 (土地), one
# made by somu with no department (建物), so every record rule puts something in the trash.
TRASHED = {"倉庫", "無所属"}
FIELD_RULES: list[tuple[str, dict[str, str] | None]] = [
    ("open", None), ("hidden", {"secret": "hidden"}), ("read", {"secret": "read"})]


def _browser(login: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    return client


def _text(resp: Any) -> str:
    return str(resp.content.decode("utf-8"))


def _linked(page: str, ledger_id: int) -> set[int]:
    """The record ids a page links to (grid rows, recent changes, trash rows)."""
    return {int(n) for n in re.findall(rf"/ledgers/{ledger_id}/records/(\d+)/", page)}


def _secrets_in(text: str) -> set[str]:
    """The secret values in a text (秘密甲 counted only where it is not part of 秘密甲改)."""
    rest = text.replace("秘密甲改", "")
    return {s for s in SECRETS if s in rest} | ({"秘密甲改"} if "秘密甲改" in text else set())


def _not_found(resp: Any, path: str) -> tuple[int, str]:
    """A 404 page with what differs between any two requests (the masked CSRF token, the path
    for the language switch) taken out, to compare with the page for a record that does not
    exist."""
    text = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": |data-csrf=)"?[A-Za-z0-9]+',
                  r"\1CSRF", _text(resp).replace(path, "PATH"))
    return resp.status_code, text


def _ids(world: World, names: set[str]) -> set[int]:
    return {world.ids[n] for n in names}


def _chart(page: str) -> dict[str, float]:
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td></tr>', page)
    return {html.unescape(label): float(value) for label, value in rows}


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [list(row) for row in sheet.to_python()]


def _export_link(page: str, fmt: str) -> str:
    found = re.search(rf'href="(/api/v1/ledgers/\d+/export\?format={fmt}[^"]*)"', page)
    assert found, f"no {fmt} export link on the page"
    return html.unescape(found.group(1))


def _download(browser: Any, url: str) -> bytes:
    resp = browser.get(url)
    assert resp.status_code == 200, url
    return b"".join(resp.streaming_content) if resp.streaming else bytes(resp.content)


def _expected(records: dict[str, Any] | None, login: str) -> set[str]:
    return next(e for label, r, e in RECORD_RULES if r == records)[login]


@pytest.mark.parametrize(("field_label", "fields"), FIELD_RULES, ids=[f[0] for f in FIELD_RULES])
@pytest.mark.parametrize(("label", "records", "expected"), RECORD_RULES,
                         ids=[r[0] for r in RECORD_RULES])
def test_pages_follow_record_and_field_rules(world: World, label: str,
                                             records: dict[str, Any] | None,
                                             expected: dict[str, set[str]], field_label: str,
                                             fields: dict[str, str] | None) -> None:
    for name in TRASHED:
        assert world.api.delete(f"{world.base}/records/{world.ids[name]}").status == 204
    rule: dict[str, Any] = {"subject": {"org": "110", "include_children": True},
                            "rights": ["view", "edit", "export"]}
    if records is not None:
        rule["records"] = records
    if fields is not None:
        rule["fields"] = fields
    world.rules([rule])
    secret_shown = field_label != "hidden"
    lid = world.ledger_id
    ledger_url = f"/ledgers/{lid}/"
    for login in ("somu", "shomu"):
        browser, seen = _browser(login), expected[login]
        live, trash = seen - TRASHED, seen & TRASHED
        # The grid: exactly the live records they may see; the secret column as the rule says.
        grid = browser.get(ledger_url)
        assert grid.status_code == 200, login
        page = _text(grid)
        assert _linked(page, lid) == _ids(world, live), login
        assert all(name in page for name in live), login
        assert not any(name in page for name in ALL - live), login
        assert ("個人番号" in page) == secret_shown, login
        shown_secrets = {s for n in live for s in [RECORDS[n][3]] if s} - {"秘密甲"}
        shown_secrets |= {"秘密甲改"} if "庁舎" in live else set()
        assert _secrets_in(page) == (shown_secrets if secret_shown else set()), login
        # Search on the grid finds only what they may see, and never by a hidden value.
        for name in RECORDS:
            found = _linked(_text(browser.get(ledger_url, {"s": "1", "q": name})), lid)
            assert found == _ids(world, {name} & live), (login, name)
        found = _linked(_text(browser.get(ledger_url, {"s": "1", "q": "秘密甲改"})), lid)
        assert found == (_ids(world, {"庁舎"} & live) if secret_shown else set()), login
        # Record and history pages: 404 exactly as for a record that does not exist.
        path = f"{ledger_url}records/999999/"
        missing = _not_found(browser.get(path), path)
        missing_history = _not_found(browser.get(path + "history"), path + "history")
        assert missing[0] == missing_history[0] == 404
        for name, rid in world.ids.items():
            path = f"{ledger_url}records/{rid}/"
            rec = browser.get(path)
            hist = browser.get(path + "history")
            if name in live:
                text = _text(rec)
                assert rec.status_code == 200 and name in text, (login, name)
                assert ("個人番号" in text) == secret_shown, (login, name)
                current = "秘密甲改" if name == "庁舎" else RECORDS[name][3]
                assert _secrets_in(text) == ({current} if secret_shown and current else set()), \
                    (login, name)
                # An input for the secret only where they may write it.
                assert ('name="v_secret"' in text) == (field_label == "open"), (login, name)
            else:
                assert _not_found(rec, path) == missing, (login, name)
            if name in seen:
                text = _text(hist)
                assert hist.status_code == 200 and name in text, (login, name)
                assert not any(s in text for s in SECRETS) or secret_shown, (login, name)
                if name == "庁舎":
                    assert ("秘密甲改" in text and "秘密甲" in text) == secret_shown, login
                    assert "150" in text, login  # the amount change is shown either way
            else:
                assert _not_found(hist, path + "history") == missing_history, (login, name)
        # The trash: only the deleted records they may see.
        page = _text(browser.get(f"{ledger_url}trash"))
        assert _linked(page, lid) == _ids(world, trash), login
        assert all(name in page for name in trash), login
        assert not any(name in page for name in ALL - trash), login
        assert not any(s in page for s in SECRETS), login  # the trash shows the first 4 fields
        # The chart counts only what they may see.
        points = _chart(_text(browser.get(f"{ledger_url}chart", {"group_by": "kind"})))
        kinds = Counter(RECORDS[n][2] for n in live)
        assert points == {k: float(v) for k, v in kinds.items()}, login
        # The export behind the grid's link: the same records, the secret column as the rule says.
        page = _text(browser.get(ledger_url))
        rows = _xlsx_rows(_download(browser, _export_link(page, "xlsx")))
        cells = {str(c) for row in rows for c in row}
        assert ("個人番号" in cells) == secret_shown, login
        assert {n for n in ALL if n in cells} == live, login
        assert (cells & SECRETS) == (shown_secrets if secret_shown else set()), login
        csv_text = _download(browser, _export_link(page, "csv")).decode("utf-8-sig")
        assert {n for n in ALL if n in csv_text} == live, login
        assert ("秘密" in csv_text) == (secret_shown and bool(shown_secrets)), login
        # Home: recent changes never name a record they may not see.
        page = _text(browser.get("/"))
        assert "公有財産" in page, login
        assert _linked(page, lid) == _ids(world, live), login
        assert not any(name in page for name in ALL - live), login
    # Someone outside the rule gets 404 on every page and sees nothing at home.
    outsider = _browser("fukushi")
    for path in ("", "trash", "chart", f"records/{world.ids['庁舎']}/",
                 f"records/{world.ids['庁舎']}/history"):
        assert outsider.get(ledger_url + path).status_code == 404, path
    assert outsider.get(f"/api/v1/ledgers/{lid}/export", {"format": "xlsx"}).status_code == 404
    page = _text(outsider.get("/"))
    assert "公有財産" not in page and not any(name in page for name in ALL)


@pytest.mark.parametrize(("field_label", "fields"), FIELD_RULES, ids=[f[0] for f in FIELD_RULES])
def test_record_form_refuses_fields_not_writable(world: World, field_label: str,
                                                 fields: dict[str, str] | None) -> None:
    rule: dict[str, Any] = {"subject": {"user": "somu"}, "rights": ["view", "edit"]}
    if fields is not None:
        rule["fields"] = fields
    world.rules([rule])
    browser, rid = _browser("somu"), world.ids["庁舎"]
    url = f"/ledgers/{world.ledger_id}/records/{rid}/"
    resp = browser.post(url, {"rev": "2", "v_secret": "書き換え", "o_secret": "秘密甲改",
                              "v_name": "本庁舎", "o_name": "庁舎"})
    stored = world.api.get(f"{world.base}/records/{rid}").body
    if field_label == "open":
        assert resp.status_code == 302
        assert stored["values"]["secret"] == "書き換え" and stored["values"]["name"] == "本庁舎"
    elif field_label == "read":
        # Refused whole, with the field named, and the page shows the stored value again.
        assert resp.status_code == 400 and "書き換え" not in _text(resp)
        assert stored["revision"] == 2 and stored["values"]["secret"] == "秘密甲改"
    else:
        # A field they cannot see is not part of their form: the post changes only the name,
        # the hidden value stays, and nothing about it is echoed back.
        assert resp.status_code == 302
        assert stored["values"] == {**stored["values"], "name": "本庁舎", "secret": "秘密甲改"}
        assert not any(s in _text(browser.get(url)) for s in SECRETS | {"書き換え"})


@pytest.mark.parametrize(("label", "subject", "matched"), SUBJECTS, ids=[s[0] for s in SUBJECTS])
def test_subjects_on_pages(world: World, label: str, subject: dict[str, Any],
                           matched: set[str]) -> None:
    world.rules([{"subject": subject, "rights": ["view", "export"]}])
    lid, rid = world.ledger_id, world.ids["福祉会館"]
    for login in world.clients:
        browser = _browser(login)
        home = _text(browser.get("/"))
        grid = browser.get(f"/ledgers/{lid}/")
        record = browser.get(f"/ledgers/{lid}/records/{rid}/")
        export = browser.get(f"/api/v1/ledgers/{lid}/export", {"format": "csv"})
        if login in matched:
            assert "公有財産" in home and _linked(home, lid) == set(world.ids.values()), login
            assert grid.status_code == 200 and _linked(_text(grid), lid) == set(world.ids.values())
            assert record.status_code == 200 and "秘密丙" in _text(record), login
            assert export.status_code == 200, login
        else:
            assert "公有財産" not in home and not any(n in home for n in ALL), login
            assert grid.status_code == record.status_code == export.status_code == 404, login


ATTACHMENT_RECORD_RULES: list[tuple[str, dict[str, Any] | None]] = [
    ("all", None), ("creator", {"creator": True}), ("filter", {"filter": "kind:eq:建物"})]


@pytest.mark.parametrize(("field_label", "fields"),
                         [("open", None), ("hidden", {"photo": "hidden"}),
                          ("read", {"photo": "read"})], ids=["open", "hidden", "read"])
@pytest.mark.parametrize(("label", "records"), ATTACHMENT_RECORD_RULES,
                         ids=[r[0] for r in ATTACHMENT_RECORD_RULES])
def test_attachments_on_pages(api: ApiClient, make_client: Any, label: str,
                              records: dict[str, Any] | None, field_label: str,
                              fields: dict[str, str] | None) -> None:
    led = api.post("/api/v1/ledgers", {"name": "添付台帳", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
        {"name": "図面", "type": "file", "code": "drawing"},
        {"name": "写真", "type": "file", "code": "photo"}]}).body
    base, lid = f"/api/v1/ledgers/{led['id']}", led["id"]
    somu = make_client("somu")

    def upload(client: ApiClient, code: str, name: str) -> int:
        stream = io.BytesIO(b"%PDF-1.4 " + name.encode())
        stream.name = name
        resp = client.upload(f"{base}/files", {"field": code, "file": stream})
        assert resp.status == 201, resp.body
        return int(resp.body["id"])

    # name → (client, kind, drawing file name, photo file name)
    made: dict[str, tuple[ApiClient, str, str, str]] = {
        "管理者の土地": (api, "土地", "admin-land.pdf", "admin-land.jpg"),
        "管理者の建物": (api, "建物", "admin-bldg.pdf", "admin-bldg.jpg"),
        "総務の土地": (somu, "土地", "somu-land.pdf", "somu-land.jpg"),
    }
    api.put(f"{base}/permissions", {"rules": [
        {"subject": {"user": "somu"}, "rights": ["view", "add", "edit"]}]})
    rids, files = {}, {}
    for name, (client, kind, drawing, photo) in made.items():
        ids = {"drawing": upload(client, "drawing", drawing), "photo": upload(client, "photo", photo)}
        resp = client.post(f"{base}/records", {"values": {
            "name": name, "kind": kind, "drawing": [{"id": ids["drawing"]}],
            "photo": [{"id": ids["photo"]}]}})
        assert resp.status == 201, resp.body
        rids[name], files[name] = resp.body["id"], ids
    rule: dict[str, Any] = {"subject": {"user": "somu"}, "rights": ["view", "edit"]}
    if records is not None:
        rule["records"] = records
    if fields is not None:
        rule["fields"] = fields
    assert api.put(f"{base}/permissions", {"rules": [rule]}).status == 200
    visible = {"all": set(made), "creator": {"総務の土地"}, "filter": {"管理者の建物"}}[label]
    photo_shown = field_label != "hidden"
    browser = _browser("somu")
    missing_page = _not_found(browser.get(f"/ledgers/{lid}/records/999999/"),
                              f"/ledgers/{lid}/records/999999/")
    missing_file = browser.get(f"{base}/files/999999")
    assert missing_file.status_code == 404
    for name, rid in rids.items():
        path = f"/ledgers/{lid}/records/{rid}/"
        page = browser.get(path)
        drawing, photo = (f"{base}/files/{files[name][c]}" for c in ("drawing", "photo"))
        if name in visible:
            text = _text(page)
            assert page.status_code == 200 and f'href="{drawing}"' in text, name
            assert (f'href="{photo}"' in text) == photo_shown, name
            assert (made[name][3] in text) == photo_shown, name
        else:
            assert _not_found(page, path) == missing_page, name
        # The links a page shows are downloadable; anything else answers like a missing file.
        got = browser.get(drawing)
        if name in visible:
            assert got.status_code == 200 and made[name][2].encode() in _body(got), name
        else:
            assert (got.status_code, got.content) == (404, missing_file.content), name
        got = browser.get(photo)
        if name in visible and photo_shown:
            assert got.status_code == 200 and made[name][3].encode() in _body(got), name
        else:
            assert (got.status_code, got.content) == (404, missing_file.content), name


def _body(resp: Any) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else bytes(resp.content)


def test_grid_offers_no_inline_editor_for_read_only_fields(world: World) -> None:
    import html
    import json
    import re

    world.rules([{"subject": {"everyone": True}, "rights": ["view", "edit"],
                  "fields": {"secret": "read"}}])
    page = _text(_browser("somu").get(f"/ledgers/{world.ledger_id}/"))
    editors = {code: json.loads(html.unescape(spec))["kind"] for code, spec in re.findall(
        r'data-code="([^"]+)" data-editor="([^"]+)"', page)}
    assert editors["secret"] == "none" and editors["name"] != "none", editors
