"""`daicho check`: is the database whole, and does it agree with itself and with the files?

Each problem is a dict with a stable `code`, a translated `message` and the details needed to find
it (ledger id, table, column, record ids, file path). Record-level checks are one aggregate query
per ledger, never a Python loop over records, so a ledger of a million records takes seconds.

Codes: database_unreadable, database_integrity, foreign_key (SQLite), invalid_index (PostgreSQL),
orphan_table; per ledger: missing_table, missing_column, missing_search_index and
search_index_damaged (SQLite), record_count_mismatch, no_history, revision_mismatch, history_gap,
orphan_history; attachments: attachment_missing, attachment_size_mismatch,
attachment_checksum_mismatch, orphan_file; files: loose_mode, temp_leftover (see hygiene.py).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.db.schema import SYSTEM_COLUMNS, fts_table
from daicho.maintenance import hygiene
from daicho.maintenance.archive import sha256_file
from daicho.maintenance.inventory import attachment_path
from daicho.models import Attachment, Field, History, Job, Ledger

MAX_IDS = 20  # record ids named in one problem
MAX_PER_CODE = 100  # problems listed per code; the rest are counted
FETCH = 1000
LEDGER_TABLE_RE = re.compile(r"^ledger_(\d+)$")
UPLOAD_GRACE_SECONDS = 60


class Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.per_code: Counter[str] = Counter()

    def add(self, code: str, message: str, **details: Any) -> None:
        self.per_code[code] += 1
        if self.per_code[code] <= MAX_PER_CODE:
            self.items.append({"code": code, "message": message, **details})

    def result(self) -> list[dict[str, Any]]:
        out = list(self.items)
        for code, n in sorted(self.per_code.items()):
            if n > MAX_PER_CODE:
                out.append({"code": code, "omitted": n - MAX_PER_CODE,
                            "message": ngettext(
                                "…and %(count)d more problem of the kind %(code)s.",
                                "…and %(count)d more problems of the kind %(code)s.",
                                n - MAX_PER_CODE) % {"count": n - MAX_PER_CODE, "code": code}})
        return out


def check() -> list[dict[str, Any]]:
    problems = Problems()
    started = time.time()
    try:
        with read_snapshot():
            ledger_checks = _check_database(problems)
            _check_attachments(problems, started)
        hygiene.check_files(problems, connection.settings_dict["NAME"]
                            if dialect.is_sqlite() else None)
    except DatabaseError as exc:
        # A database too damaged to answer is the one problem worth reporting.
        problems.add("database_unreadable", _("The database could not be read: %(error)s")
                     % {"error": str(exc)[:500]})
        return problems.result()
    if dialect.is_sqlite():
        # FTS5's own check is spelled as an INSERT, which a read-only snapshot cannot run.
        for ledger_check in ledger_checks:
            ledger_check.check_search_index()
    return problems.result()


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Every query of the check sees one state of the database, so the writes of a running
    server cannot look like damage (say, a ledger's count read before a write and its rows
    counted after it)."""
    if dialect.is_sqlite():
        # Django's atomic() would BEGIN IMMEDIATE and stop every writer for the whole check; a
        # deferred transaction that only reads takes no lock in WAL mode.
        with connection.cursor() as cur:
            cur.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("ROLLBACK")
    else:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield


# -- the database as a whole -------------------------------------------------------------------

def _check_database(problems: Problems) -> list[LedgerCheck]:
    if dialect.is_sqlite():
        _check_sqlite_file(problems)
    else:
        _check_postgresql_indexes(problems)
    tables = set(connection.introspection.table_names())
    fields: dict[int, list[Field]] = {}
    for f in Field.objects.order_by("id"):
        fields.setdefault(f.ledger_id, []).append(f)
    checks = [LedgerCheck(problems, ledger, fields.get(ledger.id, []), tables)
              for ledger in Ledger.objects.order_by("id")]
    for ledger_check in checks:
        ledger_check.run()
    _check_stray_tables(problems, {c.ledger.id for c in checks}, tables)
    return checks


def _check_sqlite_file(problems: Problems) -> None:
    with connection.cursor() as cur:
        cur.execute("PRAGMA integrity_check")
        lines = [str(row[0]) for row in cur.fetchall()]
        if lines != ["ok"]:
            problems.add("database_integrity",
                         _("The database file is damaged: %(detail)s") % {"detail": lines[0]},
                         details=lines[:MAX_IDS])
        cur.execute("PRAGMA foreign_key_check")
        broken: dict[tuple[str, str], list[int]] = {}
        for table, rowid, parent, _fkid in cur.fetchall():
            broken.setdefault((table, parent), []).append(rowid)
    for (table, parent), rowids in sorted(broken.items()):
        problems.add("foreign_key",
                     ngettext("%(count)d row of %(table)s refers to a row of %(parent)s that "
                              "does not exist.",
                              "%(count)d rows of %(table)s refer to rows of %(parent)s that do "
                              "not exist.", len(rowids))
                     % {"count": len(rowids), "table": table, "parent": parent},
                     table=table, parent=parent, count=len(rowids), rowids=rowids[:MAX_IDS])


def _check_postgresql_indexes(problems: Problems) -> None:
    """An interrupted CREATE INDEX CONCURRENTLY leaves an index that is kept but never used."""
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE NOT i.indisvalid AND n.nspname = current_schema()")
        for (name,) in cur.fetchall():
            problems.add("invalid_index", _("The index %(index)s is not valid.") % {"index": name},
                         index=name)


def _check_stray_tables(problems: Problems, ledger_ids: set[int], tables: set[str]) -> None:
    for table in sorted(tables):
        match = LEDGER_TABLE_RE.match(table)
        if match and int(match.group(1)) not in ledger_ids:
            problems.add("orphan_table",
                         _("The table %(table)s belongs to no ledger.") % {"table": table},
                         table=table)


# -- one ledger --------------------------------------------------------------------------------

class LedgerCheck:
    def __init__(self, problems: Problems, ledger: Ledger, fields: list[Field],
                 tables: set[str]) -> None:
        self.problems = problems
        self.ledger = ledger
        self.fields = fields
        self.tables = tables
        self.table = ledger.table_name or ""

    def add(self, code: str, message: str, **details: Any) -> None:
        self.problems.add(code, _("Ledger 「%(ledger)s」: %(problem)s")
                          % {"ledger": self.ledger.name, "problem": message},
                          ledger=self.ledger.id, **details)

    def run(self) -> None:
        if self.table not in self.tables:
            self.add("missing_table", _("its table %(table)s is missing.")
                     % {"table": self.table or "-"}, table=self.table)
            return
        columns = self._check_columns()
        if {"id", "revision", "deleted"} <= columns:
            self._check_record_count()
            self._check_revisions()
            self._check_history_targets()

    def check_search_index(self) -> None:
        name = fts_table(self.ledger)
        if self.table not in self.tables:
            return  # already reported as a missing table
        if name not in self.tables:
            if Job.objects.filter(kind="search_index", status__in=("queued", "running"),
                                  params={"ledger": self.ledger.id}).exists():
                return  # a ledger made from a file, to be indexed by that job
            self.add("missing_search_index", _("its search index %(table)s is missing.")
                     % {"table": name}, table=name)
            return
        with connection.cursor() as cur:
            try:
                # FTS5's own consistency check is a command spelled as an INSERT.
                cur.execute(f"INSERT INTO {q(name)} ({q(name)}) VALUES ('integrity-check')")
            except DatabaseError as exc:
                self.add("search_index_damaged", _("its search index is damaged (%(error)s).")
                         % {"error": str(exc)[:200]}, table=name)

    def _expected_columns(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(column, message, details) for the system columns, every field's column (deleted
        fields keep theirs so they can come back) and every column retired by a type change."""
        for column in SYSTEM_COLUMNS:
            yield column, _("its table lacks the system column %(column)s.") % {
                "column": column}, {}
        for f in self.fields:
            labels = {"column": f.column, "field": f.name}
            yield f.column, _("the column %(column)s of the field 「%(field)s」 is missing from "
                              "its table.") % labels, {"field": f.code}
            for retired in f.retired_columns or []:
                column = str(retired.get("column", "")) if isinstance(retired, dict) else ""
                if column:
                    yield column, _("the column %(column)s that keeps the values of the field "
                                    "「%(field)s」 from before a type change is missing.") % {
                        **labels, "column": column}, {"field": f.code, "retired": True}

    def _check_columns(self) -> set[str]:
        with connection.cursor() as cur:
            present = {c.name for c in connection.introspection.get_table_description(
                cur, self.table)}
        for column, message, details in self._expected_columns():
            if column not in present:
                self.add("missing_column", message, table=self.table, column=column, **details)
        return present

    def _check_record_count(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {q(self.table)} t WHERE {dialect.live()}")
            live = int(cur.fetchone()[0])
        if live != self.ledger.record_count:
            self.add("record_count_mismatch",
                     _("its record count says %(expected)d, but its table holds %(found)d live "
                       "records.")
                     % {"expected": self.ledger.record_count, "found": live},
                     expected=self.ledger.record_count, found=live)

    def _check_revisions(self) -> None:
        """Every revision of a record has one history entry: 1, 2, … up to the record's own."""
        sql = (
            f"SELECT t.id, t.revision, h.hi FROM {q(self.table)} t LEFT JOIN ("
            f" SELECT record_id, COUNT(*) AS n, MIN(revision) AS lo, MAX(revision) AS hi"
            f" FROM {q(History._meta.db_table)} WHERE ledger_id = %s GROUP BY record_id"
            f") h ON h.record_id = t.id"
            f" WHERE h.hi IS NULL OR h.hi <> t.revision OR h.lo <> 1 OR h.n <> h.hi"
        )
        kinds: dict[str, list[int]] = {"no_history": [], "revision_mismatch": [],
                                       "history_gap": []}
        counts: Counter[str] = Counter()
        for rid, revision, hi in _stream(sql, [self.ledger.id]):
            kind = "no_history" if hi is None else \
                "revision_mismatch" if hi != revision else "history_gap"
            counts[kind] += 1
            if len(kinds[kind]) < MAX_IDS:
                kinds[kind].append(int(rid))
        for kind, ids in kinds.items():
            if counts[kind]:
                self.add(kind, _revision_message(kind, counts[kind])
                         % {"count": counts[kind], "ids": _ids(ids)},
                         count=counts[kind], record_ids=ids)

    def _check_history_targets(self) -> None:
        sql = (
            f"SELECT h.record_id FROM {q(History._meta.db_table)} h"
            f" WHERE h.ledger_id = %s AND NOT EXISTS"
            f" (SELECT 1 FROM {q(self.table)} t WHERE t.id = h.record_id)"
            f" GROUP BY h.record_id"
        )
        ids: list[int] = []
        count = 0
        for (rid,) in _stream(sql, [self.ledger.id]):
            count += 1
            if len(ids) < MAX_IDS:
                ids.append(int(rid))
        if count:
            self.add("orphan_history", ngettext(
                "there is history for %(count)d record that does not exist (id %(ids)s).",
                "there is history for %(count)d records that do not exist (ids %(ids)s).",
                count) % {"count": count, "ids": _ids(ids)}, count=count, record_ids=ids)


def _revision_message(kind: str, count: int) -> str:
    if kind == "no_history":
        return ngettext("%(count)d record has no history (id %(ids)s).",
                        "%(count)d records have no history (ids %(ids)s).", count)
    if kind == "revision_mismatch":
        return ngettext(
            "%(count)d record has a revision that differs from its latest history entry "
            "(id %(ids)s).",
            "%(count)d records have a revision that differs from their latest history entry "
            "(ids %(ids)s).", count)
    return ngettext(
        "%(count)d record lacks history entries between revision 1 and its own (id %(ids)s).",
        "%(count)d records lack history entries between revision 1 and their own (ids %(ids)s).",
        count)


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) + (", …" if len(ids) >= MAX_IDS else "")


def _stream(sql: str, params: list[Any]) -> Iterable[tuple[Any, ...]]:
    """Rows only come back for problems; fetched in batches in case there are very many."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(FETCH):
            yield from rows


# -- attachments -------------------------------------------------------------------------------

def _check_attachments(problems: Problems, started: float) -> None:
    root = Path(settings.ATTACHMENTS_DIR)
    known: set[str] = set()
    for aid, name, storage_name, size, sha256 in Attachment.objects.order_by("id").values_list(
            "id", "name", "storage_name", "size", "sha256").iterator(chunk_size=FETCH):
        path = attachment_path(storage_name)
        known.add(str(path.relative_to(root)))
        _check_attachment_file(problems, path, aid, name, size, sha256)
    for rel, modified in _files_under(root):
        # A file younger than the check may belong to an upload whose row is not yet committed.
        if rel not in known and modified < started - UPLOAD_GRACE_SECONDS:
            problems.add("orphan_file", _("The file attachments/%(path)s belongs to no "
                                          "attachment.") % {"path": rel}, path=f"attachments/{rel}")


def _check_attachment_file(problems: Problems, path: Path, aid: int, name: str, size: int,
                           sha256: str) -> None:
    where = {"attachment": aid, "name": name,
             "path": str(path.relative_to(Path(settings.FILES_DIR)))}
    labels = {"name": name, "path": where["path"]}
    if not path.is_file():
        problems.add("attachment_missing", _("The file of the attachment 「%(name)s」 is missing "
                                             "(%(path)s).") % labels, **where)
        return
    actual = path.stat().st_size
    if actual != size:
        problems.add("attachment_size_mismatch",
                     _("The file of the attachment 「%(name)s」 has %(found)d bytes instead of "
                       "%(expected)d (%(path)s).") % {**labels, "found": actual, "expected": size},
                     expected=size, found=actual, **where)
        return
    if sha256_file(path).sha256 != sha256:
        problems.add("attachment_checksum_mismatch",
                     _("The file of the attachment 「%(name)s」 has changed (%(path)s).") % labels,
                     **where)


def _files_under(root: Path) -> Iterator[tuple[str, float]]:
    """(path relative to root, modification time) of every file below root."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            try:
                modified = path.stat().st_mtime
            except OSError:
                continue  # removed while we looked
            yield str(path.relative_to(root)), modified
