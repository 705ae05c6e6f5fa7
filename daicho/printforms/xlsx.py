"""Reading an xlsx form template and filling its placeholders.

The template is edited as text, part by part, so that everything else in it — fonts, borders,
merged cells, print settings, page headers, images — stays byte for byte as its author made it.
Only the cells holding a placeholder change, and in a list form the rows below the repeating row
move down. An xlsx never needs a DTD: a part declaring one is refused (entity bombs), as is a
zip whose parts would unpack to more than MAX_UNPACKED bytes (zip bombs).

Placeholders: `{{CODE}}` or `{{field name}}`; `{{today}}`/`{{今日}}`, `{{count}}`/`{{件数}}`,
`{{ledger}}`/`{{台帳名}}`, `{{printed_by}}`/`{{印刷者}}` and `{{page}}`/`{{ページ}}`,
`{{pages}}`/`{{総ページ}}` anywhere. In a list form the first row
that holds a field placeholder repeats once per record; detail rows and continuation pages:
daicho.printforms.paging, which fills a whole workbook."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

MAX_TEMPLATE_BYTES = 5_000_000
MAX_UNPACKED = 60_000_000
MAX_PARTS = 1000
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\r\n]{1,100}?)\s*\}\}")
SPECIALS = {"today": "today", "今日": "today", "count": "count", "件数": "count",
            "ledger": "ledger", "台帳名": "ledger", "printed_by": "printed_by",
            "印刷者": "printed_by", "page": "page", "ページ": "page", "pages": "pages",
            "総ページ": "pages"}
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_SHEET = re.compile(r"^xl/worksheets/sheet\d+\.xml$")
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_ATTR = re.compile(r'\b(r|s|t)="([^"]*)"')
_REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(])")
# Built-in number formats that are dates or times (ECMA-376 18.8.30, with the Japanese ones).
_DATE_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45,
             46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58}
_EPOCH = dt.date(1899, 12, 30)


class TemplateError(Exception):
    """The file cannot serve as a form template; the message says why, in Japanese."""


@dataclass(frozen=True)
class Value:
    """What fills a placeholder: the text as the reader sees it, and for a placeholder alone in
    its cell, the number or date the cell's own format then shows."""

    text: str
    number: Decimal | None = None
    date: dt.date | None = None


@dataclass
class Template:
    parts: dict[str, bytes]
    shared: list[str]
    date_styles: set[int]
    fonts: set[str]
    placeholders: list[str] = field(default_factory=list)


def _message(key: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "not_xlsx": _("The form template must be an Excel workbook (.xlsx)."),
        "too_large": _("The form template is too large."),
        "dtd": _("The form template contains a document type declaration, which an Excel file "
                 "never has."),
        "broken": _("The form template could not be read; save it again in Excel as .xlsx."),
        "none": _("The form template has no placeholder such as {{品名}}."),
    }[key]


def load(data: bytes) -> Template:
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(_message("too_large"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TemplateError(_message("not_xlsx")) from None
    if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise TemplateError(_message("too_large"))
    parts: dict[str, bytes] = {}
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as stream:
                content = stream.read(info.file_size + 1)
            if len(content) > info.file_size:  # the header lied about the size
                raise TemplateError(_message("too_large"))
            parts[info.filename] = content
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError):
        raise TemplateError(_message("broken")) from None
    if "xl/workbook.xml" not in parts or not any(_SHEET.match(n) for n in parts):
        raise TemplateError(_message("not_xlsx"))
    for name, content in parts.items():
        if name.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in content or b"<!ENTITY" in content):
            raise TemplateError(_message("dtd"))
    try:
        shared = _shared_strings(parts.get("xl/sharedStrings.xml"))
        date_styles, fonts = _styles(parts.get("xl/styles.xml"))
    except ET.ParseError:
        raise TemplateError(_message("broken")) from None
    template = Template(parts, shared, date_styles, fonts | _more_fonts(parts))
    template.placeholders = _placeholders(template)
    if not template.placeholders:
        raise TemplateError(_message("none"))
    return template


def _shared_strings(content: bytes | None) -> list[str]:
    if content is None:
        return []
    root = ET.fromstring(content)
    return ["".join(t.text or "" for t in si.iter(f"{_NS}t")) for si in root.iter(f"{_NS}si")]


def _styles(content: bytes | None) -> tuple[set[int], set[str]]:
    """The cell styles (cellXfs indexes) whose number format shows a date, and the font names."""
    if content is None:
        return set(), set()
    root = ET.fromstring(content)
    custom = {int(n.get("numFmtId", "0")): n.get("formatCode", "")
              for n in root.iter(f"{_NS}numFmt")}
    dates: set[int] = set()
    xfs = root.find(f"{_NS}cellXfs")
    for i, xf in enumerate(xfs if xfs is not None else []):
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in _DATE_IDS or (fmt in custom and _is_date_format(custom[fmt])):
            dates.add(i)
    fonts = {n.get("val", "") for font in root.iter(f"{_NS}font") for n in font.iter(f"{_NS}name")}
    return dates, {f for f in fonts if f}


def _more_fonts(parts: dict[str, bytes]) -> set[str]:
    """The fonts named outside the cell styles: rich text runs (`<rFont>`) and the sheets'
    page headers and footers (`&"ＭＳ 明朝,標準"`), so the PDF's font check misses none."""
    found: set[str] = set()
    for name, content in parts.items():
        if name == "xl/sharedStrings.xml" or _SHEET.match(name):
            text = content.decode("utf-8", "replace")
            found.update(_unescape(f) for f in re.findall(r'<rFont\b[^>]*?\bval="([^"]+)"', text))
            for hf in re.findall(r"<(?:odd|even|first)(?:Header|Footer)>(.*?)</", text, re.S):
                named = re.findall(r'&amp;(?:&quot;|")([^"&]+?)(?:&quot;|")', hf)
                found.update(f.split(",")[0] for f in named if f.split(",")[0] != "-")
    return {f.strip() for f in found if f.strip()}


def _is_date_format(code: str) -> bool:
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code).lower()
    return bool(re.search(r"[ydg]|e{1,4}|m{1,5}(?![^;]*0)", plain)) and "0" not in plain.split(";")[0]


def _cell_text(template: Template, attrs: dict[str, str], inner: str | None) -> str | None:
    """The text of a string cell (shared or inline), else None."""
    kind = attrs.get("t")
    if kind == "s" and inner:
        m = re.search(r"<v>(\d+)</v>", inner)
        if m and int(m.group(1)) < len(template.shared):
            return template.shared[int(m.group(1))]
    if kind == "inlineStr" and inner:
        return _unescape("".join(re.findall(r"<t\b[^>]*>(.*?)</t>", inner, re.S)))
    return None


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _attrs(raw: str) -> dict[str, str]:
    return dict(_ATTR.findall(raw))


def _placeholders(template: Template) -> list[str]:
    found: dict[str, None] = {}
    for name, content in sorted(template.parts.items()):
        if _SHEET.match(name):
            for m in _CELL.finditer(content.decode("utf-8", "replace")):
                text = _cell_text(template, _attrs(m.group(1)), m.group(2))
                for key in PLACEHOLDER.findall(text or ""):
                    found[key] = None
    return list(found)


def serial(date: dt.date | dt.datetime) -> str:
    if isinstance(date, dt.datetime):
        delta = date.replace(tzinfo=None) - dt.datetime.combine(_EPOCH, dt.time())
        return repr(round(delta.total_seconds() / 86400, 10))
    return str((date - _EPOCH).days)


Lookup = Callable[[str], Value | None]


def chain(first: Lookup, then: Lookup) -> Lookup:
    """`first`'s value of a placeholder, else `then`'s."""
    return lambda key: first(key) or then(key)


def nothing(key: str) -> Value | None:
    return None


def _fill_cell(template: Template, raw_attrs: str, inner: str | None, lookup: Lookup) -> str | None:
    """The cell with its placeholders filled, or None when it holds none."""
    attrs = _attrs(raw_attrs)
    text = _cell_text(template, attrs, inner)
    if text is None or "{{" not in text:
        return None
    keep = re.sub(r'\s*\bt="[^"]*"', "", raw_attrs)
    alone = PLACEHOLDER.fullmatch(text.strip())
    if alone:
        value = lookup(alone.group(1))
        if value is not None and value.number is not None:
            return f"<c{keep}><v>{value.number}</v></c>"
        if value is not None and value.date is not None and \
                int(attrs.get("s", "0")) in template.date_styles:
            return f"<c{keep}><v>{serial(value.date)}</v></c>"
    filled = PLACEHOLDER.sub(lambda m: (lookup(m.group(1)) or Value("")).text, text)
    if filled == "":
        return f"<c{keep}/>"
    return (f'<c{keep} t="inlineStr"><is><t xml:space="preserve">{escape(filled)}</t></is></c>')


def _fill_cells(template: Template, xml: str, lookup: Lookup) -> str:
    def one(m: re.Match[str]) -> str:
        filled = _fill_cell(template, m.group(1), m.group(2), lookup)
        return m.group(0) if filled is None else filled
    return _CELL.sub(one, xml)


def _row_number(row_xml: str) -> int:
    m = re.match(r'<row\b[^>]*?\br="(\d+)"', row_xml)
    return int(m.group(1)) if m else 0


def _shift_refs(text: str, after: int, by: int, *, expand: int | None = None) -> str:
    """Cell references in `text` below row `after` move down `by` rows; a range ending at row
    `expand` (the repeating row) grows to its last copy."""
    def move(m: re.Match[str]) -> str:
        row = int(m.group(4))
        if row > after:
            row += by
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{row}"
    out = _REF.sub(move, text)
    if expand is not None and by > 0:
        out = re.sub(rf"(:\$?[A-Z]{{1,3}}\$?){expand}(?!\d)",
                     lambda m: f"{m.group(1)}{expand + by}", out)
    return out


def _renumber_row(row_xml: str, new: int, old: int) -> str:
    row_xml = re.sub(r'(<row\b[^>]*?\br=")\d+"', rf'\g<1>{new}"', row_xml, count=1)
    return re.sub(rf'(<c\b[^>]*?\br="[A-Z]{{1,3}}){old}"', rf'\g<1>{new}"', row_xml)


def _same_row_refs(row_xml: str, old: int, new: int) -> str:
    """In a copy of the repeating row, its formulas' references to that row follow the copy
    (`=C5*D5` on the third copy reads `=C7*D7`)."""
    if old == new:
        return row_xml

    def move(m: re.Match[str]) -> str:
        row = int(m.group(4))
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{new if row == old and not m.group(3) else row}"
    return re.sub(r"<f\b([^>]*)>(.*?)</f>",
                  lambda f: f"<f{f.group(1)}>{_REF.sub(move, f.group(2))}</f>", row_xml, flags=re.S)


def _shift_formulas(xml: str, row: int, by: int) -> str:
    return re.sub(r"<f\b([^>]*)>(.*?)</f>", lambda f: f"<f{f.group(1)}>"
                  f"{_shift_refs(f.group(2), row, by, expand=row)}</f>", xml, flags=re.S)


def _shift_attr(xml: str, element: str, row: int, by: int) -> str:
    return re.sub(rf'(<{element} ref=")([^"]+)"',
                  lambda r: f'{r.group(1)}{_shift_refs(r.group(2), row, by)}"', xml)


def _repeat_rows(template: Template, xml: str, m: re.Match[str], records: Sequence[Lookup],
                 common: Lookup) -> tuple[str, int, int]:
    """The sheet, filled, with its repeating row `m` copied once per record (none: the row
    goes) and the rows below moved down; (xml, row, added rows). Each cell is filled once, so
    a value that looks like a placeholder stays as it is."""
    number = _row_number(m.group(0))
    by = len(records) - 1
    copies = [_same_row_refs(_renumber_row(
        _fill_cells(template, m.group(0), chain(line, common)),
        number + i, number), number, number + i) for i, line in enumerate(records)]
    tail = _ROW.sub(lambda r: _renumber_row(r.group(0), _row_number(r.group(0)) + by,
                                            _row_number(r.group(0))), xml[m.end():])
    tail = _shift_attr(_shift_formulas(tail, number, by), "mergeCell", number, by)
    head = _shift_attr(_shift_formulas(xml[:m.start()], number, by), "dimension", number, by)
    return (_fill_cells(template, head, common) + "".join(copies)
            + _fill_cells(template, tail, common), number, by)


def _drop_cached_results(xml: str) -> str:
    """Formula cells lose their cached values, so the reader (Excel, LibreOffice) computes them
    from the filled values."""
    return re.sub(r"(</f>|<f\b[^>]*/>)<v>[^<]*</v>", r"\1", xml)


def _fix_workbook(parts: dict[str, bytes], moved: dict[str, tuple[int, int]]) -> None:
    """The calculation chain lists formula cells by position: it goes (Excel rebuilds it), and
    the workbook asks for a full calculation on load; print areas below a repeating row move."""
    if "xl/calcChain.xml" in parts:
        del parts["xl/calcChain.xml"]
        for rels in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            if rels in parts:
                parts[rels] = re.sub(rb"<(Relationship|Override)\b[^>]*calcChain[^>]*/>", b"",
                                     parts[rels])
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    if "<calcPr" in workbook:
        workbook = re.sub(r"<calcPr\b", '<calcPr fullCalcOnLoad="1"', workbook, count=1) \
            if "fullCalcOnLoad" not in workbook else workbook
    if len(moved) == 1:  # defined names (print areas) of the one sheet with a repeating row
        row, by = next(iter(moved.values()))
        workbook = re.sub(r"(<definedName\b[^>]*>)(.*?)(</definedName>)",
                          lambda m: m.group(1) + _shift_refs(m.group(2), row, by, expand=row)
                          + m.group(3), workbook, flags=re.S)
    parts["xl/workbook.xml"] = workbook.encode("utf-8")


def special(key: str) -> str | None:
    """The special placeholder `key` stands for (today, count, ledger, printed_by, page,
    pages), if any."""
    return SPECIALS.get(key)
