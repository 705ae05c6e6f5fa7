"""Reading ledger metadata: a ledger and its live fields, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.db import plain
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields import FieldType, type_for
from daicho.models import Field, Job, Ledger


@dataclass
class LedgerSchema:
    ledger: Ledger
    fields: list[Field]
    by_code: dict[str, Field] = field(default_factory=dict)

    # Set by the gate (daicho.access) for a user with field rules: the codes hidden from them
    # (already left out of `fields`) and those they may read but not write.
    hidden: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    # The same ledger with every field: writers need it to keep the search key and
    # autonumbers whole. A schema without restrictions is its own `full`.
    unrestricted: LedgerSchema | None = None
    # The gate's answer for the user this schema was made for (daicho.access.Grant): what
    # they may see, write and which records, per right. None: made outside the gate.
    grant: Any = None

    def __post_init__(self) -> None:
        self.by_code = {f.code: f for f in self.fields}
        self.types = {f.code: type_for(f) for f in self.fields}
        # Precomputed for the per-record hot paths (imports write hundreds of thousands, a list
        # page turns 50 rows × every field into JSON).
        self.typed = [(f, self.types[f.code]) for f in self.fields]
        self.required = [f for f in self.fields if f.required and self.types[f.code].writable]
        self.searchable = [(f, self.types[f.code]) for f in self.fields
                           if self.types[f.code].searchable]
        # Lookups hidden from this user by the linked ledger's rules: in a record's values as
        # null (contract §7), though no filter, sort or export sees them.
        full = self.unrestricted
        self.shown_empty = [] if full is None else [
            c for c in sorted(self.hidden) if c in full.types and full.types[c].derived]
        # The ledger's process (contract §8) when enabled: its status is the pseudo field
        # `status`, a real column, so filters, sorts and record rules take it like a field
        # (through `field`); it is not in `by_code`, so no writer of values ever sees it.
        self.process = process_of(self.ledger)
        self.pseudo: dict[str, Field] = {}
        if self.process is not None:
            self.pseudo[STATUS_CODE] = status_field(self.ledger)

    @property
    def full(self) -> LedgerSchema:
        return self.unrestricted if self.unrestricted is not None else self

    @property
    def id(self) -> int:
        return int(self.ledger.id)

    @property
    def table(self) -> str:
        return str(self.ledger.table_name)

    def field(self, code: str, *, pseudo: bool = True) -> Field:
        """The field (or pseudo field, as `status`, unless `pseudo` is False: a change to the
        ledger's fields) a filter, sort or grouping names."""
        try:
            return self.by_code[code] if code in self.by_code or not pseudo else self.pseudo[code]
        except KeyError:
            raise InvalidInput(
                message=_unknown_field(code), code=Code.UNKNOWN_FIELD,
                details={"field": str(code)[:64]},
            ) from None

    def type_of(self, f: Field) -> FieldType:
        found = self.types.get(f.code)
        return found if found is not None and found.key == f.type else type_for(f)


STATUS_CODE = "status"
STATUS_COLUMN = "process_status"
VERSION_COLUMN = "process_version"


def process_of(ledger: Ledger) -> dict[str, Any] | None:
    """The current process definition of the ledger when it is enabled (kept in its settings,
    loaded with it: no query), else None."""
    found = ledger.settings.get("process") if isinstance(ledger.settings, dict) else None
    return found if isinstance(found, dict) and found.get("enabled") is True else None


def status_field(ledger: Ledger) -> Field:
    """The pseudo field `status`: never saved, never listed among the fields; a text column."""
    return Field(ledger=ledger, code=STATUS_CODE, name=str(gettext_lazy("Status")), type="text",
                 column=STATUS_COLUMN, options={})


def _unknown_field(code: str) -> str:
    return _("There is no field 「%(code)s」 in this ledger.") % {"code": str(code)[:64]}


def load_schema(ledger_id: int) -> LedgerSchema | None:
    # Every request that opens a ledger runs these two: read without the ORM's query building
    # (daicho.db.plain; 0.75 → 0.23 ms in process, of a list page's 4.2 ms).
    found = plain.fetch(Ledger, "id = %s", [ledger_id])
    if not found:
        return None
    fields = plain.fetch(Field, "ledger_id = %s AND deleted_at IS NULL", [ledger_id],
                         order="position, id")
    return LedgerSchema(found[0], fields)


def is_sensitive(ledger: Ledger) -> bool:
    """A ledger marked sensitive logs every view of its records and lists (the access log).
    The flag lives in the settings loaded with the ledger, so asking costs no query."""
    return isinstance(ledger.settings, dict) and ledger.settings.get("sensitive") is True


def folder_of(ledger: Ledger) -> str:
    """The folder a manager filed the ledger in on the home page ("" for none)."""
    folder = ledger.settings.get("folder") if isinstance(ledger.settings, dict) else None
    return folder if isinstance(folder, str) else ""


def ledger_json(schema: LedgerSchema, with_fields: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": schema.ledger.id,
        "name": schema.ledger.name,
        "description": schema.ledger.description,
        "record_count": schema.ledger.record_count,
        "sensitive": is_sensitive(schema.ledger),
        # Where the ledger came from when it replaced an Excel/Access file (set by an import that
        # created it, or by hand): the plan's KPI 台帳管理システムへの移行数 counts these.
        "migrated_from": (schema.ledger.settings.get("migrated_from")
                          if isinstance(schema.ledger.settings, dict) else None),
        "folder": folder_of(schema.ledger),
        # Marked by its managers as a template for new ledgers (daicho.services.designs).
        "template": bool(isinstance(schema.ledger.settings, dict)
                         and schema.ledger.settings.get("template")),
    }
    if with_fields:
        data["fields"] = [field_json(f) for f in schema.fields]
    return data


def field_json(f: Field) -> dict[str, Any]:
    data = {
        "code": f.code,
        "name": f.name,
        "type": f.type,
        "required": f.required,
        "unique": f.unique,
        "options": f.options,
        "position": f.position,
    }
    if type_for(f).computed:
        data["computing"] = computing(f.ledger_id)
    return data


def computing(ledger_id: int) -> dict[str, Any] | None:
    """The ledger's formula recomputation while it is queued or running ({"job", "progress"},
    daicho.services.formulas), else None: its computed fields still show older values."""
    job = Job.objects.filter(kind="formula_recompute", status__in=("queued", "running"),
                             params__ledger=ledger_id).order_by("id").first()
    return None if job is None else {"job": job.id, "progress": job.progress}


def list_ledgers(ledgers: list[Ledger] | None = None,
                 counted: Any = None) -> list[dict[str, Any]]:
    """`counted(ledger)` says whether the record count may be shown (null otherwise)."""
    return [
        {"id": ledger.id, "name": ledger.name, "description": ledger.description,
         "record_count": ledger.record_count if counted is None or counted(ledger) else None,
         "folder": folder_of(ledger)}
        for ledger in (Ledger.objects.order_by("id") if ledgers is None else ledgers)
    ]


def deleted_fields(schema: LedgerSchema) -> list[Field]:
    """The ledger's deleted fields that may be restored (no live field has their code), the
    latest deleted first."""
    return list(Field.objects.filter(ledger_id=schema.id).exclude(deleted_at=None)
                .exclude(code__in=list(schema.by_code)).order_by("-deleted_at"))


def field_names(schema: LedgerSchema) -> dict[str, Field]:
    """Every field a history entry may name, deleted ones included (live ones win)."""
    out = {f.code: f for f in Field.objects.filter(ledger_id=schema.id).order_by("deleted_at")}
    out.update(schema.by_code)
    return out
