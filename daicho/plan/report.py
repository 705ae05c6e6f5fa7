"""The committee progress report (委員会進捗報告): per measure the schedule symbol of the fiscal
year, the recorded progress (or 未入力), agenda items, targets and the KPIs' actual values; then
the changes since the previous meeting and the committee's decisions of the year; as xlsx
(numbers as numbers, formatted with their unit) or as a PDF with an embedded Japanese font."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_fiscal_year
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.plan import committee, data, kpi

FONT_PATHS = [
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
]
FONT_NAME = "IPAexGothic"
HEADERS = ["番号", "具体的取組", "スケジュール", "状況", "協議事項", "定性的目標", "指標",
           "目標", "実績", "達成"]
CHANGE_HEADERS = ["日時", "変更者", "台帳", "番号", "年度", "変更内容"]
DECISION_HEADERS = ["開催日", "回", "番号", "議題", "決定事項"]


def _status(measure: dict[str, Any], year: int) -> str:
    """The recorded progress of that fiscal year (with its note), or 未入力: never a meaning
    read from the planned symbol (contract §6)."""
    entry = (measure.get("progress") or {}).get(str(year)) or {}
    if not entry.get("status"):
        return data.NO_PROGRESS
    return "\n".join(str(v) for v in (entry["status"], entry.get("note")) if v)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "達成" if value else "未達成"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") + unit
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return str(value)


Cell = str | int | float | None


@dataclass
class Report:
    """The report of one fiscal year: the title (city and committee), the main table (one row
    per measure, then one per KPI; targets and actual values as numbers with their unit), the
    changes since the previous meeting, and the meetings' decisions of that year."""

    title: str
    since: str
    rows: list[list[Cell]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # per row: the KPI's unit ("" for none)
    changes: list[list[str]] = field(default_factory=list)
    decisions: list[list[str]] = field(default_factory=list)

    def text_rows(self) -> list[list[str]]:
        """The main table as text (PDF): numbers with thousands separators and the unit."""
        return [[_fmt(c, unit) if n in (7, 8) and c is not None else ("—" if c is None else
                                                                         _fmt(c))
                 for n, c in enumerate(row)] for row, unit in zip(self.rows, self.units,
                                                                   strict=True)]


def build(user: access.AnyUser, year: int, today: dt.date | None = None) -> Report:
    plan = kpi.roadmap(user)
    items = kpi.kpis(user, year)
    previous = committee.previous_meeting(user, today or kpi.current_date())
    since = None
    if previous is not None:
        since = dt.datetime.combine(dt.date.fromisoformat(previous.held_on), dt.time(),
                                    tzinfo=TOKYO)
    report = Report(title=committee.title(user, year), since=committee.since_label(previous),
                    changes=committee.changes_since(user, since),
                    decisions=committee.decisions(user, year))
    for m in plan["measures"]:
        symbol = m["schedule"].get(str(year))
        measure_kpis = [k for k in items if k.get("measure") == m["code"]]
        first: list[Cell] = [m["code"] or "", m["title"] or "", symbol or "—", _status(m, year),
                             m.get("agenda") or "—", m.get("qualitative") or "—"]
        if not measure_kpis:
            report.rows.append([*first, "—", None, None, "—"])
            report.units.append("")
        for n, k in enumerate(measure_kpis):
            cells = first if n == 0 else [""] * len(first)
            report.rows.append([*cells, k["name"], k["target"], k["actual"],
                                _fmt(k["achieved"]) if k["achieved"] is not None else "—"])
            report.units.append(str(k.get("unit") or ""))
    return report


def rows(user: access.AnyUser, year: int) -> list[list[str]]:
    """The main table as text, one row per measure, then one per KPI of that measure."""
    return build(user, year).text_rows()


def title(year: int) -> str:
    """The file name's stem (the title inside names the city and the committee)."""
    return f"情報システム全体最適化計画 進捗報告 {format_fiscal_year(year)}({year}年度)"


def _number_format(unit: str) -> str:
    escaped = unit.replace('"', "")
    return f'#,##0.##"{escaped}"' if escaped else "#,##0.##"


def write_xlsx(user: access.AnyUser, year: int, path: Path) -> int:
    import xlsxwriter

    report = build(user, year)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        sheet = workbook.add_worksheet("進捗報告")
        bold = workbook.add_format({"bold": True, "font_size": 13})
        head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                    "text_wrap": True, "valign": "top"})
        cell = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        formats: dict[str, Any] = {}
        sheet.write_string(0, 0, report.title, bold)
        sheet.write_string(1, 0, report.since)
        for c, name in enumerate(HEADERS):
            sheet.write_string(2, c, name, head)
        for r, (row, unit) in enumerate(zip(report.rows, report.units, strict=True), start=3):
            for c, value in enumerate(row):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if unit not in formats:
                        formats[unit] = workbook.add_format({
                            "border": 1, "valign": "top", "num_format": _number_format(unit)})
                    sheet.write_number(r, c, value, formats[unit])
                elif value is None:
                    sheet.write_string(r, c, "—", cell)
                else:
                    sheet.write_string(r, c, str(value), cell)
        for c, width in enumerate([7, 36, 8, 14, 30, 40, 34, 12, 12, 8]):
            sheet.set_column(c, c, width)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(2)
        _text_sheet(workbook, "前回からの変更", report.since, CHANGE_HEADERS, report.changes,
                    [17, 12, 14, 7, 12, 60], head, cell)
        _text_sheet(workbook, "委員会の決定事項", report.title, DECISION_HEADERS,
                    report.decisions, [12, 16, 7, 36, 60], head, cell)
    finally:
        workbook.close()
    return len(report.rows)


def _text_sheet(workbook: Any, name: str, caption: str, headers: list[str],
                rows: list[list[str]], widths: list[int], head: Any, cell: Any) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write_string(0, 0, caption)
    for c, text in enumerate(headers):
        sheet.write_string(2, c, text, head)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value, cell)
    if not rows:
        sheet.write_string(3, 0, "なし", cell)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    sheet.set_landscape()
    sheet.set_paper(9)


def font_path() -> Path:
    configured = os.environ.get("DAICHO_PDF_FONT")
    for candidate in ([configured] if configured else FONT_PATHS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise InvalidInput(
        _("The Japanese font for PDF reports is missing (%(path)s). Install it with "
          "`apt-get install -y fonts-ipaexfont-gothic` or set DAICHO_PDF_FONT to a TrueType "
          "font file.") % {"path": configured or FONT_PATHS[0]}, code=Code.FONT_MISSING)


def write_pdf(user: access.AnyUser, year: int, path: Path) -> int:
    font = font_path()
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(font)))
    body = ParagraphStyle("body", fontName=FONT_NAME, fontSize=7.5, leading=9.5,
                          wordWrap="CJK")
    heading = ParagraphStyle("heading", fontName=FONT_NAME, fontSize=13, leading=16)

    def para(text: str) -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), body)

    report = build(user, year)
    table = report.text_rows()
    widths = [x * mm for x in (13, 48, 14, 20, 34, 50, 45, 17, 17, 13)]
    grid = Table([[para(h) for h in HEADERS], *[[para(c) for c in row] for row in table]],
                 colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm,
                            title=report.title, author="daicho")

    def section(caption: str, headers: list[str], rows: list[list[str]],
                widths: list[float]) -> list[Any]:
        table = Table([[para(h) for h in headers],
                       *([[para(c) for c in row] for row in rows] or [[para("なし")]
                                                                    + [""] * (len(headers) - 1)])],
                      colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(style)
        return [Spacer(1, 5 * mm), Paragraph(caption, sub), Spacer(1, 2 * mm), table]

    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP")])
    sub = ParagraphStyle("sub", fontName=FONT_NAME, fontSize=10, leading=13)
    doc.build([Paragraph(report.title, heading), Spacer(1, 3 * mm), para(committee.legend()),
               Spacer(1, 3 * mm), grid,
               *section(report.since, CHANGE_HEADERS, report.changes, [30, 22, 26, 14, 22, 160]),
               *section("委員会の決定事項", DECISION_HEADERS, report.decisions,
                        [24, 30, 14, 70, 136])])
    return len(table)
