"""The big recompute of a formula on PostgreSQL (issue 15, 1,000,000 records): the chunk is
written by one statement, the formula's column index is dropped while it runs and built again
at its end, and the search table (daicho.db.schema.create_texts_table) gets the formulas'
section of each changed key and nothing else — its indexes stay —, written by the job with the
gram arrays computed in Python (the set daicho_grams gives). Searches give the same
answers before, during and after. On SQLite the same job keeps its own path
(tests/api/test_formula_recompute.py); the values and searches here hold there too."""

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


def test_the_search_table_follows_every_writer(api: ApiClient) -> None:
    """Create, update, bulk update, trash, restore, import, a formula changed: after each, the
    search table holds exactly the sections of the records' keys, and a write that changes
    only a record's own texts leaves its formulas' section row as it was."""
    if not _pg():
        pytest.skip("PostgreSQL's search table")
    from daicho import jobs
    from daicho.models import Ledger
    from tests.pg_search_layout import texts_out_of_step, texts_rows

    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"},
        {"name": "表示", "type": "formula", "code": "label",
         "options": {"expression": "\"税込\" & ROUND(amount * 1.1)", "result": "text"}}])["id"])
    table = str(Ledger.objects.get(id=lid).table_name)
    base = f"/api/v1/ledgers/{lid}/records"
    ids = [api.post(base, {"values": {"name": n, "amount": a}}).body["id"]
           for n, a in (("机", 100), ("椅子", 200), ("本棚", None))]
    assert texts_out_of_step(table) == 0
    rows = texts_rows(table)
    assert rows[(ids[0], 1)] == "税込110" and rows[(ids[2], 1)] == "税込0"
    assert api.patch(f"{base}/{ids[0]}", {"values": {"name": "机a"}, "revision": 1}).status == 200
    assert texts_out_of_step(table) == 0
    assert _found(api, lid, "机a") == ["机a"] and _found(api, lid, "税込110") == ["机a"]
    assert api.patch(f"{base}/{ids[1]}", {"values": {"amount": None}, "revision": 1}).status \
        == 200
    assert texts_rows(table)[(ids[1], 1)] == "税込0" and texts_out_of_step(table) == 0
    assert api.delete(f"{base}/{ids[2]}").status in (200, 204)
    assert texts_out_of_step(table) == 0
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/label", {
        "options": {"expression": "\"計\" & amount", "result": "text"}})
    assert resp.status == 200, resp.body
    assert jobs.run_pending() >= 1  # the recompute
    assert texts_out_of_step(table) == 0
    assert _found(api, lid, "税込") == [] and _found(api, lid, "計100") == ["机a"]


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 3 records, and the indexes dropped and rebuilt as for a big ledger."""
    from daicho.services import formulas

    monkeypatch.setattr(formulas, "REBUILD_INDEX_OVER", 1)
    monkeypatch.setattr(formulas, "CHUNK", 3)


TERMS = ["品", "品1", "棚", "東京", "庁舎", "a", "ab", "税込", "込1", "1", "11"]


def test_the_set_based_recompute_keeps_values_and_searches(api: ApiClient,
                                                                 big: None) -> None:

    from daicho.db import schema as ddl
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
            if _pg():  # the formula's column index is away meanwhile, the search table's stay
                assert all(ddl.index_exists(n) for n in ddl.texts_index_names(ledger))
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
        from tests.pg_search_layout import texts_out_of_step

        assert texts_out_of_step(table) == 0


def test_a_recompute_that_stops_midway_leaves_search_right(api: ApiClient, big: None) -> None:
    """A big recompute failed after its first chunk: what it wrote is committed with its
    search texts, the rest as it was; search finds the records all along."""
    from django.db import connection

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
        raise RuntimeError("the job's process went away")

    with pytest.raises(RuntimeError):
        formulas.recompute(lid, stop, fields=["twice"])
    assert _found(api, lid, "品3") == ["品3"]
    if _pg():
        from tests.pg_search_layout import texts_out_of_step

        assert texts_out_of_step(str(ledger.table_name)) == 0


def test_a_big_recompute_on_postgresql_runs_on_two_connections(cli_env: dict[str, str]) -> None:
    """Outside any transaction (a job), a big recompute on PostgreSQL works two ranges of ids
    on two threads, each with its own connection: every record is computed once, the search
    table is in step and the column index is built at the end. A chunk that fails in one
    worker stops the other and is raised. (In a process of its own: a test's database is one
    transaction, which another connection would not see.)"""
    if "DAICHO_DATABASE_URL" not in cli_env or cli_env["DAICHO_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("PostgreSQL: SQLite writes one transaction at a time")
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "tests" / "api" / "pg_parallel_recompute.py")],
                          cwd=root, env=cli_env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ids = out["ids"]
    assert out["jobs"] >= 1
    workers = {k: v for k, v in out["threads"].items() if k.startswith("daicho-recompute")}
    assert len(workers) == 2 and sorted(i for v in workers.values() for i in v) == sorted(ids)
    first, second = sorted(workers.values())
    assert max(first) < min(second)  # two ranges of ids
    assert {int(k): v for k, v in out["labels"].items()} == {
        rid: f"税込{int(Decimal(n) * Decimal('1.1') + Decimal('0.5'))}"
        for n, rid in enumerate(ids)}
    assert out["found"] == [rid for n, rid in enumerate(ids)
                            if "税込11" in f"税込{int(Decimal(n) * Decimal('1.1') + Decimal('0.5'))}"]
    assert out["texts_out_of_step"] == 0 and out["column_index"] is True
    failed = out["after_failure"]
    assert failed["alive"] == [] and out["raised"] == "a worker's chunk failed"
    assert failed["texts_out_of_step"] == 0
    tried = failed["threads"]  # each worker's first chunk (4 records): then both stopped
    assert sorted(tried) == ["daicho-recompute-0", "daicho-recompute-1"]
    assert [len(v) for v in tried.values()] == [4, 4]
    assert ids[len(ids) // 2 + 1] in tried["daicho-recompute-1"]
