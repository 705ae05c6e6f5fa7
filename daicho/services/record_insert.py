"""How new records go in: `insert_records` for records cleaned one by one (create, bulk),
`import_columns` for an import's records given column by column — its own engine, made for
the import bars (docs/architecture.md, "Writing: revisions, merge, history",
says why there are two). Both in the caller's transaction, with history, search index and
the ledger's count."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F

from daicho import access
from daicho.access import AnyUser
from daicho.db import dialect, search
from daicho.db.dialect import q
from daicho.fields.context import ValueContext
from daicho.fields.text import AutonumberType
from daicho.models import Field, Ledger
from daicho.selectors.ledgers import STATUS_COLUMN, VERSION_COLUMN, LedgerSchema
from daicho.services import events, formulas, lookups
from daicho.services.record_history import import_history, user_id, write_history
from daicho.services.record_values import Prepared, check_writable, record_search_key, unique_taken
from daicho.textnorm import search_keys, sectioned


def bump_count(schema: LedgerSchema, delta: int) -> None:
    if delta:
        Ledger.objects.filter(id=schema.id).update(record_count=F("record_count") + delta)
        schema.ledger.record_count += delta


def _allocate_autonumbers(schema: LedgerSchema, count: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in schema.fields:
        ftype = schema.type_of(f)
        if isinstance(ftype, AutonumberType):
            Field.objects.filter(id=f.id).update(seq=F("seq") + count)
            end = Field.objects.values_list("seq", flat=True).get(id=f.id)
            out[f.code] = [ftype.format(f, n) for n in range(end - count + 1, end + 1)]
    return out


def _allocate_ids(schema: LedgerSchema, count: int) -> list[int]:
    """Ids for `count` new records, taken up front so one executemany can insert them all.

    SQLite: the write lock is ours for the whole transaction (BEGIN IMMEDIATE), so the next
    AUTOINCREMENT values are free to use. PostgreSQL: draw them from the identity sequence."""
    with connection.cursor() as cur:
        if dialect.is_sqlite():
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [schema.table])
            found = cur.fetchone()
            start = int(found[0]) + 1 if found else 1
            return list(range(start, start + count))
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [schema.table, count])
        return [int(r[0]) for r in cur.fetchall()]


def insert_records(grant: access.Grant, user: AnyUser, items: list[Prepared], ctx: ValueContext,
                   *, batch_id: str) -> list[int]:
    """Create cleaned records; their `create` entries (with their values), search index and
    count in the same transaction. Each must lie within the record conditions of the add right
    (403 otherwise, nothing written)."""
    if not items:
        return []
    schema = grant.full
    now = dialect.param(dialect.now())
    uid = user_id(user)
    autonumbers = _allocate_autonumbers(schema, len(items))
    ids = _allocate_ids(schema, len(items))
    cols = ["id", "revision", "created_at", "created_by", "updated_at", "updated_by", "search_key"]
    cols += [q(f.column) for f in schema.fields]
    begins = _process_start(schema)
    cols += [column for column, _value in begins]
    sql = (f"INSERT INTO {q(schema.table)} ({', '.join(cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    codes = [f.code for f in schema.fields]
    converters = [schema.type_of(f).to_param for f in schema.fields]
    rows: list[list[Any]] = []
    history: list[tuple[int, int, str, dict[str, Any]]] = []
    index_rows: list[tuple[int, str, str | None]] = []
    for n, (rid, item) in enumerate(zip(ids, items, strict=True)):
        for code, numbers in autonumbers.items():
            item.stored[code] = numbers[n]
            item.as_json[code] = numbers[n]
        lookups.fill(schema, item, None, ctx)
        formulas.fill(schema, item, None, ctx)
        key = record_search_key(schema, item.stored, ctx)
        stored = item.stored
        rows.append([rid, 1, now, uid, now, uid, key,
                     *[convert(stored.get(code)) for code, convert in zip(codes, converters,
                                                                          strict=True)],
                     *[value for _column, value in begins]])
        history.append((rid, 1, "create", {
            code: {"old": None, "new": value}
            for code, value in item.as_json.items() if value is not None
        }))
        index_rows.append((rid, key, None))
    with connection.cursor() as cur:
        try:
            cur.executemany(sql, rows)
        except IntegrityError:
            raise unique_taken() from None
    search.index_records(schema.ledger, index_rows)
    write_history(schema, user, history, batch_id)
    bump_count(schema, len(items))
    grant.check_written(ids, "add")
    return ids


def _process_start(schema: LedgerSchema) -> list[tuple[str, Any]]:
    """The columns a new record starts its process with (none without a process): the initial
    status and the version it will follow (contract §8)."""
    process = schema.process
    if process is None:
        return []
    return [(STATUS_COLUMN, process["initial"]), (VERSION_COLUMN, int(process["version"]))]


IMPORT_CHUNK = 20_000


def import_columns(*, user: AnyUser, schema: LedgerSchema, columns: dict[str, list[Any]],
                   ctx: ValueContext, batch_id: str, progress: Any = None,
                   made: list[int] | None = None) -> int:
    """Insert cleaned records given column by column (storage values, as `clean` returns them,
    every column the same length) as part of import batch `batch_id`: the rows, one history
    entry per record ('import', revision 1), the search key and gram index, and the count, in
    the caller's transaction.

    The history entry of a record an import created holds no values (`{}`): they are the
    record's values at revision 1, which `history` recovers from the record and its later
    entries, as `values_at` does for a revert. Storing them again would double what an import
    writes. A ledger whose gram index is suspended (a ledger made from the file) gets it from
    the `search_index` job afterwards.

    Works a chunk of rows at a time, so a million-row import never holds a million rows of SQL
    parameters, and column by column: within a chunk each distinct value of a field is turned
    into its parameter and search text once. `made`, when given, gets the new records' ids."""
    grant = access.require(user, schema, "import")
    schema = grant.full
    count = len(next(iter(columns.values()))) if columns else 0
    if not count:
        return 0
    check_writable(grant, Prepared(dict.fromkeys(columns), {}), "import")
    uid = user_id(user)
    now = dialect.param(dialect.now())
    at = connection.ops.adapt_datetimefield_value(dialect.now())
    columns = dict(columns)
    for code, numbers in _allocate_autonumbers(schema, count).items():
        columns[code] = numbers
    lookups.fill_columns(schema, columns, count, ctx)
    formulas.fill_columns(schema, columns, count, ctx)
    fields = [f for f in schema.fields if f.code in columns]
    cols = ["id", "revision", "created_at", "created_by", "updated_at", "updated_by", "search_key"]
    cols += [q(f.column) for f in fields]
    begins = _process_start(schema)
    cols += [column for column, _value in begins]
    head = f"INSERT INTO {q(schema.table)} ({', '.join(cols)})"
    fts = search.IndexWriter(schema.ledger)
    # The history of chunk k is written on a thread while this one makes chunk k + 1's forms:
    # that INSERT … SELECT runs inside SQLite (or PostgreSQL) without the GIL. The thread has a
    # cursor of its own on this thread's connection — the same transaction, so the entries
    # commit or roll back with the rows; a second connection could do neither (SQLite's write
    # lock is this one's; on PostgreSQL it would be another transaction). The drivers take one
    # statement at a time on a connection, so this thread may use it meanwhile: it waits.
    history = _Aside()
    db = connections[DEFAULT_DB_ALIAS]
    db.inc_thread_sharing()
    try:
        with connection.cursor() as cur:
            for start in range(0, count, IMPORT_CHUNK):
                end = min(start + IMPORT_CHUNK, count)
                n = end - start
                forms = [column_forms(schema, f, columns[f.code][start:end], ctx)
                         for f in fields]
                params = [column for column, _texts in forms]
                keys = section_keys(schema, fields, [texts for _column, texts in forms], n)
                del forms
                history.wait()
                ids = _allocate_ids(schema, n)
                try:
                    _insert_rows(cur, head, list(zip(
                        ids, [1] * n, [now] * n, [uid] * n, [now] * n, [uid] * n, keys, *params,
                        *([value] * n for _column, value in begins), strict=True)))
                except IntegrityError:
                    raise unique_taken() from None
                del params
                if fts.enabled:
                    fts.add(zip(ids, map(search.insert_grams, keys), strict=True))
                del keys
                grant.check_written(list(ids), "import")
                if made is not None:
                    made += ids
                if progress is not None:
                    progress(end, count)
                history.start(_execute, db, *import_history(schema, ids, uid, at, batch_id))
                event, lid = events.RecordEvent, schema.id
                events.emit(schema, [event("import", lid, rid, 1, uid, events.NO_CHANGES,
                                           batch_id) for rid in ids])
            history.wait()
    finally:
        history.join()  # before the caller's transaction ends, whatever was raised
        db.dec_thread_sharing()
    fts.close()
    bump_count(schema, count)
    return count


# SQLite: an import's rows go in this many to an INSERT statement. Each statement has a cost of
# its own (for an AUTOINCREMENT table, reading and writing sqlite_sequence), which a statement
# per row pays a hundred thousand times: 500 rows a statement take a sixth off the insert.
ROWS_PER_INSERT = 500


def _insert_rows(cur: Any, head: str, rows: list[tuple[Any, ...]]) -> None:
    """`head` (INSERT INTO table (columns)) VALUES each row, as multi-row INSERTs within the
    database's limit of parameters per statement."""
    if not rows:
        return
    width = len(rows[0])
    one = f"({', '.join(['%s'] * width)})"
    per = min(ROWS_PER_INSERT, _max_params() // width)
    whole = len(rows) // per * per if per > 1 else 0
    if whole:
        chain = itertools.chain.from_iterable
        cur.executemany(f"{head} VALUES {', '.join([one] * per)}",
                        [list(chain(rows[k:k + per])) for k in range(0, whole, per)])
    if whole < len(rows):
        cur.executemany(f"{head} VALUES {one}", rows[whole:])


def _max_params() -> int:
    """How many parameters a statement may take: SQLite's limit; PostgreSQL's protocol allows
    65,535 (and each statement fires the search table's triggers once, daicho.db.schema)."""
    if not dialect.is_sqlite():
        return 65_535
    import sqlite3

    raw = connection.connection
    return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if raw is not None else 999


def _execute(db: BaseDatabaseWrapper, sql: str, params: list[Any]) -> None:
    """One statement on a cursor of its own of connection `db` (shared with this thread)."""
    with db.cursor() as cur:
        cur.execute(sql, params)


class _Aside:
    """One call at a time on a thread of its own; wait() joins it and raises what it raised."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, fn: Callable[..., object], *args: Any) -> None:
        self.wait()

        def call() -> None:
            try:
                fn(*args)
            except BaseException as exc:  # raised again by wait()
                self._error = exc

        self._thread = threading.Thread(target=call, name="daicho-import-history", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the call to end; what it raised is kept for wait()."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wait(self) -> None:
        self.join()
        error, self._error = self._error, None
        if error is not None:
            raise error


def joined(separator: str, columns: list[list[str]], rows: int) -> list[str]:
    """Per row, the non-empty texts of the columns joined by separator."""
    if not columns:
        return [""] * rows
    join = separator.join
    return [join(filter(None, row)) for row in zip(*columns, strict=True)]


def section_keys(schema: LedgerSchema, fields: Sequence[Field],
                 texts: Sequence[list[str] | None], rows: int) -> list[str]:
    """Per row, the search key of fields' normalised texts (column_forms; None: a field with
    none): the own fields' texts, then the formulas' (textnorm.sectioned)."""
    own = [t for f, t in zip(fields, texts, strict=True)
           if t is not None and not schema.type_of(f).computed]
    computed = [t for f, t in zip(fields, texts, strict=True)
                if t is not None and schema.type_of(f).computed]
    keys = joined("\n", own, rows)
    if computed:
        keys = list(map(sectioned, keys, joined("\n", computed, rows)))
    return keys


def column_forms(schema: LedgerSchema, f: Field, values: list[Any],
                  ctx: ValueContext) -> tuple[list[Any], list[str] | None]:
    """One field's storage values → (driver parameters, normalised search texts or None when
    the field has none). A column that repeats its values (区分, 町名, dates) has each form
    made once per distinct value and spread by a dictionary lookup; in a column of mostly
    distinct values (番号, 名称, 金額) that would only add hashing, so it is made per value.

    The search key of a record is its fields' texts joined by newlines: normalisation (NFKC,
    casefold, kana) never joins across a newline, so each field's share can be made on its own,
    and all of a column's texts are normalised in one call (search_keys)."""
    ftype = schema.type_of(f)
    kinds = set(map(type, values))
    items = values
    if kinds <= _MEMO_TYPES and len(set(values[:_SAMPLE])) * 2 <= min(len(values), _SAMPLE):
        # Not for bool or datetime: True == 1, and equal datetimes in two time zones, would
        # share a form they must not.
        items = list(dict.fromkeys(values))
    params, texts = ftype.column_forms(f, items, ctx)
    keys = search_keys(texts) if texts is not None else None
    if items is values:
        return params, keys
    where = {v: k for k, v in enumerate(items)}
    positions = list(map(where.__getitem__, values))
    return (list(map(params.__getitem__, positions)),
            None if keys is None else list(map(keys.__getitem__, positions)))


_SAMPLE = 2_000


_MEMO_TYPES = frozenset({type(None), str, dt.date, Decimal, int})

