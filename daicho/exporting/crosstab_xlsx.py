"""A cross-tab as an Excel sheet: a title line, the column headings, one row per row group with
its total at the end, and a totals row. Headings are string cells (never formulas: a group
named "=1+1" stays text); values are number cells, an empty cell where no record falls."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from xlsxwriter import Workbook

from daicho.exporting.xlsx_writer import safe_sheet_name


@dataclass
class CrossTabSheet:
    sheet_name: str
    title: str  # "件数（行: 区分、列: 取得日（年度））"
    corner: str  # the heading over the row labels: the rows' field name
    total_label: str  # "合計"
    columns: list[str]
    rows: list[tuple[str, list[Any], Any]]  # (label, values, row total)
    column_totals: list[Any]
    total: Any


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2FF else 1 for ch in text)


def write_crosstab(sheet_data: CrossTabSheet) -> bytes:
    out = io.BytesIO()
    workbook = Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                              "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(safe_sheet_name(sheet_data.sheet_name))
    bold = workbook.add_format({"bold": True})
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                "text_wrap": True, "valign": "top"})
    number = workbook.add_format({"border": 1, "num_format": "#,##0.##########"})
    total = workbook.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2",
                                 "num_format": "#,##0.##########"})
    total_head = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})

    def put(row: int, col: int, value: Any, fmt: Any) -> None:
        if value is None:
            sheet.write_blank(row, col, None, fmt)
        else:
            sheet.write_number(row, col, value, fmt)

    sheet.write_string(0, 0, sheet_data.title, bold)
    top = 2
    sheet.write_string(top, 0, sheet_data.corner, head)
    for c, label in enumerate(sheet_data.columns, start=1):
        sheet.write_string(top, c, label, head)
    last = len(sheet_data.columns) + 1
    sheet.write_string(top, last, sheet_data.total_label, total_head)
    for r, (label, values, row_total) in enumerate(sheet_data.rows, start=top + 1):
        sheet.write_string(r, 0, label, head)
        for c, value in enumerate(values, start=1):
            put(r, c, value, number)
        put(r, last, row_total, total)
    bottom = top + len(sheet_data.rows) + 1
    sheet.write_string(bottom, 0, sheet_data.total_label, total_head)
    for c, value in enumerate(sheet_data.column_totals, start=1):
        put(bottom, c, value, total)
    put(bottom, last, sheet_data.total, total)
    labels = [sheet_data.corner, sheet_data.total_label] + [r[0] for r in sheet_data.rows]
    sheet.set_column(0, 0, min(40, max(8, *map(_width, labels)) + 2))
    sheet.set_column(1, last, min(30, max(10, *map(_width, [*sheet_data.columns, "0" * 10])) + 2))
    sheet.freeze_panes(top + 1, 1)
    workbook.close()
    return out.getvalue()
