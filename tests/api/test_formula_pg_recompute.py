"""The big recompute of a formula on PostgreSQL (issue 15, 1,000,000 records): the chunk is
written by one statement with the gram arrays computed in Python — the set daicho_grams gives,
so the update trigger need not run it — and the two GIN search indexes and the formula's
column index are dropped while it runs and built again at its end. Searches give the same
answers before, during (the table is read) and after. On SQLite the same job keeps its own
path (tests/api/test_formula_recompute.py); the values and searches here hold there too."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ApiClient, make_ledger

# Japanese (kana, kanji, the long-vowel mark, 〜), ASCII, the blanks, and the characters a
# text[] literal must quote.
ALPHABET = st.sampled_from(list("あいうアイウ東京都庁舎ーー〜abcXYZ019 \t\n\r\x0b\x0c\u3000"
                                "\u00a0\x1c,{}\"\\'・。"))


def _pg() -> bool:
    from daicho.db import dialect

    return not dialect.is_sqlite()


def _found(api: ApiClient, lid: int, text: str) -> list[str]:
    resp = api.get(f"/api/v1/ledgers/{lid}/records", {"q": text, "limit": 100})
    assert resp.status == 200, resp.body
    return sorted(r["values"]["name"] for r in resp.body["items"])


def test_grams_computed_in_python_are_those_of_daicho_grams(api: ApiClient) -> None:
    if not _pg():
        pytest.skip("PostgreSQL's gram array")
    from django.db import connection

    from daicho.db import search

    make_ledger(api, "備品", [{"name": "品名", "type": "text", "code": "name"}])  # the function

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.text(ALPHABET, max_size=40))
    def check(key: str) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT daicho_grams(%s), %s::text[]", [key, search.grams_literal(key)])
            wanted, literal = cur.fetchone()
        found = search.pg_grams(key)
        if found is None:  # left to daicho_grams
            assert any(c in key for c in "\u3000\u00a0\x1c") and literal is None
            return
        assert found == set(wanted) and len(wanted) == len(set(wanted))
        assert sorted(literal) == sorted(found)  # the literal reads back as the set

    check()


def test_a_row_whose_grams_are_not_given_gets_them_from_the_trigger(api: ApiClient) -> None:
    """update_columns with keep_if_null: a NULL array keeps the row's, so the trigger (whose
    WHEN sees the array unchanged and the key changed) computes it; a given array is kept."""
    if not _pg():
        pytest.skip("PostgreSQL's gram array")
    from django.db import connection

    from daicho.db import batch
    from daicho.db.dialect import q
    from daicho.models import Ledger

    lid = int(make_ledger(api, "備品", [{"name": "品名", "type": "text", "code": "name"}])["id"])
    ids = [api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": n}}).body["id"]
           for n in ("机", "椅子")]
    table = str(Ledger.objects.get(id=lid).table_name)
    assert batch.update_columns(table, [("search_key", "TEXT"), ("search_grams", "TEXT[]")],
                                [[ids[0], "本棚\u3000a", None], [ids[1], "xy", '{"q"}']],
                                keep_if_null=["search_grams"])
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, search_grams, daicho_grams(search_key) FROM {q(table)}"
                    " ORDER BY id")
        rows = cur.fetchall()
    assert sorted(rows[0][1]) == sorted(rows[0][2]) == sorted(["本", "棚", "本棚", "a"])
    assert rows[1][1] == ["q"]  # as the statement gave it: the trigger did not run


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 3 records, and the indexes dropped and rebuilt as for a big ledger."""
    from daicho.services import formulas

    monkeypatch.setattr(formulas, "REBUILD_INDEX_OVER", 1)
    monkeypatch.setattr(formulas, "CHUNK", 3)


TERMS = ["品", "品1", "棚", "東京", "庁舎", "a", "ab", "税込", "込1", "1", "11"]


def test_the_set_based_recompute_keeps_values_grams_and_searches(api: ApiClient,
                                                                 big: None) -> None:
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.models import Field, Ledger
    from daicho.services import formulas

    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"},
        {"name": "備考", "type": "text", "code": "note"}])["id"])
    base = f"/api/v1/ledgers/{lid}/records"
    notes = ["東京都庁舎", "ab c", "棚 a", "", "東京 ab"]
    for n in range(11):
        resp = api.post(base, {"values": {"name": f"品{n}", "amount": n * 10 + 1,
                                          "note": notes[n % len(notes)]}})
        assert resp.status == 201, resp.body
    before = {t: _found(api, lid, t) for t in TERMS}
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": "表示", "type": "formula", "code": "label",
        "options": {"expression": "\"税込\" & ROUND(amount * 1.1)", "result": "text"}})
    assert resp.status == 201, resp.body
    ledger = Ledger.objects.get(id=lid)
    table = str(ledger.table_name)
    column = str(Field.objects.get(ledger=ledger, code="label").column)
    searched: list[dict[str, list[str]]] = []

    def during(done: int, total: int) -> None:  # after each chunk's commit
        if done < total:
            if _pg():  # the GIN indexes and the formula's column index are away meanwhile
                assert not any(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
                assert not ddl.index_exists(ddl.index_name(ledger, column))
            searched.append({t: _found(api, lid, t) for t in ("品", "東京", "a", "ab", "棚")})

    assert formulas.recompute(lid, during, fields=["label"]) == 11
    assert len(searched) == 3  # chunks of 3: after the 1st, 2nd and 3rd of 4
    for seen in searched:  # right while the indexes were away, whatever chunk was done
        assert seen == {t: before[t] for t in seen}
    after = {t: _found(api, lid, t) for t in TERMS}
    moved = ("税込", "込1", "1", "11")  # terms the formula's texts hold
    assert {t: v for t, v in after.items() if t not in moved} == \
        {t: v for t, v in before.items() if t not in moved}
    assert after["11"] == ["品1", "品10"]  # 品1; 税込111
    labels = {f"品{n}": f"税込{int(Decimal(n * 10 + 1) * Decimal('1.1') + Decimal('0.5'))}"
              for n in range(11)}
    assert after["税込"] == sorted(labels)
    assert after["込1"] == sorted(k for k, v in labels.items() if "込1" in v)
    items = {r["values"]["name"]: r["values"]["label"]
             for r in api.get(base, {"limit": 100}).body["items"]}
    assert items == labels
    assert ddl.index_exists(ddl.index_name(ledger, column))
    if _pg():
        assert all(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {q(table)} WHERE NOT (search_grams @>"
                        " daicho_grams(search_key) AND search_grams <@ daicho_grams(search_key))")
            assert cur.fetchone()[0] == 0


def test_a_grams_trigger_of_an_earlier_version_is_upgraded(api: ApiClient) -> None:
    """`daicho init` (upgrade_ledger_tables) makes the update trigger of a table made before
    GRAMS_UPDATE_WHEN again; a second run changes nothing."""
    if not _pg():
        pytest.skip("PostgreSQL's gram array")
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.models import Ledger

    lid = int(make_ledger(api, "備品", [{"name": "品名", "type": "text", "code": "name"}])["id"])
    table = str(Ledger.objects.get(id=lid).table_name)

    def definition() -> str:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                        " WHERE tgrelid = to_regclass(%s) AND tgname = %s",
                        [q(table), table + "_grams_u"])
            return str(cur.fetchone()[0])

    assert "search_grams" in definition()
    ddl.upgrade_ledger_tables()  # the other tables of the test database, if any
    with connection.cursor() as cur:
        cur.execute(f"DROP TRIGGER {q(table + '_grams_u')} ON {q(table)}")
        cur.execute(f"CREATE TRIGGER {q(table + '_grams_u')} BEFORE UPDATE OF search_key"
                    f" ON {q(table)} FOR EACH ROW"
                    " WHEN (OLD.search_key IS DISTINCT FROM NEW.search_key)"
                    " EXECUTE FUNCTION daicho_set_grams()")
    assert table in ddl.upgrade_ledger_tables()
    assert "search_grams" in definition()
    assert table not in ddl.upgrade_ledger_tables()
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "机"}}).body["id"]
    assert api.patch(f"/api/v1/ledgers/{lid}/records/{rid}",
                     {"values": {"name": "本棚"}, "revision": 1}).status == 200
    assert _found(api, lid, "棚") == ["本棚"]


def test_a_recompute_that_stops_midway_builds_the_search_indexes_again(api: ApiClient,
                                                                       big: None) -> None:
    """A big recompute dropped the search indexes and then failed (here: after its first
    chunk): the indexes are built again before the error goes on, so the ledger is not left
    searching without them until some later recompute."""
    from django.db import connection

    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from daicho.models import Field, Ledger
    from daicho.services import formulas

    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"}])["id"])
    for n in range(7):
        resp = api.post(f"/api/v1/ledgers/{lid}/records",
                        {"values": {"name": f"品{n}", "amount": n}})
        assert resp.status == 201, resp.body
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": "倍", "type": "formula", "code": "twice",
        "options": {"expression": "amount * 2", "result": "number"}})
    assert resp.status == 201, resp.body
    ledger = Ledger.objects.get(id=lid)
    column = str(Field.objects.get(ledger=ledger, code="twice").column)
    with connection.cursor() as cur:  # values to rewrite, as after a changed expression
        cur.execute(f"UPDATE {q(str(ledger.table_name))} SET {q(column)} = NULL")

    def stop(done: int, total: int) -> None:
        if _pg():
            assert not any(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
        raise RuntimeError("the job's process went away")

    with pytest.raises(RuntimeError):
        formulas.recompute(lid, stop, fields=["twice"])
    if _pg():
        assert all(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
    assert _found(api, lid, "品3") == ["品3"]
