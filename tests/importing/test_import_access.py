"""Access files through mdbtools. A real .mdb cannot be generated here, so these tests put small
fake mdb-* programs first on PATH that print what mdbtools 1.0 prints for such a database."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from daicho.importing import ImportFileError, read_table
from daicho.importing.access import parse_json_rows
from daicho.importing.errors import Limits

JET3 = b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 2000

SCHEMA = """-- ----------------------------------------------------------
-- MDB Tools - A library for reading MS Access database files
-- ----------------------------------------------------------

CREATE TABLE [施設]
 (
	[ID]			Long Integer,
	[名称]			Text (50) NOT NULL,
	[取得日]			DateTime,
	[価格]			Currency,
	[使用中]			Boolean NOT NULL,
	[備考]			Memo/Hyperlink (255)
);
"""
# mdb-json leaves NULL columns out and prints Yes/No as 0/1 and Currency with four decimals.
ROWS = (
    '{"ID":1,"名称":"市役所","取得日":"1990-04-01 00:00:00","価格":1200.5000,"使用中":1,'
    '"備考":"本庁\\u000d\\u000a二階"}\n'
    '{"ID":2,"名称":"倉庫","取得日":"2001-10-15 00:00:00","価格":300.0000,"使用中":0}\n'
    '{"ID":3,"名称":"旧校舎","価格":0.0000,"使用中":0,"写真":{"$binary": "AAEC", "$type": "00"}}\n'
)


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def fake_mdbtools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "schema.txt").write_text(SCHEMA)
    (tmp_path / "rows.json").write_text(ROWS)
    _tool(bin_dir, "mdb-tables", 'printf "施設\\n空の表\\n"\n')
    _tool(bin_dir, "mdb-count", 'if [ "$2" = "施設" ]; then echo 3; else echo 0; fi\n')
    _tool(bin_dir, "mdb-schema", f'cat "{tmp_path}/schema.txt"\n')
    _tool(bin_dir, "mdb-json",
          '[ "$MDB_JET3_CHARSET" = "CP932" ] || { echo "charset not set" >&2; exit 3; }\n'
          f'for last; do :; done\n[ "$last" = "施設" ] && cat "{tmp_path}/rows.json"\nexit 0\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def mdb(tmp_path: Path) -> Path:
    path = tmp_path / "施設台帳.mdb"
    path.write_bytes(JET3)
    return path


def test_reads_the_largest_table(fake_mdbtools: Path, mdb: Path) -> None:
    table = read_table(mdb)
    assert table.format == "access"
    assert table.sheets == ["施設", "空の表"]
    assert table.sheet == "施設"
    assert table.header_row == 1
    assert [c.name for c in table.columns] == ["ID", "名称", "取得日", "価格", "使用中", "備考",
                                               "写真"]
    kinds = {c.name: c.type for c in table.columns}
    assert kinds == {"ID": "number", "名称": "text", "取得日": "date", "価格": "number",
                     "使用中": "yesno", "備考": "textarea", "写真": "text"}
    first, second, third = table.rows
    assert first.number == 2
    assert first.values == [Decimal(1), "市役所", dt.date(1990, 4, 1), Decimal("1200.5"), True,
                            "本庁\r\n二階", None]
    assert second.values[4] is False and second.values[5] is None
    assert third.values[3] == Decimal(0)
    assert next(c for c in table.columns if c.name == "価格").options == {"decimals": 1}


def test_named_table(fake_mdbtools: Path, mdb: Path) -> None:
    table = read_table(mdb, sheet="空の表")
    assert table.sheet == "空の表"
    with pytest.raises(ImportFileError) as info:
        read_table(mdb, sheet="ない表")
    assert info.value.code == "sheet_not_found"


def test_missing_mdbtools(tmp_path: Path, mdb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ImportFileError) as info:
        read_table(mdb)
    assert info.value.code == "mdbtools_missing"
    assert "mdbtools" in info.value.message


def test_tool_failure(fake_mdbtools: Path, mdb: Path) -> None:
    _tool(fake_mdbtools, "mdb-tables", 'echo "Couldn\'t open database." >&2\nexit 1\n')
    with pytest.raises(ImportFileError) as info:
        read_table(mdb)
    assert info.value.code == "corrupt_file"


def test_not_an_access_file(fake_mdbtools: Path, tmp_path: Path) -> None:
    path = tmp_path / "a.accdb"
    path.write_bytes(b"%PDF-1.4 not a database")
    with pytest.raises(ImportFileError) as info:
        read_table(path)
    assert info.value.code == "wrong_file_type"


def test_json_rows_without_a_schema() -> None:
    out = '{"a":1,"c":"x"}\n{"a":2,"b":"y","c":"z"}\n'
    names, rows = parse_json_rows(out, [], Limits())
    assert names == ["a", "c", "b"]
    assert rows == [[1, "x", None], [2, "z", "y"]]
    with pytest.raises(ImportFileError):
        parse_json_rows("{broken\n", [], Limits())
    with pytest.raises(ImportFileError) as info:
        parse_json_rows('{"a":1}\n' * 10, [], Limits(max_rows=5))
    assert info.value.code == "too_large"
