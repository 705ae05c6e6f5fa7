"""The "one row per detail line" layout of an export (docs/api.md, `detail=lines`): a record
whose fields include detail rows (the subtable type) becomes one sheet row per detail row, its
other fields repeated on every one of them, each detail column a sheet column headed
「明細.品名」 (the field's name, a dot, the column's name). A record without detail rows is one
row with those cells empty; with several subtables, their rows sit side by side.

`daicho import` folds such a sheet back (daicho.importing.detail_lines). Writers stay as they
are: this only reshapes columns and rows. What a field's detail columns are, and their values,
the field's type says (FieldType.line_columns / line_values)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from daicho.exporting.columns import ExportColumn

SEPARATOR = "."


def header(field_name: str, column_name: str) -> str:
    return f"{field_name}{SEPARATOR}{column_name}"


@dataclass(frozen=True)
class Part:
    """One field of the export: its one column, or (`lines` not None) its detail columns as
    (code, name, export kind, options)."""

    column: ExportColumn
    lines: Sequence[tuple[str, str, str, dict[str, Any]]] | None = None


def columns(parts: Sequence[Part]) -> list[ExportColumn]:
    out: list[ExportColumn] = []
    for part in parts:
        if part.lines is None:
            out.append(part.column)
        else:
            out.extend(ExportColumn(name=header(part.column.name, name), type=kind,
                                    options=options) for _code, name, kind, options in part.lines)
    return out


def spread(parts: Sequence[Part], values: Sequence[Any],
           details: Sequence[list[list[Any]] | None]) -> Iterator[list[Any]]:
    """A record's sheet rows: `values` per part (ignored for detail parts), `details` per part
    its detail rows' values (None for the others)."""
    height = max([len(d) for d in details if d] or [1])
    for n in range(height):
        row: list[Any] = []
        for part, value, detail in zip(parts, values, details, strict=True):
            if part.lines is None:
                row.append(value)
            elif detail and n < len(detail):
                row.extend(detail[n])
            else:
                row.extend([None] * len(part.lines))
        yield row
