"""Which column of a file goes into which field (contract §3.1): headers matched to field names
(width, case, blanks and 「」 ignored) or to the mapping the last import saved, the key field, the
field definitions of a new ledger, and a sheet's detail lines folded into records."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields import REGISTRY
from daicho.i18n import join_list
from daicho.importing import ParsedTable, detail_lines
from daicho.models import Field, Ledger
from daicho.selectors.ledgers import STATUS_CODE, LedgerSchema
from daicho.services.import_reading import ImportOptions

# The types a column of a file may be given: those that read a cell (FieldType.import_kind).
PARSEABLE = frozenset(key for key, t in REGISTRY.items() if t.import_kind is not None)


def normalize_header(text: str) -> str:
    """Header matching ignores width, case, blanks and 「」 (contract §3.1)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "「」『』\"'")


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


def column_specs(table: ParsedTable, opts: ImportOptions) -> list[tuple[int, dict[str, Any]]]:
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


def match_columns(table: ParsedTable, schema: LedgerSchema,
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


def fold_detail_lines(table: ParsedTable, schema: LedgerSchema, opts: ImportOptions) -> None:
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
