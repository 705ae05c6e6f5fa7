"""A print form filled for its reader (contract §7 print): each value is drawn by the same
widget as on screen (names instead of logins and codes, numbers with separators, 和暦 where the
field says so), from the ledger as the gate shows it to the reader, so a hidden field is never
filled. A placeholder alone in its cell gives a number or a date, which the template cell's own
format then shows (its 和暦 or currency format wins)."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_wareki
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.fields.context import ValueContext
from daicho.models import Field, PrintForm
from daicho.printforms import paging, pdf, xlsx
from daicho.selectors import details
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services.print_forms import forms_of, status_keys
from daicho.web.names import Names
from daicho.web.widgets import widget_for

PRINT_LIMIT = 1000  # records in one printed list, as for the screen's list printout
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class PdfUnavailable(DaichoError):
    status = 503
    code = Code.PDF_UNAVAILABLE


@dataclass
class Printed:
    content: bytes
    filename: str
    content_type: str


def _plain(markup: str) -> str:
    return html.unescape(strip_tags(markup)).strip()


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None


def _date(field_type: str, value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        if field_type == "date" and len(value) == 10:
            return dt.date.fromisoformat(value)
        if field_type == "datetime":
            return dt.datetime.fromisoformat(value).astimezone(TOKYO)
    except ValueError:
        return None
    return None


def _shown(fields: list[Field], values: dict[str, Any], names: Names) -> dict[str, xlsx.Value]:
    """Placeholders of these values, by field code and by field name."""
    out: dict[str, xlsx.Value] = {}
    for f in fields:
        value = values.get(f.code)
        kind = str(f.options.get("result")) if f.type == "formula" else f.type
        shown = xlsx.Value(_plain(widget_for(f).show(f, value, names)),
                           number=_number(value) if kind == "number" else None,
                           date=_date(kind, value))
        out[f.code] = shown
        out.setdefault(f.name, shown)
    return out


def record_values(schema: LedgerSchema, record: dict[str, Any],
                  names: Names) -> dict[str, xlsx.Value]:
    """A record's placeholders, by field code and by field name, as the reader sees them."""
    out = _shown(schema.fields, record["values"], names)
    status = record.get("status")
    for key in status_keys(schema):  # a field of that code or name comes first
        out.setdefault(key, xlsx.Value(str(status or "")))
    return out


def _specials(schema: LedgerSchema, user: AnyUser, names: Names,
              count: int) -> dict[str, xlsx.Value]:
    today = timezone.localdate()
    values = {"today": xlsx.Value(format_wareki(today), date=today),
              "count": xlsx.Value(f"{count:,}", number=Decimal(count)),
              "ledger": xlsx.Value(schema.ledger.name),
              "printed_by": xlsx.Value(names.user(user.get_username())),
              "page": xlsx.Value("1"), "pages": xlsx.Value("1")}  # paging numbers each page
    return {key: values[kind] for key, kind in xlsx.SPECIALS.items()}


def _records(user: AnyUser, schema: LedgerSchema, filters: list[str], search: str,
             sort: str | None, ctx: ValueContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = sel.list_records(user, schema, filters=filters, search=search, sort=sort,
                                limit=500, cursor=cursor, ctx=ctx)
        out += sel.records_json(schema, page.rows, ctx)
        if len(out) > PRINT_LIMIT:
            raise InvalidInput(_("A printed list holds at most %(n)s records. Narrow the list "
                                 "down with a filter first.") % {"n": f"{PRINT_LIMIT:,}"},
                               code=Code.TOO_MANY_RECORDS)
        cursor = page.next_cursor
        if cursor is None:
            return out


def _detail_lines(user: AnyUser, schema: LedgerSchema, placeholders: list[str],
                  record: dict[str, Any], names: Names,
                  ctx: ValueContext) -> dict[str, list[xlsx.Lookup]]:
    """The detail lines of the record for each `{{SOURCE.FIELD}}` placeholder of the form: one
    lookup per line, answering `NAME.CODE` and `NAME.field name` for every NAME the form uses
    for that source (`{{items.品名}}` beside `{{明細.qty}}`). A source the reader may not see
    has no lines."""
    named: dict[str, details.Source | None] = {}
    for key in placeholders:
        parts = details.split(key)
        if parts is not None and parts[0] not in named:
            named[parts[0]] = details.source(user, schema, parts[0])
    lines: dict[tuple[Any, ...], list[xlsx.Lookup]] = {}
    for src in named.values():
        if src is not None and src.identity not in lines:
            details.load(user, schema, src, record, ctx)
            names.load_values(src.fields, src.lines, src.logins)
            aliases = {n for n, s in named.items() if s is not None and s.identity == src.identity}
            lines[src.identity] = [_line(aliases, _shown(src.fields, line, names))
                                   for line in src.lines]
    out: dict[str, list[xlsx.Lookup]] = {}
    for key in placeholders:
        parts = details.split(key)
        if parts is not None:
            found = named[parts[0]]
            out[key] = lines[found.identity] if found is not None else []
    return out


def _line(aliases: set[str], shown: dict[str, xlsx.Value]) -> xlsx.Lookup:
    def lookup(key: str) -> xlsx.Value | None:
        parts = details.split(key)
        return shown.get(parts[1]) if parts is not None and parts[0] in aliases else None
    return lookup


def render(user: AnyUser, schema: LedgerSchema, form: PrintForm, *, fmt: str,
           record_id: Any = None, filters: list[str] | None = None, search: str = "",
           sort: str | None = None) -> Printed:
    """One record (`record_id`) or the list matching `filters`/`search`, as xlsx or pdf."""
    if fmt not in CONTENT_TYPES:
        raise InvalidInput(_("format must be xlsx or pdf."), code=Code.INVALID_FORMAT)
    ctx = ValueContext()
    if record_id is not None:
        records = sel.records_json(schema, [sel.get_row(user, schema, record_id)], ctx)
    else:
        records = _records(user, schema, list(filters or []), search, sort, ctx)
    logins = [r.get(k) for r in records for k in ("created_by", "updated_by")]
    names = Names(user).load_values(schema.fields, [r["values"] for r in records], logins)
    template = xlsx.load(bytes(form.content))
    common = _specials(schema, user, names, len(records))
    try:
        if record_id is not None:
            common = {**common, **record_values(schema, records[0], names)}
            lines = _detail_lines(user, schema, template.placeholders, records[0], names, ctx)
            content = paging.fill(template, common=common.get, rows=lambda key: None
                                  if key in common else lines.get(key))
        else:
            rows = [record_values(schema, r, names).get for r in records]
            content = paging.fill(template, common=common.get,
                                  rows=lambda key: rows if xlsx.special(key) is None else None)
    except paging.FormTooLarge as exc:
        raise InvalidInput(str(exc), code=Code.FORM_TOO_LARGE) from None
    if fmt == "pdf":
        try:
            content = pdf.to_pdf(content, set(form.fonts))
        except pdf.MissingFonts as exc:
            raise InvalidInput(str(exc), code=Code.MISSING_FONTS) from None
        except pdf.ConvertError as exc:
            raise PdfUnavailable(str(exc)) from None
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Printed(content, f"{form.name}-{stamp}.{fmt}", CONTENT_TYPES[fmt])


def menu(user: AnyUser, schema: LedgerSchema, *, record_id: int | None = None,
         query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The 帳票 menu (web/parts/_print_menu.html): the forms `user` may print, each with its
    links for one record (`record_id`) or for the list (`query`: its filters, search and sort).
    The record page draws it with the page, not after it: a menu that arrived later moved the
    buttons beside it under the pointer."""
    if record_id is not None:
        base, shown = f"/api/v1/ledgers/{schema.id}/records/{record_id}/print?", []
    else:
        base, shown = f"/api/v1/ledgers/{schema.id}/print?", query or []
    converter = pdf.converter() is not None
    formats = ("xlsx", "pdf") if converter else ("xlsx",)
    items = [{"form": f, "links": [(fmt, base + urlencode([("form", f.id), ("format", fmt),
                                                            *shown]))
                                   for fmt in formats]}
             for f in forms_of(user, schema)]
    return {"items": items, "pdf": converter}
