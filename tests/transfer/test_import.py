"""`daicho import` and POST /api/v1/imports end to end (contract §3.1, §4.3)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from tests.conftest import DATA, ApiClient, make_ledger

YAIZU = DATA / "yaizu"


def _fields(api: ApiClient, ledger_id: int) -> dict[str, str]:
    return {f["name"]: f["type"] for f in api.get(f"/api/v1/ledgers/{ledger_id}").body["fields"]}


def _records(api: ApiClient, ledger_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        body = api.get(f"/api/v1/ledgers/{ledger_id}/records", params).body
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


@pytest.mark.parametrize("name", ["aed.csv", "park_info.csv", "hinanjo.csv", "fire_hydrant.csv",
                                  "traffic_accident_2019.csv"])
def test_real_open_data_files(cli: Any, api: ApiClient, name: str) -> None:
    path = YAIZU / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    result = cli("import", str(path), "--json")
    assert result.code == 0, result.out + result.err
    report = result.json
    assert report["ok"] is True and report["created"] == len(rows) - 1
    assert report["header_row"] == 1
    fields = _fields(api, report["ledger"]["id"])
    assert list(fields) == [h.strip() for h in rows[0]]
    # every column whose values all parse as numbers, dates or yes/no got that type
    for k, header in enumerate(rows[0]):
        values = [r[k].strip() for r in rows[1:] if r[k].strip()]
        if values and all(v.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
                          and not (len(v) > 1 and v.startswith("0") and "." not in v)
                          for v in values):
            assert fields[header.strip()] == "number", header


def test_park_area_numbers_with_separators(cli: Any, api: ApiClient) -> None:
    report = cli("import", str(YAIZU / "park_info.csv"), "--json").json
    records = _records(api, report["ledger"]["id"])
    area_code = next(f["code"] for f in report["fields"] if f["name"] == "面積（㎡）")
    first = min(records, key=lambda r: r["id"])
    assert first["values"][area_code] == 32500


def _city_workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("公有財産")
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy/m/d"})
    sheet.write(0, 0, "令和6年度 公有財産台帳", bold)
    sheet.write(1, 0, "財政課作成")
    sheet.merge_range(3, 2, 3, 3, "建築", bold)
    for c, name in enumerate(["管理番号", "名称"]):
        sheet.merge_range(3, c, 4, c, name, bold)
    sheet.write(4, 2, "年月日")
    sheet.write(4, 3, "構造")
    sheet.merge_range(3, 4, 4, 4, "取得価格", bold)
    sheet.merge_range(3, 5, 4, 5, "現存", bold)
    rows = [
        ("0012", "市役所本庁舎", "S45.4.1", "RC造", "￥1,200,000", "○"),
        ("0013", "中央公民館", "平成31年4月30日", "S造", "△5,000", "×"),
        ("0014", "北倉庫", dt.date(2019, 5, 1), "木造", "３００", "○"),
    ]
    for r, row in enumerate(rows, start=5):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write_string(r, c, value)
    sheet.write(8, 1, "合計")
    sheet.write(8, 4, 1195300)
    sheet.write(9, 0, "※ 取得価格は税込")
    book.add_worksheet("メモ").write(0, 0, "memo")
    book.close()


def test_city_workbook_with_title_rows_and_two_row_header(cli: Any, api: ApiClient,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "財産.xlsx"
    _city_workbook(path)
    report = cli("import", str(path), "--json").json
    assert report["ok"] is True, report
    assert report["sheet"] == "公有財産"
    assert [(s["name"], s["read"]) for s in report["sheets"]] == [("公有財産", True), ("メモ", False)]
    assert report["header_row"] == 4 and report["created"] == 3
    fields = _fields(api, report["ledger"]["id"])
    names = list(fields)
    assert names[0] == "管理番号" and names[1] == "名称"
    assert "建築" in names[2] and "年月日" in names[2] and "構造" in names[3]
    assert fields["管理番号"] == "text"  # leading zeros stay text
    assert fields[names[2]] == "date" and fields["取得価格"] == "number"
    assert fields["現存"] == "choice"  # ○/× as the file writes them (issue 13)
    records = sorted(_records(api, report["ledger"]["id"]), key=lambda r: r["id"])
    by_name = {f["name"]: f["code"] for f in report["fields"]}
    values = [{n: r["values"][c] for n, c in by_name.items()} for r in records]
    assert [v["管理番号"] for v in values] == ["0012", "0013", "0014"]
    assert [v[names[2]] for v in values] == ["1970-04-01", "2019-04-30", "2019-05-01"]
    assert [v["取得価格"] for v in values] == [1200000, -5000, 300]
    assert [v["現存"] for v in values] == ["○", "×", "○"]
    messages = " ".join(w["message"] for w in report["warnings"])
    assert "合計" in messages


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_append_upsert_and_dry_run(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    led = make_ledger(api, "備品", [
        {"name": "管理番号", "type": "text", "code": "no", "unique": True},
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty"},
    ])
    first = _csv(tmp_path / "a.csv", [["管理 番号", "「品名」", "ＸＹＺ"], ["A1", "机", "x"],
                                      ["A2", "椅子", "y"]], encoding="cp932")
    result = cli("import", str(first), "--ledger", "備品", "--json")
    assert result.code == 0, result.out
    report = result.json
    assert report["created"] == 2 and report["encoding"] == "cp932"
    assert any("ＸＹＺ" in w["message"] for w in report["warnings"])
    second = _csv(tmp_path / "b.csv", [["管理番号", "品名", "数量"], ["A1", "机", "3"],
                                       ["A2", "椅子", ""], ["A3", "棚", "1"]])
    dry = cli("import", str(second), "--ledger", str(led["id"]), "--key", "no", "--dry-run",
              "--json").json
    assert (dry["dry_run"], dry["created"], dry["updated"], dry["unchanged"]) == (True, 1, 1, 1)
    assert len(_records(api, led["id"])) == 2
    real = cli("import", str(second), "--ledger", str(led["id"]), "--mode", "upsert", "--key",
               "no", "--json").json
    assert (real["created"], real["updated"], real["unchanged"]) == (1, 1, 1)
    values = {r["values"]["no"]: r["values"] for r in _records(api, led["id"])}
    assert values["A1"]["qty"] == 3 and values["A3"]["item"] == "棚"
    hist = api.get(f"/api/v1/ledgers/{led['id']}/records/"
                   f"{next(r['id'] for r in _records(api, led['id']) if r['values']['no'] == 'A1')}"
                   "/history").body["items"]
    assert [h["action"] for h in hist] == ["import", "import"]
    again = cli("import", str(second), "--ledger", str(led["id"]), "--mode", "append", "--json")
    assert again.code == 1  # the unique 管理番号 refuses duplicates: nothing imported
    assert len(_records(api, led["id"])) == 3


def test_bad_rows_fail_the_whole_import_unless_skipped(cli: Any, api: ApiClient,
                                                       tmp_path: Path) -> None:
    led = make_ledger(api, "数値", [{"name": "名前", "type": "text", "code": "n"},
                                    {"name": "金額", "type": "number", "code": "v"}])
    path = _csv(tmp_path / "c.csv", [["名前", "金額"], ["a", "1"], ["b", "不明"], ["c", "3"]])
    bad = cli("import", str(path), "--ledger", "数値", "--json")
    assert bad.code == 1
    report = bad.json
    assert report["ok"] is False and report["created"] == 0
    assert report["errors"] == [{"row": 3, "field": "金額", "value": "不明",
                                 "message": report["errors"][0]["message"]}]
    assert _records(api, led["id"]) == []
    skipped = cli("import", str(path), "--ledger", "数値", "--skip-bad-rows", "--json").json
    assert skipped["ok"] is True and skipped["created"] == 2


def test_rollback_of_a_whole_import(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    led = make_ledger(api, "巻き戻し", [{"name": "番号", "type": "text", "code": "no"},
                                        {"name": "値", "type": "text", "code": "v"}])
    rid = api.post(f"/api/v1/ledgers/{led['id']}/records",
                   {"values": {"no": "1", "v": "old"}}).body["id"]
    path = _csv(tmp_path / "d.csv", [["番号", "値"], ["1", "new"], ["2", "added"]])
    report = cli("import", str(path), "--ledger", "巻き戻し", "--key", "no", "--json").json
    assert (report["created"], report["updated"]) == (1, 1)
    added = next(r for r in _records(api, led["id"]) if r["values"]["no"] == "2")
    api.patch(f"/api/v1/ledgers/{led['id']}/records/{added['id']}",
              {"revision": 1, "values": {"v": "edited"}})
    url = f"/api/v1/imports/{report['batch_id']}/rollback"
    asked = api.post(url, {})
    assert asked.status == 409 and asked.body["error"]["details"]["records"] == [added["id"]]
    done = api.post(url, {"confirm": True})
    assert done.status == 200 and done.body == {"trashed": 1, "reverted": 1, "edited_since": 1}
    remaining = _records(api, led["id"])
    assert [r["id"] for r in remaining] == [rid] and remaining[0]["values"]["v"] == "old"
    assert api.post(url, {"confirm": True}).status == 409


@pytest.mark.parametrize(("name", "content", "code"), [
    ("fake.xlsx", b"%PDF-1.4 not a workbook", None),
    ("empty.csv", b"", "empty_file"),
    ("only-header.csv", "名前,金額\r\n".encode(), None),
    ("broken.csv", b"a,b\r\n\x82\xa0\xff\xfe\x80,1\r\n", None),
])
def test_bad_files_are_refused_and_write_nothing(api: ApiClient, name: str, content: bytes,
                                                 code: str | None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = api.get("/api/v1/ledgers").body["items"]
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile(name, content)})
    if name == "only-header.csv":
        assert resp.status == 200 and resp.body["created"] == 0  # fields, no records
        return
    assert resp.status in (400, 413), resp.body
    assert resp.body["ok"] is False and resp.body["error"]["code"]
    if code:
        assert resp.body["error"]["code"] == code
    assert api.get("/api/v1/ledgers").body["items"] == before


def test_api_import_and_background_job(api: ApiClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from daicho import jobs

    data = "名前,金額\r\n本庁舎,100\r\n支所,200\r\n".encode("cp932")
    sync = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", data),
                                          "name": "建物一覧"})
    assert sync.status == 200 and sync.body["ledger"]["name"] == "建物一覧"
    assert sync.body["created"] == 2 and sync.body["encoding"] == "cp932"
    queued = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("建物.csv", data),
                                            "name": "建物一覧2", "background": "true"})
    assert queued.status == 202
    job_id = queued.body["job"]["id"]
    assert api.get(f"/api/v1/jobs/{job_id}").body["status"] == "queued"
    # The background import, and the search_index job of each ledger made from the file.
    assert jobs.run_pending() == 3
    job = api.get(f"/api/v1/jobs/{job_id}").body
    assert job["status"] == "done" and job["progress"] == 100
    assert job["result"]["created"] == 2


def test_wizard_choices_rename_retype_and_skip(api: ApiClient) -> None:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "番号,名称,メモ\r\n001,庁舎,a\r\n002,倉庫,b\r\n".encode()
    columns = [{"source_index": 0, "name": "管理番号", "type": "text"},
               {"source_index": 2, "skip": True}]
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("x.csv", data),
                                          "columns": json.dumps(columns)})
    assert resp.status == 200, resp.body
    assert [f["name"] for f in resp.body["fields"]] == ["管理番号", "名称"]


ROUND_TRIP_FIELDS = [
    {"name": "文字", "type": "text", "code": "t"},
    {"name": "複数行", "type": "textarea", "code": "ta"},
    {"name": "数値", "type": "number", "code": "n", "options": {"decimals": 2, "unit": "円"}},
    {"name": "日付", "type": "date", "code": "d"},
    {"name": "日時", "type": "datetime", "code": "dt"},
    {"name": "有無", "type": "yesno", "code": "yn"},
    {"name": "区分", "type": "choice", "code": "c", "options": {"choices": ["甲", "乙"]}},
    {"name": "用途", "type": "multichoice", "code": "mc",
     "options": {"choices": ["会議", "防災", "その他"]}},
    {"name": "メール", "type": "email", "code": "e"},
    {"name": "URL", "type": "url", "code": "u"},
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_gives_back_values_and_types(cli: Any, api: ApiClient, fmt: str,
                                                        tmp_path: Path) -> None:
    led = make_ledger(api, "往復", ROUND_TRIP_FIELDS)
    samples = [
        {"t": "=SUM(A1)", "ta": "一行目\n二行目", "n": -1234.5, "d": "1989-01-07",
         "dt": "2024-04-01T09:30:00+09:00", "yn": True, "c": "甲", "mc": ["会議", "防災"],
         "e": "joho@city.example.jp", "u": "https://www.city.example.jp/"},
        {"t": "0012", "ta": "x", "n": 0.5, "d": "2019-05-01", "dt": "2019-04-30T23:59:00+09:00",
         "yn": False, "c": "乙", "mc": ["その他"], "e": "a@b.example.jp",
         "u": "http://example.jp/a?b=c"},
        {"t": "㈱髙橋①", "ta": "〜", "n": 3, "d": "2024-02-29", "dt": None, "yn": None, "c": None,
         "mc": None, "e": None, "u": None},
    ]
    for values in samples:
        assert api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": values}).status == 201
    out = tmp_path / f"往復.{fmt}"
    assert cli("export", "往復", "--format", fmt, "-o", str(out)).code == 0
    back = cli("import", str(out), "--name", f"往復-{fmt}", "--json")
    assert back.code == 0, back.out
    types = {f["name"]: f["type"] for f in back.json["fields"]}
    want = {f["name"]: f["type"] for f in ROUND_TRIP_FIELDS}
    for name in ["文字", "数値", "日付", "日時", "有無", "メール", "URL"]:
        assert types[name] == want[name], name
    codes = {f["name"]: f["code"] for f in back.json["fields"]}
    got = sorted(_records(api, back.json["ledger"]["id"]), key=lambda r: r["id"])
    for original, record in zip(samples, got, strict=True):
        for spec in ROUND_TRIP_FIELDS:
            value = record["values"][codes[spec["name"]]]
            expected = original[spec["code"]]
            if spec["type"] == "multichoice" and isinstance(value, str):
                value = value.split("\n")
            if spec["type"] == "choice" and expected is not None:
                assert value == expected
                continue
            assert value == expected, (spec["name"], value, expected)


@pytest.mark.parametrize("rows_per_insert", [500, 2])
def test_imported_records_match_records_made_one_by_one(cli: Any, api: ApiClient,
                                                        tmp_path: Path, rows_per_insert: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports build search keys, grams and history column by column; the result must be what
    creating the same records through the API gives, and stay searchable after edits. With
    two rows to an INSERT, the three rows go in as one two-row statement and one row."""
    from django.db import connection

    from daicho.services import record_insert as record_svc

    monkeypatch.setattr(record_svc, "ROWS_PER_INSERT", rows_per_insert)

    from daicho import jobs
    from daicho.db import dialect
    from daicho.db.schema import fts_table
    from daicho.models import Ledger

    rows = [["名称", "区分", "金額", "取得日", "備考"],
            ["ああああ公園", "土地", "1,200", "令和6年4月1日", "abab ｱｲｱｲ"],
            ["ココア会館", "建物", "", "R5.12.28", ""],
            ["市民プール", "土地", "300", "", "改修済み。\n次回は4月〜6月"]]
    report = cli("import", str(_csv(tmp_path / "d.csv", rows)), "--name", "照合",
                 "--json").json
    assert report["ok"] is True and report["created"] == 3, report
    lid = report["ledger"]["id"]
    codes = {f["name"]: f["code"] for f in report["fields"]}
    imported = sorted(_records(api, lid), key=lambda r: r["id"])
    for record in imported:  # the same values once more, one record at a time
        api.post(f"/api/v1/ledgers/{lid}/records", {"values": {
            code: value for code, value in record["values"].items() if value is not None}})
    table = Ledger.objects.get(id=lid).table_name
    with connection.cursor() as cur:
        cur.execute(f'SELECT id, search_key FROM "{table}" ORDER BY id')
        keys = [key for _id, key in cur.fetchall()]
    assert keys[:3] == keys[3:] and "あいあい" in keys[0]
    history = api.get(f"/api/v1/ledgers/{lid}/records/{imported[1]['id']}/history").body["items"]
    assert [(h["revision"], h["action"]) for h in history] == [(1, "import")]
    assert history[0]["changes"] == {codes["名称"]: {"old": None, "new": "ココア会館"},
                                     codes["区分"]: {"old": None, "new": "建物"},
                                     codes["取得日"]: {"old": None, "new": "2023-12-28"}}

    def found(q: str) -> list[int]:
        return sorted(r["id"] for r in api.get(f"/api/v1/ledgers/{lid}/records",
                                                {"q": q}).body["items"])

    first, second, third = (r["id"] for r in imported)
    # Until its search_index job has run, the new ledger has no gram index (SQLite) and search
    # reads the keys; records added meanwhile are indexed by the job with the imported ones.
    queries = ["ああ", "あいあ", "bab", "土地", "ココア", "ｺｺｱ", "次回 4月"]
    before = [found(query) for query in queries]
    assert jobs.run_pending() == 1
    assert [found(query) for query in queries] == before
    assert before[-2] == [second, second + 3] and before[-1] == [third, third + 3]
    assert found("ああ") == [first, first + 3] and found("あいあ") == [first, first + 3]
    assert found("bab") == [first, first + 3] and found("土地") == [first, third, first + 3,
                                                                   third + 3]
    # An edit takes the record's old grams out of the index (one of each) and adds the new ones.
    api.patch(f"/api/v1/ledgers/{lid}/records/{first}",
              {"revision": 1, "values": {codes["名称"]: "新港公園", codes["備考"]: None}})
    assert found("ああ") == [first + 3] and found("新港") == [first]
    api.delete(f"/api/v1/ledgers/{lid}/records/{second}")
    assert found("ココア") == [second + 3]
    if dialect.is_sqlite():
        with connection.cursor() as cur:
            fts = fts_table(Ledger.objects.get(id=lid))
            cur.execute(f"INSERT INTO \"{fts}\" (\"{fts}\") VALUES ('integrity-check')")


def test_errors_are_listed_in_row_order_with_the_first_cell_first(cli: Any, api: ApiClient,
                                                                  tmp_path: Path) -> None:
    led = make_ledger(api, "検査", [
        {"name": "番号", "type": "text", "code": "no", "unique": True},
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "金額", "type": "number", "code": "v"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["甲", "乙"]}},
    ])
    api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": {"no": "A0", "name": "既存"}})
    rows = [["番号", "名称", "金額", "区分"],
            ["A1", "正しい行", "1", "甲"],
            ["A2", "", "不明", "丙"],  # row 3: three problems, in column order
            ["A0", "既にある番号", "2", "乙"],  # row 4: the number is taken
            ["A1", "重複", "3", "甲"],  # row 5: the same number as row 2
            ["A6", "正しい行", "4", "乙"]]
    report = cli("import", str(_csv(tmp_path / "e.csv", rows)), "--ledger", "検査",
                 "--json").json
    # 「丙」 is not an error: the importer manages the ledger, so it becomes a new choice
    # (issue 13), and the refused import leaves the field as it was.
    assert report["ok"] is False and report["error_count"] == 4
    assert [(e["row"], e["field"], e["value"]) for e in report["errors"]] == [
        (3, "金額", "不明"), (3, "名称", ""), (4, "番号", "A0"), (5, "番号", "A1")]
    skipped = cli("import", str(_csv(tmp_path / "e.csv", rows)), "--ledger", "検査",
                  "--skip-bad-rows", "--json").json
    assert skipped["ok"] is True and skipped["created"] == 2 and skipped["skipped_rows"] == 3
    numbers = sorted(r["values"]["no"] for r in _records(api, led["id"]))
    assert numbers == ["A0", "A1", "A6"]


def test_insert_grams_give_the_tokens_of_grams() -> None:
    """Imports index new records with search.insert_grams; it must give exactly the tokens
    that grams() gives (which deletes use later), whatever the blanks and characters."""
    import random

    from daicho.db.search import grams, insert_grams

    rnd = random.Random(7)
    alphabet = "aあ𠮷ア1 \n\t\u3000-"
    keys = ["", " ", "a", "ab", "a b", "ab c", "a bc", "a b c", "x" * 1500 + " yz"]
    keys += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
             for _ in range(3000)]
    for key in keys:
        assert set(insert_grams(key).split()) == set(grams(key).split()), repr(key)


def test_a_ledger_made_from_a_file_is_indexed_by_a_job_and_keeps_its_history(
        cli: Any, api: ApiClient, tmp_path: Path) -> None:
    """A new ledger's gram index and field indexes are built by the search_index job after the
    import; until then search and sorted pages give the same answers, writes are kept, and the
    integrity check does not count the missing index as damage. An imported record's history
    shows the values it was imported with, also after later edits."""
    from django.db import connection

    from daicho import jobs
    from daicho.db import dialect, schema
    from daicho.maintenance.integrity import check
    from daicho.models import Field, Ledger

    rows = [["名称", "区分", "金額"]] + [[f"施設{n}号", "土地" if n % 2 else "建物", str(n * 100)]
                                         for n in range(1, 41)]
    report = cli("import", str(_csv(tmp_path / "施設.csv", rows)), "--json").json
    assert report["ok"] is True and report["created"] == 40
    lid = report["ledger"]["id"]
    codes = {f["name"]: f["code"] for f in report["fields"]}
    ledger = Ledger.objects.get(id=lid)
    fts = schema.fts_table(ledger)

    def state() -> tuple[list[list[int]], list[int]]:
        found = [[r["id"] for r in api.get(f"/api/v1/ledgers/{lid}/records",
                                           {"q": q, "limit": 500}).body["items"]]
                 for q in ("施設1", "土", "ちくち")]
        ordered = [r["id"] for r in api.get(f"/api/v1/ledgers/{lid}/records",
                                            {"sort": f"-{codes['金額']}", "limit": 500,
                                             "filter": f"{codes['区分']}:eq:建物"}).body["items"]]
        return found, ordered

    amount = schema.index_name(ledger, Field.objects.get(ledger=ledger, code=codes["金額"]).column)
    updated = f"{ledger.table_name}_updated"
    assert not {amount, updated} & set(schema.table_indexes(str(ledger.table_name)))
    assert [p for p in check() if p.get("ledger") == lid] == []
    first = _records(api, lid)[0]
    edited = api.patch(f"/api/v1/ledgers/{lid}/records/{first['id']}",
                       {"revision": 1, "values": {codes["名称"]: "ちくち会館"}})
    assert edited.status == 200
    before = state()
    assert before[0][2] == [first["id"]] and len(before[0][1]) == 20 and len(before[1]) == 20
    if dialect.is_sqlite():
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [fts])
            assert cur.fetchone() is None  # no gram index yet: search read the keys

    assert jobs.run_pending() == 1
    assert state() == before
    assert {amount, updated} <= set(schema.table_indexes(str(ledger.table_name)))
    assert [p for p in check() if p.get("ledger") == lid] == []
    if dialect.is_sqlite():
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO \"{fts}\" (\"{fts}\") VALUES ('integrity-check')")

    history = api.get(f"/api/v1/ledgers/{lid}/records/{first['id']}/history").body["items"]
    assert [(h["revision"], h["action"]) for h in history] == [(2, "update"), (1, "import")]
    assert history[1]["changes"] == {codes["名称"]: {"old": None, "new": "施設1号"},
                                     codes["区分"]: {"old": None, "new": "土地"},
                                     codes["金額"]: {"old": None, "new": 100}}
    reverted = api.post(f"/api/v1/ledgers/{lid}/records/{first['id']}/revert",
                        {"to_revision": 1}).body
    assert reverted["values"] == first["values"] and reverted["revision"] == 3


def test_a_file_with_nothing_searchable_imports(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    """Yes/no values have no search text: every record's search key is empty."""
    rows = [["有効"], ["はい"], ["いいえ"], ["はい"]]  # the yes/no field's own words
    report = cli("import", str(_csv(tmp_path / "有効.csv", rows)), "--json").json
    assert report["ok"] is True and report["created"] == 3, report
    assert [f["type"] for f in report["fields"]] == ["yesno"]
    values = [r["values"] for r in _records(api, report["ledger"]["id"])]
    assert [list(v.values()) for v in values] == [[True], [False], [True]]


def test_a_background_import_reports_in_the_requesters_language(api: ApiClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    from daicho import jobs

    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    queued = api.upload("/api/v1/imports", {
        "file": SimpleUploadedFile("台帳.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        "background": "true"})
    assert queued.status == 202
    with translation.override("ja"):  # the worker's own language is the server's default
        jobs.run_pending()
    job = api.get(f"/api/v1/jobs/{queued.body['job']['id']}").body
    assert job["status"] == "failed" and job["result"]["ok"] is False, job
    assert job["result"]["error"] == {
        "code": "wrong_file_type",
        "message": "This is a PDF file. Choose an Excel, CSV or Access file."}


def test_a_thousand_rows_go_in_by_multi_row_inserts(cli: Any, api: ApiClient,
                                                    tmp_path: Path) -> None:
    """1,234 rows: two INSERTs of 500 rows and the 234 left one by one (SQLite); every record
    with its values, one history entry each, and the next record's id after the last."""
    from daicho.models import History

    rows = [["番号", "名称", "金額"]] + [[f"{i:05d}", f"施設{i}", str(i * 10)] for i in range(1234)]
    report = cli("import", str(_csv(tmp_path / "many.csv", rows)), "--json").json
    assert report["ok"] is True and report["created"] == 1234, report
    lid = report["ledger"]["id"]
    codes = {f["name"]: f["code"] for f in report["fields"]}
    records = sorted(_records(api, lid), key=lambda r: r["id"])
    ids = [r["id"] for r in records]
    assert ids == list(range(ids[0], ids[0] + 1234))
    assert [(r["values"][codes["番号"]], r["values"][codes["名称"]], r["values"][codes["金額"]])
            for r in records] == [(f"{i:05d}", f"施設{i}", i * 10) for i in range(1234)]
    assert History.objects.filter(ledger_id=lid, action="import").count() == 1234
    made = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {codes["名称"]: "追加"}})
    assert made.status == 201 and made.body["id"] == ids[-1] + 1


def test_the_history_thread_hands_its_error_to_the_import() -> None:
    """import_columns writes a chunk's history on a thread (record_insert._Aside) while it makes the
    next chunk: what the thread raises is raised in the import, which then rolls back."""
    from daicho.services.record_insert import _Aside

    def fail(message: str) -> None:
        raise RuntimeError(message)

    aside = _Aside()
    aside.start(fail, "history failed")
    with pytest.raises(RuntimeError, match="history failed"):
        aside.wait()
    aside.wait()  # raised once
    done: list[int] = []
    aside.start(done.append, 1)
    aside.start(done.append, 2)  # waits for the first
    aside.wait()
    assert done == [1, 2]


def test_a_unique_value_the_database_refuses_mid_import(
        cli: Any, api: ApiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a taken unique value get past the import's own check (a race), the database
    refuses the INSERT: the import answers as any write does (unique), from whichever chunk
    it was in, and nothing of it stays."""
    from daicho.services import import_run, record_insert

    monkeypatch.setattr(record_insert, "IMPORT_CHUNK", 2)
    monkeypatch.setattr(import_run, "unique_checks", lambda *args: None)
    led = make_ledger(api, "一意", [{"name": "番号", "type": "text", "code": "no",
                                    "unique": True}])
    rows = [["番号"], ["A1"], ["A2"], ["A3"], ["A4"], ["A1"]]  # the taken one in the third chunk
    result = cli("import", str(_csv(tmp_path / "dup.csv", rows)), "--ledger", str(led["id"]),
                 "--json")
    assert result.code == 1 and result.json["error"]["code"] == "unique", result.out
    assert _records(api, led["id"]) == []


def test_a_type_may_read_the_database_while_the_history_thread_writes(
        cli: Any, api: ApiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The history thread has a cursor of its own on the import's connection, so a field type
    may query the database while it makes its column forms (FieldType.column_forms): with a
    chunk of two rows, each chunk's forms are made while the previous chunk's history is
    written; every record has its values and its one 'import' entry."""
    from django.db import connection

    from daicho.fields.base import FieldType
    from daicho.models import History
    from daicho.services import record_insert

    monkeypatch.setattr(record_insert, "IMPORT_CHUNK", 2)
    made = FieldType.column_forms
    read: list[int] = []

    def reading(self: FieldType, field: Any, values: list[Any], ctx: Any) -> Any:
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM daicho_history")
            read.append(int(cur.fetchone()[0]))
        return made(self, field, values, ctx)

    monkeypatch.setattr(FieldType, "column_forms", reading)
    rows = [["番号", "名称"]] + [[f"{i:03d}", f"施設{i}"] for i in range(9)]
    report = cli("import", str(_csv(tmp_path / "nine.csv", rows)), "--json").json
    assert report["ok"] is True and report["created"] == 9, report
    lid = report["ledger"]["id"]
    codes = {f["name"]: f["code"] for f in report["fields"]}
    records = sorted(_records(api, lid), key=lambda r: r["id"])
    assert [(r["values"][codes["番号"]], r["values"][codes["名称"]]) for r in records] == [
        (f"{i:03d}", f"施設{i}") for i in range(9)]
    assert History.objects.filter(ledger_id=lid, action="import", revision=1).count() == 9
    assert len(read) >= 5  # every chunk's forms read the database


def test_import_rows_puts_new_records_in_as_every_import_does(
        cli: Any, api: ApiClient, admin: Any, tmp_path: Path) -> None:
    """import_rows (the loader of bench/load.py) inserts its new records through
    import_columns: the records and their ids, one empty 'import' entry each that the history
    shows as the values from nothing, and a record that holds no value is made too."""
    from daicho.fields.context import ValueContext
    from daicho.models import History
    from daicho.selectors.ledgers import load_schema
    from daicho.services import records as record_svc

    report = cli("import", str(_csv(tmp_path / "one.csv", [["番号", "名称"], ["001", "本庁舎"]])),
                 "--json").json
    lid = report["ledger"]["id"]
    codes = {f["name"]: f["code"] for f in report["fields"]}
    schema = load_schema(lid)
    assert schema is not None
    ctx = ValueContext()
    items = [record_svc.clean_values(schema, values, ctx, creating=True)[0] for values in (
        {codes["番号"]: "002", codes["名称"]: "分庁舎"}, {codes["名称"]: "倉庫"}, {})]
    batch_id, ids = record_svc.import_rows(user=admin, schema=schema, items=items)
    assert len(ids) == 3
    by_id = {r["id"]: r["values"] for r in _records(api, lid)}
    assert [(by_id[i].get(codes["番号"]), by_id[i].get(codes["名称"])) for i in ids] == [
        ("002", "分庁舎"), (None, "倉庫"), (None, None)]
    assert list(History.objects.filter(batch_id=batch_id).order_by("record_id").values_list(
        "record_id", "revision", "action", "changes")) == [(i, 1, "import", {}) for i in ids]
    entries = api.get(f"/api/v1/ledgers/{lid}/records/{ids[0]}/history").body["items"]
    assert entries[0]["changes"] == {codes["番号"]: {"old": None, "new": "002"},
                                     codes["名称"]: {"old": None, "new": "分庁舎"}}
