"""A big worksheet read in parts on several cores (daicho.importing.parts) gives the grid one
parse gives, or is read whole. The parts are forced here on small sheets (MIN_PART_BYTES = 1,
two or three cores) and compared with the single parse of the same file."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daicho.importing import Limits, parts, read_table
from daicho.importing.readers import RawBook, read_book

MakeXlsx = Callable[..., Path]
Rezip = Callable[..., Path]


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, cores: int) -> tuple[RawBook, list[Any]]:
    calls: list[Any] = []
    real = parts.read

    def counted(*args: Any) -> Any:
        result = real(*args)
        calls.append(result is not None)
        return result

    with monkeypatch.context() as m:
        m.setattr(parts, "MIN_PART_BYTES", 1)
        m.setattr(parts, "cores", lambda: cores)
        m.setattr(parts, "read", counted)
        return read_book(path, limits=Limits()), calls


def _same_as_whole(path: Path, monkeypatch: pytest.MonkeyPatch, cores: int = 2) -> bool:
    """Asserts the parts' grid is the whole parse's; True when it was read in parts."""
    whole, _ = _read(path, monkeypatch, cores=1)
    split, calls = _read(path, monkeypatch, cores=cores)
    assert [s.name for s in split.sheets] == [s.name for s in whole.sheets]
    assert [s.rows for s in split.sheets] == [s.rows for s in whole.sheets]
    assert [s.merged for s in split.sheets] == [s.merged for s in whole.sheets]
    return calls == [True]


@pytest.mark.parametrize("cores", [2, 3])
def test_a_ledger_in_parts_is_the_ledger(make_xlsx: MakeXlsx, monkeypatch: pytest.MonkeyPatch,
                                         cores: int) -> None:
    rng = random.Random(cores)
    grid: list[list[Any]] = [["令和6年度 公有財産台帳"], [], [None, None, "単位：円"],
                             ["管理番号", "名称", "取得日", "金額", "備考"]]
    for i in range(300):
        row: list[Any] = [f"{i:04d}", rng.choice(["本庁舎", "支所", "倉庫"]),
                          dt.date(2000, 1, 1) + dt.timedelta(days=i), rng.randint(1, 10**6),
                          rng.choice([None, "※要確認", ""])]
        if i % 37 == 0:
            row = []  # blank rows inside the data
        grid.append(row)
    grid.append(["合計", None, None, 123, None, None, "右端"])  # wider than every part above
    path = make_xlsx({"台帳": grid}, merges={"台帳": [(0, 0, 0, 4)]})
    assert _same_as_whole(path, monkeypatch, cores)


def test_several_sheets_and_the_one_chosen(make_xlsx: MakeXlsx,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_xlsx({"表紙": [["公有財産台帳"]],
                      "一覧": [["名称", "金額"]] + [[f"施設{i}", i] for i in range(200)],
                      "メモ": [["備考"], ["なし"]]})
    assert _same_as_whole(path, monkeypatch)
    table = read_table(path)
    assert table.sheet == "一覧" and table.row_count == 200


def test_data_starting_right_and_below(make_xlsx: MakeXlsx,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    grid: list[list[Any]] = [[] for _ in range(5)]
    grid += [[None, None, "名称", "数"]] + [[None, None, f"n{i}", i] for i in range(100)]
    grid += [[None] * 9 + ["離れた値"]]
    assert _same_as_whole(make_xlsx(grid), monkeypatch)


def _sheet(rows: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            f'{rows}</sheetData></worksheet>').encode()


def _row(r: int, text: str) -> str:
    return f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c></row>'


@pytest.mark.parametrize("rows", [
    "".join(_row(r, f"v{r}") for r in (5, 6, 7, 1, 2, 3)),  # out of order
    "".join(_row(r, f"v{r}") for r in (1, 2, 3, 1, 2, 3)),  # written twice
], ids=["out-of-order", "twice"])
def test_rows_out_of_order_are_read_whole(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, rows: str) -> None:
    base = make_xlsx([["x"]])
    path = rezip(base, tmp_path / "odd.xlsx", {"xl/worksheets/sheet1.xml": _sheet(rows)})
    assert not _same_as_whole(path, monkeypatch)


def test_cdata_and_cells_without_references_are_read_whole(
        make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_xlsx([["x"]])
    cdata = "".join(_row(r, f"v{r}") for r in range(1, 6)).replace(
        "<t>v3</t>", "<t><![CDATA[<row r=\"9\">]]></t>")
    path = rezip(base, tmp_path / "cdata.xlsx", {"xl/worksheets/sheet1.xml": _sheet(cdata)})
    assert not _same_as_whole(path, monkeypatch)
    bare = "".join(f'<row r="{r}"><c t="inlineStr"><is><t>v{r}</t></is></c></row>'
                   for r in range(1, 6))
    path = rezip(base, tmp_path / "bare.xlsx", {"xl/worksheets/sheet1.xml": _sheet(bare)})
    assert not _same_as_whole(path, monkeypatch)


def test_split_cuts_between_rows() -> None:
    xml = _sheet("".join(_row(r, f"v{r}") for r in range(1, 11)))
    pieces = parts.split(xml, 3)
    assert pieces is not None and len(pieces) == 3
    head, tail = xml[:xml.index(b"<row ")], xml[xml.index(b"</sheetData>"):]
    bodies = [p[len(head):-len(tail)] for p in pieces]
    assert all(p.startswith(head) and p.endswith(tail) for p in pieces)
    assert b"".join(bodies) == xml[len(head):-len(tail)]
    assert all(b.startswith(b"<row ") and b.endswith(b"</row>") for b in bodies)
    assert parts.split(_sheet(""), 2) is None


def test_the_scan_keeps_the_xml_only_for_this(make_xlsx: MakeXlsx,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho.importing.zipcheck import scan_zip

    path = make_xlsx([["名称"], ["本庁舎"]])
    monkeypatch.setattr(parts, "cores", lambda: 2)
    kept = scan_zip(path, Limits())
    with zipfile.ZipFile(path) as zf:
        assert kept.xml["xl/worksheets/sheet1.xml"] == zf.read("xl/worksheets/sheet1.xml")
    monkeypatch.setattr(parts, "cores", lambda: 1)
    assert scan_zip(path, Limits()).xml == {}
    monkeypatch.setattr(parts, "cores", lambda: 2)
    monkeypatch.setattr(parts, "MAX_KEPT_BYTES", 10)
    assert scan_zip(path, Limits()).xml == {}


def test_sheets_read_in_parts_are_probed_from_their_top(make_xlsx: MakeXlsx,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --sheet every sheet of a workbook is probed for a table (daicho.importing.sheets);
    a sheet that is read in parts is probed from its first rows only, with the same findings."""
    path = make_xlsx({"表紙": [["公有財産台帳"], ["令和6年4月1日現在"]],
                      "一覧": [["名称", "金額"]] + [[f"施設{i}", i] for i in range(400)],
                      "集計": [["区分", "件数"]] + [[f"区分{i}", i] for i in range(900)],
                      "メモ": [["備考"], ["なし"]]})
    heads: list[bool] = []
    real = parts.head

    def counted(*args: Any) -> Any:
        result = real(*args)
        heads.append(result is not None)
        return result

    whole, _ = _read(path, monkeypatch, cores=1)
    with monkeypatch.context() as m:
        m.setattr(parts, "head", counted)
        split, calls = _read(path, monkeypatch, cores=2)
    assert heads == [True] * 4 and calls == [True]
    assert [s.as_dict() for s in split.survey] == [s.as_dict() for s in whole.survey]
    assert [(s.name, s.read, s.table, s.rows) for s in split.survey] == [
        ("表紙", False, False, 2), ("一覧", True, True, 401), ("集計", False, True, 901),
        ("メモ", False, False, 2)]
    assert [s.rows for s in split.sheets] == [s.rows for s in whole.sheets]
