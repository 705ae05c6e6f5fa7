"""The subtable (明細) type: rows inside a record, each with typed columns (an estimate's items,
a lending slip's things lent).

Stored as one JSON text in the ledger's table: `{"next": N, "rows": [{"id": 1, CODE: VALUE}]}`,
each cell in its column type's JSON form. Row ids are handed out by the server from `next`,
which only grows, so an id is never given to two rows of one record and a row keeps its id
across changes (history pairs rows by it). One column, not a child table: a record's rows are
read, written, versioned and reverted with the record, in the same statement as its other
values, and no other query path (list, search, export) needs a join (docs/architecture.md)."""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.db import dialect
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput, TooLarge
from daicho.fields.base import FieldType, check_text, reject_unknown
from daicho.fields.formula import RESULTS, FormulaType
from daicho.formula import Formula, FormulaError, compile_formula

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

MAX_ROWS = 2_000
MAX_COLUMNS = 50
MAX_CHARS = 2_000_000  # the stored JSON text of one record's rows
# The simple types a column may have (no references, files or nested subtables), and formula:
# computed per row from the row's cells (amount = qty * price), never written.
COLUMN_TYPES = ("text", "textarea", "number", "date", "yesno", "choice", "multichoice",
                "email", "url", "formula")
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED = frozenset({"id"})


class RowsValueError(FieldValueError):
    """Refused rows, each problem named by its row (1-based) and column code."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.rows = rows


def columns(field: Field) -> list[Field]:
    """The subtable's columns as (unsaved) Field objects of their types, kept on the field."""
    from daicho.models import Field as FieldModel

    key = json.dumps(field.options.get("fields", []), sort_keys=True)
    cached = field.__dict__.get("_subtable_columns")
    if cached is None or cached[0] != key:
        made = [FieldModel(code=c["code"], name=c["name"], type=c["type"],
                           options=c.get("options") or {}, ledger_id=field.ledger_id)
                for c in field.options.get("fields", [])]
        cached = (key, made)
        field.__dict__["_subtable_columns"] = cached
    return list(cached[1])


def _column_type(column: Field) -> FieldType:
    from daicho.fields import REGISTRY

    return REGISTRY[column.type]


def _value_type(column: Field) -> FieldType:
    """The type a cell's JSON value is read back with: a formula column's is its result's."""
    ctype = _column_type(column)
    if ctype.computed:
        return RESULTS.get(str(column.options.get("result")), RESULTS["number"])
    return ctype


_FORMULA = FormulaType()


@functools.lru_cache(maxsize=256)
def _compiled(expression: str, kinds: tuple[tuple[str, str], ...]) -> Formula:
    return compile_formula(expression, dict(kinds))


class _ColumnFormulaError(Exception):
    def __init__(self, column: Field, error: FormulaError) -> None:
        super().__init__(error.message)
        self.column, self.error = column, error


def _plan(cols: list[Field]) -> list[tuple[Field, Formula]]:
    """The formula columns, each compiled against the typed columns and the formula columns
    before it (raises _ColumnFormulaError naming the column)."""
    kinds = {c.code: _column_type(c).formula_kind(c) for c in cols
             if not _column_type(c).computed}
    out = []
    for c in cols:
        if _column_type(c).computed:
            try:
                formula = _compiled(str(c.options.get("expression", "")),
                                    tuple(sorted(kinds.items())))
            except FormulaError as exc:
                raise _ColumnFormulaError(c, exc) from None
            out.append((c, formula))
            kinds[c.code] = str(c.options.get("result", "number"))
    return out


def _rows(raw: Any) -> list[dict[str, Any]]:
    if not raw:
        return []
    data = json.loads(raw) if isinstance(raw, str) else raw
    rows = data.get("rows", []) if isinstance(data, dict) else data
    return list(rows)


def _next(raw: Any) -> int:
    if not raw:
        return 1
    data = json.loads(raw) if isinstance(raw, str) else raw
    return int(data.get("next", 1)) if isinstance(data, dict) else 1


def _dump(rows: list[dict[str, Any]], next_id: int | None) -> str:
    data: dict[str, Any] = {"rows": rows} if next_id is None else {"next": next_id, "rows": rows}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _finished(rows: list[dict[str, Any]], next_id: int) -> str:
    """Rows with an id for each new one (from next_id up), as the stored text; the empty
    rows clean() kept in place are left out."""
    out = []
    for row in rows:
        if not row:
            continue
        if row.get("id") is None:
            row = {"id": next_id, **{k: v for k, v in row.items() if k != "id"}}
            next_id += 1
        out.append(row)
    return _dump(out, next_id)


class SubtableType(FieldType):
    key = "subtable"
    label = gettext_lazy("Detail rows")
    operators = frozenset({"empty", "notempty", "contains"})
    sortable = False
    indexed = False
    can_be_unique = False
    groupable = False
    searchable = True
    in_formulas = "list"
    # One row per record: the rows as lines of one cell, wrapped so that each shows. A file's
    # detail lines come back through daicho/importing/detail_lines.py, not through a cell kind.
    export_kind = "textarea"
    import_kind = None
    # clean() cannot know which row ids the record has handed out: the writers call against()
    # with the record's stored value.
    needs_current: ClassVar[bool] = True

    # -- options -------------------------------------------------------------------------------
    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        from daicho.fields import REGISTRY

        reject_unknown(options, {"fields"})
        given = options.get("fields")
        if not isinstance(given, list) or not 1 <= len(given) <= MAX_COLUMNS:
            raise InvalidInput(_("fields must be a list of 1 to %(n)d columns.")
                               % {"n": MAX_COLUMNS}, code=Code.INVALID_OPTIONS)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for n, column in enumerate(given, start=1):
            if not isinstance(column, dict):
                raise InvalidInput(_("Column %(n)d must be an object with code, name and type.")
                                   % {"n": n}, code=Code.INVALID_OPTIONS)
            reject_unknown(column, {"code", "name", "type", "options"})
            code, name, ctype = column.get("code"), column.get("name"), column.get("type")
            if not isinstance(code, str) or not _CODE_RE.match(code) or code in _RESERVED \
                    or code in seen:
                raise InvalidInput(_("Column %(n)d needs a code of small letters, digits and _ "
                                     "(not id), different from the other columns.") % {"n": n},
                                   code=Code.INVALID_OPTIONS, details={"column": n})
            if not isinstance(name, str) or not name.strip() or len(name) > 100:
                raise InvalidInput(_("Column %(n)d needs a name of at most 100 characters.")
                                   % {"n": n}, code=Code.INVALID_OPTIONS, details={"column": n})
            check_text(name, multiline=False, max_length=100)
            if ctype not in COLUMN_TYPES:
                raise InvalidInput(_("Column %(n)d: a column may be one of %(types)s.")
                                   % {"n": n, "types": ", ".join(COLUMN_TYPES)},
                                   code=Code.INVALID_OPTIONS, details={"column": n})
            inner = column.get("options") or {}
            if not isinstance(inner, dict):
                raise InvalidInput(_("Column %(n)d: options must be an object.") % {"n": n},
                                   code=Code.INVALID_OPTIONS, details={"column": n})
            cleaned = REGISTRY[ctype].clean_options(inner, ctx)
            seen.add(code)
            item: dict[str, Any] = {"code": code, "name": name.strip(), "type": ctype}
            if cleaned:
                item["options"] = cleaned
            out.append(item)
        self._check_formulas(out)
        return {"fields": out}

    @staticmethod
    def _check_formulas(given: list[dict[str, Any]]) -> None:
        from daicho.models import Field as FieldModel

        cols = [FieldModel(code=c["code"], name=c["name"], type=c["type"],
                           options=c.get("options") or {}) for c in given]
        try:
            _plan(cols)
        except _ColumnFormulaError as exc:
            bad = exc.column
            raise InvalidInput(_("The formula of the column 「%(name)s」 cannot be used: "
                                 "%(why)s") % {"name": bad.name, "why": exc.error.message},
                               code=Code.INVALID_EXPRESSION,
                               details={"column": bad.code, "position": exc.error.position,
                                        "expression": str(bad.options.get("expression",
                                                                          ""))[:4000]}) from None

    # -- values --------------------------------------------------------------------------------
    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        """A list of rows → the stored text; rows keep a given id (checked by against()), new
        rows get theirs when the value is finished (against() or to_param())."""
        if value is None or value == [] or value == "":
            return None
        if isinstance(value, str):
            if len(value) > MAX_CHARS:
                raise self._too_large(field, len(value))
            try:
                value = json.loads(value)
            except ValueError:
                raise FieldValueError(_("Give the detail rows as a list of rows.")) from None
            if value is None or value == []:
                return None
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise FieldValueError(_("Give the detail rows as a list of rows (objects of column "
                                    "codes)."))
        if len(value) > MAX_ROWS:
            raise TooLarge(_("「%(name)s」 holds at most %(max)d rows; %(n)d were given.")
                           % {"name": field.name, "max": MAX_ROWS, "n": len(value)},
                           code=Code.TOO_MANY_ROWS,
                           details={"field": field.code, "max_rows": MAX_ROWS,
                                    "rows": len(value)})
        cols = columns(field)
        by_code = {c.code: c for c in cols}
        plan = _plan(cols) if any(_column_type(c).computed for c in cols) else []
        problems: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        seen_ids: set[int] = set()
        for n, given in enumerate(value, start=1):
            row: dict[str, Any] = {}
            rid = given.get("id")
            if rid is not None:
                if not isinstance(rid, int) or isinstance(rid, bool) or rid < 1 \
                        or rid in seen_ids:
                    problems.append({"row": n, "column": "id",
                                     "message": _("A row id must be the id of one row of "
                                                  "this record, given once.")})
                    continue
                seen_ids.add(rid)
                row["id"] = rid
            for code in given:
                if code != "id" and code not in by_code:
                    problems.append({"row": n, "column": str(code)[:64],
                                     "message": _("There is no such column.")})
            empty = True
            env: dict[str, Any] = {}
            for column in cols:
                ctype = _column_type(column)
                if column.code not in given or ctype.computed:
                    continue  # a formula column's value is computed, whatever was sent
                try:
                    stored = ctype.clean(column, given[column.code], ctx)
                except FieldValueError as exc:
                    problems.append({"row": n, "column": column.code, "message": exc.message})
                    continue
                if stored is not None:
                    row[column.code] = ctype.to_json(column, stored, ctx)
                    env[column.code] = ctype.formula_value(column, stored, ctx)
                    empty = False
            if empty and "id" not in row:
                rows.append({})  # keeps the positions for against(); _finished() drops it
                continue
            for column, formula in plan:
                stored = _FORMULA.store(column, formula.evaluate(env))
                if stored is not None:
                    inner = _value_type(column)
                    row[column.code] = inner.to_json(column, stored, ctx)
                    env[column.code] = inner.formula_value(column, stored, ctx)
            rows.append(row)
        if problems:
            first = problems[0]
            raise RowsValueError(_("Row %(row)d, %(column)s: %(message)s")
                                 % {"row": first["row"], "column": self._column_name(cols,
                                                                                     first["column"]),
                                    "message": first["message"]}, problems[:100])
        if not any(rows):
            return None
        text = _dump(rows, None)
        if len(text) > MAX_CHARS:
            raise self._too_large(field, len(text))
        return text

    @staticmethod
    def _column_name(cols: list[Field], code: str) -> str:
        return next((c.name for c in cols if c.code == code), code)

    @staticmethod
    def _too_large(field: Field, size: int) -> TooLarge:
        return TooLarge(_("The detail rows of 「%(name)s」 are too large (at most %(n)d "
                          "characters).") % {"name": field.name, "n": MAX_CHARS},
                        code=Code.TOO_LARGE, details={"field": field.code, "max_chars": MAX_CHARS})

    def against(self, field: Field, stored: Any, current: Any, ctx: ValueContext) -> Any:
        """A cleaned value made final against the record's stored one (None for a new record):
        a given row id must be one this record handed out (an unknown id is refused), new rows
        get the next ids."""
        next_id = _next(current)
        if stored is None:
            return None
        rows = _rows(stored)
        unknown = [{"row": n, "column": "id", "message": _("This record has no row with this id.")}
                   for n, row in enumerate(rows, start=1)
                   if row.get("id") is not None and int(row["id"]) >= next_id]
        if unknown:
            raise RowsValueError(_("Row %(row)d: this record has no row with the id given.")
                                 % {"row": unknown[0]["row"]}, unknown[:100])
        return _finished(rows, next_id)

    def to_param(self, stored: Any) -> Any:
        if stored is None or stored.startswith('{"next"'):
            return stored
        rows = _rows(stored)  # not made final by against() (an import's new records)
        return _finished(rows, max((int(r.get("id") or 0) for r in rows), default=0) + 1)

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        rows = [r for r in _rows(raw) if r]
        return rows or None

    def history_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return self.to_json(field, self.to_param(raw), ctx)

    def change_detail(self, field: Field, old: Any, new: Any) -> dict[str, Any]:
        """The rows added, removed and changed (cells old → new), paired by row id."""
        return {"rows": row_changes(old, new)}

    def convert(self, field: Field, old_value: Any, ctx: ValueContext) -> Any:
        if old_value is None:
            return None
        if isinstance(old_value, list) and all(isinstance(r, dict) for r in old_value):
            return self.to_param(self.clean(field, old_value, ctx))
        raise FieldValueError(_("Values of other types cannot become detail rows."))

    def lines(self, field: Field, raw: Any) -> list[str]:
        """Each row as one line of text: its cells joined by " / " (exports, search)."""
        cols = columns(field)
        out = []
        for row in _rows(raw):
            cells = []
            for column in cols:
                value = row.get(column.code)
                if value is None:
                    continue
                if isinstance(value, bool):
                    value = _("Yes") if value else _("No")
                elif isinstance(value, list):
                    value = "、".join(map(str, value))
                cells.append(f"{column.name}: {value}")
            out.append(" / ".join(cells))
        return out

    def line_columns(self, field: Field) -> list[tuple[str, str, str, dict[str, Any]]] | None:
        return [(c.code, c.name, _value_type(c).export_kind, c.options) for c in columns(field)]

    def line_values(self, field: Field, raw: Any, ctx: ValueContext) -> list[list[Any]]:
        cols = [(c, _value_type(c)) for c in columns(field)]
        out = []
        for row in _rows(raw):
            values = []
            for column, ctype in cols:
                value = row.get(column.code)
                try:
                    stored = None if value is None else ctype.clean(column, value, ctx)
                except FieldValueError:  # a cell from before its column's options changed
                    stored = None
                values.append(None if stored is None else
                              ctype.export_value(column, stored, ctx))
            out.append(values)
        return out

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return "\n".join(self.lines(field, raw)) if raw else None

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        if not raw:
            return ""
        texts = []
        for row in _rows(raw):
            for code, value in row.items():
                if code != "id" and value is not None:
                    texts.append("、".join(map(str, value)) if isinstance(value, list)
                                 else str(value))
        return " ".join(texts)

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        return text

    def filter_sql(self, field: Field, column: str, op: str, text: str,
                   ctx: ValueContext) -> tuple[str, list[Any]]:
        if op == "contains":
            return dialect.json_cells_like(column), [f"%{dialect.like_escape(text)}%"]
        return super().filter_sql(field, column, op, text, ctx)

    # -- formulas -------------------------------------------------------------------------------
    def formula_refs(self, field: Field) -> dict[str, str]:
        """`items.amount` for each column: the column's values over the rows, as a list."""
        return {f"{field.code}.{c.code}": "list" for c in columns(field)}

    def formula_part(self, field: Field, raw: Any, part: str, ctx: ValueContext) -> Any:
        column = next((c for c in columns(field) if c.code == part), None)
        if column is None or raw is None:
            return []
        ctype = _value_type(column)
        out = []
        for row in _rows(raw):
            value = row.get(part)
            if value is None:
                continue
            try:
                stored = ctype.clean(column, value, ctx)
            except FieldValueError:
                continue
            out.append(ctype.formula_value(column, stored, ctx))
        return out

    def formula_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return None  # the subtable itself is not a value; its columns are (formula_part)


def row_changes(old: Any, new: Any) -> list[dict[str, Any]]:
    """From one list of rows (JSON) to another: [{"action": "added" | "removed" | "changed",
    "row": N (1-based position in the new list; in the old one for a removed row), "id",
    "changes"?: {COLUMN: {"old", "new"}}}], in the order of the rows."""
    before = {r.get("id"): (n, r) for n, r in enumerate(old or [], start=1) if isinstance(r, dict)}
    out: list[dict[str, Any]] = []
    kept: set[Any] = set()
    for n, row in enumerate(new or [], start=1):
        if not isinstance(row, dict):
            continue
        rid = row.get("id")
        found = before.get(rid) if rid is not None else None
        if found is None:
            out.append({"action": "added", "row": n, "id": rid})
            continue
        kept.add(rid)
        prior = found[1]
        cells = {code: {"old": prior.get(code), "new": row.get(code)}
                 for code in dict.fromkeys([*prior, *row])
                 if code != "id" and prior.get(code) != row.get(code)}
        if cells:
            out.append({"action": "changed", "row": n, "id": rid, "changes": cells})
    out.extend({"action": "removed", "row": n, "id": rid}
               for rid, (n, _r) in before.items() if rid not in kept)
    return out
