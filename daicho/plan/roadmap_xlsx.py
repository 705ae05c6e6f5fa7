"""The roadmap as an Excel sheet in the seed's layout (計画 4): 対策区分 (merged over its measures),
番号, 具体的取組, 対象システム, one column per fiscal year under スケジュール (平成30年度 … 令和4年度),
備考, and the legend below. A4 landscape, one page wide, header rows repeated on every page."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.plan import roadmap
from daicho.plan.ledgers import MEASURES, open_ledger
from daicho.plan.roadmap import TEXT_COLUMNS, Roadmap
from daicho.services import audit

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = {"division": 20, "code": 7, "title": 40, "target": 12, "note": 48}
YEAR_WIDTH = 11
HEADER_ROW = 2


def title() -> str:
    return _("IT optimisation plan: roadmap")


def export(user: access.AnyUser) -> bytes:
    """The roadmap `user` sees as an xlsx file; needs the export right on the ledger, and goes
    into the access log like every export."""
    schema = open_ledger(user, MEASURES, "export")
    table = roadmap.read(user)
    body = write(table)
    audit.record(user=user, action="export", target=f"ledger:{schema.id}",
                 details={"format": "xlsx", "layout": "roadmap", "rows": len(table.measures)})
    return body


def write(table: Roadmap) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("Roadmap"))
    bold = workbook.add_format({"bold": True, "font_size": 13})
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                "align": "center", "valign": "vcenter", "text_wrap": True})
    text = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    symbol = workbook.add_format({"border": 1, "align": "center", "valign": "top",
                                  "font_size": 12})
    before = [c for c in TEXT_COLUMNS if c in table.columns]
    after = ["note"] if "note" in table.columns else []
    first_year = len(before)
    last_col = first_year + len(table.years) + len(after) - 1

    sheet.write_string(0, 0, title(), bold)
    top, sub = HEADER_ROW, HEADER_ROW + 1
    for col, code in enumerate(before):
        sheet.merge_range(top, col, sub, col, table.columns[code], head)
    if table.years:
        span = (top, first_year, top, first_year + len(table.years) - 1)
        if len(table.years) > 1:
            sheet.merge_range(*span, _("Schedule"), head)
        else:
            sheet.write_string(top, first_year, _("Schedule"), head)
    for n, year in enumerate(table.years):
        sheet.write_string(sub, first_year + n, table.labels[year], head)
    for col, code in enumerate(after, start=first_year + len(table.years)):
        sheet.merge_range(top, col, sub, col, table.columns[code], head)

    row = sub + 1
    for measure in table.measures:
        cells: list[tuple[str, Any]] = [(measure.text(c), text) for c in before]
        cells += [(measure.schedule[y] or "", symbol) for y in table.years]
        cells += [(measure.text(c), text) for c in after]
        for col, (value, fmt) in enumerate(cells):
            sheet.write_string(row, col, value, fmt)
        row += 1
    if "division" in before:
        _merge_runs(sheet, table, sub + 1, before.index("division"), text)

    row += 1
    sheet.write_string(row, 0, _("Legend"), workbook.add_format({"bold": True}))
    for mark, meaning in table.legend:
        row += 1
        sheet.write_string(row, 0, mark, symbol)
        sheet.write_string(row, 1, meaning, text)

    for col, code in enumerate(before):
        sheet.set_column(col, col, WIDTHS.get(code, 12))
    sheet.set_column(first_year, first_year + max(len(table.years), 1) - 1, YEAR_WIDTH)
    for col, code in enumerate(after, start=first_year + len(table.years)):
        sheet.set_column(col, col, WIDTHS.get(code, 12))
    sheet.freeze_panes(sub + 1, 0)
    sheet.repeat_rows(top, sub)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.print_area(0, 0, row, max(last_col, 1))
    workbook.close()
    return out.getvalue()


def _merge_runs(sheet: Any, table: Roadmap, first_row: int, col: int, fmt: Any) -> None:
    """One 対策区分 cell over the consecutive measures of that division, as in the seed."""
    for n, (measure, span) in enumerate(table.grouped()):
        if span > 1:
            sheet.merge_range(first_row + n, col, first_row + n + span - 1, col,
                              measure.text("division"), fmt)
