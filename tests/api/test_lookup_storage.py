"""How a lookup's column is stored so that following the linked record stays cheap (issue 15):
on PostgreSQL the lookers' UPDATE changes no indexed column and no search key, so it is a HOT
update that writes no index entry and computes no search grams; filtering, sorting and grouping
on a lookup work all the same. SQLite keeps its indexes (docs/architecture.md, "Lookups on
PostgreSQL")."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.api.test_lookup_fields import setup  # noqa: F401  (the fixture)
from tests.conftest import ApiClient


def _table_and_columns(ledger_id: int) -> tuple[Any, dict[str, str]]:
    from daicho.models import Field, Ledger

    ledger = Ledger.objects.get(id=ledger_id)
    return ledger, {f.code: str(f.column) for f in Field.objects.filter(ledger=ledger)}


def _pg_updates(table: str) -> tuple[int, int]:
    """(rows updated, of which HOT) in this transaction (the test's)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                    " WHERE relname = %s", [table])
        row = cur.fetchone()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def _pg_writes(table: str) -> int:
    """Rows inserted, updated and deleted in this transaction (the test's)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
                    " WHERE relname = %s", [table])
        row = cur.fetchone()
    return 0 if row is None else int(row[0])


def _popup(resp: Any) -> dict[str, int]:
    """The filter popup's list: value text → count (as tests/web/test_filter_popup.py reads it)."""
    assert resp.status_code == 200
    return {m.group(1): int(m.group(2).replace(",", "")) for m in re.finditer(
        r'data-filter-value="([^"]*)"[^>]*>.*?<span class="count">([\d,]+)</span>',
        resp.content.decode(), re.S)}


def test_following_the_master_writes_no_index_and_no_search_texts(
        api: ApiClient, setup: dict[str, Any]) -> None:  # noqa: F811
    from daicho.db import dialect
    from daicho.db import schema as ddl

    base = f"/api/v1/ledgers/{setup['looking']}/records"
    # Without the formula on the lookup (whose new value changes the search key: tested below).
    assert api.delete(f"/api/v1/ledgers/{setup['looking']}/fields/double").status in (200, 204)
    ids = [api.post(base, {"values": {"item": f"机{n}", "dept_ref": setup["a"]}}).body["id"]
           for n in range(5)]
    ledger, columns = _table_and_columns(setup["looking"])
    table = str(ledger.table_name)
    indexed = ddl.index_exists(ddl.index_name(ledger, columns["dept_name"]))
    if dialect.is_sqlite():
        assert indexed  # unchanged there
    else:
        assert not indexed
        before = _pg_updates(table)
        texts_before = _pg_writes(table + "_texts")
    resp = api.patch(f"/api/v1/ledgers/{setup['master']}/records/{setup['a']}",
                     {"revision": 1, "values": {"dept": "企画課", "seats": 4}})
    assert resp.status == 200, resp.body
    for rid in ids:
        values = api.get(f"{base}/{rid}").body["values"]
        assert values["dept_name"] == "企画課" and values["dept_seats"] == 4
    if dialect.is_sqlite():
        return
    from tests.pg_search_layout import texts_out_of_step

    updated, hot = (a - b for a, b in zip(_pg_updates(table), before, strict=True))
    assert (updated, hot) == (len(ids), len(ids))  # the lookers' rewrite: HOT, each of them
    assert _pg_writes(table + "_texts") == texts_before  # their search texts untouched
    # A change of the record's own searchable text does change them (the update trigger).
    assert api.patch(f"{base}/{ids[0]}", {"revision": 1, "values": {"item": "椅子"}}).status \
        == 200
    assert texts_out_of_step(table) == 0
    assert [r["id"] for r in api.get(base, {"q": "椅"}).body["items"]] == [ids[0]]


def test_filter_sort_group_and_values_of_a_lookup(api: ApiClient, admin: Any,
                                                  setup: dict[str, Any]) -> None:  # noqa: F811
    """Without an index on PostgreSQL a lookup's column is read from the table: the answers are
    those of an indexed column, and no pair index is asked for it."""
    from daicho.models import Job

    base = f"/api/v1/ledgers/{setup['looking']}/records"
    for n, ref in enumerate([setup["a"], setup["b"], setup["a"], None, setup["b"]]):
        api.post(base, {"values": {"item": f"品{n}", "dept_ref": ref}})

    def items(**params: Any) -> list[str]:
        resp = api.get(base, params)
        assert resp.status == 200, resp.body
        return [r["values"]["item"] for r in resp.body["items"]]

    assert items(filter="dept_name:eq:総務課", sort="-item") == ["品2", "品0"]
    assert items(sort="dept_name,item") == ["品3", "品0", "品2", "品1", "品4"]  # 総 < 財
    assert items(sort="-dept_seats,item") == ["品0", "品2", "品1", "品4", "品3"]
    assert items(filter="item:ne:品0", sort="dept_seats,-item") == ["品3", "品4", "品1", "品2"]
    assert items(filter="dept_seats:gt:3") == ["品0", "品2"]
    agg = f"/api/v1/ledgers/{setup['looking']}/aggregate"
    groups = api.get(agg, {"group_by": "dept_name", "metric": "sum:dept_seats"}).body["groups"]
    assert groups == [{"key": None, "value": None}, {"key": "総務課", "value": 20},
                      {"key": "財政課", "value": 6}]
    counts = api.get(agg, {"group_by": "dept_name", "metric": "count",
                           "filter": "dept_seats:eq:3"}).body["groups"]
    assert counts == [{"key": "財政課", "value": 2}]
    # The list's column filter popup: a lookup's values under another column's filter, and
    # another column's values under a filter on a lookup.
    web = Client()
    web.force_login(admin)
    popup = f"/ledgers/{setup['looking']}/fields/dept_name/filter"
    assert _popup(web.get(popup, {"s": "1", "filter": "item:ne:品0"})) == {
        "": 1, "財政課": 2, "総務課": 1}
    popup = f"/ledgers/{setup['looking']}/fields/item/filter"
    assert _popup(web.get(popup, {"s": "1", "filter": "dept_name:eq:財政課"})) == {
        "品1": 1, "品4": 1}
    from daicho.db import dialect

    if not dialect.is_sqlite():
        _ledger, columns = _table_and_columns(setup["looking"])
        lookup_columns = {columns["dept_name"], columns["dept_seats"]}
        wanted = {(j.params.get("first"), j.params.get("second"))
                  for j in Job.objects.filter(kind="pair_index")}
        assert not {c for pair in wanted for c in pair} & lookup_columns, wanted


def test_tables_of_an_earlier_version_are_upgraded(api: ApiClient,
                                                   setup: dict[str, Any]) -> None:  # noqa: F811
    """`daicho init` (upgrade_ledger_tables) brings a PostgreSQL table made by an earlier
    version up to date: its search columns and their GIN indexes → the search table; room on
    the pages; no index on a lookup's column. Search and the lookups answer as before; a second
    run changes nothing."""
    from django.db import connection

    from daicho.db import dialect
    from daicho.db import schema as ddl
    from daicho.db.dialect import q
    from tests.pg_search_layout import earlier_layout, texts_out_of_step

    base = f"/api/v1/ledgers/{setup['looking']}/records"
    ids = [api.post(base, {"values": {"item": name, "dept_ref": setup["a"]}}).body["id"]
           for name in ("本庁舎の机", "分庁舎の椅子")]
    if dialect.is_sqlite():
        assert ddl.upgrade_ledger_tables() == []
        return
    ledger, columns = _table_and_columns(setup["looking"])
    table = str(ledger.table_name)
    searches = {term: [r["id"] for r in api.get(base, {"q": term}).body["items"]]
                for term in ("庁", "本庁", "庁舎の", "椅子")}
    assert searches == {"庁": ids, "本庁": ids[:1], "庁舎の": ids, "椅子": ids[1:]}
    earlier_layout(table)
    with connection.cursor() as cur:  # the table as the earlier version made it
        cur.execute(f"ALTER TABLE {q(table)} RESET (fillfactor)")
        cur.execute(f"CREATE INDEX {q(ddl.index_name(ledger, columns['dept_name']))}"
                    f" ON {q(table)} ({q(columns['dept_name'])} NULLS FIRST, id) WHERE NOT deleted")
        pair = ddl.pair_index_name(ledger, columns["item"], columns["dept_seats"], "s")
        cur.execute(f"CREATE INDEX {q(pair)} ON {q(table)}"
                    f" ({q(columns['item'])}, {q(columns['dept_seats'])}, id)")
    assert table in ddl.upgrade_ledger_tables()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(%s)"
                    " AND attname = 'search_grams' AND NOT attisdropped", [q(table)])
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)", [q(table)])
        assert f"fillfactor={ddl.LEDGER_FILLFACTOR}" in cur.fetchone()[0]
    assert not ddl.index_exists(ddl.index_name(ledger, columns["dept_name"]))
    assert not ddl.index_exists(
        ddl.pair_index_name(ledger, columns["item"], columns["dept_seats"], "s"))
    assert ddl.index_exists(ddl.index_name(ledger, columns["item"]))
    assert not any(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
    assert texts_out_of_step(table) == 0
    assert {term: [r["id"] for r in api.get(base, {"q": term}).body["items"]]
            for term in searches} == searches
    assert table not in ddl.upgrade_ledger_tables()
    # The triggers keep the search table from then on.
    rid = api.post(base, {"values": {"item": "庁用車", "dept_ref": setup["b"]}}).body["id"]
    assert [r["id"] for r in api.get(base, {"q": "用車"}).body["items"]] == [rid]
    assert api.patch(f"{base}/{ids[0]}", {"revision": 1, "values": {"item": "倉庫"}}).status == 200
    assert [r["id"] for r in api.get(base, {"q": "本庁"}).body["items"]] == []
    assert [r["id"] for r in api.get(base, {"q": "倉"}).body["items"]] == [ids[0]]
    assert api.patch(f"/api/v1/ledgers/{setup['master']}/records/{setup['a']}",
                     {"revision": 1, "values": {"dept": "企画課"}}).status == 200
    assert api.get(f"{base}/{ids[1]}").body["values"]["dept_name"] == "企画課"
    assert texts_out_of_step(table) == 0
