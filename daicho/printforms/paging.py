"""Filling a whole workbook, with detail rows and continuation pages (続紙).

A sheet's repeating row is the first row holding a placeholder that `rows` answers with lines
(the records of a list, or the detail lines of one record). How it repeats depends on whether
the template gives the page:

- No page (no print area and no manual page break below the repeating row): the row is copied
  once per line and the rows below move down (xlsx._repeat_rows), as before.
- A page (the print area, or the first manual page break below the repeating row, ends it):
  the rows from the repeating row down to the first row below it that holds a value (the
  footer) are reserved for lines; when the lines need more, the whole page — header, reserved
  rows, footer — is copied below itself once per continuation page, with a page break after
  each. Every copy fills its header again ({{page}}/{{pages}} number it); the footer (totals)
  is filled on the last page only, where its formulas over the reserved rows take the reserved
  rows of every page. Print titles of the sheet go (the header is copied instead).

Bounds: the filled sheet stays within Excel's 1,048,576 rows and MAX_SHEET_CHARS of XML, else
FormTooLarge — a hostile template cannot make the server write gigabytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from daicho.printforms import xlsx
from daicho.printforms.xlsx import _CELL, _REF, _ROW, _SHEET, Lookup, Template, Value

MAX_SHEET_CHARS = 60_000_000
MAX_ROW = 1_048_576
PAGE_KEYS = {k: v for k, v in xlsx.SPECIALS.items() if v in ("page", "pages")}
Lines = Callable[[str], Sequence[Lookup] | None]
_BRKS = re.compile(r"<rowBreaks\b[^>]*?(?:/>|>.*?</rowBreaks>)", re.S)
_AFTER_BREAKS = ("colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                 "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                 "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")


class FormTooLarge(xlsx.TemplateError):
    """Filled, the form would pass the bounds of a sheet."""


def _too_large() -> FormTooLarge:
    from django.utils.translation import gettext as _

    return FormTooLarge(_("Filled with these lines, the form would be too large to print. "
                          "Print fewer lines, or ask the form's author to simplify it."))


@dataclass(frozen=True)
class Page:
    """The page a template sheet gives: rows top..bottom, the repeating row `start`, and the
    footer from row `footer` (bottom + 1 when there is none)."""

    top: int
    start: int
    footer: int
    bottom: int

    @property
    def capacity(self) -> int:
        return self.footer - self.start

    @property
    def length(self) -> int:
        return self.bottom - self.top + 1


def _sheet_numbers(parts: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    """Sheet part name → (its index among the workbook's sheets, its name)."""
    rels = parts.get("xl/_rels/workbook.xml.rels", b"").decode("utf-8", "replace")
    targets = {m.group(1): m.group(2) for m in re.finditer(
        r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    workbook = parts["xl/workbook.xml"].decode("utf-8", "replace")
    out: dict[str, tuple[int, str]] = {}
    for i, m in enumerate(re.finditer(r"<sheet\b([^>]*)/>", workbook)):
        name = re.search(r'\bname="([^"]*)"', m.group(1))
        rid = re.search(r'\br:id="([^"]*)"', m.group(1))
        target = targets.get(rid.group(1) if rid else "", "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[path] = (i, xlsx._unescape(name.group(1)) if name else "")
    return out


def _defined(workbook: str, name: str, index: int) -> re.Match[str] | None:
    return re.search(rf'<definedName\b[^>]*\bname="{re.escape(name)}"[^>]*'
                     rf'\blocalSheetId="{index}"[^>]*>(.*?)</definedName>|'
                     rf'<definedName\b[^>]*\blocalSheetId="{index}"[^>]*'
                     rf'\bname="{re.escape(name)}"[^>]*>(.*?)</definedName>', workbook, re.S)


def _has_value(row_xml: str) -> bool:
    """The row holds a text, a number or a formula reading other rows (a total): it starts the
    footer. A formula of its own row only (`=B5*C5`, `=ROW()-3`) belongs to a reserved row."""
    own = xlsx._row_number(row_xml)
    for c in _CELL.finditer(row_xml):
        inner = c.group(2) or ""
        formula = re.search(r"<f\b[^>]*>(.*?)</f>", inner, re.S)
        if formula is not None:
            if any(int(m.group(4)) != own for m in _REF.finditer(formula.group(1))):
                return True
        elif re.search(r"<(v|is)\b", inner):
            return True
    return False


def page_of(xml: str, start: int, print_area: str | None) -> Page | None:
    """The page around repeating row `start`, or None when the template gives none."""
    bottoms: list[int] = []
    top = 1
    if print_area:
        rows = [int(m.group(4)) for m in _REF.finditer(print_area.split(",")[0].rsplit("!")[-1])]
        if len(rows) == 2 and rows[0] <= start <= rows[1]:
            top, bottoms = rows[0], [rows[1]]
    breaks = _BRKS.search(xml)
    if breaks:
        ids = sorted(int(b) for b in re.findall(r'<brk\b[^>]*?\bid="(\d+)"', breaks.group(0)))
        bottoms += [b for b in ids if b >= start][:1]
        top = max([top, *(b + 1 for b in ids if b < start)])
    if not bottoms:
        return None
    bottom = min(bottoms)
    footer = bottom + 1
    for m in _ROW.finditer(xml):
        number = xlsx._row_number(m.group(0))
        if start < number <= bottom and _has_value(m.group(0)):
            footer = number
            break
    return Page(top, start, footer, bottom)


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _unshare(xml: str) -> str:
    """Shared formulas (Excel writes one for a formula filled down: the first cell holds the
    text, the others only `si`) become each cell's own formula, so that rows can be copied and
    moved one by one (`=B4*C4` filled down reads `=B5*C5` in row 5)."""
    masters: dict[str, tuple[int, int, str]] = {}
    for c in _CELL.finditer(xml):
        f = re.search(r'<f\b[^>]*\bt="shared"[^>]*\bsi="(\d+)"[^>]*>(.*?)</f>', c.group(2) or "",
                      re.S)
        at = re.search(r'\br="([A-Z]{1,3})(\d+)"', c.group(1))
        if f and at and f.group(2):
            masters.setdefault(f.group(1), (_column(at.group(1)), int(at.group(2)), f.group(2)))
    if not masters:
        return xml

    def cell(c: re.Match[str]) -> str:
        f = re.search(r'<f\b[^>]*\bt="shared"[^>]*?(?:/>|>.*?</f>)', c.group(2) or "", re.S)
        at = re.search(r'\br="([A-Z]{1,3})(\d+)"', c.group(1))
        si = re.search(r'\bsi="(\d+)"', f.group(0)) if f else None
        if f is None or at is None or si is None or si.group(1) not in masters:
            return c.group(0)
        col, row, text = masters[si.group(1)]
        dc, dr = _column(at.group(1)) - col, int(at.group(2)) - row

        def move(m: re.Match[str]) -> str:
            letters = m.group(2) if m.group(1) else _letters(_column(m.group(2)) + dc)
            number = int(m.group(4)) if m.group(3) else int(m.group(4)) + dr
            return f"{m.group(1)}{letters}{m.group(3)}{number}"
        own = f"<f>{_REF.sub(move, text)}</f>"
        inner = c.group(2) or ""
        return f"<c{c.group(1)}>{inner[:f.start()]}{own}{inner[f.end():]}</c>"
    return _CELL.sub(cell, xml)


def _move_refs(text: str, moved: Callable[[int], int], *, absolute: bool = False) -> str:
    def one(m: re.Match[str]) -> str:
        row = int(m.group(4)) if m.group(3) and not absolute else moved(int(m.group(4)))
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{row}"
    return _REF.sub(one, text)


def _formulas(xml: str, change: Callable[[str], str]) -> str:
    return re.sub(r"<f\b([^>]*)>(.*?)</f>", lambda f: f"<f{f.group(1)}>{change(f.group(2))}</f>",
                  xml, flags=re.S)


def _lower(bottom: int, extra: int) -> Callable[[int], int]:
    """Rows below `bottom` move down `extra` rows."""
    return lambda row: row + extra if row > bottom else row


def _blank(row_xml: str) -> str:
    """The row with its cells' styles and none of their values."""
    return _CELL.sub(lambda c: "<c" + re.sub(r'\s*\bt="[^"]*"', "", c.group(1)).rstrip("/")
                     + "/>", row_xml)


def _union(text: str, page: Page, offsets: list[int]) -> str:
    """The last page's footer formulas: a range over its reserved rows takes the reserved rows
    of every page (`SUM(C5:C14)` on page 3 of 3 reads `SUM(C5:C14,C35:C44,C65:C74)`)."""
    base = offsets[-1]

    def one(m: re.Match[str]) -> str:
        first, last = int(m.group(3)) - base, int(m.group(6)) - base
        if not (page.start <= first <= last < page.footer):
            return m.group(0)
        a, b = f"{m.group(1)}{m.group(2)}", f"{m.group(4)}{m.group(5)}"
        return ",".join(f"{a}{first + off}:{b}{last + off}" for off in offsets)
    return re.sub(r"(\$?)([A-Z]{1,3})(\d+):(\$?)([A-Z]{1,3})(\d+)(?![\d(])", one, text)


def _paginate(template: Template, xml: str, match: re.Match[str], page: Page,
              lines: Sequence[Lookup], common: Lookup) -> tuple[str, int]:
    """The sheet with its page copied once per page the lines need; (xml, extra rows)."""
    pages = max(1, -(-len(lines) // page.capacity))
    extra = (pages - 1) * page.length
    if page.bottom + extra > MAX_ROW:
        raise _too_large()
    rows = {xlsx._row_number(m.group(0)): m.group(0) for m in _ROW.finditer(xml)}
    data = re.search(r"<sheetData\b[^>]*>", xml)
    end = xml.find("</sheetData>")
    if data is None or end < 0:
        raise _too_large()
    offsets = [p * page.length for p in range(pages)]
    out = [xlsx._fill_cells(template, r, common) for n, r in sorted(rows.items()) if n < page.top]
    size = sum(map(len, out))
    for p, off in enumerate(offsets):
        numbers = {"page": Value(str(p + 1)), "pages": Value(str(pages))}

        def lookup(key: str, numbers: dict[str, Value] = numbers) -> Value | None:
            kind = PAGE_KEYS.get(key)
            return numbers[kind] if kind else common(key)

        def shift(text: str, off: int = off) -> str:
            return _move_refs(text, lambda r: r + off if page.top <= r <= page.bottom
                              else r + extra if r > page.bottom else r)
        for number in range(page.top, page.bottom + 1):
            row, filled = rows.get(number), False
            if page.start <= number < page.footer:
                i = p * page.capacity + number - page.start
                if i < len(lines):
                    line = lines[i]
                    row = xlsx._same_row_refs(xlsx._renumber_row(
                        xlsx._fill_cells(template, match.group(0), xlsx.chain(line, lookup)),
                        number, page.start), page.start, number)
                    filled = True
                elif number == page.start:  # no line left: the repeating row, empty
                    row = xlsx._fill_cells(template, match.group(0), xlsx.nothing)
            if row is None:
                continue
            if number >= page.footer and p < pages - 1:
                row = _blank(row)
            row = _formulas(row if filled else xlsx._fill_cells(template, row, lookup), shift)
            if number >= page.footer and p == pages - 1:
                row = _formulas(row, lambda t: _union(t, page, offsets))
            row = xlsx._renumber_row(row, number + off, number)
            size += len(row)
            if size > MAX_SHEET_CHARS:
                raise _too_large()
            out.append(row)
    below = [(n, xlsx._fill_cells(template, r, common)) for n, r in sorted(rows.items())
             if n > page.bottom]
    lower = _lower(page.bottom, extra)
    out += [xlsx._renumber_row(_formulas(r, lambda t: _move_refs(t, lower)), n + extra, n)
            for n, r in below]
    xml = xml[:data.end()] + "".join(out) + xml[end:]
    xml = _merges(xml, page, offsets, extra)
    xml = _breaks(xml, page, offsets, extra)
    xml = re.sub(r'(<dimension ref="[^"]*?)(\d+)"', lambda m: f'{m.group(1)}'
                 f'{max(int(m.group(2)), page.bottom) + extra}"', xml, count=1)
    if re.search(r'<pageSetUpPr\b[^>]*fitToPage="(1|true)"', xml):  # fit width, never 1 page
        xml = re.sub(r'\s*\bfitToHeight="\d+"', "", xml)
        xml = re.sub(r"<pageSetup\b", '<pageSetup fitToHeight="0"', xml, count=1)
    return xml, extra


def _merges(xml: str, page: Page, offsets: list[int], extra: int) -> str:
    def one(m: re.Match[str]) -> str:
        rows = [int(r.group(4)) for r in _REF.finditer(m.group(1))]
        if rows and min(rows) >= page.top and max(rows) <= page.bottom:
            return "".join(f'<mergeCell ref="{_move_refs(m.group(1), _lower(0, o))}"/>'
                           for o in offsets)
        if rows and min(rows) > page.bottom:
            return f'<mergeCell ref="{_move_refs(m.group(1), lambda r: r + extra)}"/>'
        return m.group(0)
    xml = re.sub(r'<mergeCell ref="([^"]+)"\s*/>', one, xml)
    return re.sub(r'(<mergeCells\b[^>]*?count=")\d+"',
                  lambda m: f'{m.group(1)}{xml.count("<mergeCell ")}"', xml, count=1)


def _breaks(xml: str, page: Page, offsets: list[int], extra: int) -> str:
    old = _BRKS.search(xml)
    ids = [int(b) for b in re.findall(r'<brk\b[^>]*?\bid="(\d+)"', old.group(0))] if old else []
    ids = sorted({*(b for b in ids if b < page.bottom), *(page.bottom + o for o in offsets),
                  *(b + extra for b in ids if b > page.bottom)})
    breaks = (f'<rowBreaks count="{len(ids)}" manualBreakCount="{len(ids)}">'
              + "".join(f'<brk id="{b}" max="16383" man="1"/>' for b in ids) + "</rowBreaks>")
    if old:
        return xml[:old.start()] + breaks + xml[old.end():]
    for element in _AFTER_BREAKS:
        at = re.search(rf"<{element}\b", xml)
        if at:
            return xml[:at.start()] + breaks + xml[at.start():]
    return xml.replace("</worksheet>", breaks + "</worksheet>")


def _repeating(template: Template, xml: str,
               rows: Lines) -> tuple[re.Match[str], Sequence[Lookup]] | None:
    for m in _ROW.finditer(xml):
        for c in _CELL.finditer(m.group(0)):
            text = xlsx._cell_text(template, xlsx._attrs(c.group(1)), c.group(2)) or ""
            for key in xlsx.PLACEHOLDER.findall(text):
                lines = rows(key)
                if lines is not None:
                    return m, lines
    return None


def fill(template: Template, *, common: Lookup, rows: Lines | None = None) -> bytes:
    """The filled workbook. `common` answers every placeholder outside repeating rows; `rows`
    (the lines for a placeholder key, or None when the key is not a line's) makes the first row
    of a sheet with such a key repeat once per line — on continuation pages when the sheet
    gives a page."""
    parts = dict(template.parts)
    numbers = _sheet_numbers(parts)
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    moved: dict[str, tuple[int, int]] = {}
    paged: dict[int, tuple[Page, int]] = {}
    for name in sorted(n for n in parts if _SHEET.match(n)):
        xml = parts[name].decode("utf-8")
        if rows is not None:
            xml = _unshare(xml)
        found = _repeating(template, xml, rows) if rows is not None else None
        if found is not None:
            match, lines = found
            index = numbers.get(name, (-1, ""))[0]
            area = _defined(workbook, "_xlnm.Print_Area", index)
            page = page_of(xml, xlsx._row_number(match.group(0)),
                           (area.group(1) or area.group(2)) if area else None)
            if page is not None:
                xml, extra = _paginate(template, xml, match, page, lines, common)
                paged[index] = (page, extra)
            else:
                if len(lines) * len(match.group(0)) > MAX_SHEET_CHARS:
                    raise _too_large()
                xml, row, by = xlsx._repeat_rows(template, xml, match, lines,
                                                 _with_pages(common))
                moved[name] = (row, by)
        else:
            xml = xlsx._fill_cells(template, xml, _with_pages(common))
        parts[name] = xlsx._drop_cached_results(xml).encode("utf-8")
    parts["xl/workbook.xml"] = _paged_names(workbook, paged).encode("utf-8")
    xlsx._fix_workbook(parts, moved)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _with_pages(common: Lookup) -> Lookup:
    """Outside a paged sheet, {{page}} is 1 of 1."""
    return lambda key: Value("1") if key in PAGE_KEYS else common(key)


def _move_area(area: str, moved: Callable[[int], int]) -> str:
    """`'帳票'!$A$1:$D$15` moved; the sheet's name may look like a cell (`AB12`)."""
    sheet, bang, refs = area.rpartition("!")
    return sheet + bang + _move_refs(refs, moved, absolute=True)


def _paged_names(workbook: str, paged: dict[int, tuple[Page, int]]) -> str:
    """A paged sheet's print area reaches its last page; its print titles go."""
    for index, (page, extra) in paged.items():
        titles = _defined(workbook, "_xlnm.Print_Titles", index)
        if titles:
            workbook = workbook[:titles.start()] + workbook[titles.end():]
        area = _defined(workbook, "_xlnm.Print_Area", index)
        if area:
            text = area.group(1) if area.group(1) is not None else area.group(2)
            moved = ",".join(_move_area(part, _lower(page.bottom - 1, extra))
                             for part in text.split(","))
            workbook = workbook[:area.start()] + area.group(0).replace(
                f">{text}<", f">{moved}<") + workbook[area.end():]
    workbook = re.sub(r"<definedNames>\s*</definedNames>", "", workbook)
    return workbook

