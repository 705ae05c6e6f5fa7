"""Reading back the "one row per detail line" layout (daicho.exporting.detail_lines): sheet
rows that belong to one record become that record, their detail columns (「明細.品名」) its
detail rows.

Which rows belong together: with a key column (`--key`), the rows whose key cell is the same
(wherever they stand; a row with an empty key is a record of its own); without one, each run
of consecutive rows whose other cells (every column that is not a detail column) are the same.
Two records that agree in every field and stand next to each other would be read as one: give
a key for such a file. Pure Python, like the rest of daicho.importing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from daicho.exporting.detail_lines import header
from daicho.importing.table import ParsedColumn, ParsedTable
from daicho.importing.values import text_of

# field name → its detail columns as (column code, column name)
DetailFields = Mapping[str, Sequence[tuple[str, str]]]


def fold(table: ParsedTable, fields: DetailFields, normalize: Callable[[str], str],
         key: str | None = None) -> bool:
    """Fold `table` in place when it has detail columns of `fields`; False when it has none.
    Each folded field becomes one column named as the field, whose cell is the record's rows
    as JSON (`[{COLUMN_CODE: cell text}]`, the type cleans each cell) or empty."""
    wanted = {normalize(header(name, cname)): (name, code)
              for name, cols in fields.items() for code, cname in cols}
    detail = {i: wanted[normalize(c.name)] for i, c in enumerate(table.columns)
              if normalize(c.name) in wanted}
    if not detail:
        return False
    plain = [i for i in range(len(table.columns)) if i not in detail]
    groups = _groups(table, plain, key, normalize)
    names = list(dict.fromkeys(name for name, _code in detail.values()))
    folded: dict[str, list[Any]] = {name: [] for name in names}
    for rows in groups:
        for name in names:
            lines = []
            for n in rows:
                cells = {code: text_of(table.raw[i][n]) for i, (fname, code) in detail.items()
                         if fname == name and table.raw[i][n] is not None}
                cells = {code: text for code, text in cells.items() if text != ""}
                if cells:
                    lines.append(cells)
            folded[name].append(json.dumps(lines, ensure_ascii=False) if lines else None)
    firsts = [rows[0] for rows in groups]
    columns = [table.columns[i] for i in plain]
    values = [[table.values[i][n] for n in firsts] for i in plain]
    raw = [[table.raw[i][n] for n in firsts] for i in plain]
    for name in names:
        source = min(table.columns[i].source_index for i, (f, _c) in detail.items() if f == name)
        columns.append(ParsedColumn(name=name, type="text", options={}, source_index=source))
        values.append(folded[name])
        raw.append(folded[name])
    table.numbers = [table.numbers[n] for n in firsts]
    table.columns, table.values, table.raw, table._rows = columns, values, raw, None
    return True


def _groups(table: ParsedTable, plain: list[int], key: str | None,
            normalize: Callable[[str], str]) -> list[list[int]]:
    count = table.row_count
    keyed = next((i for i in plain if key is not None
                  and normalize(table.columns[i].name) == normalize(key)), None)
    if keyed is not None:
        by_key: dict[str, list[int]] = {}
        out: list[list[int]] = []
        for n in range(count):
            text = text_of(table.raw[keyed][n])
            if not text:
                out.append([n])
            elif text in by_key:
                by_key[text].append(n)
            else:
                by_key[text] = [n]
                out.append(by_key[text])
        return out
    groups: list[list[int]] = []
    last: tuple[Any, ...] | None = None
    for n in range(count):
        cells = tuple(text_of(table.raw[i][n]) for i in plain)
        if groups and cells == last:
            groups[-1].append(n)
        else:
            groups.append([n])
        last = cells
    return groups
