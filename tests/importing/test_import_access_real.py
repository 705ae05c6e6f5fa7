"""Access files through the real mdbtools, on .mdb files that tests/importing/jetfile.py writes
(test_import_access.py covers the same code with fake mdb-* programs)."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from daicho.importing import ImportFileError, read_table
from tests.conftest import ApiClient
from tests.importing.jetfile import JET3, JET4, Column, ColumnType, JetFormat, Table, write_mdb

pytestmark = pytest.mark.skipif(
    shutil.which("mdb-tables") is None,
    reason="mdbtools is not installed (apt-get install mdbtools; `make test` installs it)")

T = ColumnType
FACILITY_COLUMNS = [
    Column("管理番号", T.LONG), Column("名称", T.TEXT, 60), Column("取得日", T.DATETIME),
    Column("取得価格", T.CURRENCY), Column("面積", T.DOUBLE), Column("使用中", T.BOOLEAN),
    Column("棟数", T.INTEGER), Column("備考", T.TEXT, 100)]


def _facility(i: int) -> list[Any]:
    return [1000 + i, f"施設{i}号（髙①㈱ｶﾌﾞｼｷ）", dt.date(1990, 4, 1) + dt.timedelta(days=7 * i),
            Decimal("1200000.5") + i, 12.25 * i, i % 3 != 0, i % 4 or None,
            None if i % 5 else f"{i // 5}回目の点検済み"]


FACILITIES = Table("施設台帳", FACILITY_COLUMNS, [_facility(i) for i in range(1, 241)])
MEMO = Table("メモ", [Column("内容", T.TEXT, 20)], [["庁内用"], ["確認中"]])


def _data_pages(path: Path, jet: JetFormat, tdef_page: int) -> int:
    data = path.read_bytes()
    pages = (data[n:n + jet.page_size] for n in range(0, len(data), jet.page_size))
    return sum(p[0] == 0x01 and struct.unpack_from("<I", p, 4)[0] == tdef_page for p in pages)


def _records(api: ApiClient, ledger_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        body = api.get(f"/api/v1/ledgers/{ledger_id}/records", params).body
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return sorted(items, key=lambda r: r["id"])


def test_jet4_table_reads_with_names_types_and_values(tmp_path: Path) -> None:
    path = write_mdb(tmp_path / "施設.mdb", [FACILITIES])
    assert _data_pages(path, JET4, tdef_page=3) > 1  # the rows run over several data pages
    table = read_table(path)
    assert table.format == "access" and table.sheets == ["施設台帳"] and table.sheet == "施設台帳"
    assert [c.name for c in table.columns] == [c.name for c in FACILITY_COLUMNS]
    kinds = {c.name: c.type for c in table.columns}
    assert kinds == {"管理番号": "number", "名称": "text", "取得日": "date", "取得価格": "number",
                     "面積": "number", "使用中": "yesno", "棟数": "number", "備考": "text"}
    assert len(table.rows) == 240
    first = table.rows[0]
    assert first.number == 2
    assert first.values == [Decimal(1001), "施設1号（髙①㈱ｶﾌﾞｼｷ）", dt.date(1990, 4, 8),
                            Decimal("1200001.5"), Decimal("12.25"), True, Decimal(1), None]
    assert table.rows[3].values[6:] == [None, None]  # i = 4
    assert table.rows[4].values[7] == "1回目の点検済み"
    assert table.rows[2].values[5] is False  # i = 3
    assert table.rows[-1].values[0] == Decimal(1240)


def test_jet4_import_through_the_cli(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    path = write_mdb(tmp_path / "施設.mdb", [FACILITIES, MEMO])
    result = cli("import", str(path), "--json")
    assert result.code == 0, result.out + result.err
    report = result.json
    assert report["ok"] is True and report["created"] == 240
    assert report["sheet"] == "施設台帳"
    assert [(s["name"], s["read"], s["table"]) for s in report["sheets"]] == [
        ("施設台帳", True, True), ("メモ", False, True)]
    assert report["sheets"][0]["records"] == report["created"]
    fields = {f["name"]: f for f in report["fields"]}
    assert list(fields) == [c.name for c in FACILITY_COLUMNS]
    assert {n: f["type"] for n, f in fields.items()} == {
        "管理番号": "number", "名称": "text", "取得日": "date", "取得価格": "number",
        "面積": "number", "使用中": "yesno", "棟数": "number", "備考": "text"}
    records = _records(api, report["ledger"]["id"])
    assert len(records) == 240
    values = [{n: r["values"].get(f["code"]) for n, f in fields.items()} for r in records]
    assert values[0] == {"管理番号": 1001, "名称": "施設1号（髙①㈱ｶﾌﾞｼｷ）", "取得日": "1990-04-08",
                         "取得価格": 1200001.5, "面積": 12.25, "使用中": True, "棟数": 1,
                         "備考": None}
    assert values[4]["備考"] == "1回目の点検済み" and values[3]["棟数"] is None
    assert [v["使用中"] for v in values[:3]] == [True, True, False]


KANJI = [Column("番号", T.LONG), Column("事業者", T.TEXT, 80), Column("期間", T.TEXT, 40),
         Column("登録", T.BOOLEAN)]
# Access 97 keeps text in the Windows code page. 〜 is stored as cp932's 0x8160, which Windows
# (and iconv's CP932) read back as U+FF5E ～; NEC and IBM extensions (①, ㈱, 髙) need CP932
# rather than plain Shift_JIS, and half-width katakana are single bytes.
KANJI_ROWS = [[1, "㈱髙島屋①号店", "4月〜6月", True], [2, "ﾔﾏﾀﾞｼｮｳﾃﾝ", None, False],
              [3, "有限会社　森", "令和元年度～", True]]


@pytest.mark.parametrize("code_page", [0, 932])
def test_access97_japanese_text(tmp_path: Path, code_page: int) -> None:
    rows = KANJI_ROWS + [[n, f"事業者{n}", "通年", n % 2 == 0] for n in range(4, 200)]
    path = write_mdb(tmp_path / "旧台帳.mdb", [Table("事業者一覧", KANJI, rows)], jet=JET3,
                     charset="cp932", code_page=code_page)
    assert _data_pages(path, JET3, tdef_page=3) > 1
    table = read_table(path)
    assert table.sheets == ["事業者一覧"]
    assert [c.name for c in table.columns] == ["番号", "事業者", "期間", "登録"]
    assert [r.values for r in table.rows[:3]] == [
        [Decimal(1), "㈱髙島屋①号店", "4月～6月", True],
        [Decimal(2), "ﾔﾏﾀﾞｼｮｳﾃﾝ", None, False],
        [Decimal(3), "有限会社　森", "令和元年度～", True]]
    assert len(table.rows) == 199


def test_access97_import_through_the_cli(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    path = write_mdb(tmp_path / "旧台帳.mdb", [Table("事業者一覧", KANJI, KANJI_ROWS)], jet=JET3,
                     charset="cp932")
    report = cli("import", str(path), "--json").json
    assert report["ok"] is True and report["created"] == 3, report
    codes = {f["name"]: f["code"] for f in report["fields"]}
    names = [r["values"][codes["事業者"]] for r in _records(api, report["ledger"]["id"])]
    assert names == ["㈱髙島屋①号店", "ﾔﾏﾀﾞｼｮｳﾃﾝ", "有限会社　森"]


def test_largest_table_by_default_and_a_chosen_one(cli: Any, api: ApiClient,
                                                  tmp_path: Path) -> None:
    small_first = [MEMO, Table("施設台帳", FACILITY_COLUMNS, [_facility(i) for i in range(1, 31)])]
    path = write_mdb(tmp_path / "二表.mdb", small_first)
    assert read_table(path).sheet == "施設台帳"
    assert read_table(path, sheet="メモ").rows[1].values == ["確認中"]
    default = cli("import", str(path), "--name", "既定", "--json").json
    assert default["ok"] is True and default["sheet"] == "施設台帳" and default["created"] == 30
    for option in ("--sheet", "--table"):
        chosen = cli("import", str(path), option, "メモ", "--name", f"メモ{option}", "--json").json
        assert chosen["ok"] is True and chosen["sheet"] == "メモ" and chosen["created"] == 2
        assert [f["name"] for f in chosen["fields"]] == ["内容"]
    missing = cli("import", str(path), "--sheet", "ない表", "--json")
    assert missing.code != 0 and missing.json["error"]["code"] == "sheet_not_found"


def _truncated(path: Path, pages: int, jet: JetFormat) -> Path:
    path.write_bytes(path.read_bytes()[:pages * jet.page_size])
    return path


def _refused(cli: Any, api: ApiClient, path: Path) -> str:
    before = api.get("/api/v1/ledgers").body["items"]
    result = cli("import", str(path), "--json")
    assert result.code != 0 and result.json["ok"] is False, result.out
    assert result.json["error"]["message"]
    assert api.get("/api/v1/ledgers").body["items"] == before
    return str(result.json["error"]["code"])


def test_corrupt_files_are_refused_and_write_nothing(cli: Any, api: ApiClient,
                                                     tmp_path: Path) -> None:
    catalog_lost = _truncated(write_mdb(tmp_path / "a.mdb", [FACILITIES]), 2, JET4)
    assert _refused(cli, api, catalog_lost) == "corrupt_file"
    garbage = tmp_path / "b.mdb"
    garbage.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + bytes(range(256)) * 20)
    assert _refused(cli, api, garbage) == "corrupt_file"
    not_access = tmp_path / "c.mdb"
    not_access.write_bytes(b"PK\x03\x04" + bytes(3000))
    assert _refused(cli, api, not_access) == "wrong_file_type"


@pytest.mark.parametrize(("jet", "lost"), [(JET3, "rows"), (JET4, "rows"), (JET4, "catalog")],
                         ids=["jet3-rows", "jet4-rows", "jet4-catalog"])
def test_truncated_file_is_refused_not_imported_in_part(tmp_path: Path, jet: JetFormat,
                                                        lost: str) -> None:
    path = write_mdb(tmp_path / "途中まで.mdb", [FACILITIES], jet=jet, charset="cp932")
    whole = path.stat().st_size // jet.page_size
    # "rows": the last data pages are gone; "catalog": only page 0, the maps and a TDEF remain.
    _truncated(path, whole - 2 if lost == "rows" else 3, jet)
    with pytest.raises(ImportFileError) as info:
        read_table(path)
    assert info.value.code == "corrupt_file"
