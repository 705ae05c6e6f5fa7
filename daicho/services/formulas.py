"""Formula fields at work: checked against their ledger when fields change (unknown fields,
kinds, cycles), computed inside every record writer's transaction, and recomputed for the
whole ledger by a background job when a formula changes.

Writers (daicho.services.records) call `fill` where a record's new values are complete — on
insert and on update, which every writer goes through (create, update, bulk, import, revert)
— and `fill_columns` for an import's columns. A restore changes no value, so nothing to do.

While the recompute job runs, reads see each record's stored value: the old one (empty for a
new field) until the job's chunk that holds the record commits, then the new one; a record
written meanwhile is computed with the new formula by its writer. The ledger's JSON shows the
job's progress on the field (`computing`)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from daicho import access, jobs
from daicho.access import AnyUser
from daicho.db import batch, dialect, search
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields import field_type
from daicho.fields.base import FieldType
from daicho.fields.context import ValueContext
from daicho.models import Field, Job
from daicho.selectors import records as sel
from daicho.selectors.formula_plan import Step, plan, schema_plan
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.textnorm import SECTION, sectioned

JOB_KIND = "formula_recompute"
CHUNK = 5_000
REBUILD_INDEX_OVER = 20_000  # records: a recompute of more rebuilds the gram index at its end


# -- checks --------------------------------------------------------------------------------------
def check_fields(fields: Sequence[Field]) -> None:
    """Every formula among `fields` (a ledger's fields after a change) compiles against the
    others and gives what its result needs, and no formula depends on itself: 400
    `invalid_expression` (details: field, position) or 400 `formula_cycle` (details: fields).
    The plan itself (daicho.selectors.formula_plan) is below the gate, which asks it too."""
    plan(fields)


# -- computing -----------------------------------------------------------------------------------
class _Env(dict[str, Any]):
    """A record's values as formulas see them, each converted from its stored form when first
    asked for."""

    def __init__(self, schema: LedgerSchema, raw: dict[str, Any], ctx: ValueContext) -> None:
        super().__init__()
        self.schema, self.readers, self.raw, self.ctx = schema, _readers(schema), raw, ctx

    def get(self, code: str, default: Any = None) -> Any:
        if code in self:
            return self[code]
        base, dot, part = code.partition(".")
        raw = self.raw.get(base)
        reader = self.readers.get(base)
        if dot:  # a part of a value: a subtable's column (FieldType.formula_part)
            value = None if reader is None else \
                self.schema.type_of(reader[0]).formula_part(reader[0], raw, part, self.ctx)
        else:
            value = None if raw is None or reader is None else \
                reader[1](reader[0], raw, self.ctx)
        self[code] = value
        return value


def _readers(schema: LedgerSchema) -> dict[str, tuple[Field, Callable[..., Any]]]:
    """Per field code: the field and its type's formula_value, kept on the schema object."""
    found: dict[str, tuple[Field, Callable[..., Any]]] | None = \
        schema.__dict__.get("_formula_readers")
    if found is None:
        found = {f.code: (f, schema.type_of(f).formula_value) for f in schema.fields}
        schema.__dict__["_formula_readers"] = found
    return found


def compute(schema: LedgerSchema, raw: dict[str, Any], ctx: ValueContext,
            steps: list[Step] | None = None) -> dict[str, Any]:
    """The storage values of the schema's formulas for a record whose stored values are `raw`
    (field code → storage value, missing = empty)."""
    steps = schema_plan(schema) if steps is None else steps
    out: dict[str, Any] = {}
    if not steps:
        return out
    env = _Env(schema.full, raw, ctx)
    for step in steps:
        f = step.field
        stored = step.ftype.store(f, step.formula.evaluate(env))
        out[f.code] = stored
        env[f.code] = None if stored is None else step.ftype.formula_value(f, stored, ctx)
    return out


def fill(schema: LedgerSchema, prepared: Any, current: dict[str, Any] | None,
         ctx: ValueContext) -> None:
    """Add the formulas' values to a writer's prepared values (records.Prepared) for a record
    whose stored values are `current` (None: a new record)."""
    steps = schema_plan(schema)
    if not steps:
        return
    raw = {**(current or {}), **prepared.stored}
    for code, stored in compute(schema, raw, ctx, steps).items():
        f = schema.full.by_code[code]
        prepared.stored[code] = stored
        prepared.as_json[code] = schema.full.type_of(f).history_value(f, stored, ctx)


def fill_columns(schema: LedgerSchema, columns: dict[str, list[Any]], count: int,
                 ctx: ValueContext) -> None:
    """Add the formulas' columns to an import's columns of storage values."""
    steps = schema_plan(schema)
    if steps:
        columns.update(compute_columns(schema, columns, count, ctx, steps))


# Storage values whose equality is identity for a formula: Decimal is not among them (1.0 and
# 1.00 are equal but TEXT() writes them apart), nor bool or datetime (True == 1; equal
# datetimes in two time zones).
_MEMO_TYPES = frozenset({type(None), str, int, dt.date})
_SAMPLE = 2_000


def _repeats(values: Sequence[Any]) -> bool:
    """Whether a column (of values or of tuples of values) holds few distinct values: then each
    is worked out once and spread (a date, a choice); in a column of mostly distinct values
    (金額) the dictionary would only add hashing."""
    sample = values[:_SAMPLE]
    return len(set(sample)) * 2 <= len(sample)


def _memo_safe(column: Sequence[Any]) -> bool:
    return set(map(type, column)) <= _MEMO_TYPES


class Memo:
    """What a recompute job has computed, per formula, by its inputs' storage values: a formula
    over a date (WAREKI(取得日)) meets the same few thousand dates in every chunk of a big
    ledger, so it is evaluated once per date for the whole job, not once per chunk. Valid for
    one definition of the ledger (`begin` forgets everything when the fields changed between
    two chunks); a formula whose inputs are mostly distinct (金額) is no longer remembered once
    it has LIMIT of them."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.definition: tuple[Any, ...] = ()
        self.values: dict[str, dict[tuple[Any, ...], Any] | None] = {}

    def begin(self, schema: LedgerSchema) -> None:
        definition = tuple((f.id, f.type, f.column, json.dumps(f.options, sort_keys=True,
                                                               default=str))
                           for f in schema.full.fields)
        if definition != self.definition:
            self.definition, self.values = definition, {}

    def of(self, code: str) -> dict[tuple[Any, ...], Any] | None:
        return self.values.setdefault(code, {})

    def trim(self, code: str) -> None:
        found = self.values.get(code)
        if found is not None and len(found) > self.LIMIT:
            self.values[code] = None


def compute_columns(schema: LedgerSchema, columns: dict[str, list[Any]], count: int,
                    ctx: ValueContext, steps: list[Step] | None = None,
                    memo: Memo | None = None) -> dict[str, list[Any]]:
    """compute() of `count` records at once, column by column: `columns` maps a field code to
    its storage values (a code missing: empty). Each field a formula uses is converted once
    per column (once per distinct value where its values repeat), and a formula whose inputs
    repeat (FISCAL_YEAR(取得日)) is evaluated once per distinct combination of them — with a
    `memo`, once for all the calls that share it; the values are those compute() gives record
    by record."""
    steps = schema_plan(schema) if steps is None else steps
    readers = _readers(schema.full)
    fields = schema.full.by_code
    if any(ref not in readers or ref not in fields for s in steps for ref in s.formula.refs):
        # A value that is not a field's column (a detail table's column: `items.amount`):
        # record by record, as the writers compute it.
        return _compute_rows(schema, columns, count, ctx, steps)
    known = dict(columns)  # storage values, each formula's new ones added as computed
    converted: dict[str, list[Any]] = {}
    out: dict[str, list[Any]] = {}
    empty = [None] * count
    try:
        for step in steps:
            f, refs = step.field, sorted(step.formula.refs)
            raw = [known.get(ref, empty) for ref in refs]
            keys: Sequence[tuple[Any, ...]] = list(zip(*raw, strict=True)) if refs \
                else [()] * count
            safe = all(map(_memo_safe, raw))
            kept = memo.of(f.code) if memo is not None and safe else None
            if not refs or kept is not None or (safe and _repeats(keys)):
                done: dict[tuple[Any, ...], Any] = {} if kept is None else kept
                for key in dict.fromkeys(keys):
                    if key not in done:
                        env = {ref: _convert(readers[ref], value, ctx)
                               for ref, value in zip(refs, key, strict=True)}
                        done[key] = step.ftype.store(f, step.formula.evaluate(env))
                stored = list(map(done.__getitem__, keys))
                if memo is not None:
                    memo.trim(f.code)
            else:
                for ref, column in zip(refs, raw, strict=True):
                    if ref not in converted:
                        converted[ref] = _convert_column(readers[ref], column, ctx)
                values = [converted[ref] for ref in refs]
                store, evaluate = step.ftype.store, step.formula.evaluate
                stored = [store(f, evaluate(dict(zip(refs, row, strict=True))))
                          for row in zip(*values, strict=True)]
            out[f.code] = known[f.code] = stored
            converted.pop(f.code, None)
    except Exception:  # a stored value its reader refuses: as compute() does, record by
        # record, where only the values a formula asks for are read
        return _compute_rows(schema, columns, count, ctx, steps)
    return out


def _convert(reader: tuple[Field, Callable[..., Any]], raw: Any, ctx: ValueContext) -> Any:
    return None if raw is None else reader[1](reader[0], raw, ctx)


def _convert_column(reader: tuple[Field, Callable[..., Any]], column: list[Any],
                    ctx: ValueContext) -> list[Any]:
    if _memo_safe(column) and _repeats(column):
        memo = {value: _convert(reader, value, ctx) for value in dict.fromkeys(column)}
        return list(map(memo.__getitem__, column))
    return [_convert(reader, value, ctx) for value in column]


def _compute_rows(schema: LedgerSchema, columns: dict[str, list[Any]], count: int,
                  ctx: ValueContext, steps: list[Step]) -> dict[str, list[Any]]:
    codes = list(columns)
    out: dict[str, list[Any]] = {s.field.code: [] for s in steps}
    for values in zip(*(columns[c] for c in codes), strict=True) if codes else [()] * count:
        for code, stored in compute(schema, dict(zip(codes, values, strict=True)), ctx,
                                    steps).items():
            out[code].append(stored)
    return out


# -- recomputing a ledger --------------------------------------------------------------------------
def recompute_later(schema: LedgerSchema, user: AnyUser, *,
                    fields: Collection[str] | None = None) -> Job | None:
    """Queue the recomputation of the ledger's formulas (in the caller's transaction, so it
    runs only if the change commits, and is not lost if the process stops after the commit).

    `fields`: the codes of the fields whose values alone changed (a formula added, restored or
    its options changed; a lookup filled again): the job computes only the formulas among them
    and those that use them, directly or through other formulas (`affected`). None: every
    formula of the ledger may be stale (a field they use changed type). A job still waiting
    for the same ledger takes the new fields on instead of a second job being queued."""
    if schema.ledger.record_count <= 0 and not _has_rows(schema):
        return None
    params: dict[str, Any] = {"ledger": schema.id}
    if fields is not None:
        params["fields"] = sorted(set(fields))
    waiting = Job.objects.filter(kind=JOB_KIND, status="queued",
                                 params__ledger=schema.id).first()
    if waiting is not None:
        if "fields" not in waiting.params:  # it recomputes everything already
            return waiting
        if "fields" in params:
            params["fields"] = sorted({*waiting.params["fields"], *params["fields"]})
        # Only while it still waits: a job claimed meanwhile has read its parameters.
        if Job.objects.filter(id=waiting.id, status="queued").update(params=params):
            waiting.params = params
            return waiting
    return jobs.enqueue(kind_name=JOB_KIND, params=params, user=user)


def affected(steps: list[Step], changed: Collection[str] | None) -> list[Step]:
    """The steps (a plan, in its order) whose values may change when the values of fields
    `changed` do: the formulas among them and every formula that uses one of those, directly
    or through another formula; all the steps when `changed` is None."""
    if changed is None:
        return steps
    moved, out = set(changed), []
    for step in steps:  # each step comes after the formulas it uses
        if step.field.code in moved or any(ref.partition(".")[0] in moved
                                           for ref in step.formula.refs):
            moved.add(step.field.code)
            out.append(step)
    return out


def _has_rows(schema: LedgerSchema) -> bool:
    with connection.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {q(schema.table)} LIMIT 1")
        return cur.fetchone() is not None


def recompute(ledger_id: int, progress: Callable[[int, int], None] | None = None, *,
              fields: Collection[str] | None = None) -> int:
    """Compute every record's formulas again (trashed ones too) and store those that changed,
    a chunk of records per transaction. Returns the number of records rewritten.

    `fields` (recompute_later): only the formulas `affected` by those fields are computed and
    written, reading only their inputs; the others' stored values are their inputs.

    PostgreSQL: each chunk's UPDATE changes no indexed column (the formulas' own indexes are
    dropped first when the ledger is big, _suspend_columns), so on the ledger table's spare
    room (daicho.db.schema.LEDGER_FILLFACTOR) it writes no index entry; the search table gets
    the formulas' section of each changed key and nothing else (daicho.db.schema,
    SEARCH_TABLE_SYNC)."""
    return _recompute(ledger_id, progress, fields=fields)


def _recompute(ledger_id: int, progress: Callable[[int, int], None] | None, *,
               fields: Collection[str] | None) -> int:
    alone = not connection.in_atomic_block  # not inside a caller's transaction
    with transaction.atomic():
        schema = load_schema(ledger_id)
        if schema is None:
            return 0
        steps = affected(schema_plan(schema), fields)
        if not steps:  # nothing to compute (a lookup no formula uses)
            search.build_index(schema.ledger)  # as at the end, should an earlier try
            return 0                           # have dropped it
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)}")
            total = int(cur.fetchone()[0])
        big = total > REBUILD_INDEX_OVER
        ranges: list[tuple[int, int | None]] = (_ranges(schema, total) if big and alone
                                                 else [(0, None)])
        if len(ranges) > 1:
            _suspend_columns(schema, steps)  # once, before the workers: see _in_parallel
    done = _Done(progress, total)
    if len(ranges) > 1:
        changed = _in_parallel(ledger_id, fields, ranges, done)
    else:
        changed = _recompute_range(ledger_id, fields, ranges[0], done, suspend=big)
    with transaction.atomic():
        schema = load_schema(ledger_id)  # the definition as it is now
        if schema is None:
            return changed
        search.build_index(schema.ledger)  # after suspend_index; else nothing to do
        for step in affected(schema_plan(schema), fields) if big else ():
            ddl.sync_indexes(schema.ledger, step.field)  # after _suspend_columns: built once
    return changed


# PostgreSQL: the threads of a big recompute (_in_parallel). Two, as the machine it was measured
# on has two cores: one thread computes while the database writes the other's chunk.
WORKERS = 2


def _ranges(schema: LedgerSchema, total: int) -> list[tuple[int, int | None]]:
    """The ranges of ids (after, up to; None: the last) a big recompute's workers take, as
    many records in each: one range on SQLite, which writes one transaction at a time."""
    if dialect.is_sqlite() or WORKERS < 2:
        return [(0, None)]
    edges: list[int] = []
    with connection.cursor() as cur:
        for k in range(1, WORKERS):
            cur.execute(f"SELECT id FROM {q(schema.table)} ORDER BY id "
                        f"OFFSET {total * k // WORKERS} LIMIT 1")
            row = cur.fetchone()
            if row is not None and (not edges or int(row[0]) > edges[-1]):
                edges.append(int(row[0]))
    bounds: list[int | None] = [0, *edges, None]
    return [(int(bounds[k] or 0), bounds[k + 1]) for k in range(len(bounds) - 1)]


class _Done:
    """The records a recompute has gone through, told to the job's progress as they add up
    (from the thread that runs the job: the workers only count)."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int) -> None:
        self.progress, self.total, self.count = progress, total, 0
        self.lock = threading.Lock()
        self.stop = False  # a worker failed: the others end after their chunk

    def add(self, n: int, *, report: bool = True) -> None:
        with self.lock:
            self.count += n
        if report:
            self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(min(self.count, self.total or self.count),
                          max(self.total, self.count))


def _recompute_range(ledger_id: int, fields: Collection[str] | None,
                     span: tuple[int, int | None], done: _Done, *, suspend: bool,
                     report: bool = True) -> int:
    """Recompute the records with ids in `span` (after, up to; None: the last), a chunk per
    transaction, each chunk with the ledger's definition as it is then. `suspend`: the
    chunks drop the indexes a big recompute builds at its end (_Chunk.rewrite)."""
    last, upto = span
    changed = 0
    memo = Memo()
    while not done.stop:
        with transaction.atomic():
            schema = load_schema(ledger_id)
            if schema is None:
                return changed
            steps = affected(schema_plan(schema), fields)
            if not steps:
                return changed
            chunk = _Chunk.read(schema, steps, last, upto)
            if not chunk.ids:
                return changed
            memo.begin(schema)
            changed += chunk.rewrite(ValueContext(), suspend_index=suspend, memo=memo)
            last = chunk.ids[-1]
        done.add(len(chunk.ids), report=report)
    return changed


def _in_parallel(ledger_id: int, fields: Collection[str] | None,
                 ranges: list[tuple[int, int | None]], done: _Done) -> int:
    """PostgreSQL: recompute each range of ids on a thread of its own, each with its own
    connection and transactions, so one thread computes a chunk while the database writes
    another's: the job's Python and the database's work overlap on two cores (adding a
    formula to 1,000,000 records: see docs/performance.md). The ranges hold different
    records, so no two workers lock the same row; the formulas' column indexes were dropped
    before they started (two workers dropping them at once could deadlock on the table's
    lock). The first failure stops the others after their chunk and is raised here; so does
    one of the progress (the job's thread reports it while the workers count)."""
    results: list[int] = [0] * len(ranges)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            results[k] = _recompute_range(ledger_id, fields, ranges[k], done,
                                          suspend=False, report=False)
        except BaseException as exc:  # raised again by the job's thread below
            errors.append(exc)
            done.stop = True
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=work, args=(k,), name=f"daicho-recompute-{k}",
                                daemon=True) for k in range(len(ranges))]
    for t in threads:
        t.start()
    try:
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(timeout=1.0)
            done.report()
    finally:  # the progress may raise (the job is cancelled): the workers end first
        done.stop = True
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return sum(results)


def recompute_records(schema: LedgerSchema, ids: Sequence[int]) -> int:
    """Compute the formulas of records `ids` again in the caller's transaction and store those
    that changed (a value they use was written by something else than their writer: a lookup
    following its linked record). Returns the number of records rewritten."""
    steps = schema_plan(schema)
    changed = 0
    for start in range(0, len(ids), CHUNK) if steps else ():
        chunk = _Chunk.of(schema, steps, ids[start:start + CHUNK])
        changed += chunk.rewrite(ValueContext(), suspend_index=False)
    return changed


@dataclass
class _Chunk:
    """CHUNK records of a ledger as the recompute reads them: their ids, search keys and the
    columns of the fields its formulas use and give — not the whole rows."""

    schema: LedgerSchema
    steps: list[Step]
    ids: list[int]
    keys: list[str]
    columns: dict[str, list[Any]]

    @classmethod
    def read(cls, schema: LedgerSchema, steps: list[Step], after: int,
             upto: int | None = None) -> _Chunk:
        """The next CHUNK records after id `after` (up to id `upto`)."""
        if upto is None:
            return cls._read(schema, steps, f"t.id > %s ORDER BY t.id LIMIT {CHUNK}", [after])
        return cls._read(schema, steps, f"t.id > %s AND t.id <= %s ORDER BY t.id LIMIT {CHUNK}",
                         [after, upto])

    @classmethod
    def of(cls, schema: LedgerSchema, steps: list[Step], ids: Sequence[int]) -> _Chunk:
        """The records `ids` (at most CHUNK)."""
        return cls._read(schema, steps, f"t.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY t.id",
                         list(ids))

    @classmethod
    def _read(cls, schema: LedgerSchema, steps: list[Step], where: str,
              params: list[Any]) -> _Chunk:
        by_code = schema.full.by_code
        codes = sorted({s.field.code for s in steps}
                       | {ref for s in steps for ref in s.formula.refs if ref in by_code})
        columns = "".join(f", t.{q(by_code[c].column)}" for c in codes)
        lock = "" if dialect.is_sqlite() else " FOR UPDATE"
        with connection.cursor() as cur:
            cur.execute(f"SELECT t.id, t.search_key{columns} FROM {q(schema.table)} t "
                        f"WHERE {where}{lock}", params)
            rows = cur.fetchall()
        found: list[Sequence[Any]] = (list(zip(*rows, strict=True)) if rows
                                      else [[] for _ in range(2 + len(codes))])
        return cls(schema, steps, [int(i) for i in found[0]], [k or "" for k in found[1]],
                   {c: list(found[2 + n]) for n, c in enumerate(codes)})

    def rewrite(self, ctx: ValueContext, *, suspend_index: bool, memo: Memo | None = None) -> int:
        """Compute the chunk's formulas column-wise and write the records whose values
        changed, with their search keys, one statement per chunk (SQLite: executemany by id;
        PostgreSQL: UPDATE … FROM unnest(…), daicho.db.batch, and the search table's rows of
        the sections that changed, daicho.db.search.write_texts).

        `suspend_index`: rewriting most keys one by one in SQLite's gram index costs more than
        building it again, so the first chunk that changes something drops it and recompute()
        builds it at the end; meanwhile search reads the keys themselves (search_condition).
        So with the indexes of the formulas' columns (_suspend_columns)."""
        schema, steps = self.schema, self.steps
        new = compute_columns(schema, self.columns, len(self.ids), ctx, steps, memo)
        params = {s.field.code: s.ftype.inner.to_params(new[s.field.code]) for s in steps}
        old = {s.field.code: self.columns[s.field.code] for s in steps}
        moved: dict[str, set[int]] = {}  # per formula, the records whose value changed
        for s in steps:
            code = s.field.code
            was, now = old[code], new[code]
            moved[code] = {n for n, (a, b) in enumerate(zip(params[code], was, strict=True))
                           if a != b and not _same(s.ftype, b, now[n])}
        which = sorted(set().union(*moved.values()))
        if not which:
            return 0
        keys = self._keys(which, old, new, {c for c, found in moved.items() if found}, ctx)
        index = [(self.ids[n], key, self.keys[n]) for n, key in zip(which, keys, strict=True)
                 if key != self.keys[n]]
        rows = [[self.ids[n], key, *(params[s.field.code][n] for s in steps)]
                for n, key in zip(which, keys, strict=True)]
        if suspend_index and index:
            search.suspend_index(schema.ledger)
        if suspend_index:
            _suspend_columns(schema, steps)
        columns = [("search_key", "TEXT"), *((s.field.column, s.ftype.sql_type()) for s in steps)]
        with search.texts_given():  # PostgreSQL: the sections that changed, grams made here
            if not batch.update_columns(schema.table, columns, rows):
                batch.update_rows(schema.table, [], [], columns, rows)
            search.write_texts(schema.ledger, index)
        search.index_records(schema.ledger, index)  # SQLite's gram index
        return len(rows)

    def _keys(self, which: list[int], old: dict[str, list[Any]], new: dict[str, list[Any]],
              moved: set[str], ctx: ValueContext) -> list[str]:
        """The new search keys of records `which`. A key is the record's own texts, then its
        formulas' texts in field order (textnorm.sectioned). When the formulas recomputed here
        are the last of the formulas (one just added), a record's key is its stored key with
        their old texts at its end replaced by the new ones — no other field is read. A key
        stored before the sections existed ends the same way when the formulas were the last
        searchable fields. Any other record (a key that does not end as its formulas' old values
        say) is keyed from all its fields."""
        # Inside the function: services.records imports this module (its writers fill the
        # formulas), and the search-key helpers still live there; once they have a module of
        # their own that imports neither, this import goes to the top.
        from daicho.services.records import _column_forms, _joined

        computed = [f for f, ftype in self.schema.searchable if ftype.computed]
        tail = len(computed)
        while tail and computed[tail - 1].code in old:
            tail -= 1
        if any(f.code in moved for f in computed[:tail]):
            return self._full_keys(which, new, ctx)
        ends = computed[tail:]

        def texts(values: dict[str, list[Any]]) -> list[list[str] | None]:
            return [_column_forms(self.schema, f, [values[f.code][n] for n in which], ctx)[1]
                    for f in ends]

        before = texts(old)  # a formula whose values did not change has the same texts
        after = [t if f.code not in moved else _column_forms(
            self.schema, f, [new[f.code][n] for n in which], ctx)[1]
            for f, t in zip(ends, before, strict=True)]
        keys: list[str | None] = []
        for n, was, now in zip(which, _joined("\n", [t for t in before if t is not None],
                                              len(which)),
                               _joined("\n", [t for t in after if t is not None], len(which)),
                               strict=True):
            stored, mark, section = self.keys[n].partition(SECTION)
            if not mark and tail:  # no texts of other formulas, or stored before the sections
                keys.append(None)  # with theirs among the own ones: which, only they can say
                continue
            # Without a section the formulas' texts (stored before the sections) end the key.
            own = stored if mark else _cut(stored, was)
            head = _cut(section if mark else was, was)
            keys.append(None if head is None or own is None
                        else sectioned(own, "\n".join(filter(None, (head, now)))))
        missing = [n for n, key in zip(which, keys, strict=True) if key is None]
        if missing:
            full = dict(zip(missing, self._full_keys(missing, new, ctx), strict=True))
            keys = [full[n] if key is None else key for n, key in zip(which, keys, strict=True)]
        return [key or "" for key in keys]

    def _full_keys(self, which: list[int], new: dict[str, list[Any]],
                   ctx: ValueContext) -> list[str]:
        """Search keys made from every searchable field, column by column as an import makes
        them (records._column_forms), the formulas' values being `new`: the own fields'
        texts, then the formulas' (textnorm.sectioned)."""
        from daicho.services.records import _column_forms, _section_keys  # as in _keys

        schema = self.schema
        wanted = [self.ids[n] for n in which]
        columns = ", ".join(f"t.{q(f.column)}" for f, _t in schema.searchable)
        values: dict[int, tuple[Any, ...]] = {}
        with connection.cursor() as cur:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                cur.execute(f"SELECT t.id{', ' + columns if columns else ''} "
                            f"FROM {q(schema.table)} t "
                            f"WHERE t.id IN ({', '.join(['%s'] * len(part))})", part)
                values.update((int(r[0]), tuple(r[1:])) for r in cur.fetchall())
        position = {rid: k for k, rid in enumerate(wanted)}
        texts = []
        for k, (f, _t) in enumerate(schema.searchable):
            if f.code in new:
                column = [new[f.code][n] for n in which]
            else:
                column = [None] * len(wanted)
                for rid, row in values.items():
                    column[position[rid]] = row[k]
            texts.append(_column_forms(schema, f, column, ctx)[1])
        return _section_keys(schema, [f for f, _t in schema.searchable], texts, len(wanted))


def _cut(text: str | None, end: str) -> str | None:
    """`text` without `end` (lines at its end); None when it does not end so."""
    if text is None or not end:
        return text
    if text == end:
        return ""
    return text[:-len(end) - 1] if text.endswith("\n" + end) else None


def _suspend_columns(schema: LedgerSchema, steps: list[Step]) -> None:
    """Drop the index of each formula column a big recompute rewrites. Each chunk of 5,000
    values lands all over a column's index, so keeping it up to date rewrote most of its pages
    in every chunk (and the WAL with them; on PostgreSQL every rewritten row adds an entry);
    recompute() builds it once at the end (daicho.db.schema.sync_indexes). Meanwhile a page
    sorted or filtered by such a column, whose values are half old, half new, reads the table.
    The unique and pair indexes stay."""
    for step in steps:
        ddl.drop_column_index(schema.ledger, str(step.field.column))


def _same(ftype: FieldType, old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return bool(ftype.to_param(new) == old or ftype.cursor_key(new) == ftype.cursor_key(old))


@jobs.kind(JOB_KIND, retry=True)
def _recompute_job(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    fields = job.params.get("fields")
    return {"ok": True, "rewritten": recompute(
        int(job.params["ledger"]), progress,
        fields=None if fields is None else [str(code) for code in fields])}


# -- the designer's preview ----------------------------------------------------------------------
PREVIEW_RECORDS = 5


def preview(*, user: AnyUser, schema: LedgerSchema, code: str | None,
            options: Any) -> list[dict[str, Any]]:
    """What a formula (its options as the designer holds them, for field `code` or a new one)
    gives for the newest few records the user may see: [{"id", "value"}]. A formula that cannot
    be used raises what saving it would (invalid_expression, formula_cycle, invalid_options);
    nothing is written."""
    grant = access.require(user, schema, "manage")
    ctx = ValueContext(user)
    ftype = field_type("formula")
    if not isinstance(options, dict):
        raise InvalidInput(_("options must be an object."), code=Code.INVALID_OPTIONS)
    current = schema.full.by_code.get(code or "")
    f = Field(code=current.code if current is not None else "__preview__",
              name=current.name if current is not None else _("this field"), type=ftype.key,
              options=ftype.clean_options(options, ctx))
    steps = plan([*(o for o in schema.full.fields if o.code != f.code), f])
    perm_sql, perm_params = grant.predicate("view", "t")
    where = dialect.live() + (f" AND ({perm_sql})" if perm_sql else "")
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sel.select_list(grant.full)} FROM {q(schema.table)} t "
                    f"WHERE {where} ORDER BY t.id DESC LIMIT {PREVIEW_RECORDS}", perm_params)
        rows = sel.to_rows(grant.full, cur.fetchall())
    shown = ftype.for_field(f)
    return [{"id": row.id,
             "value": shown.to_json(f, compute(grant.full, row.raw, ctx, steps)[f.code], ctx)}
            for row in rows]
