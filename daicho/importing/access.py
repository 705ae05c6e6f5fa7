"""Access databases (.mdb/.accdb) through Debian's mdbtools command-line programs.

mdb-tables -1 lists the tables, mdb-schema gives column order and types (mdb-json leaves out
NULL columns and prints Yes/No fields as 0/1), mdb-json gives one JSON object per row.
MDB_JET3_CHARSET=CP932 makes Access 97 (Jet 3) files, which carry no charset, decode as
Japanese Windows text; later formats are Unicode and ignore it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from daicho.error_codes import Code
from daicho.i18n import gettext as _
from daicho.i18n import join_list
from daicho.importing.errors import ImportFileError, Limits

_SCHEMA_COLUMN = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s+(?P<type>[^,\n]*?)(?:\s+NOT NULL)?,?\s*$")
# mdbtools reports pages it cannot read on stderr yet exits 0 with what it did read, so a truncated
# file would import part of a table, or look like a file without tables.
_READ_FAILURES = ("beyond EOF", "failed", "Invalid")


@dataclass(frozen=True)
class Relation:
    """A foreign key mdbtools reports: child_table.child_column refers to
    parent_table.parent_column (Access's relationship)."""

    child_table: str
    child_column: str
    parent_table: str
    parent_column: str


# mdb-schema's MySQL backend keeps names as Access spells them (the PostgreSQL one lowercases).
_FOREIGN_KEY = re.compile(r"^ALTER TABLE `(?P<child>[^`]+)` ADD CONSTRAINT `[^`]*` FOREIGN KEY "
                          r"\((?P<columns>[^)]*)\) REFERENCES `(?P<parent>[^`]+)`"
                          r"\((?P<refs>[^)]*)\)")


@dataclass
class AccessTable:
    name: str
    tables: list[str]
    columns: list[str]
    rows: list[list[Any]]
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, where counted


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise _missing()
    return found


def _missing() -> ImportFileError:
    return ImportFileError(Code.MDBTOOLS_MISSING, _(
        "Reading Access files (.mdb/.accdb) needs mdbtools. Install mdbtools on the server "
        "(Debian/Ubuntu: apt-get install mdbtools)."))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["MDB_JET3_CHARSET"] = "CP932"
    env["LC_ALL"] = "C.UTF-8"  # numbers with a "." whatever the server's locale
    return env


def _run(args: list[str], limits: Limits, *, whole: bool = False) -> str:
    """The tool's output. whole: refuse it when the tool could not read every page it needed."""
    try:
        proc = subprocess.run(args, capture_output=True, env=_env(), timeout=limits.tool_timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise ImportFileError(
            Code.MDBTOOLS_FAILED,
            _("Reading the Access file took too long and was stopped.")) from None
    except OSError as exc:
        raise _missing() from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 or (whole and any(s in stderr for s in _READ_FAILURES)):
        detail = stderr.strip()[:500]
        raise ImportFileError(Code.CORRUPT_FILE,
                              _("The Access file cannot be read: it is damaged or in a "
                                "format that is not supported."),
                              details={"detail": detail})
    return proc.stdout.decode("utf-8", "replace")


def list_tables(path: Path, limits: Limits) -> list[str]:
    out = _run([_tool("mdb-tables"), "-1", str(path)], limits, whole=True)
    return [line for line in out.splitlines() if line.strip()]


def _schema(path: Path, table: str, limits: Limits) -> list[tuple[str, str]]:
    """(column name, Access type) in table order; empty when the schema cannot be parsed."""
    try:
        out = _run([_tool("mdb-schema"), "-T", table, str(path), "access"], limits)
    except ImportFileError as exc:
        if exc.code == Code.MDBTOOLS_MISSING:
            raise
        return []
    columns: list[tuple[str, str]] = []
    inside = False
    for line in out.splitlines():
        if line.startswith("CREATE TABLE"):
            inside = True
            continue
        if inside:
            if line.startswith(");"):
                break
            m = _SCHEMA_COLUMN.match(line)
            if m:
                columns.append((m["name"], m["type"].strip()))
    return columns


def read_table(path: Path, *, table: str | None, limits: Limits) -> AccessTable:
    tables = list_tables(path, limits)
    if not tables:
        raise ImportFileError(Code.NO_TABLE, _("The Access file has no tables."))
    counts: dict[str, int] = {}
    if table is None:
        name = _largest(path, tables, limits, counts)
    elif table in tables:
        name = table
    else:
        raise ImportFileError(
            Code.SHEET_NOT_FOUND,
            _("There is no table 「%(table)s」. The file has %(tables)s.")
            % {"table": table, "tables": join_list(tables)},
            details={"sheets": tables})
    schema = _schema(path, name, limits)
    out = _run([_tool("mdb-json"), "-D", "%Y-%m-%d", "-T", "%Y-%m-%d %H:%M:%S", str(path), name],
               limits, whole=True)
    columns, rows = parse_json_rows(out, schema, limits)
    counts[name] = len(rows)
    return AccessTable(name, tables, columns, rows, counts)


def _largest(path: Path, tables: list[str], limits: Limits, counts: dict[str, int]) -> str:
    """The table with the most rows (mdb-count, kept in `counts`); the first when counting is
    not possible."""
    counter = shutil.which("mdb-count")
    if counter is None or len(tables) == 1:
        return tables[0]
    best, best_rows = tables[0], -1
    for name in tables:
        try:
            rows = int(_run([counter, str(path), name], limits).strip() or 0)
        except (ImportFileError, ValueError):
            continue
        counts[name] = rows
        if rows > best_rows:
            best, best_rows = name, rows
    return best


def parse_json_rows(out: str, schema: list[tuple[str, str]],
                    limits: Limits) -> tuple[list[str], list[list[Any]]]:
    """mdb-json output (one object per line) → column names and rows aligned with them."""
    names = [name for name, _ in schema]
    booleans = {name for name, kind in schema if kind.lower().startswith("boolean")}
    index = {name: i for i, name in enumerate(names)}
    rows: list[list[Any]] = []
    for number, line in enumerate(out.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError:
            raise ImportFileError(
                Code.CORRUPT_FILE,
                _("Record %(n)d of the Access file cannot be read.") % {"n": number}) from None
        if not isinstance(record, dict):
            continue
        row: list[Any] = [None] * len(names)
        for key, value in record.items():
            if key not in index:
                # A column the schema did not show (or no schema): keep it, in order of appearance.
                index[key] = len(names)
                names.append(key)
                for earlier in rows:
                    earlier.append(None)
                row.append(None)
            row[index[key]] = _value(value, key in booleans)
        rows.append(row)
        if len(rows) > limits.max_rows or len(rows) * max(len(names), 1) > limits.max_cells:
            raise ImportFileError(Code.TOO_LARGE, _("The table is too large (at most %(max)s rows).")
                                  % {"max": f"{limits.max_rows:,}"})
    if len(names) > limits.max_columns:
        raise ImportFileError(Code.TOO_LARGE, _("There are too many columns (%(n)s).")
                              % {"n": f"{len(names):,}"})
    return names, rows


def _value(value: Any, boolean: bool) -> Any:
    if isinstance(value, dict):
        return None  # OLE objects and binary fields ({"$binary": ...}) are not ledger values
    if boolean and isinstance(value, int | Decimal):
        return bool(value)
    if isinstance(value, Decimal):
        # mdb-json prints Currency as 18.0000: keep the value, drop the printing's zeros.
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()
    return value


def user_tables(path: Path, limits: Limits) -> list[str]:
    """The tables a person made (Access's own MSys… tables left out)."""
    return [t for t in list_tables(path, limits) if not t.startswith(("MSys", "~"))]


def relations(path: Path, limits: Limits) -> tuple[list[Relation], list[str]]:
    """The single-column foreign keys between the file's tables, and the names (child → parent)
    of those with several columns, which a link field cannot hold."""
    try:
        out = _run([_tool("mdb-schema"), "--relations", str(path), "mysql"], limits)
    except ImportFileError as exc:
        if exc.code == Code.MDBTOOLS_MISSING:
            raise
        return [], []
    found: list[Relation] = []
    skipped: list[str] = []
    for line in out.splitlines():
        m = _FOREIGN_KEY.match(line.strip())
        if m is None:
            continue
        columns = [c.strip().strip("`") for c in m["columns"].split(",")]
        refs = [c.strip().strip("`") for c in m["refs"].split(",")]
        if len(columns) != 1 or len(refs) != 1:
            skipped.append(f"{m['child']} → {m['parent']}")
            continue
        found.append(Relation(m["child"], columns[0], m["parent"], refs[0]))
    return found, skipped


def queries(path: Path, limits: Limits) -> list[str]:
    """The names of the file's saved queries (not imported: their calculated columns are Access
    expressions)."""
    program = shutil.which("mdb-queries")
    if program is None:
        return []
    try:
        out = _run([program, "-L", "-1", str(path)], limits)
    except ImportFileError:
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]
