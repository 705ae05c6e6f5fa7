"""The committee progress report (委員会進捗報告): per measure the schedule symbol of the fiscal
year, status, agenda items, targets and the KPIs' actual values; as xlsx or as a PDF with an
embedded Japanese font."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import InvalidInput
from daicho.plan import data, kpi

FONT_PATHS = [
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
]
FONT_NAME = "IPAexGothic"
HEADERS = ["番号", "具体的取組", "スケジュール", "状況", "協議事項", "定性的目標", "指標",
           "目標", "実績", "達成"]


def _status(measure: dict[str, Any], year: int) -> str:
    """The recorded progress of that fiscal year (with its note), or 未入力: never a meaning
    read from the planned symbol (contract §6)."""
    entry = (measure.get("progress") or {}).get(str(year)) or {}
    if not entry.get("status"):
        return data.NO_PROGRESS
    return "\n".join(str(v) for v in (entry["status"], entry.get("note")) if v)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "達成" if value else "未達成"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(user: access.AnyUser, year: int) -> list[list[str]]:
    """One row per measure, then one per KPI of that measure (cells as text)."""
    plan = kpi.roadmap(user)
    items = kpi.kpis(user, year)
    out: list[list[str]] = []
    for m in plan["measures"]:
        symbol = m["schedule"].get(str(year))
        measure_kpis = [k for k in items if k.get("measure") == m["code"]]
        first = [m["code"] or "", m["title"] or "", symbol or "—", _status(m, year),
                 m.get("agenda") or "—", m.get("qualitative") or "—"]
        if not measure_kpis:
            out.append([*first, "—", "—", "—", "—"])
        for n, k in enumerate(measure_kpis):
            unit = k.get("unit") or ""
            target = "—" if k["target"] is None else f"{_fmt(k['target'])}{unit}"
            actual = "—" if k["actual"] is None else f"{_fmt(k['actual'])}{unit}"
            cells = first if n == 0 else [""] * len(first)
            out.append([*cells, k["name"], target, actual, _fmt(k["achieved"])
                        if k["achieved"] is not None else "—"])
    return out


def title(year: int) -> str:
    return f"情報システム全体最適化計画 進捗報告 {kpi.wareki_year(year)}({year}年度)"


def write_xlsx(user: access.AnyUser, year: int, path: Path) -> int:
    import xlsxwriter

    table = rows(user, year)
    workbook = xlsxwriter.Workbook(str(path))
    try:
        sheet = workbook.add_worksheet("進捗報告")
        bold = workbook.add_format({"bold": True})
        head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                    "text_wrap": True, "valign": "top"})
        cell = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        sheet.write(0, 0, title(year), bold)
        for c, name in enumerate(HEADERS):
            sheet.write_string(2, c, name, head)
        for r, row in enumerate(table, start=3):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value, cell)
        for c, width in enumerate([7, 36, 8, 14, 30, 40, 34, 10, 10, 8]):
            sheet.set_column(c, c, width)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
    finally:
        workbook.close()
    return len(table)


def font_path() -> Path:
    configured = os.environ.get("DAICHO_PDF_FONT")
    for candidate in ([configured] if configured else FONT_PATHS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise InvalidInput(
        _("The Japanese font for PDF reports is missing (%(path)s). Install it with "
          "`apt-get install -y fonts-ipaexfont-gothic` or set DAICHO_PDF_FONT to a TrueType "
          "font file.") % {"path": configured or FONT_PATHS[0]}, code="font_missing")


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

    table = rows(user, year)
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
                            title=title(year), author="daicho")
    legend = " ".join(f"{s}{m}" for s, m in data.LEGEND.items() if m)
    doc.build([Paragraph(title(year), heading), Spacer(1, 3 * mm), para(legend),
               Spacer(1, 3 * mm), grid])
    return len(table)
