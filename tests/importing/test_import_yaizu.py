"""Real open data published by Yaizu City (CC BY 4.0), kept byte for byte in tests/data/yaizu
(see tests/data/README.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from daicho.dates.wareki import try_parse_date
from daicho.fields.choice import YesNoType
from daicho.importing import ParsedTable, read_table, try_parse_number

YAIZU = Path(__file__).resolve().parents[1] / "data" / "yaizu"
FILES = sorted(YAIZU.glob("*.csv"))
assert len(FILES) == 5, YAIZU  # the tests must not pass by finding nothing


def records(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def tables() -> dict[str, ParsedTable]:
    return {path.name: read_table(path) for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_one_record_per_line_and_header_names(path: Path, tables: dict[str, ParsedTable]) -> None:
    table = tables[path.name]
    lines = records(path)
    assert table.header_row == 1
    assert [c.name for c in table.columns] == lines[0]
    assert len(table.rows) == len(lines) - 1
    assert [r.number for r in table.rows] == list(range(2, len(lines) + 1))
    # Only the notes that blanks around values were removed, once per column (issue 13).
    assert all(w["row"] is None and "前後の空白" in w["message"] for w in table.warnings)
    assert len({w["message"] for w in table.warnings}) == len(table.warnings)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_typed_exactly_when_every_value_is_of_the_type(
        path: Path, tables: dict[str, ParsedTable]) -> None:
    table = tables[path.name]
    lines = records(path)
    for index, column in enumerate(table.columns):
        values = [line[index].strip() for line in lines[1:] if line[index].strip()]
        if not values:
            assert column.type == "text"
            continue
        numbers = all(try_parse_number(v) is not None for v in values)
        dates = all(try_parse_date(v) is not None for v in values)
        marks = all(YesNoType.meaning(v) is not None for v in values)
        if numbers:
            assert column.type == "number", column.name
        elif dates:
            assert column.type == "date", column.name
        elif marks and len(values) == len(lines) - 1:
            # はい/いいえ make a yes/no field; other words (有, ○) stay the file's (issue 13).
            kind = "yesno" if YesNoType.shows_as_yes_no(values) else "choice"
            assert column.type == kind, column.name
        else:
            assert column.type not in ("number", "date", "datetime", "yesno"), column.name


def test_known_columns(tables: dict[str, ParsedTable]) -> None:
    park = tables["park_info.csv"]
    area = [c.name for c in park.columns].index("面積（㎡）")
    assert park.columns[area].type == "number"
    assert park.columns[area].options == {"decimals": 0, "separator": True}
    assert park.rows[0].values[area] == Decimal(32500)  # "32,500 " in the file
    assert park.rows[0].raw[area] == "32,500"
    url = [c.name for c in park.columns].index("公園HPアドレス")
    assert park.columns[url].type == "url"

    traffic = tables["traffic_accident_2019.csv"]
    day = [c.name for c in traffic.columns].index("発生日時（年月日）")
    assert traffic.columns[day].type == "date"
    assert traffic.rows[0].values[day] == dt.date(2019, 1, 4)
    assert traffic.columns[0].name == "事故内容"  # the BOM is not part of the name

    aed = tables["aed.csv"]
    kinds = {c.name: c.type for c in aed.columns}
    assert kinds["小児対応設備の有無"] == "choice"  # 「有」 as written (issue 13)
    assert kinds["NO"] == "text"  # 0000000001 is a code
    assert kinds["緯度"] == "number"
    assert aed.rows[0].values[1] == "0000000001"

    shelters = tables["hinanjo.csv"]
    kinds = {c.name: c.type for c in shelters.columns}
    assert kinds["避難所面積平方メートル"] == "number"
    # ○ or nothing is a mark, not yes/no: empty would have to mean ×.
    assert kinds["開設される災害の種類（地震・津波）"] == "choice"
