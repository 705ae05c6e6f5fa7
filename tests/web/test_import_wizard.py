"""The import wizard: upload → columns with samples → dry-run counts → import → roll back.

Each step through Django's test client (including a refused file and the background path), and
the whole wizard once in a real browser."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import Server, html_has_no_inline_code, shot, unique

ROWS = [
    ("K-001", "市民会館", "令和2年4月1日", "○", "古い"),
    ("K-002", "図書館", "平成31年3月31日", "×", ""),
    ("K-003", "体育館", "令和5年10月2日", "○", "改修予定"),
]


def city_csv(rows: Sequence[tuple[str, ...]] = ROWS) -> bytes:
    lines = ["管理番号,名称,取得日,稼働,備考"] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


@pytest.fixture(autouse=True)
def _own_data_dir(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Each Django-client test spools its uploads in a folder of its own."""
    if "server" not in request.fixturenames:
        request.getfixturevalue("settings").DATA_DIR = tmp_path


@pytest.fixture
def web(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    return client


def _upload(client: Client, content: bytes, name: str = "施設台帳.csv",
            url: str = "/import/") -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def _spooled() -> list[Path]:
    from daicho.services.import_jobs import spool_dir

    return list(spool_dir().iterdir())


def _ledger_names() -> list[str]:
    from daicho.models import Ledger

    return list(Ledger.objects.values_list("name", flat=True))


def test_upload_page_shows_the_limits(web: Client) -> None:
    resp = web.get("/import/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "200 MB" in html and ".xlsx" in html and ".accdb" in html
    assert not html_has_no_inline_code(html)
    assert 'href="/import/"' in web.get("/").content.decode()
    web.cookies["django_language"] = "ja"
    assert "Excelから台帳を作成" in web.get("/").content.decode()
    assert "ファイルサイズの上限" in web.get("/import/").content.decode()


def test_abandoned_uploads_are_swept(web: Client) -> None:
    import os

    from daicho.services.import_jobs import spool_dir

    old = spool_dir() / ("0" * 32)
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    _upload(web, city_csv())
    assert not old.exists() and len(_spooled()) == 1


def test_a_pdf_named_xlsx_is_refused_in_japanese(web: Client) -> None:
    web.cookies["django_language"] = "ja"
    before = _ledger_names()
    resp = _upload(web, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "台帳.xlsx")
    html = resp.content.decode()
    assert resp.status_code == 400
    message = re.search(r'id="import-error">(.*?)</p>', html, re.S)
    assert message and re.search(r"[ぁ-んァ-ン一-龥]", message.group(1)), html
    assert "PDF" in message.group(1) or "Excel" in message.group(1) or "xlsx" in message.group(1)
    assert _ledger_names() == before
    assert _spooled() == []
    assert "import_wizard" not in web.session
    # Without a file in the session the later steps are not there.
    assert web.get("/import/columns").status_code == 404


def test_wrong_extension_and_missing_file(web: Client) -> None:
    assert _upload(web, b"abc", "notes.pdf").status_code == 400
    assert web.post("/import/", {}).status_code == 400
    assert _spooled() == []


def test_columns_step_shows_detected_names_types_and_samples(web: Client) -> None:
    resp = _upload(web, city_csv())
    assert resp.status_code == 302 and resp["Location"] == "/import/columns"
    html = web.get("/import/columns").content.decode()
    assert not html_has_no_inline_code(html)
    for name in ("管理番号", "名称", "取得日", "稼働", "備考"):
        assert name in html
    assert "2020-04-01" in html and "2019-03-31" in html  # 和暦 read as dates
    assert "○" in html and "×" in html
    assert "cp932" in html
    assert re.search(r'<option value="date" selected>', html)
    # ○/× are offered as a choice of the file's own words (issue 13); yes/no can be picked.
    assert re.search(r'<option value="choice" selected>', html)
    # The spooled file has a generated name; the session holds only that name.
    (path,) = _spooled()
    assert re.fullmatch(r"[0-9a-f]{32}", path.name)
    assert web.session["import_wizard"]["token"] == path.name
    # The header row can be changed (row 2 makes 「K-001」… the names).
    html = web.get("/import/columns", {"header_row": "2"}).content.decode()
    assert "K-001" in html and 'value="2"' in html
    web.get("/import/columns", {"header_row": "1"})


def _choose(web: Client, **extra: str) -> Any:
    data = {"ledger_name": "施設台帳2026", "name-0": "管理番号", "type-0": "text",
            "name-1": "施設名", "type-1": "text", "name-2": "取得日", "type-2": "date",
            "name-3": "稼働", "type-3": "yesno", "name-4": "備考", "type-4": "text",
            "skip-4": "on", **extra}
    return web.post("/import/check", data)


def test_dry_run_then_import_then_roll_back(web: Client, api: ApiClient) -> None:
    _upload(web, city_csv())
    web.get("/import/columns")
    resp = _choose(web)
    html = resp.content.decode()
    assert resp.status_code == 200, html
    assert re.search(r'data-count="created">3<', html)
    assert re.search(r'data-count="errors">0<', html)
    assert not html_has_no_inline_code(html)
    assert "施設台帳2026" not in _ledger_names()  # a dry run writes nothing
    resp = web.post("/import/run", {})
    html = resp.content.decode()
    assert resp.status_code == 200, html
    assert re.search(r'data-count="created">3<', html)
    assert not html_has_no_inline_code(html)
    assert _spooled() == []
    led = api.get("/api/v1/ledgers").body["items"]
    (made,) = [x for x in led if x["name"] == "施設台帳2026"]
    fields = {f["name"]: f["type"] for f in api.get(f"/api/v1/ledgers/{made['id']}").body["fields"]}
    assert fields == {"管理番号": "text", "施設名": "text", "取得日": "date", "稼働": "yesno"}
    records = api.get(f"/api/v1/ledgers/{made['id']}/records").body["items"]
    assert len(records) == 3
    batch = re.search(r'name="batch" value="([^"]+)"', html)
    assert batch
    resp = web.post("/import/rollback", {"batch": batch.group(1)})
    assert resp.status_code == 302 and resp["Location"] == f"/ledgers/{made['id']}/"
    assert api.get(f"/api/v1/ledgers/{made['id']}/records").body["items"] == []


def test_bad_values_are_listed_and_can_be_left_out(web: Client, api: ApiClient) -> None:
    rows = [*ROWS, ("K-004", "公民館", "令和2年4月1日", "○", "")]
    _upload(web, city_csv(rows))
    web.get("/import/columns")
    # 名称 as a number: every value is an error; the list names the rows.
    resp = _choose(web, **{"type-1": "number"})
    html = resp.content.decode()
    assert re.search(r'data-count="errors">4<', html), html
    assert "市民会館" in html and 'id="skip-bad-rows"' in html
    resp = web.post("/import/run", {})
    assert resp.status_code == 400
    assert "施設台帳2026" not in _ledger_names()


def test_existing_ledger_maps_columns_to_fields(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "既存台帳", [
        {"name": "管理番号", "type": "text", "code": "no", "unique": True},
        {"name": "名称", "type": "text", "code": "name"},
    ])
    assert f'/ledgers/{led["id"]}/import' in web.get(f"/ledgers/{led['id']}/").content.decode()
    resp = _upload(web, city_csv(), url=f"/ledgers/{led['id']}/import")
    assert resp.status_code == 302
    html = web.get("/import/columns").content.decode()
    assert "(no field: not imported)" in html
    resp = web.post("/import/check", {"mode": "append"})
    assert re.search(r'data-count="created">3<', resp.content.decode())
    web.post("/import/run", {})
    assert len(api.get(f"/api/v1/ledgers/{led['id']}/records").body["items"]) == 3
    # Next year's file: upsert by 管理番号 updates one, adds one, leaves two unchanged.
    rows = [ROWS[0], (ROWS[1][0], "中央図書館", *ROWS[1][2:]), ROWS[2], ("K-009", "公園", "", "", "")]
    _upload(web, city_csv(rows), url=f"/ledgers/{led['id']}/import")
    web.get("/import/columns")
    html = web.post("/import/check", {"mode": "upsert", "key": "no"}).content.decode()
    for kind, n in (("created", 1), ("updated", 1), ("unchanged", 2)):
        assert re.search(rf'data-count="{kind}">{n}<', html), (kind, html)


def test_big_files_run_in_the_background(web: Client, api: ApiClient,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho import jobs
    from daicho.web.views import imports

    monkeypatch.setattr(imports, "BACKGROUND_BYTES", 10)
    _upload(web, city_csv())
    web.get("/import/columns")
    html = _choose(web).content.decode()
    assert "in the background" in html
    resp = web.post("/import/run", {})
    assert resp.status_code == 302
    url = resp["Location"]
    page = web.get(url).content.decode()
    assert 'id="import-progress"' in page and "/api/v1/jobs/" in page
    assert not html_has_no_inline_code(page)
    assert jobs.run_pending() == 2  # the import, then the new ledger's search_index job
    done = web.get(url).content.decode()
    assert re.search(r'data-count="created">3<', done) and 'id="rollback-import"' in done
    assert _spooled() == []


def test_someone_else_cannot_see_the_job(web: Client, api: ApiClient,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho.services.accounts import create_user
    from daicho.web.views import imports

    monkeypatch.setattr(imports, "BACKGROUND_BYTES", 10)
    _upload(web, city_csv())
    web.get("/import/columns")
    _choose(web)
    url = web.post("/import/run", {})["Location"]
    other = Client()
    other.force_login(create_user(login="other", name="他人"))
    assert other.get(url).status_code == 404


def test_browser_wizard(open_page: Any, server: Server, tmp_path: Path) -> None:
    name = unique("施設台帳")
    csv = tmp_path / "施設.csv"
    csv.write_bytes(city_csv())
    page = open_page("admin")
    page.click("#import-new-ledger")
    page.locator("#import-file").set_input_files(str(csv))
    page.click("#upload-next")
    page.wait_for_selector("#import-columns")
    assert page.locator("#import-samples").inner_text().count("2020-04-01") == 1
    page.fill("#import-ledger-name", name)
    page.fill("#name-1", "施設名")
    page.check("#skip-4")
    shot(page, "import-columns")
    page.click("#columns-next")
    page.wait_for_selector("#import-counts")
    assert page.locator('[data-count="created"]').inner_text() == "3"
    assert page.locator('[data-count="errors"]').inner_text() == "0"
    page.click("#run-import")
    page.wait_for_selector("#open-ledger")
    assert page.locator('[data-count="created"]').inner_text() == "3"
    shot(page, "import-done")
    page.click("#open-ledger")
    page.wait_for_selector("#grid")
    grid = page.locator("#grid")
    header = grid.locator("thead").inner_text()
    assert "施設名" in header and "取得日" in header and "備考" not in header
    body = grid.locator("tbody").inner_text()
    for text in ("市民会館", "図書館", "体育館", "K-003"):
        assert text in body
    assert page.locator("#import-into-ledger").count() == 1  # 「ファイルから読み込む」 on the ledger
