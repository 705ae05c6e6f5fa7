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
        settings = request.getfixturevalue("settings")
        settings.DATA_DIR = settings.FILES_DIR = tmp_path  # uploads wait in the files dir


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


def test_a_background_import_reads_the_chosen_rows(web: Client, api: ApiClient,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    from daicho import jobs
    from daicho.web.views import imports

    monkeypatch.setattr(imports, "BACKGROUND_BYTES", 10)
    _upload(web, city_xlsx(tmp_path / "施設一覧.xlsx").read_bytes(), "施設一覧.xlsx")
    form = _rows_form(web.get("/import/columns").content.decode())
    web.post("/import/columns", {**form, "keep": [n for n in form["keep"] if n != "9"]})
    _choose(web, ledger_name="背景施設", **{"type-1": "text", "type-2": "text",
                                             "type-3": "number", "skip-4": ""})
    url = web.post("/import/run", {})["Location"]
    jobs.run_pending()
    done = web.get(url).content.decode()
    assert re.search(r'data-count="created">5<', done), done
    (made,) = [x for x in api.get("/api/v1/ledgers").body["items"] if x["name"] == "背景施設"]
    records = api.get(f"/api/v1/ledgers/{made['id']}/records").body["items"]
    assert "K-004" not in {r["values"]["field_1"] for r in records} and len(records) == 5


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


# ---- the rows of the file, duplicates of existing records ---------------------------------------

CITY_ROWS: list[list[Any]] = [
    ["令和6年度 施設一覧"], ["単位：㎡"], [],
    ["番号", "施設名", "区", "面積"],
    ["K-001", "市民会館", "東灘区", 1200], ["K-002", "図書館", "東灘区", 800],
    ["K-003", "体育館", "東灘区", 1500],
    ["小計", None, None, 3500],
    ["K-004", "公民館", "西区", 400], ["K-005", "プール", "西区", 900],
    ["K-006", "美術館", "西区", 700],
    ["小計", None, None, 2000],
    ["合計", None, None, 5500],
    ["※ 面積は概数です。"],
]


def city_xlsx(path: Path, rows: Sequence[Sequence[Any]] = CITY_ROWS) -> Path:
    """A city's list as offices keep it: a title and a unit above the header, a subtotal per
    ward, a total and a note under the data."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("施設一覧")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def _kind_counts(html: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(r'data-count="([a-z_]+)">(\d+)<', html)}


def _state_rows(web: Client) -> Any:
    return web.session["import_wizard"].get("rows")


def test_a_reimport_counts_the_duplicates_and_upsert_adds_none(web: Client,
                                                               api: ApiClient) -> None:
    led = make_ledger(api, "再読込台帳", [
        {"name": "管理番号", "type": "text", "code": "no"},
        {"name": "名称", "type": "text", "code": "name"},
    ])
    for no, name in (("K-001", "市民会館"), ("K-002", "旧図書館")):
        assert api.post(f"/api/v1/ledgers/{led['id']}/records",
                        {"values": {"no": no, "name": name}}).status == 201
    _upload(web, city_csv(), url=f"/ledgers/{led['id']}/import")
    web.get("/import/columns")
    html = web.post("/import/check", {"mode": "append"}).content.decode()
    assert re.search(r'id="duplicate-count" data-rows="2"', html), html
    assert re.search(r'data-count="created">3<', html)
    assert 'id="use-upsert"' in html and '<option value="no" selected>' in html
    # Compared by 名称 only 市民会館 matches.
    html = web.post("/import/check", {"again": "count", "match_key": "name"}).content.decode()
    assert re.search(r'id="duplicate-count" data-rows="1"', html), html
    # Hostile input: an unknown field compares by the first candidate, a bad step is a 404.
    html = web.post("/import/check", {"again": "count", "match_key": "nope"}).content.decode()
    assert re.search(r'id="duplicate-count" data-rows="2"', html), html
    # Hostile input: an upsert by a field that is no key of this file changes nothing.
    html = web.post("/import/check", {"again": "upsert", "match_key": "nope"}).content.decode()
    assert 'id="import-mode"' not in html and web.session["import_wizard"]["mode"] == "append"
    # Upsert by 管理番号: one record updated, one unchanged, one added.
    html = web.post("/import/check", {"again": "upsert", "match_key": "no"}).content.decode()
    for kind, n in (("created", 1), ("updated", 1), ("unchanged", 1)):
        assert re.search(rf'data-count="{kind}">{n}<', html), (kind, html)
    assert 'id="import-mode"' in html and 'id="import-duplicates"' not in html
    assert web.post("/import/run", {}).status_code == 200
    records = api.get(f"/api/v1/ledgers/{led['id']}/records").body["items"]
    assert sorted(r["values"]["no"] for r in records) == ["K-001", "K-002", "K-003"]
    assert {r["values"]["name"] for r in records} == {"市民会館", "図書館", "体育館"}


def test_no_duplicates_no_upsert_offered(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "新規分台帳", [
        {"name": "管理番号", "type": "text", "code": "no", "unique": True},
        {"name": "名称", "type": "text", "code": "name"},
    ])
    _upload(web, city_csv(), url=f"/ledgers/{led['id']}/import")
    web.get("/import/columns")
    html = web.post("/import/check", {"mode": "append"}).content.decode()
    assert re.search(r'id="duplicate-count" data-rows="0"', html), html
    assert 'id="use-upsert"' not in html


def _kept(html: str) -> int:
    found = re.search(r'id="outline-summary" data-kept="(\d+)"', html)
    assert found, html
    return int(found.group(1))


def _rows_form(html: str) -> dict[str, Any]:
    """The rows form as the browser would send it, unchanged."""
    data: dict[str, Any] = {
        name: re.search(rf'name="{name}"[^>]*? value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
        for name in ("shown", "was", "first_row", "first_row_shown", "last_row",
                     "last_row_shown")}
    data["keep"] = re.findall(r'name="keep" value="(\d+)" id="keep-\d+" checked', html)
    return data


def test_the_rows_step_shows_every_kind_and_the_left_out_rows(web: Client,
                                                               tmp_path: Path) -> None:
    _upload(web, city_xlsx(tmp_path / "施設一覧.xlsx").read_bytes(), "施設一覧.xlsx")
    html = web.get("/import/columns").content.decode()
    assert not html_has_no_inline_code(html)
    assert _kind_counts(html) == {"title": 2, "header": 1, "data": 6, "subtotal": 3, "note": 1}
    assert _kept(html) == 6 and 'data-left-out="6"' in html
    # Runs of rows: the data between the subtotals, each left-out row with its reason.
    for first, kind in ((1, "title"), (4, "header"), (5, "data"), (8, "subtotal"), (9, "data"),
                        (12, "subtotal"), (14, "note")):
        assert f'id="run-{first}" data-kind="{kind}"' in html, (first, kind)
    assert "「合計」" in html and "「※ 面積は概数です。」" in html and "単位：㎡" in html
    assert 'id="keep-8"' in html and 'id="keep-8" checked' not in html
    assert 'id="keep-5" checked' in html
    # Ticking the total imports it; 「Undo my row changes」 forgets every choice.
    web.post("/import/columns", {**_rows_form(html), "keep": [*_rows_form(html)["keep"], "13"]})
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 7 and 'id="keep-13" checked' in html and 'id="rows-reset"' in html
    assert "You chose to import this row." in html
    # Every row of the sheet ticked, in a form that names far too many rows: all are imported.
    web.post("/import/columns", {"shown": ",".join(["1-1048576"] * 5000), "keep": "1-1048576"})
    assert _kept(web.get("/import/columns").content.decode()) == 12
    web.post("/import/columns", {"reset": "1"})
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 6 and 'id="rows-reset"' not in html and _state_rows(web) is None


def test_the_steps_are_labelled_in_japanese(web: Client) -> None:
    """Issue 14 point 9: the steps read 「表示する列」 (the grid's column chooser) and had no
    style; now each names what happens in it and the done ones say so."""
    web.cookies["django_language"] = "ja"
    _upload(web, city_csv())
    html = web.get("/import/columns").content.decode()
    steps = re.search(r'<ol class="wizard-steps".*?</ol>', html, re.S)
    assert steps
    text = re.sub(r"<[^>]+>|\s+", "", steps.group(0))
    assert text == "✓ファイルの選択（完了）2行と列の確認3結果の確認4取り込み", text
    assert re.search(r'<li class="current" aria-current="step">', steps.group(0))
    assert '<h2 id="columns-h">列</h2>' in html and "表示する列" not in html
    assert "web/css/import.css" in html


def test_a_long_run_of_rows_is_paged(web: Client, tmp_path: Path) -> None:
    rows = [["施設一覧"], ["番号", "施設名", "面積"],
            *[[f"K-{n:03d}", f"施設{n}", n * 10] for n in range(1, 121)], ["合計", None, 72600]]
    _upload(web, city_xlsx(tmp_path / "長い.xlsx", rows).read_bytes(), "長い.xlsx")
    html = web.get("/import/columns").content.decode()
    assert 'id="run-3" data-kind="data" data-first="3" data-last="122"' in html
    assert "rows 3–122 (120)" in html
    assert 'id="keep-52"' in html and 'id="keep-53"' not in html  # 50 rows a page
    assert 'href="?from=53#run-3"' in html and 'id="keep-123"' in html  # the total is shown
    html = web.get("/import/columns", {"from": "53"}).content.decode()
    assert 'id="keep-53" checked' in html and 'id="keep-102"' in html
    assert 'id="keep-52"' not in html and 'id="keep-103"' not in html
    assert 'href="?from=3#run-3"' in html and 'href="?from=103#run-3"' in html
    assert 'name="from" value="53"' in html
    # Unticking a row on the second page leaves out that row only; the page stays.
    form = _rows_form(html)
    form["keep"] = [n for n in form["keep"] if n != "60"]
    resp = web.post("/import/columns", {**form, "from": "53"})
    assert resp["Location"] == "/import/columns?from=53#import-outline"
    assert _kept(web.get("/import/columns").content.decode()) == 119
    assert _state_rows(web)["exclude"] == [60]


def test_leaving_out_a_row_checks_the_column_types_again(web: Client, tmp_path: Path) -> None:
    rows = [["番号", "施設名", "面積"], ["K-001", "市民会館", 1200], ["K-002", "図書館", "調査中"],
            ["K-003", "体育館", 1500]]
    _upload(web, city_xlsx(tmp_path / "面積.xlsx", rows).read_bytes(), "面積.xlsx")
    html = web.get("/import/columns").content.decode()
    assert re.search(r'id="type-2" name="type-2">.*?<option value="text" selected>', html, re.S)
    form = _rows_form(html)
    form["keep"] = [n for n in form["keep"] if n != "3"]
    web.post("/import/columns", form)
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 2
    assert re.search(r'id="type-2" name="type-2">(?:(?!</select>).)*<option value="number" selected>', html,
                     re.S), html


def test_rows_left_out_and_a_moved_last_row_are_what_is_imported(web: Client, api: ApiClient,
                                                                  tmp_path: Path) -> None:
    _upload(web, city_xlsx(tmp_path / "施設一覧.xlsx").read_bytes(), "施設一覧.xlsx")
    html = web.get("/import/columns").content.decode()
    form = _rows_form(html)
    form["keep"] = [n for n in form["keep"] if n != "6"]  # untick 図書館
    resp = web.post("/import/columns", form)
    assert resp.status_code == 302 and resp["Location"].endswith("#import-outline")
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 5 and 'id="keep-6" checked' not in html
    assert _state_rows(web)["exclude"] == [6]
    # The last data row moved up to 10: 美術館 (row 11) is left out too.
    form = {**_rows_form(html), "last_row": "10"}
    web.post("/import/columns", form)
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 4 and 'value="10"' in html
    assert "Outside the first and last data rows you set." in html
    # A last row before the first is refused with a message, and nothing changes.
    web.post("/import/columns", {**_rows_form(html), "first_row": "9", "last_row": "5"})
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 4 and "comes before the first data row" in html
    # Hostile input: rubbish row lists are ignored.
    web.post("/import/columns", {**_rows_form(html), "shown": "x,-3,9-2,99999999999",
                                 "keep": ["a", "0"]})
    html = web.get("/import/columns").content.decode()
    assert _kept(html) == 4 and _state_rows(web)["exclude"] == [6]
    resp = _choose(web, ledger_name="施設一覧2026", **{"type-1": "text", "type-2": "text",
                                                   "type-3": "number", "skip-4": ""})
    html = resp.content.decode()
    assert re.search(r'data-count="created">4<', html), html
    web.post("/import/run", {})
    (made,) = [x for x in api.get("/api/v1/ledgers").body["items"] if x["name"] == "施設一覧2026"]
    records = api.get(f"/api/v1/ledgers/{made['id']}/records").body["items"]
    assert sorted(r["values"]["field_1"] for r in records) == ["K-001", "K-003", "K-004", "K-005"]


def test_browser_rows_step_and_a_reimport_by_upsert(open_page: Any, server: Server,
                                                    tmp_path: Path) -> None:
    """The whole file's rows at 1366×768, a row left out and the last row moved, then the same
    file again: the duplicates are counted and an upsert adds none."""
    name = unique("施設一覧")
    path = city_xlsx(tmp_path / "施設一覧.xlsx")
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    page.goto(server.base + "/import/")
    page.locator("#import-file").set_input_files(str(path))
    shot(page, "import-1-file")
    page.click("#upload-next")
    page.wait_for_selector("#import-outline")
    assert page.locator(".wizard-steps [aria-current='step']").inner_text().strip().endswith(
        "行と列の確認")
    kinds = page.locator("#row-kinds")
    assert kinds.locator("[data-kind='data'] .kind-count").inner_text() == "6"
    assert kinds.locator("[data-kind='subtotal'] .kind-count").inner_text() == "3"
    assert kinds.locator("[data-kind='note'] .kind-count").inner_text() == "1"
    assert page.locator("#run-13").get_attribute("open") is not None  # left out: unfolded
    assert "合計" in page.locator("#run-13").inner_text()
    # Nothing of the page is cut off: no sideways scrolling of the page itself.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-2-rows")
    page.locator("#run-5 > summary").click()  # the first data run
    page.uncheck("#keep-6")
    assert page.locator("#rows-dirty").is_visible()
    page.fill("#last-row", "10")
    page.click("#rows-apply")
    page.wait_for_selector("#outline-summary[data-kept='4']")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-2-rows-chosen")
    page.fill("#import-ledger-name", name)
    page.click("#columns-next")
    page.wait_for_selector("#import-counts")
    assert page.locator('[data-count="created"]').inner_text() == "4"
    shot(page, "import-3-check")
    page.click("#run-import")
    page.wait_for_selector("#open-ledger")
    shot(page, "import-4-done")
    page.click("#open-ledger")
    page.wait_for_selector("#grid")
    body = page.locator("#grid tbody").inner_text()
    assert "図書館" not in body and "美術館" not in body and "合計" not in body
    assert "市民会館" in body and "プール" in body
    # The same file into that ledger again: 4 rows match by 番号; upsert adds none.
    page.click("#import-into-ledger")
    page.locator("#import-file").set_input_files(str(path))
    page.click("#upload-next")
    page.wait_for_selector("#import-outline")
    page.click("#columns-next")
    page.wait_for_selector("#import-duplicates")
    assert page.locator("#duplicate-count").get_attribute("data-rows") == "4"
    assert page.locator('[data-count="created"]').inner_text() == "6"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-3-duplicates")
    page.click("#use-upsert")
    page.wait_for_selector("#import-mode")
    assert page.locator('[data-count="created"]').inner_text() == "2"
    assert page.locator('[data-count="unchanged"]').inner_text() == "4"
    page.click("#run-import")
    page.wait_for_selector("#open-ledger")
    ledger_id = int(page.locator("#open-ledger").get_attribute("href").strip("/").split("/")[-1])
    status, listed = server.call("GET", f"/api/v1/ledgers/{ledger_id}/records?limit=100")
    assert status == 200
    numbers = sorted(r["values"]["field_1"] for r in listed["items"])
    assert numbers == ["K-001", "K-002", "K-003", "K-004", "K-005", "K-006"]


def test_browser_a_wide_file_does_not_widen_the_page(open_page: Any, server: Server,
                                                     tmp_path: Path) -> None:
    header = [f"項目{n:02d}の長い見出し" for n in range(1, 31)]
    rows = [["広い一覧"], header,
            *[[f"値{r}-{c}の長い内容です" for c in range(30)] for r in range(1, 6)],
            ["※ 注記がとても長い行です。" * 8]]
    path = city_xlsx(tmp_path / "広い.xlsx", rows)
    page = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    page.goto(server.base + "/import/")
    page.locator("#import-file").set_input_files(str(path))
    page.click("#upload-next")
    page.wait_for_selector("#import-outline")
    page.locator("#run-3 > summary").click()
    assert page.locator("#keep-7").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-2-rows-wide")
    # The run's own box unticks all its rows; applied, nothing is left to import.
    page.locator("#run-3 .run-toggle").uncheck()
    assert not page.locator("#keep-5").is_checked()
    page.check("#keep-5")
    assert page.locator("#run-3 .run-toggle").evaluate("box => box.indeterminate")
    page.click("#rows-apply")
    page.wait_for_selector("#outline-summary[data-kept='1']")
