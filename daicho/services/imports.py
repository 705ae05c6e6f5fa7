"""Importing a file into a ledger (contract §3.1): create, append or upsert, all or nothing.

The file is read by daicho.importing (pure Python); this module maps its columns to fields,
cleans every value through the field registry, and writes everything in one transaction as one
history batch ('import' action) that can later be rolled back as a whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, jobs
from daicho.access import AnyUser
from daicho.db import dialect, search
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import (
    Conflict,
    DaichoError,
    FieldValueError,
    InvalidInput,
    NotFound,
    TooLarge,
)
from daicho.fields import REGISTRY, type_for
from daicho.fields.context import ValueContext
from daicho.i18n import join_list
from daicho.importing import (
    ImportFileError,
    Limits,
    ParsedTable,
    ValueParseError,
    detail_lines,
    parse_value,
    read_table,
)
from daicho.importing import text_of as cell_text
from daicho.importing.collector import no_cycle_collection
from daicho.importing.early import EarlyRead
from daicho.models import Field, History, ImportBatch, Ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import STATUS_CODE, LedgerSchema, load_schema
from daicho.services import audit
from daicho.services import import_names as names
from daicho.services import ledgers as ledger_svc
from daicho.services import records as record_svc
from daicho.services.import_names import proposed_name
from daicho.services.import_values import appended_values

Progress = Callable[[int, int], None]
MODES = ("create", "append", "upsert")
MAX_REPORTED = 1000
WRITE_BATCH = 5000
# The types a column of a file may be given: those that read a cell (FieldType.import_kind).
PARSEABLE = frozenset(key for key, t in REGISTRY.items() if t.import_kind is not None)


@dataclass
class ColumnChoice:
    """The wizard's say about one column of the file: keep or skip it, its name and type."""

    source_index: int
    name: str | None = None
    type: str | None = None
    options: dict[str, Any] | None = None
    skip: bool = False


@dataclass
class ImportOptions:
    ledger: str | int | None = None
    name: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    key: str | None = None
    mode: str | None = None
    skip_bad_rows: bool = False
    dry_run: bool = False
    columns: list[ColumnChoice] = field(default_factory=list)
    # Which rows are records (1-based sheet rows; see importing/outline.py, RowSelection)
    first_row: int | None = None
    last_row: int | None = None
    exclude_rows: frozenset[int] = frozenset()
    include_rows: frozenset[int] = frozenset()


def normalize_header(text: str) -> str:
    """Header matching ignores width, case, blanks and 「」 (contract §3.1)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "「」『』\"'")


def _file_error(exc: ImportFileError) -> DaichoError:
    return DaichoError(exc.message, code=exc.code, status=exc.status, details=exc.details)


def _limits() -> Limits:
    return Limits.configured(settings.DAICHO)


def check_upload_size(size: int | None) -> None:
    """Refuse a file larger than the import limit (the API and the wizard both ask here)."""
    limit = _limits().max_file_bytes
    if (size or 0) > limit:
        raise TooLarge(_("The file is larger than %(n)d MB.") % {"n": limit // (1024 * 1024)},
                       code=Code.TOO_LARGE)


def read(path: Path, *, filename: str, opts: ImportOptions,
         progress: Progress | None = None, early: EarlyRead | None = None) -> ParsedTable:
    """The file's table; `early` is a read of it already under way (the CLI starts one before
    Django is set up), used when it was started with the same file, options and limits."""
    limits = _limits()
    try:
        book = early.book() if early is not None and early.matches(
            path, filename=filename, sheet=opts.sheet, encoding=opts.encoding,
            limits=limits) else None
        return read_table(path, filename=filename, sheet=opts.sheet, header_row=opts.header_row,
                          encoding=opts.encoding, limits=limits, progress=progress, book=book,
                          first_row=opts.first_row, last_row=opts.last_row,
                          exclude_rows=frozenset(opts.exclude_rows),
                          include_rows=frozenset(opts.include_rows))
    except ImportFileError as exc:
        raise _file_error(exc) from None


def resolve_ledger(user: AnyUser, ref: str | int) -> LedgerSchema:
    text = str(ref)
    found = Ledger.objects.filter(name=text).values_list("id", flat=True).first()
    if found is None and text.isdigit():
        found = int(text)
    if found is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": text[:100]}, code=Code.UNKNOWN_LEDGER)
    return access.ledger_for(user, found, "import")


def key_field(schema: LedgerSchema, key: str) -> Field:
    """The field --key names, by code or by name (width, case and blanks ignored, as headers are
    matched), among the fields the importer sees."""
    if key in schema.by_code:
        return schema.by_code[key]
    wanted = normalize_header(key)
    for f in schema.fields:
        if normalize_header(f.name) == wanted:
            return f
    shown = schema.fields[:50]
    raise InvalidInput(
        _("The ledger 「%(ledger)s」 has no field 「%(key)s」. Give the key field by its code or "
          "name: %(fields)s") % {
            "ledger": schema.ledger.name, "key": key[:100],
            "fields": join_list(f"{f.name} ({f.code})" for f in shown)
            + ("…" if len(schema.fields) > len(shown) else "")},
        code=Code.UNKNOWN_FIELD,
        details={"field": key[:64], "fields": [{"code": f.code, "name": f.name} for f in shown]})


def _sheets(table: ParsedTable) -> list[dict[str, Any]]:
    """The report's `sheets`: every sheet and what was found on it; the one read as imported."""
    out = []
    for info in table.survey:
        entry = info.as_dict()
        if info.read:
            entry.update(table=bool(table.columns), header_row=table.header_row,
                         columns=len(table.columns), records=table.row_count)
        out.append(entry)
    return out


def _column_specs(table: ParsedTable, opts: ImportOptions) -> list[tuple[int, dict[str, Any]]]:
    """Field definitions for a new ledger: detected names and types, as the wizard adjusted them."""
    choices = {c.source_index: c for c in opts.columns}
    specs = []
    for i, col in enumerate(table.columns):
        choice = choices.get(col.source_index)
        if choice is not None and choice.skip:
            continue
        spec: dict[str, Any] = {"name": col.name, "type": col.type, "options": dict(col.options)}
        if choice is not None:
            if choice.name:
                spec["name"] = choice.name
            if choice.type:
                spec["type"] = choice.type
                spec["options"] = dict(choice.options or {}) if choice.type != col.type else \
                    dict(choice.options if choice.options is not None else col.options)
            elif choice.options is not None:
                spec["options"] = dict(choice.options)
        specs.append((i, spec))
    return specs


def column_matches(table: ParsedTable, schema: LedgerSchema,
                   skipped: set[int] | None = None) -> dict[int, str | None]:
    """Each column of the file (index in table.columns, minus the `skipped` source indexes) →
    the code of the field it goes into, or None: by the field's name (width, case, blanks and
    「」 ignored) or the mapping saved by the last import, among the fields of `schema` (the
    importer's view of the ledger), each field once. The import and the wizard's column page
    both ask here."""
    saved: dict[str, str] = schema.ledger.settings.get("import", {}).get("columns", {})
    by_name = {normalize_header(f.name): f.code for f in schema.fields}
    out: dict[int, str | None] = {}
    used: set[str] = set()
    for i, col in enumerate(table.columns):
        if skipped and col.source_index in skipped:
            continue
        key = normalize_header(col.name)
        code = by_name.get(key) or saved.get(key)
        if code is None or code not in schema.by_code or code in used:
            out[i] = None
            continue
        used.add(code)
        out[i] = code
    return out


def _is_status_column(schema: LedgerSchema, name: str) -> bool:
    """The status column of an export (daicho.services.exports), in a ledger with a process."""
    return schema.process is not None and \
        normalize_header(name) == normalize_header(str(schema.field(STATUS_CODE).name))


def _match_columns(table: ParsedTable, schema: LedgerSchema,
                   opts: ImportOptions) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
    skipped = {c.source_index for c in opts.columns if c.skip}
    mapping: list[tuple[int, str]] = []
    warnings: list[dict[str, Any]] = []
    for i, code in column_matches(table, schema, skipped).items():
        if code is None:
            name = table.columns[i].name
            message = (_("The column 「%(name)s」 is the process status, which only actions "
                         "change; it was not imported.") if _is_status_column(schema, name) else
                       _("The column 「%(name)s」 matches no field of the ledger and was not "
                         "imported."))
            warnings.append({"row": None, "message": message % {"name": name}})
            continue
        if schema.type_of(schema.by_code[code]).computed:
            warnings.append({"row": None, "message": _(
                "The column 「%(name)s」 is calculated by the ledger's formula; the file's "
                "values were not imported.") % {"name": table.columns[i].name}})
            continue
        if schema.type_of(schema.by_code[code]).derived:
            warnings.append({"row": None, "message": _(
                "The column 「%(name)s」 shows a value of the linked record; the file's values "
                "were not imported.") % {"name": table.columns[i].name}})
            continue
        mapping.append((i, code))
    if not mapping:
        raise InvalidInput(_("No column of the file matches a field of the ledger 「%(name)s」.")
                           % {"name": schema.ledger.name}, code=Code.NO_MATCHING_COLUMNS,
                           details={"columns": [c.name for c in table.columns][:100]})
    return mapping, warnings


@dataclass
class Outcome:
    created: int = 0
    updates: list[tuple[int, record_svc.Prepared]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    bad_rows: set[int] = field(default_factory=set)
    # (row, stage, column, entry): sorted into row order by finish(); at most MAX_REPORTED
    # per column and stage are kept, which is enough for the first MAX_REPORTED in row order.
    _pending: list[tuple[int, int, int, dict[str, Any]]] = field(default_factory=list)
    _kept: dict[tuple[int, int], int] = field(default_factory=dict)

    def error(self, row: int, name: str, value: Any, message: str, *, stage: int = 0,
              column: int = 0) -> None:
        self.error_count += 1
        self.bad_rows.add(row)
        key = (stage, column)
        kept = self._kept.get(key, 0)
        if kept < MAX_REPORTED:
            self._kept[key] = kept + 1
            self._pending.append((row, stage, column, {
                "row": row, "field": name,
                "value": "" if value is None else cell_text(value)[:200], "message": message}))

    def finish(self) -> None:
        self._pending.sort(key=lambda e: e[:3])
        self.errors = [e[3] for e in self._pending[:MAX_REPORTED]]


_BAD = object()  # a cell that did not convert; its error is already recorded


class _Failed:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_NONE = type(None)
# One result may serve every cell holding an equal value only where equal values convert and
# clean alike. Across types they may not (1 == 1.0 == True == Decimal(1)), nor may Decimals or
# date-times as text (1.0 and 1.00, or one moment in two time zones, read differently): raw
# cells share results only within one of these types, and cleaning keeps to the types it has
# always shared (only number fields get Decimals there) or to yes/no alone.
_CONVERT_KEYS = frozenset({str, int, float, bool, dt.date})
_CLEAN_KEYS = frozenset({str, dt.date, Decimal, _NONE, type(_BAD)})
_CLEAN_BOOL_KEYS = frozenset({bool, _NONE, type(_BAD)})


def _map_distinct(cells: list[Any], convert: Callable[[Any], Any]) -> list[Any] | None:
    """[convert(v) for v in cells], calling convert once per distinct value: ledgers repeat
    their values, and mapping the cells through a dict runs in C, not in a Python loop per
    cell. None when a result is a list or dict, which cells must not share."""
    results = dict.fromkeys(cells)
    for v in results:
        r = convert(v)
        if r.__class__ is list or r.__class__ is dict:
            return None
        results[v] = r
    return list(map(results.__getitem__, cells))


def _field_column(table: ParsedTable, i: int, f: Any, inferred: bool, outcome: Outcome,
                  position: int) -> list[Any]:
    """Column i of the file as values for field f: the inferred values when the ledger was made
    from this file, else every cell converted to the field's type (each distinct value once).
    Cells that do not convert are reported and become _BAD."""
    if inferred and table.columns[i].type == f.type:
        return table.values[i]
    raw = table.raw[i]
    kind = type_for(f).import_kind
    if kind is None:
        return [None if v is None else cell_text(v) for v in raw]
    options = f.options
    failed = False

    def convert(v: Any) -> Any:
        nonlocal failed
        if v is None:
            return None
        try:
            return parse_value(kind, options, v)
        except ValueParseError as exc:
            failed = True
            return _Failed(str(exc))

    kinds = set(map(type, raw)) - {_NONE}
    out = _map_distinct(raw, convert) if len(kinds) <= 1 and kinds <= _CONVERT_KEYS else None
    if out is None:
        out = list(map(convert, raw))
    if failed:  # reported in row order, as the report lists them
        for n, r in enumerate(out):
            if r.__class__ is _Failed:
                outcome.error(table.numbers[n], f.name, raw[n], r.message, column=position)
                out[n] = _BAD
    return out


def _clean_column(schema: LedgerSchema, f: Any, values: list[Any], ctx: ValueContext,
                  numbers: list[int], raw: list[Any] | None, outcome: Outcome,
                  position: int) -> list[Any]:
    """record_svc.clean_values for one field over a whole column: each distinct text, date or
    number is cleaned once. Returns the storage values: None where empty or where the cell did
    not convert (the field's required check still applies, as when the value is absent), _BAD
    where the field refused the value (reported here)."""
    ftype = schema.type_of(f)
    refusal = None
    if not ftype.writable:
        refusal = _("This field is filled in automatically.")
    elif f.code in schema.read_only:
        refusal = _("You may read this field but not change it.")
    if refusal is not None:
        for n, v in enumerate(values):
            if v is not _BAD:
                outcome.error(numbers[n], f.name, raw[n] if raw else None, refusal, stage=1,
                              column=position)
        return [_BAD] * len(values)
    fast = ftype.clean_column(f, values, ctx)
    if fast is not None:
        return fast
    clean = ftype.clean
    failed = False

    def convert(v: Any) -> Any:
        nonlocal failed
        if v is _BAD:
            return None
        try:
            return clean(f, v, ctx)
        except FieldValueError as exc:
            failed = True
            return _Failed(exc.message)

    kinds = set(map(type, values))
    shared = kinds <= _CLEAN_KEYS or kinds <= _CLEAN_BOOL_KEYS
    out = _map_distinct(values, convert) if shared else None
    if out is None:
        out = list(map(convert, values))
    if failed:  # reported in row order, as the report lists them
        for n, r in enumerate(out):
            if r.__class__ is _Failed:
                outcome.error(numbers[n], f.name, raw[n] if raw else None, r.message, stage=1,
                              column=position)
                out[n] = _BAD
    return out


def _convert_columns(table: ParsedTable, schema: LedgerSchema, mapping: list[tuple[int, str]],
                     inferred: bool, ctx: ValueContext, outcome: Outcome,
                     progress: Progress) -> dict[str, list[Any]]:
    """Every mapped column through its field's cleaning, column by column; problems are
    collected per row (as record_svc.clean_values reports them), not raised."""
    cleaned: dict[str, list[Any]] = {}
    total = len(mapping) or 1
    for position, (i, code) in enumerate(mapping):
        f = schema.by_code[code]
        values = _field_column(table, i, f, inferred, outcome, position)
        cleaned[code] = _clean_column(schema, f, values, ctx, table.numbers, table.raw[i],
                                      outcome, position)
        progress(40 + 20 * (position + 1) // total, 100)
    empty = [None] * table.row_count
    source = {code: i for i, code in mapping}
    for position, f in enumerate(schema.required):
        column = cleaned.get(f.code, empty)
        raw = table.raw[source[f.code]] if f.code in source else empty
        if _NONE not in set(map(type, column)):
            continue  # every cell filled: no need to look at them one by one
        for n, v in enumerate(column):
            if v is None:
                outcome.error(table.numbers[n], f.name, raw[n], _("This field is required."),
                              stage=2, column=position)
    return cleaned


def _keep(columns: dict[str, list[Any]], keep: list[int]) -> dict[str, list[Any]]:
    return {code: [values[i] for i in keep] for code, values in columns.items()}


def _json_of(schema: LedgerSchema, code: str, value: Any, ctx: ValueContext) -> Any:
    f = schema.by_code[code]
    return schema.type_of(f).history_value(f, value, ctx)


def _unique_checks(schema: LedgerSchema, columns: dict[str, list[Any]], numbers: list[int],
                   good: list[int], outcome: Outcome, ctx: ValueContext) -> None:
    """Unique fields: a value already used by a live record, or used by an earlier row of the
    file, is an error (record_svc._check_unique, one query per 500 values)."""
    for position, f in enumerate(schema.fields):
        if not f.unique or f.code not in columns:
            continue
        ftype = schema.type_of(f)
        column = columns[f.code]
        params = {n: ftype.to_param(column[n]) for n in good if column[n] is not None}
        taken = _taken(schema, f, list(dict.fromkeys(params.values())))
        seen: set[Any] = set()
        for n, param in params.items():
            if param in taken or param in seen:
                outcome.error(numbers[n], f.name, _json_of(schema, f.code, column[n], ctx),
                              _("This value is already used by another record."), stage=3,
                              column=position)
            seen.add(param)


def _live_rows_where_in(schema: LedgerSchema, f: Any, params: list[Any],
                        columns: str) -> Iterator[tuple[Any, ...]]:
    """`columns` of the live records whose field f is one of params, 500 values a query."""
    for start in range(0, len(params), 500):
        chunk = params[start:start + 500]
        with connection.cursor() as cur:
            cur.execute(f"SELECT {columns} FROM {q(schema.table)} t "
                        f"WHERE t.{q(f.column)} IN ({', '.join(['%s'] * len(chunk))}) "
                        f"AND {dialect.live()}", chunk)
            yield from cur.fetchall()


def _taken(schema: LedgerSchema, f: Any, params: list[Any]) -> set[Any]:
    taken = {row[0] for row in _live_rows_where_in(schema, f, params, f"t.{q(f.column)}")}
    if taken:
        # What the database returns may be of another Python type than the parameter (a
        # NUMERIC comes back as Decimal or float): compare in parameter form.
        ftype = schema.type_of(f)
        taken |= {ftype.to_param(v) for v in taken}
    return taken


def _existing_by_key(grant: access.Grant, schema: LedgerSchema, key_code: str,
                     keys: list[Any]) -> tuple[dict[Any, sel.Row], set[Any]]:
    """The live records the importer may edit, by key; and the keys held only by records they
    may not edit (or not even see)."""
    f = schema.by_code[key_code]
    ftype = schema.type_of(f)
    out: dict[Any, sel.Row] = {}
    params = list(dict.fromkeys(ftype.to_param(k) for k in keys if k is not None))
    rows = sel.to_rows(schema, _live_rows_where_in(schema, f, params, sel.select_list(schema)))
    editable = _editable(grant, [row.id for row in rows])
    taken: set[Any] = set()
    for row in rows:
        key = ftype.to_param(row.raw[key_code])
        if row.id in editable:
            out[key] = row
        else:
            taken.add(key)
    return out, taken - set(out)


def _editable(grant: access.Grant, ids: list[int]) -> set[int]:
    """Those of `ids` the importer holds edit on (the edit right's record conditions)."""
    condition, params = grant.predicate("edit")
    if not condition:
        return set(ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        with connection.cursor() as cur:
            cur.execute(f"SELECT t.id FROM {q(grant.full.table)} t WHERE t.id IN "
                        f"({', '.join(['%s'] * len(chunk))}) AND ({condition})", [*chunk, *params])
            found.update(int(r[0]) for r in cur.fetchall())
    return found


def _split_upsert(user: AnyUser, schema: LedgerSchema, key_code: str,
                  columns: dict[str, list[Any]], numbers: list[int], good: list[int],
                  outcome: Outcome, ctx: ValueContext) -> list[int]:
    """Rows whose key matches a live record become updates (or count as unchanged); the row
    indexes of the rest, to be created, are returned. A key held only by a record the importer
    may not edit is refused as a value already in use, whatever the rest of the row holds
    (contract §3.1): the report tells nothing about that record."""
    f = schema.by_code[key_code]
    ftype = schema.type_of(f)
    keys = columns.get(key_code) or [None] * len(numbers)
    existing, taken = _existing_by_key(access.grant_of(user, schema), schema, key_code,
                                       [keys[n] for n in good])
    seen: dict[Any, int] = {}
    create: list[int] = []
    for n in good:
        number, key = numbers[n], keys[n]
        if key is None:
            outcome.error(number, f.name, None, _("The key field is empty."), stage=3)
            continue
        param = ftype.to_param(key)
        if param in seen:
            outcome.error(number, f.name, _json_of(schema, key_code, key, ctx),
                          _("The same key appears again (first in row %(row)d).")
                          % {"row": seen[param]}, stage=3)
            continue
        seen[param] = number
        current = existing.get(param)
        if current is None and param in taken:
            outcome.error(number, f.name, _json_of(schema, key_code, key, ctx),
                          _("This value is already used by another record."), stage=3)
            continue
        if current is None:
            create.append(n)
            continue
        stored = {code: values[n] for code, values in columns.items()}
        prepared = record_svc.Prepared(stored, {code: _json_of(schema, code, value, ctx)
                                                for code, value in stored.items()})
        old = {c: schema.type_of(schema.by_code[c]).history_value(schema.by_code[c], current.raw[c],
                                                                 ctx) for c in prepared.stored}
        if all(old[c] == prepared.as_json[c] for c in prepared.stored):
            outcome.unchanged += 1
        else:
            outcome.updates.append((current.id, prepared))
    return create


def _report(*, table: ParsedTable, schema: LedgerSchema | None, outcome: Outcome, dry_run: bool,
            ok: bool, warnings: list[dict[str, Any]], batch_id: str | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "ok": ok,
        "dry_run": dry_run,
        "ledger": {"id": schema.id, "name": schema.ledger.name} if schema else None,
        "created": outcome.created if ok else 0,
        "updated": len(outcome.updates) if ok else 0,
        "unchanged": outcome.unchanged if ok else 0,
        "fields": [{"code": f.code, "name": f.name, "type": f.type}
                   for f in (schema.fields if schema else [])],
        "header_row": table.header_row,
        "sheet": table.sheet,
        "sheets": _sheets(table),
        "encoding": table.encoding,
        "errors": outcome.errors,
        "error_count": outcome.error_count,
        "skipped_rows": len(outcome.bad_rows),
        "warnings": warnings[:MAX_REPORTED],
        "text_columns": [r.as_dict() for r in table.text_reasons],
        "outline": table.row_outline.summary(),
        "batch_id": batch_id,
    }
    if not ok:
        report["error"] = {"code": Code.INVALID_ROWS, "message": _(
            "%(n)d values cannot be stored; nothing was imported. Fix them, or import with "
            "--skip-bad-rows to leave those rows out.") % {"n": outcome.error_count}}
    return report


class _DryRun(Exception):
    """Raised inside the transaction to undo a dry run after it did everything for real."""


def run_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions,
               progress: Progress | None = None,
               early: EarlyRead | None = None) -> dict[str, Any]:
    """Every import is in the access log: one that wrote as `import` (in its transaction), a
    dry run as `import_dry_run`, and one refused — by the checks, a bad file or bad rows — as
    `import_refused`, with the reason's code."""
    try:
        report = _checked_import(user=user, path=path, filename=filename, opts=opts,
                                 progress=progress, early=early)
    except DaichoError as exc:
        if user.is_authenticated:
            _log_unwritten(user, filename, opts, "import_refused", exc.code)
        raise
    if opts.dry_run or not report.get("ok"):
        _log_unwritten(user, filename, opts,
                       "import_dry_run" if report.get("ok") else "import_refused",
                       (report.get("error") or {}).get("code"), report)
    return report


def _log_unwritten(user: AnyUser, filename: str, opts: ImportOptions, action: str,
                   reason: str | None, report: dict[str, Any] | None = None) -> None:
    ledger = (report or {}).get("ledger") or {}
    target = ledger.get("id") or opts.ledger
    details: dict[str, Any] = {"file": filename[:200], "mode": opts.mode, "dry_run": opts.dry_run}
    if opts.ledger and not ledger:
        details["ledger"] = str(opts.ledger)[:200]
    if reason:
        details["reason"] = reason
    if report:
        details.update(created=report.get("created"), updated=report.get("updated"))
    audit.record(user=user, action=action,
                 target=f"ledger:{target}" if str(target or "").isdigit() else "",
                 details=details)


def _checked_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions,
                    progress: Progress | None = None,
                    early: EarlyRead | None = None) -> dict[str, Any]:
    report_progress = progress or (lambda done, total: None)
    access.require_user(user)
    mode = opts.mode or ("upsert" if opts.key else "append" if opts.ledger else "create")
    if mode not in MODES:
        raise InvalidInput(_("mode must be create, append or upsert."), code=Code.INVALID_MODE)
    if mode == "create" and opts.ledger:
        raise InvalidInput(_("Mode create makes a new ledger; leave out --ledger."),
                           code=Code.INVALID_MODE)
    if mode != "create" and not opts.ledger:
        raise InvalidInput(_("Give the ledger to import into (--ledger)."), code=Code.LEDGER_REQUIRED)
    if mode == "upsert" and not opts.key:
        raise InvalidInput(_("Mode upsert needs the key field (--key)."), code=Code.KEY_REQUIRED)
    target = resolve_ledger(user, opts.ledger) if opts.ledger else None
    if target is None:
        access.require_ledger_creator(user)  # before the file is read
    if target is None and opts.name:
        names.check_new_name(opts.name)
    if target is not None and mode == "upsert":
        key = key_field(target, str(opts.key))
        if not target.type_of(key).can_be_unique:
            raise InvalidInput(_("The field 「%(name)s」 cannot serve as a key.")
                               % {"name": key.name}, code=Code.INVALID_KEY)
        opts = dataclasses.replace(opts, key=key.code)
    from daicho.services import import_database  # it builds on this module

    with no_cycle_collection():
        if import_database.applies(filename, opts, mode):
            found = import_database.run(user=user, path=path, filename=filename, opts=opts,
                                        progress=report_progress)
            if found is not None:
                return found
        return _read_and_run(user=user, path=path, filename=filename, opts=opts, mode=mode,
                             target=target, progress=report_progress, early=early)


def _read_and_run(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions, mode: str,
                  target: LedgerSchema | None, progress: Progress,
                  early: EarlyRead | None) -> dict[str, Any]:
    table = read(path, filename=filename, opts=opts,
                 progress=lambda d, t: progress(d * 40 // max(t, 1), 100), early=early)
    ctx = ValueContext(user)  # links may point only at records the importer may see
    warnings = list(table.warnings)
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result = _run(user=user, table=table, target=target, mode=mode, opts=opts, ctx=ctx,
                          warnings=warnings, filename=filename, progress=progress)
            if opts.dry_run or not result["ok"]:
                raise _DryRun()
            ledger_id = (result.get("ledger") or {}).get("id")
            if target is None and ledger_id is not None:
                ledger_svc.log_created(user, Ledger.objects.get(id=ledger_id))
            audit.record(user=user, action="import", target=f"ledger:{ledger_id}",
                         details={"file": filename[:200], "mode": mode,
                                  "created": result.get("created"),
                                  "updated": result.get("updated")})
    except _DryRun:
        pass  # nothing written; the attempt is logged by run_import (import_dry_run, _refused)
    progress(100, 100)
    return result


def create_from_table(*, user: AnyUser, table: ParsedTable, opts: ImportOptions,
                      ctx: ValueContext, warnings: list[dict[str, Any]], filename: str,
                      progress: Progress) -> dict[str, Any]:
    """A new ledger from an already read table, in the caller's transaction (which rolls back a
    dry run or a refused table): the report."""
    return _run(user=user, table=table, target=None, mode="create", opts=opts, ctx=ctx,
                warnings=warnings, filename=filename, progress=progress)


def _run(*, user: AnyUser, table: ParsedTable, target: LedgerSchema | None, mode: str,
         opts: ImportOptions, ctx: ValueContext, warnings: list[dict[str, Any]], filename: str,
         progress: Progress) -> dict[str, Any]:
    if target is None:
        specs = _column_specs(table, opts)
        name = opts.name or names.free_default_name(table, filename, warnings)
        schema = ledger_svc.create_ledger(user=user, name=name, fields=[s for _i, s in specs],
                                          logged=False)  # logged with the import, at its end
        mapping = [(i, f.code) for (i, _s), f in zip(specs, schema.fields, strict=True)]
        inferred = True
    else:
        schema = target
        _fold_detail_lines(table, schema, opts)
        mapping, more = _match_columns(table, schema, opts)
        warnings.extend(more)
        warnings.extend(appended_values(user, table, schema, mapping))
        inferred = False
    outcome = Outcome()
    columns = _convert_columns(table, schema, mapping, inferred, ctx, outcome, progress)
    # The cells as read are not needed any more; on a full sheet they are hundreds of MB.
    table.values, table.raw, table._rows = [], [], None
    numbers = table.numbers
    good = [n for n, number in enumerate(numbers) if number not in outcome.bad_rows] \
        if outcome.bad_rows else list(range(len(numbers)))
    if mode == "upsert":
        create = _split_upsert(user, schema, str(opts.key), columns, numbers, good, outcome,
                               ctx)
    else:
        _unique_checks(schema, columns, numbers, good, outcome, ctx)
        create = [n for n in good if numbers[n] not in outcome.bad_rows] \
            if outcome.bad_rows else good
    outcome.finish()
    ok = outcome.error_count == 0 or opts.skip_bad_rows
    if ok and outcome.error_count:
        bad = outcome.bad_rows
        warnings.append({"row": None, "message": _("%(n)d rows with errors were left out.")
                         % {"n": len(bad)}})
    batch_id = None
    if ok:
        if len(create) < len(numbers):
            columns = _keep(columns, create)
        outcome.created = len(create)
        del create, good
        fresh_ledger = target is None
        if fresh_ledger:
            # A new table is filled first and indexed afterwards, by a background job once the
            # import has committed (jobs.search_index): its gram index and the field indexes
            # are the larger part of an import's work, and until they exist search reads the
            # search keys and pages scan the table — slower, never different. Unique indexes
            # stay: they guard the data.
            ddl.suspend_indexes(schema.ledger, schema.fields)
            search.suspend_index(schema.ledger)
        batch_id = _write(user, schema, columns, outcome, ctx, progress)
        del columns
        if fresh_ledger:
            jobs.enqueue(kind_name="search_index", params={"ledger": schema.id}, user=None)
        elif outcome.created:
            ddl.analyze(schema.ledger)
        _remember(user, schema, table, mapping, mode, created=target is None,
                  outcome=outcome, batch_id=batch_id, filename=filename)
    # The fields as the importer sees them (a field added since, or hidden from them, is not
    # theirs to learn from the report).
    fresh = access.grant_for(user, load_schema(schema.id) or schema).schema("import")
    return _report(table=table, schema=fresh, outcome=outcome, dry_run=opts.dry_run, ok=ok,
                   warnings=warnings, batch_id=batch_id if not opts.dry_run else None)


def _fold_detail_lines(table: ParsedTable, schema: LedgerSchema, opts: ImportOptions) -> None:
    """A sheet in the "one row per detail line" layout: its rows folded into records
    (daicho.importing.detail_lines)."""
    fields = {}
    for f in schema.fields:
        spread = schema.type_of(f).line_columns(f)
        if spread:
            fields[f.name] = [(code, name) for code, name, _kind, _options in spread]
    if fields:
        key = key_field(schema, opts.key).name if opts.key else None
        detail_lines.fold(table, fields, normalize_header, key)


def _write(user: AnyUser, schema: LedgerSchema, columns: dict[str, list[Any]], outcome: Outcome,
           ctx: ValueContext, progress: Progress) -> str:
    batch_id = record_svc.new_batch_id()
    total = outcome.created + len(outcome.updates) or 1
    if outcome.created:
        record_svc.import_columns(
            user=user, schema=schema, columns=columns, ctx=ctx, batch_id=batch_id,
            progress=lambda done, _count: progress(60 + 40 * done // total, 100))
    done = outcome.created
    for start in range(0, len(outcome.updates), WRITE_BATCH):
        updates = outcome.updates[start:start + WRITE_BATCH]
        record_svc.import_rows(user=user, schema=schema, items=[], updates=updates, ctx=ctx,
                               batch_id=batch_id)
        done += len(updates)
        progress(60 + 40 * done // total, 100)
    return batch_id


def _remember(user: AnyUser, schema: LedgerSchema, table: ParsedTable,
              mapping: list[tuple[int, str]], mode: str, *, created: bool, outcome: Outcome,
              batch_id: str, filename: str) -> None:
    """Save the column mapping on the ledger so next year's file imports without questions."""
    ledger = Ledger.objects.select_for_update().get(id=schema.id)
    saved = dict(ledger.settings.get("import", {}).get("columns", {}))
    for i, code in mapping:
        saved[normalize_header(table.columns[i].name)] = code
    ledger.settings = {**ledger.settings, "import": {
        "columns": saved, "sheet": table.sheet, "header_row": table.header_row,
        "file": filename[:255]}}
    if created:
        ledger.settings["migrated_from"] = {"file": filename[:255], "format": table.format,
                                            "at": timezone.now().isoformat()}
    ledger.save(update_fields=["settings"])
    ImportBatch.objects.create(
        ledger_id=schema.id, batch_id=batch_id, user_id=user.pk if user.is_authenticated else None,
        file_name=filename[:255], mode=mode, created_ledger=created,
        created=outcome.created, updated=len(outcome.updates), unchanged=outcome.unchanged,
        report={"header_row": table.header_row, "sheet": table.sheet})


def rollback_import(*, user: AnyUser, batch_id: str, confirm: bool = False) -> dict[str, Any]:
    """Undo a whole import: trash what it created, revert what it updated.

    Records edited after the import are listed and left alone unless `confirm` is given; even
    then their later edits stay in the history."""
    batch = ImportBatch.objects.filter(batch_id=batch_id).first()
    if batch is None:
        raise NotFound()
    schema = access.ledger_for(user, batch.ledger_id, "import")
    if batch.rolled_back_at is not None:
        raise Conflict(_("This import was already rolled back."), code=Code.ALREADY_ROLLED_BACK)
    entries = list(History.objects.filter(ledger_id=schema.id, batch_id=batch_id)
                   .values_list("record_id", "revision"))
    ctx = ValueContext()
    with transaction.atomic():
        edited: list[int] = []
        rows = {r.id: r for r in record_svc._rows_by_id(user, schema, [rid for rid, _r in entries])}
        for rid, revision in entries:
            row = rows.get(rid)
            if row is not None and (row.revision != revision or row.deleted):
                edited.append(rid)
        if edited and not confirm:
            raise Conflict(_("%(n)d records were changed after the import. Roll back anyway?")
                           % {"n": len(edited)}, code=Code.EDITED_SINCE_IMPORT,
                           details={"records": edited[:MAX_REPORTED], "count": len(edited)})
        live = [(rid, revision) for rid, revision in entries
                if (row := rows.get(rid)) is not None and not row.deleted]
        trash = [rid for rid, revision in live if revision == 1]
        revert = [(rid, revision - 1) for rid, revision in live if revision != 1]
        record_svc.undo_import(user=user, schema=schema, trash=trash, revert=revert, ctx=ctx)
        trashed, reverted = len(trash), len(revert)
        batch.rolled_back_at = timezone.now()
        batch.save(update_fields=["rolled_back_at"])
        audit.record(user=user, action="import_rollback", target=f"ledger:{schema.id}",
                     details={"batch": batch_id, "trashed": trashed, "reverted": reverted,
                              "edited_since": len(edited)})
    return {"trashed": trashed, "reverted": reverted, "edited_since": len(edited)}


__all__ = ["ColumnChoice", "FieldValueError", "ImportOptions", "proposed_name", "rollback_import",
           "run_import"]
