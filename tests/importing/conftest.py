"""Builders for test files. Workbooks are generated with XlsxWriter into tmp_path, never committed.

These tests need no database: plain functions, run with `-p no:django` as well as without."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

Grid = Sequence[Sequence[Any]]
MakeXlsx = Callable[..., Path]


def write_xlsx(path: Path, sheets: Mapping[str, Grid], *,
               merges: Mapping[str, Sequence[tuple[int, int, int, int]]] | None = None,
               hidden: Sequence[str] = ()) -> Path:
    """One worksheet per entry. None leaves a cell empty; merges are (r0, c0, r1, c1), 0-based,
    taking the value of their top-left cell."""
    book = xlsxwriter.Workbook(str(path))
    date_fmt = book.add_format({"num_format": "yyyy/mm/dd"})
    time_fmt = book.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    merges = merges or {}
    for name, grid in sheets.items():
        ws = book.add_worksheet(name)
        covered: set[tuple[int, int]] = set()
        for r0, c0, r1, c1 in merges.get(name, ()):
            value = grid[r0][c0] if r0 < len(grid) and c0 < len(grid[r0]) else None
            ws.merge_range(r0, c0, r1, c1, "" if value is None else value)
            covered.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value is None or (r, c) in covered:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, time_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, value, date_fmt)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
        if name in hidden:
            ws.hide()
    book.close()
    return path


@pytest.fixture
def make_xlsx(tmp_path: Path) -> MakeXlsx:
    counter = iter(range(1_000_000))

    def make(sheets: Mapping[str, Grid] | Grid, *, name: str | None = None,
             merges: Mapping[str, Sequence[tuple[int, int, int, int]]] | None = None,
             hidden: Sequence[str] = ()) -> Path:
        if not isinstance(sheets, Mapping):
            sheets = {"Sheet1": sheets}
        path = tmp_path / (name or f"book{next(counter)}.xlsx")
        return write_xlsx(path, sheets, merges=merges, hidden=hidden)

    return make


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


def rewrite_zip(source: Path, target: Path, replace: Mapping[str, bytes], *,
                compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Copy a zip, replacing or adding members (for hand-made hostile workbooks)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", compression) as out:
        names = set()
        for info in src.infolist():
            names.add(info.filename)
            out.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, data in replace.items():
            if name not in names:
                out.writestr(name, data)
    return target


@pytest.fixture
def rezip() -> Callable[..., Path]:
    return rewrite_zip
