"""Appending a file into existing fields: what the file's values change about those fields.

Placeholder marks ("-", "x") in a number or date field are empty values, said once per column;
values a choice field does not have yet become new choices, added through the field writer
(services.ledgers.update_field) in the import's transaction, so the ledger's design history
shows them and a dry run or a refused import leaves the field as it was."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.dates.wareki import try_parse_date
from daicho.errors import DaichoError
from daicho.fields import REGISTRY
from daicho.importing import ParsedTable, ValueParseError, parse_value
from daicho.importing.values import PLACEHOLDER_KINDS, placeholder_note
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import ledgers as ledger_svc

MAX_CHOICE_CHARS = 200  # what a choice may hold (fields.choice)
DATE_KINDS = frozenset({"date", "datetime"})
FROM_MARKS = frozenset("~〜～")


def appended_values(user: AnyUser, table: ParsedTable, schema: LedgerSchema,
                     mapping: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """What appending the file's columns into existing fields changes about them, as report
    lines: placeholder marks ("-", "x") taken as empty where inference did not already say so,
    and new choices added to a choice field (through the field writer, so the ledger's design
    history has them) when the importer may manage the ledger."""
    notes: list[dict[str, Any]] = []
    for i, code in mapping:
        f = schema.by_code[code]
        column = table.columns[i]
        # How the field reads a cell, and how the inference read the column (its type's kind).
        kind = schema.type_of(f).import_kind
        read_as = REGISTRY[column.type].import_kind
        if kind in PLACEHOLDER_KINDS and read_as not in PLACEHOLDER_KINDS:
            note = placeholder_note(column.name, table.raw[i])
            if note is not None:
                notes.append(note)
        if kind in DATE_KINDS and read_as not in DATE_KINDS:
            notes.extend(_date_notes(column.name, table.raw[i], table.numbers))
        note = _add_choices(user, schema, f, table.raw[i])
        if note is not None:
            notes.append(note)
    return notes


def _date_notes(name: str, raw: list[Any], numbers: list[int]) -> list[dict[str, Any]]:
    """What reading a cell as a date leaves out (the 「～」 of 「H32.3～」), said per row as the
    inference says it, for a column the inference did not read as dates itself."""
    notes = []
    for n, v in enumerate(raw):
        if type(v) is str and v[-1:] in FROM_MARKS:
            parsed = try_parse_date(v)
            if parsed is not None and parsed.warning:
                notes.append({"row": numbers[n], "message": _(
                    "Row %(row)d 「%(name)s」: %(message)s")
                    % {"row": numbers[n], "name": name, "message": parsed.warning}})
    return notes


def _add_choices(user: AnyUser, schema: LedgerSchema, f: Any,
                 raw: list[Any]) -> dict[str, Any] | None:
    ftype = schema.type_of(f)
    texts: list[str] = []
    for v in dict.fromkeys(v for v in raw if v is not None):
        try:
            # The value without the choices check; a type that reads no kind: the text.
            parsed = parse_value(ftype.import_kind or "text", {}, v)
        except ValueParseError:
            continue
        texts.extend(parsed if isinstance(parsed, list) else [parsed] if parsed else [])
    # A text no choice may be (too long, a line break) stays an error of its rows.
    new = [t for t in ftype.added_choices(f, texts)
           if len(t) <= MAX_CHOICE_CHARS and not any(ch < " " for ch in t)]
    if not new:
        return None
    if not access.has_right(user, schema.ledger, "manage"):
        return {"row": None, "message": _(
            "「%(name)s」 has values that are not among its choices: %(values)s. Someone who "
            "manages the ledger can add them.")
            % {"name": f.name, "values": _quoted(new)}}
    choices = [*f.options.get("choices", []), *new]
    try:
        ledger_svc.update_field(user=user, schema=schema, code=f.code,
                                patch={"options": {**f.options, "choices": choices}})
    except DaichoError:
        return None  # too many choices: the rows are refused as before, one by one
    return {"row": None, "message": _("「%(name)s」: %(values)s were added to the choices.")
            % {"name": f.name, "values": _quoted(new)}}


def _quoted(texts: list[str], limit: int = 20) -> str:
    shown = "".join(f"「{t[:50]}」" for t in texts[:limit])
    if len(texts) > limit:
        shown += _(" and %(n)d more") % {"n": len(texts) - limit}
    return shown
