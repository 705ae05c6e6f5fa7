"""Japanese-aware substring search.

Every record keeps a normalised search key (daicho.textnorm). On SQLite an FTS5 table indexes
the key's 1- and 2-character grams (as ASCII tokens, detail=none), which answers one- and
two-character queries exactly — FTS5's trigram tokenizer cannot — and narrows longer queries to
records holding all their bigrams before an instr() check confirms the substring. On PostgreSQL a
pg_trgm GIN index serves LIKE '%…%' on the key.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.db import connection

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.db.schema import fts_table
from daicho.models import Ledger
from daicho.textnorm import query_terms

MAX_TERMS = 8
MAX_TERM_LENGTH = 100


def _uni(ch: str) -> str:
    return "u" + ch.encode("utf-32-be").hex()


def _bi(a: str, b: str) -> str:
    return "b" + (a + b).encode("utf-32-be").hex()


def grams(key: str) -> str:
    """The ASCII tokens of a search key: each distinct character and each adjacent pair.

    UTF-32 makes every character eight hex digits, so one C-level encode().hex() per word
    replaces a Python call per character (imports build this for every record)."""
    tokens: set[str] = set()
    for word in key.split():
        hx = word.encode("utf-32-be").hex()
        end = len(hx)
        tokens.update(["u" + hx[i:i + 8] for i in range(0, end, 8)])
        tokens.update(["b" + hx[i:i + 16] for i in range(0, end - 8, 8)])
    return " ".join(tokens)


def index_records(ledger: Ledger, rows: Sequence[tuple[int, str, str | None]]) -> None:
    """rows: (record id, new key, old key or None). Keeps the SQLite gram index in step."""
    if not dialect.is_sqlite() or not rows:
        return
    table = q(fts_table(ledger))
    deletes = [(rid, grams(old)) for rid, _new, old in rows if old]
    inserts = [(rid, grams(new)) for rid, new, _old in rows if new]
    with connection.cursor() as cur:
        if deletes:
            cur.executemany(
                f"INSERT INTO {table} ({table}, rowid, grams) VALUES ('delete', %s, %s)", deletes
            )
        if inserts:
            cur.executemany(f"INSERT INTO {table} (rowid, grams) VALUES (%s, %s)", inserts)


def rebuild_index(ledger: Ledger) -> None:
    if not dialect.is_sqlite():
        return
    table = q(fts_table(ledger))
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")  # contentless table
        cur.execute(f"SELECT id, search_key FROM {q(ledger.table_name or '')} WHERE search_key <> ''")
        rows = cur.fetchall()
        cur.executemany(f"INSERT INTO {table} (rowid, grams) VALUES (%s, %s)",
                        [(rid, grams(key)) for rid, key in rows])


def _terms(text: str) -> list[str]:
    return [t[:MAX_TERM_LENGTH] for t in query_terms(text)][:MAX_TERMS]


def fts_match(text: str) -> tuple[str, list[str]]:
    """SQLite: the FTS5 MATCH expression for `text` and the terms an instr() must confirm.

    One- and two-character terms are exact gram matches; a longer term must hold all its
    bigrams, and instr() on the search key then removes records where they are not adjacent."""
    tokens: dict[str, None] = {}
    verify: list[str] = []
    for term in _terms(text):
        if len(term) == 1:
            tokens[_uni(term)] = None
        else:
            for a, b in itertools.pairwise(term):
                tokens[_bi(a, b)] = None
            if len(term) > 2:
                verify.append(term)
    return " AND ".join(tokens), verify


def verify_condition(verify: list[str], alias: str = "t") -> tuple[str, list[Any]]:
    return " AND ".join([f"instr({alias}.search_key, %s) > 0"] * len(verify)), list(verify)


def search_condition(ledger: Ledger, text: str, alias: str = "t") -> tuple[str, list[Any]]:
    """SQL that keeps the records whose searchable text contains every term of `text`."""
    terms = _terms(text)
    if not terms:
        return "", []
    if not dialect.is_sqlite():
        from daicho.db.schema import has_search_grams

        grams = has_search_grams(ledger)
        clauses: list[str] = []
        values: list[Any] = []
        for t in terms:
            if grams and len(t) <= 2:  # the gram array holds every 1- and 2-character gram
                clauses.append(f"{alias}.search_grams @> ARRAY[%s]::text[]")
                values.append(t)
            else:  # three characters or more: pg_trgm's index
                clauses.append(f"{alias}.search_key LIKE %s ESCAPE '\\'")
                values.append(f"%{dialect.like_escape(t)}%")
        return " AND ".join(clauses), values
    match, verify = fts_match(text)
    sql = (f"{alias}.id IN (SELECT rowid FROM {q(fts_table(ledger))}"
           f" WHERE {q(fts_table(ledger))} MATCH %s)")
    params: list[Any] = [match]
    if verify:
        extra, extra_params = verify_condition(verify, alias)
        sql += f" AND {extra}"
        params += extra_params
    return sql, params
