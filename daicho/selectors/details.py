"""Detail lines (明細) of one record for a print form: `{{SOURCE.FIELD}}` placeholders name a
source and a field of its lines.

A source is (a) a `subtable` field of the ledger (code or name), its lines the rows of the
record's value and its fields the subtable's columns; or (b) a ledger whose link field points
at this ledger (contract §7 `related`), named by its ledger name, its lines the records that
link to this record — the first such link field of that ledger when it has several. Both are
read as the reader may see them: a subtable field hidden from them is no source, a related
ledger they may not view or whose link field is hidden from them is none, its records are
filtered by their record rules and its hidden fields are not among the fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.fields import REGISTRY
from daicho.fields.context import ValueContext
from daicho.models import Field
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.related import link_fields_to

MAX_LINES = 2000  # detail lines printed for one record (a subtable holds at most 2,000 rows)


@dataclass
class Source:
    """Where the lines of `{{name.…}}` come from: a subtable field, or the records of
    `ledger` whose link field `link` points at the record."""

    name: str
    fields: list[Field]
    subtable: Field | None = None
    ledger: LedgerSchema | None = None
    link: Field | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)  # values by field code
    logins: list[str | None] = field(default_factory=list)

    @property
    def identity(self) -> tuple[Any, ...]:
        """The same for every name of one source (its code and its name, say)."""
        if self.subtable is not None:
            return ("subtable", self.subtable.code)
        return ("related", self.ledger.id if self.ledger else None,
                self.link.code if self.link else None)

    def field(self, key: str) -> Field | None:
        """The field of the lines a placeholder's second part names (code first, then name)."""
        return next((f for f in self.fields if f.code == key), None) or \
            next((f for f in self.fields if f.name == key), None)


def _columns(subtable: Field) -> list[Field]:
    """The subtable's columns as unsaved fields, so that their widgets draw their values."""
    columns = (subtable.options or {}).get("fields")
    out: list[Field] = []
    for c in columns if isinstance(columns, list) else []:
        if isinstance(c, dict) and isinstance(c.get("code"), str) and c.get("type") in REGISTRY:
            out.append(Field(code=c["code"], name=str(c.get("name") or c["code"]),
                             type=c["type"], options=c.get("options") or {}))
    return out


def source(user: AnyUser, schema: LedgerSchema, name: str) -> Source | None:
    """The source `name` names for this reader, or None."""
    if "subtable" in REGISTRY:
        for f in schema.fields:
            if f.type == "subtable" and name in (f.code, f.name):
                return Source(name, _columns(f), subtable=f)
    for link in link_fields_to(schema.id):
        try:
            other = access.ledger_for(user, link.ledger_id, "view")
        except NotFound:
            continue
        if other.ledger.name == name and link.code in other.by_code:
            return Source(name, list(other.fields), ledger=other, link=other.by_code[link.code])
    return None


def split(key: str) -> tuple[str, str] | None:
    """`SOURCE.FIELD` → (SOURCE, FIELD); None for a key without a dot."""
    name, dot, rest = key.partition(".")
    return (name.strip(), rest.strip()) if dot and name.strip() and rest.strip() else None


def load(user: AnyUser, schema: LedgerSchema, src: Source, record: dict[str, Any],
         ctx: ValueContext) -> Source:
    """`src` with the lines of `record` (its JSON as the reader sees it) read in: at most
    MAX_LINES, else 400 `too_many_lines`."""
    if src.subtable is not None:
        rows = record["values"].get(src.subtable.code)
        src.lines = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    elif src.ledger is not None and src.link is not None:
        cursor = None
        while True:
            page = sel.list_records(user, src.ledger, filters=[f"{src.link.code}:eq:{record['id']}"],
                                    sort="id", limit=500, cursor=cursor, ctx=ctx)
            found = sel.records_json(src.ledger, page.rows, ctx)
            src.lines += [r["values"] for r in found]
            src.logins += [r.get(k) for r in found for k in ("created_by", "updated_by")]
            cursor = page.next_cursor
            if cursor is None or len(src.lines) > MAX_LINES:
                break
    if len(src.lines) > MAX_LINES:
        raise InvalidInput(_("A printed form holds at most %(n)s detail lines of 「%(source)s」.")
                           % {"n": f"{MAX_LINES:,}", "source": src.name}, code=Code.TOO_MANY_LINES)
    return src
