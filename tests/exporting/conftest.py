"""Read back what the writers produce, the way an importer or Excel would see it."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

Sheet = list[list[Any]]


def read_xlsx(data: bytes) -> Sheet:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows: Sheet = book.get_sheet_by_index(0).to_python()
    return rows


def xlsx_part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name).decode("utf-8")


def read_csv(data: bytes, encoding: str) -> Sheet:
    text = data.decode(encoding)
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture
def xlsx_rows() -> Callable[[bytes], Sheet]:
    return read_xlsx


@pytest.fixture
def xlsx_xml() -> Callable[[bytes, str], str]:
    return xlsx_part


@pytest.fixture
def csv_rows() -> Callable[[bytes, str], Sheet]:
    return read_csv
