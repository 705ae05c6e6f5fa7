"""PostgreSQL's search table (daicho.db.schema.create_texts_table) as tests look at it: whether
it holds exactly the sections of the ledger's search keys, and a ledger table put back as the
versions before it made them (its search columns and their GIN indexes in the table itself),
for the upgrade tests."""

from __future__ import annotations

from django.db import connection

from daicho.db.dialect import q

_SECTIONS = ("SELECT t.id, p.part, daicho_section(t.search_key, p.part) AS key"
             " FROM {table} t CROSS JOIN (VALUES (0::smallint), (1::smallint)) p(part)"
             " WHERE daicho_section(t.search_key, p.part) <> ''")


def texts_out_of_step(table: str) -> int:
    """How many rows of the search table differ from the sections of the table's keys (either
    way), or hold grams other than daicho_grams of their text (as a set: a writer that makes
    them in Python gives them in another order)."""
    texts = q(table + "_texts")
    sections = _SECTIONS.format(table=q(table))
    with connection.cursor() as cur:
        cur.execute(f"SELECT (SELECT count(*) FROM ({sections} EXCEPT"
                    f"  SELECT id, part, key FROM {texts}) a)"
                    f" + (SELECT count(*) FROM (SELECT id, part, key FROM {texts} EXCEPT"
                    f"  {sections}) b)"
                    f" + (SELECT count(*) FROM {texts} WHERE NOT (grams @> daicho_grams(key)"
                    "   AND grams <@ daicho_grams(key)))")
        return int(cur.fetchone()[0])


def texts_rows(table: str) -> dict[tuple[int, int], str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, part, key FROM {q(table + '_texts')}")
        return {(int(r[0]), int(r[1])): str(r[2]) for r in cur.fetchall()}


def earlier_layout(table: str) -> None:
    """The ledger table as versions before the search table made it: no search table and no
    triggers for it; the gram array in the table, filled by its triggers, and both GIN indexes
    on the table."""
    with connection.cursor() as cur:
        for suffix in ("_texts_i", "_texts_u", "_texts_d"):
            cur.execute(f"DROP TRIGGER {q(table + suffix)} ON {q(table)}")
        cur.execute(f"DROP TABLE {q(table + '_texts')}")
        cur.execute(f"ALTER TABLE {q(table)} ADD COLUMN search_grams text[]")
        cur.execute(f"UPDATE {q(table)} SET search_grams = daicho_grams(search_key)")
        cur.execute(f"CREATE INDEX {q(table + '_search')} ON {q(table)}"
                    " USING gin (search_key gin_trgm_ops)")
        cur.execute(f"CREATE INDEX {q(table + '_grams')} ON {q(table)} USING gin (search_grams)")
        cur.execute("CREATE OR REPLACE FUNCTION daicho_set_grams() RETURNS trigger"
                    " LANGUAGE plpgsql AS $$ BEGIN"
                    " NEW.search_grams := daicho_grams(NEW.search_key); RETURN NEW; END $$")
        cur.execute(f"CREATE TRIGGER {q(table + '_grams_i')} BEFORE INSERT ON {q(table)}"
                    " FOR EACH ROW EXECUTE FUNCTION daicho_set_grams()")
        cur.execute(f"CREATE TRIGGER {q(table + '_grams_u')} BEFORE UPDATE OF search_key"
                    f" ON {q(table)} FOR EACH ROW EXECUTE FUNCTION daicho_set_grams()")
