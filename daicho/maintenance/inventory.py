"""What a database holds, counted through a plain DB-API cursor.

A backup counts inside the very snapshot it dumps (a copy of the SQLite file, or the exported
PostgreSQL snapshot), so the manifest describes exactly the dump beside it; a restore counts again
and must find the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from daicho.db.dialect import q
from daicho.models import Attachment, History, Ledger


@dataclass
class Inventory:
    counts: dict[str, int]
    # (storage_name, size, sha256) of every Attachment row
    attachments: list[tuple[str, int, str]] = field(default_factory=list)
    # (app, name) of every applied migration
    migrations: list[tuple[str, str]] = field(default_factory=list)


def table_names(cur: Any, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in cur.fetchall()}


def _scalar(cur: Any, sql: str) -> int:
    cur.execute(sql)
    return int(cur.fetchone()[0] or 0)


def _record_counts(cur: Any, existing: set[str]) -> tuple[int, int]:
    cur.execute(f"SELECT table_name FROM {q(Ledger._meta.db_table)}"
                " WHERE table_name IS NOT NULL ORDER BY id")
    live = trashed = 0
    for (table,) in cur.fetchall():
        if table not in existing:
            continue  # reported by `daicho check`; a backup still saves what is there
        cur.execute(f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN deleted THEN 1 ELSE 0 END), 0)"
                    f" FROM {q(table)}")
        total, deleted = cur.fetchone()
        live += int(total) - int(deleted)
        trashed += int(deleted)
    return live, trashed


def take_inventory(cur: Any, vendor: str) -> Inventory:
    existing = table_names(cur, vendor)
    if Ledger._meta.db_table not in existing:
        return Inventory(counts=empty_counts())
    live, trashed = _record_counts(cur, existing)
    attachment_table = q(Attachment._meta.db_table)
    cur.execute(f"SELECT storage_name, size, sha256 FROM {attachment_table} ORDER BY id")
    attachments = [(str(s), int(n), str(h)) for s, n, h in cur.fetchall()]
    cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations = [(str(app), str(name)) for app, name in cur.fetchall()]
    counts = {
        "users": _scalar(cur, f"SELECT COUNT(*) FROM {q(get_user_model()._meta.db_table)}"),
        "ledgers": _scalar(cur, f"SELECT COUNT(*) FROM {q(Ledger._meta.db_table)}"),
        "records": live,
        "records_in_trash": trashed,
        "history": _scalar(cur, f"SELECT COUNT(*) FROM {q(History._meta.db_table)}"),
        "attachments": len(attachments),
        "attachment_bytes": sum(size for _name, size, _sha in attachments),
    }
    return Inventory(counts, attachments, migrations)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(("users", "ledgers", "records", "records_in_trash", "history",
                          "attachments", "attachment_bytes"), 0)


def attachment_path(storage_name: str) -> Path:
    """Where an attachment's bytes live in the data dir (the layout the upload code writes)."""
    return Path(settings.ATTACHMENTS_DIR) / storage_name[:2] / storage_name
