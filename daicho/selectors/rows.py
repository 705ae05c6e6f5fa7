"""What a read of records answers: the row as selected (`Row`), its columns in SQL, and the
record's JSON (contract §2) — the shape every gated read of records shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.selectors.ledgers import STATUS_COLUMN, VERSION_COLUMN, LedgerSchema

SYSTEM_SELECT = ("id", "revision", "created_at", "created_by", "updated_at", "updated_by",
                 "deleted", "search_key")


@dataclass
class Row:
    id: int
    revision: int
    created_at: Any
    created_by: int | None
    updated_at: Any
    updated_by: int | None
    deleted: bool
    search_key: str
    raw: dict[str, Any]  # field code → database value
    # With a process (contract §8): the status and the version of the process it follows.
    status: str | None = None
    process_version: int | None = None


def select_list(schema: LedgerSchema, alias: str = "t") -> str:
    cols = [f"{alias}.{c}" for c in SYSTEM_SELECT]
    cols += [f"{alias}.{q(f.column)}" for f in schema.fields]
    if schema.process is not None:
        cols += [f"{alias}.{STATUS_COLUMN}", f"{alias}.{VERSION_COLUMN}"]
    return ", ".join(cols)


def select_width(schema: LedgerSchema) -> int:
    """How many columns select_list names (what a query adds after them starts there)."""
    return len(SYSTEM_SELECT) + len(schema.fields) + (2 if schema.process is not None else 0)


def to_rows(schema: LedgerSchema, rows: Iterable[Sequence[Any]]) -> list[Row]:
    n = len(SYSTEM_SELECT)
    k = n + len(schema.fields)
    process = schema.process is not None
    out = []
    for r in rows:
        out.append(Row(
            id=int(r[0]), revision=int(r[1]), created_at=r[2], created_by=r[3],
            updated_at=r[4], updated_by=r[5], deleted=bool(r[6]), search_key=r[7] or "",
            raw={f.code: r[n + i] for i, f in enumerate(schema.fields)},
            status=r[k] if process else None,
            process_version=int(r[k + 1]) if process and r[k + 1] is not None else None,
        ))
    return out


def row_values(schema: LedgerSchema, row: Row, ctx: ValueContext) -> dict[str, Any]:
    raw = row.raw
    values = {f.code: (ftype if ftype.key == f.type else schema.type_of(f)).to_json(
        f, raw[f.code], ctx) for f, ftype in schema.typed}  # (a field retyped since: type_of)
    for code in schema.shown_empty:
        values[code] = None
    return values


def record_json(schema: LedgerSchema, row: Row, ctx: ValueContext) -> dict[str, Any]:
    created = dialect.as_datetime(row.created_at)
    updated = dialect.as_datetime(row.updated_at)
    return {
        "id": row.id,
        "revision": row.revision,
        "values": row_values(schema, row, ctx),
        "created_at": created.isoformat() if created else None,
        "created_by": ctx.login(row.created_by),
        "updated_at": updated.isoformat() if updated else None,
        "updated_by": ctx.login(row.updated_by),
        **({"status": row.status} if schema.process is not None else {}),
    }


def preload(schema: LedgerSchema, rows: list[Row], ctx: ValueContext) -> None:
    """One query for all users and one for all departments a page refers to (no N+1)."""
    user_ids: set[int] = set()
    org_ids: set[int] = set()
    users = [f.code for f, ftype in schema.typed if isinstance(ftype, UserType)]
    orgs = [f.code for f, ftype in schema.typed if isinstance(ftype, OrgType)]
    for row in rows:
        user_ids.update(i for i in (row.created_by, row.updated_by) if i is not None)
        user_ids.update(int(row.raw[c]) for c in users if row.raw[c] is not None)
        org_ids.update(int(row.raw[c]) for c in orgs if row.raw[c] is not None)
    ctx.preload_users(user_ids)
    ctx.preload_orgs(org_ids)


def records_json(schema: LedgerSchema, rows: list[Row], ctx: ValueContext) -> list[dict[str, Any]]:
    preload(schema, rows, ctx)
    return [record_json(schema, row, ctx) for row in rows]
