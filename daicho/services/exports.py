"""Exporting a ledger (contract §3.2, §4.3): every visible record matching the filter, streamed
in batches to the xlsx or CSV writer, into a file that appears only when the export succeeded."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.exporting import (
    ExportColumn,
    ExportError,
    UnencodablePosition,
    detail_lines,
    write_csv,
    write_xlsx,
)
from daicho.exporting.charsets import Substitution
from daicho.exporting.crosstab_xlsx import CrossTabSheet, write_crosstab
from daicho.fields.context import ValueContext
from daicho.i18n import join_list
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_CODE, LedgerSchema
from daicho.services import audit

FORMATS = ("xlsx", "csv")
ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
DETAILS = ("record", "lines")  # one row per record / per detail line
BATCH = 2000
MAX_LISTED = 1000  # places listed in the result; the counts are always exact
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def columns_for(schema: LedgerSchema, detail: str = "record") -> list[ExportColumn]:
    """One column per visible field (`detail="lines"`: a field of detail rows spreads into
    its columns, daicho.exporting.detail_lines), then the process status (read-only: `daicho
    import` leaves it out with a warning) when the ledger has a process."""
    if detail == "lines":
        columns = detail_lines.columns(_parts(schema))
    else:
        columns = [ExportColumn(name=f.name, type=schema.type_of(f).export_kind,
                                options=f.options) for f in schema.fields]
    if schema.process is not None:
        kind = schema.type_of(schema.field(STATUS_CODE)).export_kind  # a pseudo field's type
        columns.append(ExportColumn(name=status_header(schema), type=kind))
    return columns


def status_header(schema: LedgerSchema) -> str:
    """The status column's header: 「ステータス」 (the pseudo field's name)."""
    return str(schema.field(STATUS_CODE).name)


def _parts(schema: LedgerSchema) -> list[detail_lines.Part]:
    return [detail_lines.Part(ExportColumn(name=f.name, type=schema.type_of(f).export_kind,
                                           options=f.options),
                              schema.type_of(f).line_columns(f)) for f in schema.fields]


def export_rows(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str] = (),
                search: str = "", detail: str = "record") -> Iterator[list[Any]]:
    """Rows of export values in id order; keyset batches keep memory flat at any size.
    `detail="lines"`: one row per detail line (daicho.exporting.detail_lines)."""
    parts = _parts(schema) if detail == "lines" else None
    ctx = ValueContext()
    where, params = sel.where_clause(user, schema, filters=filters, search=search, ctx=ctx)
    last = 0
    while True:
        with connection.cursor() as cur:
            cur.execute(f"SELECT {sel.select_list(schema)} FROM {q(schema.table)} t "
                        f"WHERE {where} AND t.id > %s ORDER BY t.id LIMIT {BATCH}", [*params, last])
            rows = sel.to_rows(schema, cur.fetchall())
        if not rows:
            return
        ctx = ValueContext()  # a fresh cache per batch keeps memory bounded
        sel.preload(schema, rows, ctx)
        types = [(f, schema.type_of(f)) for f in schema.fields]
        status = schema.process is not None
        for row in rows:
            values = [ftype.export_value(f, row.raw[f.code], ctx) for f, ftype in types]
            if parts is not None:
                details = [None if part.lines is None else ftype.line_values(f, row.raw[f.code],
                                                                             ctx)
                           for part, (f, ftype) in zip(parts, types, strict=True)]
                for line in detail_lines.spread(parts, values, details):
                    yield [*line, row.status] if status else line
                continue
            yield [*values, row.status] if status else values
        last = rows[-1].id


def _as_daicho_error(exc: ExportError) -> DaichoError:
    return DaichoError(exc.message, code=exc.code, details=exc.details, status=exc.status)


def export_ledger(*, user: AnyUser, schema: LedgerSchema, fmt: str, path: Path,
                  encoding: str = "utf-8-sig", replace: bool = False,
                  filters: Sequence[str] = (), search: str = "",
                  detail: str = "record") -> dict[str, Any]:
    """Write the export to `path` atomically; returns counts and any replaced characters.
    `detail`: `record` (one row per record, detail rows as one text cell) or `lines` (one
    row per detail line)."""
    if fmt not in FORMATS:
        raise InvalidInput(_("format must be xlsx or csv."), code=Code.INVALID_FORMAT)
    if detail not in DETAILS:
        raise InvalidInput(_("detail must be record or lines."), code=Code.INVALID_DETAIL)
    if encoding not in ENCODINGS:
        raise InvalidInput(_("encoding must be utf-8-sig, utf-8 or cp932."), code=Code.INVALID_ENCODING)
    columns = columns_for(schema, detail)
    rows = export_rows(user, schema, filters=filters, search=search, detail=detail)
    replaced: list[UnencodablePosition] = []
    substituted: list[Substitution] = []
    substituted_count = 0

    def on_substituted(place: Substitution) -> None:
        nonlocal substituted_count
        substituted_count += 1
        if len(substituted) < MAX_LISTED:
            substituted.append(place)

    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        if fmt == "xlsx":
            count = write_xlsx(tmp, columns, rows, sheet_name=schema.ledger.name)
        else:
            with tmp.open("wb") as out:
                count = write_csv(out, columns, rows, encoding=encoding, replace=replace,
                                  on_replaced=replaced.append, on_substituted=on_substituted)
        tmp.replace(path)
    except ExportError as exc:
        raise _as_daicho_error(exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    audit.record(user=user, action="export", target=f"ledger:{schema.id}",
                 details={"format": fmt, "rows": count, "detail": detail,
                          "filters": list(filters)[:50],
                          "q": search[:200]})
    return {"rows": count, "format": fmt, "encoding": encoding if fmt == "csv" else None,
            "replaced": replaced[:MAX_LISTED], "replaced_count": len(replaced),
            "substituted": substituted, "substituted_count": substituted_count}


def substitutions_text(result: dict[str, Any], places: int = 20) -> str:
    """The export's cp932 look-alikes and dropped variation selectors, said for people ("" when
    there were none): each character once with what was written and the first places."""
    if not result.get("substituted_count"):
        return ""
    by_char: dict[tuple[str, str], list[str]] = {}
    for s in result["substituted"]:
        where = by_char.setdefault((s["char"], s["to"]), [])
        if len(where) < 3:
            where.append(_("row %(row)d 「%(column)s」") % {"row": s["row"], "column": s["column"]})
    shown = []
    for (char, to), where in list(by_char.items())[:places]:
        if not to:
            what = _("%(char)s (a variation selector) was left out") % {"char": _code(char)}
        else:
            name = f"「{char}」" if char.isprintable() and not char.isspace() else ""
            what = _("%(char)s was written as 「%(to)s」") % {"char": name + f"({_code(char)})",
                                                             "to": to}
        shown.append(_("%(what)s: %(places)s") % {"what": what, "places": join_list(where)})
    return _("%(n)d characters were written as cp932 can hold them. %(list)s.") % {
        "n": result["substituted_count"], "list": join_list(shown)}


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def export_crosstab(*, user: AnyUser, schema: LedgerSchema, sheet: CrossTabSheet) -> bytes:
    """A cross-tab of `schema` as an xlsx file, logged as an export like every export. The
    caller opened the ledger with the export right and computed `sheet` through the gate."""
    body = write_crosstab(sheet)
    audit.record(user=user, action="export", target=f"ledger:{schema.id}",
                 details={"format": "xlsx", "layout": "crosstab", "rows": len(sheet.rows)})
    return body
