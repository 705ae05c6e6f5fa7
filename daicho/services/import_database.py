"""An Access database with related tables in one step (issue 15, Access migration): every table
becomes a ledger, and each foreign key mdbtools reports becomes a link field pointing at the
ledger of the table it refers to, its values turned from the referenced key into record ids.

Tables are imported parents first; a table that refers to itself, a cycle and a key of several
columns keep their values as plain fields (the report says so). A key value that matches no
record of the parent (Access enforces the relationship only when told to) is left empty with a
warning naming the row. Saved queries and their calculated columns are not imported — Access
expressions are not ours to run — and the report lists them.

All tables or none: one transaction; a dry run or a refused table writes nothing. The report is
the one of the table a single-table import would read (the largest), with `ledgers` listing
every ledger made and its links, and every table's warnings prefixed with its name."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.importing import ImportFileError, access
from daicho.models import Ledger
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services import audit, import_names
from daicho.services import ledgers as ledger_svc
from daicho.services.import_mapping import normalize_header
from daicho.services.import_reading import ColumnChoice, ImportOptions, Progress, import_limits, read
from daicho.services.import_run import DryRun, create_from_table

ACCESS_SUFFIXES = (".mdb", ".accdb")


def applies(filename: str, opts: ImportOptions, mode: str) -> bool:
    """A new ledger from a whole Access file (no table chosen): the database path, when the
    file's tables are related (`run` falls back to one table otherwise)."""
    return Path(filename).suffix.lower() in ACCESS_SUFFIXES and mode == "create" and \
        not opts.sheet and not opts.ledger and not opts.columns


def _key(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        try:
            return str(Decimal(str(value)).normalize())
        except InvalidOperation:
            return str(value)
    return str(value).strip()


def _order(tables: list[str], relations: list[access.Relation]) -> tuple[list[str], list[str]]:
    """Parents before children; the relations left out (self references, cycles) by name."""
    edges = [r for r in relations if r.child_table != r.parent_table]
    left_out = [f"{r.child_table}.{r.child_column} → {r.parent_table}" for r in relations
                if r.child_table == r.parent_table]
    order: list[str] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending
                 if not any(r.child_table == t and r.parent_table in pending for r in edges)]
        if not ready:  # a cycle: take the first table and drop its links to the rest
            ready = [pending[0]]
            for r in [r for r in edges if r.child_table == pending[0] and r.parent_table in pending]:
                edges.remove(r)
                left_out.append(f"{r.child_table}.{r.child_column} → {r.parent_table}")
        for t in ready:
            order.append(t)
            pending.remove(t)
    return order, left_out


def _keys(schema: LedgerSchema, column_name: str) -> tuple[dict[str, int], str] | None:
    """The parent ledger's record ids by their value of the referenced column, and the field."""
    found = next((f for f in schema.fields if f.name == column_name), None) or next(
        (f for f in schema.fields if normalize_header(f.name)
         == normalize_header(column_name)), None)
    if found is None:
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, {q(found.column)} FROM {q(schema.table)}")
        rows = cur.fetchall()
    keys: dict[str, int] = {}
    for rid, value in rows:
        key = _key(value)
        if key is not None:
            keys.setdefault(key, int(rid))
    return keys, found.name


def _link_column(table: Any, index: int, keys: dict[str, int], parent: str, column: str,
                 warnings: list[dict[str, Any]]) -> None:
    """Column `index` of the parsed table: the parent's record ids instead of key values."""
    ids: list[Any] = []
    for number, raw in zip(table.numbers, table.raw[index], strict=True):
        key = _key(raw)
        rid = keys.get(key) if key is not None else None
        if key is not None and rid is None:
            warnings.append({"row": number, "message": _(
                "「%(column)s」 %(value)s matches no record of 「%(parent)s」; the link was left "
                "empty.") % {"column": column, "value": key[:100], "parent": parent}})
        ids.append(rid)
    table.raw[index] = [None if rid is None else str(rid) for rid in ids]
    table.values[index] = ids


def _part(progress: Progress, n: int, of: int) -> Progress:
    """Progress of table n of `of` as part of the whole."""
    return lambda done, total: progress((n * 100 + done * 100 // max(total, 1)) // of, 100)


def run(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions,
        progress: Progress) -> dict[str, Any] | None:
    """The import of every table; None when the file's tables are not related (the caller
    imports one table as before)."""
    limits = import_limits()
    try:
        tables = access.user_tables(path, limits)
        relations, several = access.relations(path, limits)
        saved_queries = access.queries(path, limits)
    except ImportFileError:
        return None  # the single-table path reads the file and says what is wrong with it
    relations = [r for r in relations if r.child_table in tables and r.parent_table in tables]
    if len(tables) < 2 or not relations:
        return None
    order, left_out = _order(tables, relations)
    links = {(r.child_table, r.child_column): r for r in relations
             if f"{r.child_table}.{r.child_column} → {r.parent_table}" not in left_out}
    ctx = ValueContext(user)
    made: dict[str, LedgerSchema] = {}
    reports: dict[str, dict[str, Any]] = {}
    notes: list[dict[str, Any]] = []
    if saved_queries:
        notes.append({"row": None, "message": _(
            "The file's queries (%(names)s) were not imported: calculated columns of Access "
            "queries are not carried over. Recreate them as formula fields or views.")
            % {"names": "、".join(saved_queries)[:300]}})
    for item in [*left_out, *several]:
        notes.append({"row": None, "message": _(
            "The relationship %(rel)s was kept as plain values, not as a link.") % {"rel": item}})
    failed: dict[str, Any] | None = None
    try:
        with transaction.atomic():
            for n, name in enumerate(order):
                table_opts = dataclasses.replace(
                    opts, sheet=name,
                    name=import_names.free_name(f"{opts.name}（{name}）") if opts.name else None)
                table = read(path, filename=filename, opts=table_opts)
                warnings = list(table.warnings)
                choices = []
                for i, col in enumerate(table.columns):
                    rel = links.get((name, col.name))
                    parent = made.get(rel.parent_table) if rel else None
                    found = _keys(parent, rel.parent_column) if parent and rel else None
                    if rel is None or parent is None or found is None:
                        continue
                    _link_column(table, i, found[0], parent.ledger.name, col.name, warnings)
                    choices.append(ColumnChoice(source_index=col.source_index, type="link",
                                                       options={"ledger": parent.id}))
                table_opts = dataclasses.replace(table_opts, columns=choices)
                report = create_from_table(
                    user=user, table=table, opts=table_opts, ctx=ctx, warnings=warnings,
                    filename=filename, progress=_part(progress, n, len(order)))
                reports[name] = report
                if not report["ok"]:
                    failed = report
                    raise DryRun()
                schema = load_schema(report["ledger"]["id"])
                assert schema is not None
                made[name] = schema
            if opts.dry_run:
                raise DryRun()
            for schema in made.values():
                ledger_svc.log_created(user, Ledger.objects.get(id=schema.id))
            audit.record(user=user, action="import", target="", details={
                "file": filename[:200], "mode": "create",
                "ledgers": [s.id for s in made.values()],
                "created": sum(r.get("created") or 0 for r in reports.values())})
    except DryRun:
        pass
    progress(100, 100)
    return _report(order, reports, made, links, notes, failed)


def _report(order: list[str], reports: dict[str, dict[str, Any]], made: dict[str, LedgerSchema],
            links: dict[tuple[str, str], access.Relation], notes: list[dict[str, Any]],
            failed: dict[str, Any] | None) -> dict[str, Any]:
    if failed is not None:
        table = next(name for name, r in reports.items() if r is failed)
        out = dict(failed)
        out["sheet"] = table
        out["warnings"] = [*notes, *failed.get("warnings", [])]
        return out
    main = max(order, key=lambda t: (reports[t].get("created") or 0, -order.index(t)))
    out = dict(reports[main])
    out["ledgers"] = [{
        "id": reports[t]["ledger"]["id"],
        "name": reports[t]["ledger"]["name"], "table": t, "created": reports[t]["created"],
        "links": [{"field": rel.child_column, "ledger": reports[rel.parent_table]["ledger"]["name"]}
                  for (child, _c), rel in links.items() if child == t],
    } for t in order]
    out["warnings"] = [*notes, *[{**w, "message": f"{t}: {w['message']}"}
                                 for t in order for w in reports[t].get("warnings", [])]]
    return out
