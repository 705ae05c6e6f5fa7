"""Japanese-aware substring search.

Every record keeps a normalised search key (daicho.textnorm). On SQLite an FTS5 table indexes
the key's 1- and 2-character grams (as ASCII tokens, detail=none), which answers one- and
two-character queries exactly — FTS5's trigram tokenizer cannot — and narrows longer queries to
records holding all their bigrams before an instr() check confirms the substring. On PostgreSQL
the key's sections are rows of a search table of their own (daicho.db.schema.create_texts_table)
whose gram array answers the short terms and whose pg_trgm index serves LIKE '%…%'.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection

from daicho.db import dialect
from daicho.db.dialect import q
from daicho.db.schema import create_fts_table, fts_table, texts_table
from daicho.models import Ledger
from daicho.textnorm import SECTION, query_terms

MAX_TERMS = 8
MAX_TERM_LENGTH = 100


def _uni(ch: str) -> str:
    return "u" + ch.encode("utf-32-be").hex()


def _bi(a: str, b: str) -> str:
    return "b" + (a + b).encode("utf-32-be").hex()


_HEX8 = re.compile(r".{8}", re.DOTALL)
_HEX16 = re.compile(r".{16}", re.DOTALL)
_pair = str.__add__


def grams(key: str) -> str:
    """The ASCII tokens of a search key: each distinct character and each adjacent pair
    within a word (words are split at blanks), every token once — as an FTS5 'delete' of a
    contentless index needs them (imports add new records with insert_grams).

    No Python step per character: the distinct characters and pairs are gathered by set() and
    map(), each set is encoded to UTF-32 at once (eight hex digits per character) and cut."""
    words = key.split()
    if not words:
        return ""
    pairs: set[str] = set()
    for word in words:
        pairs.update(map(_pair, word, word[1:]))
    chars = "".join(set("".join(words)))
    out = "u" + " u".join(_HEX8.findall(chars.encode("utf-32-be").hex()))
    if pairs:
        out += " b" + " b".join(_HEX16.findall("".join(pairs).encode("utf-32-be").hex()))
    return out


_ZEROS = bytes(8 * 1024)
_U32 = next(code for code in "IL" if array(code).itemsize == 4)  # one UTF-32 code unit


def insert_grams(key: str) -> str:
    """grams(key) for a record that is new to the index, made about twice as fast: the same
    tokens, but a pair may be listed more than once. FTS5 keeps a token once per record
    however often it is given, so the index is the same; only a 'delete' must list each token
    once, which is why updates and deletes use grams().

    The pairs are the key's UTF-32 code units interleaved with themselves shifted by one
    (array slice assignment, no Python object per pair); a pair that would span two words
    is overwritten with a copy of a real one."""
    words = key.split()
    if not words:
        return ""
    text = "".join(words)
    out = "u" + "".join(set(text)).encode("utf-32-be").hex(" ", 4).replace(" ", " u")
    n = len(text)
    if n < 2:
        return out
    units = array(_U32, text.encode("utf-32-be"))
    pairs = array(_U32, _ZEROS[:8 * (n - 1)] if n <= 1024 else bytes(8 * (n - 1)))
    pairs[0::2] = units[:-1]
    pairs[1::2] = units[1:]
    if len(words) > 1:
        ends = list(itertools.accumulate(map(len, words)))  # where each word ends in text
        first = next((end - len(w) for end, w in zip(ends, words, strict=True) if len(w) > 1),
                     None)
        if first is None:  # single characters only: no pairs at all
            return out
        real = pairs[2 * first:2 * first + 2]
        for end in ends[:-1]:  # pair end-1 joins the last character of a word to the next
            pairs[2 * end - 2:2 * end] = real
    return out + " b" + pairs.tobytes().hex(" ", 8).replace(" ", " b")


# PostgreSQL's gram array (daicho.db.schema.GRAMS_FUNCTION) computed in Python, for a statement
# that writes it with the key instead of the trigger running daicho_grams row by row. The
# function drops every gram holding a character of [[:space:]]; on the ASCII blanks (space,
# \t \n \v \f \r) Python's str.split() agrees with it in every locale. A key holding a
# character on which the two may disagree (another Unicode blank, the ASCII separators
# \x1c-\x1f that Python splits at) is left to the function: grams_literal gives None.
_UNSURE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f"
                     "\u205f\u3000\ufeff]")


def pg_grams(key: str) -> set[str] | None:
    """The distinct 1- and 2-character grams of `key` within its words, as daicho_grams gives
    them, or None where only daicho_grams can say (_UNSURE)."""
    if _UNSURE.search(key):
        return None
    words = key.split()
    found: set[str] = set("".join(words))
    for word in words:
        found.update(map(_pair, word, word[1:]))
    return found


def grams_literal(key: str) -> str | None:
    """pg_grams(key) as a PostgreSQL text[] literal ('{"a","ab"}'), or None. The order is the
    set's (the array is only ever asked whether it holds a gram: @>)."""
    found = pg_grams(key)
    if found is None:
        return None
    if not found:
        return "{}"
    if '"' in key or "\\" in key:
        found = {g.replace("\\", "\\\\").replace('"', '\\"') for g in found}
    return '{"' + '","'.join(found) + '"}'


# The session setting by which a statement's writer tells the ledger tables' triggers that it
# writes the search table itself (texts_given; daicho.db.schema._sync_function).
TEXTS_GIVEN = "daicho.texts_given"


@contextmanager
def texts_given() -> Iterator[None]:
    """PostgreSQL: the statements inside write the search table themselves (write_texts), so
    the ledger tables' triggers leave it alone meanwhile — in this transaction only. SQLite:
    nothing."""
    if dialect.is_sqlite():
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SELECT set_config(%s, 'on', true)", [TEXTS_GIVEN])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT set_config(%s, '', true)", [TEXTS_GIVEN])
        except DatabaseError:  # the transaction failed: the setting goes with it
            pass


def write_texts(ledger: Ledger, rows: Sequence[tuple[int, str, str | None]]) -> None:
    """PostgreSQL, inside texts_given: rows (record id, new key, old key) → the search table's
    rows of the sections that changed, their grams made here (pg_grams; daicho_grams for a
    text only it can split), in two statements bound on the server in binary. A formula's
    recompute writes a million of them: daicho_grams in SQL took most of its time."""
    if dialect.is_sqlite() or not rows:
        return
    gone_ids: list[int] = []
    gone_parts: list[int] = []
    ids: list[int] = []
    parts: list[int] = []
    keys: list[str] = []
    grams: list[str | None] = []
    for rid, new, old in rows:
        sections = zip(new.partition(SECTION)[::2], (old or "").partition(SECTION)[::2],
                       strict=True)
        for part, (now, was) in enumerate(sections):
            if now == was:
                continue
            if now:
                ids.append(rid)
                parts.append(part)
                keys.append(now)
                grams.append(grams_literal(now))
            else:
                gone_ids.append(rid)
                gone_parts.append(part)
    import psycopg  # PostgreSQL's driver: not imported by SQLite's commands and servers

    texts = q(texts_table(ledger))
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        if gone_ids:
            cur.execute(f"DELETE FROM {texts} x USING unnest(%b::bigint[], %b::smallint[])"
                        " AS v(id, part) WHERE x.id = v.id AND x.part = v.part",
                        [gone_ids, gone_parts])
        if ids:
            cur.execute(f"INSERT INTO {texts} (id, part, key, grams)"
                        " SELECT v.id, v.part, v.key, coalesce(v.grams::text[], daicho_grams(v.key))"
                        " FROM unnest(%b::bigint[], %b::smallint[], %b::text[], %b::text[])"
                        " AS v(id, part, key, grams) ON CONFLICT (id, part)"
                        " DO UPDATE SET key = EXCLUDED.key, grams = EXCLUDED.grams",
                        [ids, parts, keys, grams])


def index_ready(ledger: Ledger) -> bool:
    """Whether the ledger's gram index exists. A ledger made by importing a file gets it from a
    background job after the import (suspend_index): until then it has none, writers leave it
    alone and search reads the search keys themselves (search_condition). Asked of the
    database inside the caller's transaction, so no process can act on a stale answer."""
    if not dialect.is_sqlite():
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s",
                    [fts_table(ledger)])
        return cur.fetchone() is not None


def suspend_index(ledger: Ledger) -> None:
    """Drop the gram index of a ledger whose records are about to be written in bulk; the
    `search_index` job (daicho.jobs) builds it afresh from the search keys (build_index)."""
    if dialect.is_sqlite():
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {q(fts_table(ledger))}")


def build_index(ledger: Ledger) -> int:
    """Create and fill the gram index of a ledger that has none (suspend_index), in the
    caller's transaction, from every record's search key (the trash included, as writers keep
    it). Returns how many records it indexed; 0 when the index already existed."""
    if index_ready(ledger):
        return 0
    create_fts_table(ledger)
    writer = IndexWriter(ledger)
    done = last = 0
    with connection.cursor() as cur:
        while True:
            cur.execute(f"SELECT id, search_key FROM {q(ledger.table_name or '')}"
                        " WHERE id > %s ORDER BY id LIMIT %s", [last, BUILD_CHUNK])
            rows = cur.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            writer.add([(rid, insert_grams(key)) for rid, key in rows])
            done += len(rows)
    writer.close()
    return done


BUILD_CHUNK = 20_000


def index_records(ledger: Ledger, rows: Sequence[tuple[int, str, str | None]]) -> None:
    """rows: (record id, new key, old key or None). Keeps the SQLite gram index in step (a
    ledger whose index is still to be built has none to keep: the build reads the keys)."""
    if not dialect.is_sqlite() or not rows or not index_ready(ledger):
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


class IndexWriter:
    """Adds the grams of many new records (an import) to the SQLite gram index.

    For the length of the import FTS5 may gather up to 64 MB of grams in memory before it
    writes a segment (its default is 1 MB), so a big import writes few, large segments instead
    of thousands of small ones that it would then merge again and again. close() sets the
    default back; both are writes in the caller's transaction."""

    HASHSIZE = 64 * 1024 * 1024
    DEFAULT_HASHSIZE = 1024 * 1024

    def __init__(self, ledger: Ledger) -> None:
        self.enabled = dialect.is_sqlite() and index_ready(ledger)
        self.table = q(fts_table(ledger))
        self.configured = False

    def _hashsize(self, size: int) -> None:
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {self.table} ({self.table}, rank) VALUES ('hashsize', %s)",
                        [size])

    def add(self, rows: Iterable[tuple[int, str]]) -> None:
        """rows: (record id, insert_grams(its search key)) of records not in the index."""
        if not self.enabled:
            return
        if not self.configured:
            self._hashsize(self.HASHSIZE)
            self.configured = True
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {self.table} (rowid, grams) VALUES (%s, %s)",
                            [row for row in rows if row[1]])

    def close(self) -> None:
        if self.configured:
            self._hashsize(self.DEFAULT_HASHSIZE)
            self.configured = False


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


def key_condition(text: str, alias: str = "t") -> tuple[str, list[Any]]:
    """PostgreSQL: search_condition checked on the records' own search keys, a LIKE per term,
    for a search confined to a short range of ids (daicho.selectors.search.search_in_window).
    It keeps the same records: a term holds no blank, so it never spans the newline between
    two fields' texts or the U+001E between the key's sections, and a section holds a term
    exactly when the key does."""
    terms = _terms(text)
    return (" AND ".join([f"{alias}.search_key LIKE %s ESCAPE '\\'"] * len(terms)),
            [f"%{dialect.like_escape(t)}%" for t in terms])


def search_condition(ledger: Ledger, text: str, alias: str = "t") -> tuple[str, list[Any]]:
    """SQL that keeps the records whose searchable text contains every term of `text`."""
    terms = _terms(text)
    if not terms:
        return "", []
    if not dialect.is_sqlite():
        # The search table (daicho.db.schema.texts_table): a record matches a term when one of
        # its sections holds it.
        texts = q(texts_table(ledger))
        clauses: list[str] = []
        values: list[Any] = []
        for t in terms:
            if len(t) <= 2:  # the gram array holds every 1- and 2-character gram
                found = "x.grams @> ARRAY[%s]::text[]"
                values.append(t)
            else:  # three characters or more: pg_trgm's index
                found = "x.key LIKE %s ESCAPE '\\'"
                values.append(f"%{dialect.like_escape(t)}%")
            clauses.append(f"{alias}.id IN (SELECT x.id FROM {texts} x WHERE {found})")
        return " AND ".join(clauses), values
    if not index_ready(ledger):  # built by a job after an import: read the keys meanwhile
        return verify_condition(terms, alias)
    match, verify = fts_match(text)
    sql = (f"{alias}.id IN (SELECT rowid FROM {q(fts_table(ledger))}"
           f" WHERE {q(fts_table(ledger))} MATCH %s)")
    params: list[Any] = [match]
    if verify:
        extra, extra_params = verify_condition(verify, alias)
        sql += f" AND {extra}"
        params += extra_params
    return sql, params
