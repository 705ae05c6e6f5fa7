"""A record's values on their way in: cleaned by their fields' types, checked for the rules the
writers enforce (required, unique, writable), and the search key they make. The writers
(daicho.services.records, daicho.services.record_insert) call these; they write nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from daicho import access
from daicho.db import dialect
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, FieldValueError, InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors.ledgers import LedgerSchema
from daicho.textnorm import search_key, sectioned


@dataclass
class Prepared:
    """A record's values cleaned to storage form, with the JSON form kept for history."""

    stored: dict[str, Any]
    as_json: dict[str, Any]


def fields_error(errors: dict[str, str], ctx: ValueContext | None = None,
                  **extra: Any) -> InvalidInput:
    """400 invalid_values; `details.rows` names the refused rows of subtables by field code:
    [{"row": N (1-based), "column": CODE, "message"}]."""
    rows = {code: found for code, found in (ctx.row_errors if ctx else {}).items()
            if code in errors}
    return InvalidInput(_("Some values are not valid."), code=Code.INVALID_VALUES,
                        details={"fields": errors, **({"rows": rows} if rows else {}), **extra})


def clean_values(schema: LedgerSchema, values: Any, ctx: ValueContext, *,
                 creating: bool, current: Mapping[str, Any] | None = None,
                 ) -> tuple[Prepared, dict[str, str]]:
    """Check every given value against its field; returns the cleaned values and the errors.
    `current`: the record's stored values (None for a new record), for the types that make a
    value final against the stored one (FieldType.against: a subtable's row ids). A refusal
    that names rows (a subtable's) puts them in `ctx.row_errors` for the error's details."""
    if not isinstance(values, dict):
        raise InvalidInput(_("values must be an object of field codes."), code=Code.INVALID_VALUES)
    errors: dict[str, str] = {}
    stored: dict[str, Any] = {}
    as_json: dict[str, Any] = {}
    by_code, types = schema.by_code, schema.types
    for code, value in values.items():
        f = by_code.get(code) if isinstance(code, str) else None
        if f is None:
            errors[str(code)[:64]] = _("There is no such field in this ledger.")
            continue
        ftype = types[code]
        if ftype.computed or ftype.derived:
            message = (_("「%(name)s」 is calculated by its formula and cannot be written.")
                       if ftype.computed else
                       _("「%(name)s」 shows a value of the linked record and cannot be written.")
                       ) % {"name": f.name}
            raise InvalidInput(message, code=Code.READ_ONLY_FIELD,
                               details={"field": code, "fields": {code: message}})
        if not ftype.writable:
            errors[code] = _("This field is filled in automatically.")
            continue
        if code in schema.read_only:
            errors[code] = _("You may read this field but not change it.")
            continue
        try:
            cleaned = ftype.clean(f, value, ctx)
            if ftype.needs_current:
                cleaned = ftype.against(f, cleaned, (current or {}).get(code), ctx)
        except FieldValueError as exc:
            errors[code] = exc.message
            rows = getattr(exc, "rows", None)
            if rows:
                ctx.row_errors[code] = rows
            continue
        stored[code] = cleaned
        as_json[code] = ftype.history_value(f, cleaned, ctx)
    for f in schema.required:
        if f.code not in errors and (creating or f.code in stored) and stored.get(f.code) is None:
            errors[f.code] = _("This field is required.")
    return Prepared(stored, as_json), errors


def record_search_key(schema: LedgerSchema, raw: dict[str, Any], ctx: ValueContext) -> str:
    """The record's own searchable texts, then its formulas' (textnorm.sectioned)."""
    own: list[str] = []
    computed: list[str] = []
    for f, ftype in schema.searchable:
        value = raw.get(f.code)
        if value is not None:
            text = ftype.search_text(f, value, ctx)
            if text:
                (computed if ftype.computed else own).append(text)
    return sectioned(search_key("\n".join(own)), search_key("\n".join(computed)))


def check_unique(schema: LedgerSchema, stored: dict[str, Any], record_id: int | None,
                  errors: dict[str, str], batch_seen: dict[str, dict[Any, int]] | None = None,
                  item: int = 0) -> None:
    for f in schema.fields:
        if not f.unique or stored.get(f.code) is None or f.code in errors:
            continue
        param = schema.type_of(f).to_param(stored[f.code])
        sql = f"SELECT t.id FROM {q(schema.table)} t WHERE t.{q(f.column)} = %s AND {dialect.live()}"
        params: list[Any] = [param]
        if record_id is not None:
            sql += " AND t.id <> %s"
            params.append(record_id)
        with connection.cursor() as cur:
            cur.execute(sql + " LIMIT 1", params)
            clash = cur.fetchone()
        if clash is None and batch_seen is not None:
            seen = batch_seen.setdefault(f.code, {})
            if param in seen and seen[param] != item:
                clash = (None,)
            seen.setdefault(param, item)
        if clash is not None:
            errors[f.code] = _("This value is already used by another record.")


def check_writable(grant: access.Grant, prepared: Prepared, right: str) -> None:
    """Prepared values (an import's, cleaned by column) may hold only fields `right` lets the
    user write: the importer reports such columns per row; this is the writer's own guard."""
    locked = grant.hidden | grant.read_only(right)
    refused = sorted(code for code in prepared.stored if code in locked)
    if refused:
        raise fields_error({code: _("You may read this field but not change it.")
                             for code in refused if code not in grant.hidden})


def unique_taken() -> Conflict:
    return Conflict(_("A value that must be unique is already used."), code=Code.UNIQUE)

