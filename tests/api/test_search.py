"""Filters, sorts, cursor pagination, Japanese-aware search and aggregation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

ROWS = [
    ("市役所本庁舎", 5000, "2020-04-01", "建物"),
    ("トウキョウ出張所", 120, "1989-01-08", "建物"),
    ("ｶﾀｶﾅ倉庫", 80, None, "工作物"),
    ("ABC公園", None, "2019-05-01", "土地"),
    ("東町4丁目〜6丁目 緑地", 300, "2024-12-28", "土地"),
    ("駐車場", 300, "2001-01-01", None),
]


@pytest.fixture
def filled(api: ApiClient, ledger: dict[str, Any]) -> dict[str, Any]:
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    ids = []
    for name, amount, day, kind in ROWS:
        ids.append(api.post(url, {"values": {"name": name, "amount": amount, "day": day,
                                             "kind": kind}}).body["id"])
    return {"ledger": ledger, "ids": ids, "url": url}


def _names(api: ApiClient, filled: dict[str, Any], **params: Any) -> list[str]:
    resp = api.get(filled["url"], params)
    assert resp.status == 200, resp.body
    return [r["values"]["name"] for r in resp.body["items"]]


def _every_page(api: ApiClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of every page, following the cursor from the first page to the last."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        resp = api.get(url, {**params, **({"cursor": cursor} if cursor else {})})
        assert resp.status == 200, resp.body
        items += resp.body["items"]
        cursor = resp.body["next_cursor"]
        if not cursor:
            return items


@pytest.mark.parametrize(("query", "expected"), [
    ("庁", ["市役所本庁舎"]),                      # one character
    ("本庁", ["市役所本庁舎"]),                    # two characters
    ("とうきょう", ["トウキョウ出張所"]),            # hiragana finds katakana
    ("ﾄｳｷｮｳ", ["トウキョウ出張所"]),                # half-width katakana
    ("かたかな", ["ｶﾀｶﾅ倉庫"]),                    # ... and the other way round
    ("abc", ["ABC公園"]),                          # case
    ("ＡＢＣ", ["ABC公園"]),                        # full-width letters
    ("4丁目〜6", ["東町4丁目〜6丁目 緑地"]),        # 〜 is kept as a range mark
    ("４丁", ["東町4丁目〜6丁目 緑地"]),            # full-width digit
    ("市 庁舎", ["市役所本庁舎"]),                  # blank-separated terms are ANDed
    ("場", ["駐車場"]),
    ("存在しない", []),
    ("%", []),
    ("_", []),
])
def test_search(api: ApiClient, filled: dict[str, Any], query: str, expected: list[str]) -> None:
    assert _names(api, filled, q=query) == expected


def test_search_sees_edits_and_deletes(api: ApiClient, filled: dict[str, Any]) -> None:
    rid = filled["ids"][5]
    api.patch(f"{filled['url']}/{rid}", {"revision": 1, "values": {"name": "臨時駐輪場"}})
    assert _names(api, filled, q="駐輪") == ["臨時駐輪場"]
    assert _names(api, filled, q="駐車") == []
    api.delete(f"{filled['url']}/{rid}")
    assert _names(api, filled, q="駐輪") == []


@pytest.mark.parametrize(("flt", "expected"), [
    ("kind:eq:建物", ["市役所本庁舎", "トウキョウ出張所"]),
    ("kind:ne:建物", ["ｶﾀｶﾅ倉庫", "ABC公園", "東町4丁目〜6丁目 緑地", "駐車場"]),
    ("kind:in:土地,工作物", ["ｶﾀｶﾅ倉庫", "ABC公園", "東町4丁目〜6丁目 緑地"]),
    ("kind:empty", ["駐車場"]),
    ("amount:ge:300", ["市役所本庁舎", "東町4丁目〜6丁目 緑地", "駐車場"]),
    ("amount:lt:1,000", ["トウキョウ出張所", "ｶﾀｶﾅ倉庫", "東町4丁目〜6丁目 緑地", "駐車場"]),
    ("amount:notempty", ["市役所本庁舎", "トウキョウ出張所", "ｶﾀｶﾅ倉庫",
                         "東町4丁目〜6丁目 緑地", "駐車場"]),
    ("day:le:2001-01-01", ["トウキョウ出張所", "駐車場"]),
    ("day:gt:2019-05-01", ["市役所本庁舎", "東町4丁目〜6丁目 緑地"]),
    ("name:contains:abc", ["ABC公園"]),
    ("name:startswith:市役所", ["市役所本庁舎"]),
    ("name:eq:駐車場", ["駐車場"]),
])
def test_filters(api: ApiClient, filled: dict[str, Any], flt: str, expected: list[str]) -> None:
    assert _names(api, filled, filter=flt) == expected


def test_filters_combine(api: ApiClient, filled: dict[str, Any]) -> None:
    resp = api.client.get(filled["url"] + "?filter=kind:eq:土地&filter=amount:notempty&q=緑")
    assert [r["values"]["name"] for r in resp.json()["items"]] == ["東町4丁目〜6丁目 緑地"]


def test_sort_with_nulls_and_ties(api: ApiClient, filled: dict[str, Any]) -> None:
    asc = _names(api, filled, sort="amount")
    assert asc == ["ABC公園", "ｶﾀｶﾅ倉庫", "トウキョウ出張所", "東町4丁目〜6丁目 緑地", "駐車場",
                   "市役所本庁舎"]
    desc = _names(api, filled, sort="-amount")
    assert desc == ["市役所本庁舎", "駐車場", "東町4丁目〜6丁目 緑地", "トウキョウ出張所",
                    "ｶﾀｶﾅ倉庫", "ABC公園"]
    assert _names(api, filled, sort="-id")[0] == "駐車場"
    two = _names(api, filled, sort="kind,-amount")
    # text sorts by code point (土 U+571F < 工 U+5DE5 < 建 U+5EFA) on both databases
    assert two == ["駐車場", "東町4丁目〜6丁目 緑地", "ABC公園", "ｶﾀｶﾅ倉庫", "市役所本庁舎",
                   "トウキョウ出張所"]


@pytest.mark.parametrize("sort", ["id", "-id", "amount", "-amount", "day", "-day", "kind",
                                  "-kind,name", "name", "-updated_at"])
def test_cursor_pagination_visits_every_record_once(api: ApiClient, filled: dict[str, Any],
                                                    sort: str) -> None:
    full = [r["id"] for r in api.get(filled["url"], {"sort": sort, "limit": 500}).body["items"]]
    seen = [r["id"] for r in _every_page(api, filled["url"], {"sort": sort, "limit": 2})]
    assert seen == full and len(seen) == len(ROWS)


def test_total_is_cheap(api: ApiClient, filled: dict[str, Any]) -> None:
    assert api.get(filled["url"]).body["total"] == len(ROWS)
    assert api.get(filled["url"], {"filter": "kind:eq:建物"}).body["total"] is None


def test_aggregate(api: ApiClient, filled: dict[str, Any]) -> None:
    base = f"/api/v1/ledgers/{filled['ledger']['id']}/aggregate"
    count = api.get(base, {"group_by": "kind", "metric": "count"}).body["groups"]
    assert count == [{"key": None, "value": 1}, {"key": "土地", "value": 2},
                     {"key": "工作物", "value": 1}, {"key": "建物", "value": 2}]
    total = api.get(base, {"metric": "sum:amount"}).body["groups"]
    assert total == [{"key": None, "value": 5800}]
    filtered = api.get(base, {"group_by": "kind", "metric": "sum:amount",
                              "filter": "kind:eq:建物"}).body["groups"]
    assert filtered == [{"key": "建物", "value": 5120}]
    assert api.get(base, {"metric": "max:day"}).body["groups"] == [{"key": None,
                                                                     "value": "2024-12-28"}]
    assert api.get(base, {"metric": "avg:amount"}).body["groups"][0]["value"] == 1160.0
    for bad in ["sum:name", "median:amount", "sum:", "count:amount", "sum:nope"]:
        assert api.get(base, {"metric": bad}).status == 400, bad
    assert api.get(base, {"group_by": "nope"}).status == 400


def test_search_index_is_used_for_short_queries(api: ApiClient, filled: dict[str, Any]) -> None:
    from daicho.db import dialect, search
    from daicho.models import Ledger

    ledger = Ledger.objects.get(id=filled["ledger"]["id"])
    sql, params = search.search_condition(ledger, "庁")
    if dialect.is_sqlite():
        assert "MATCH" in sql and params == ["u00005e81"]
    else:  # the search table's gram array for one and two characters, pg_trgm from three
        assert "x.grams @>" in sql and params == ["庁"]
        sql, params = search.search_condition(ledger, "本庁舎")
        assert "LIKE" in sql and params == ["%本庁舎%"]


@pytest.mark.parametrize("sort", ["amount", "-amount", "day", "-day,name"])
def test_large_filtered_sorted_paging(api: ApiClient, ledger: dict[str, Any], sort: str) -> None:
    """Over 2,000 matches the list walks the sort index (see selectors.planner.many_matches);
    the pages must still be exactly the sorted, filtered records, NULLs included."""
    import random

    rng = random.Random(7)
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    expected: list[tuple[Any, ...]] = []
    for batch in range(3):
        items = []
        for n in range(1000):
            amount = None if rng.random() < 0.1 else rng.randint(0, 50)
            day = None if rng.random() < 0.1 else f"2024-01-{rng.randint(1, 28):02d}"
            kind = "土地" if rng.random() < 0.8 else "建物"  # over PROBE_ROWS matches
            items.append({"values": {"name": f"r{batch}-{n}", "amount": amount, "day": day,
                                     "kind": kind}})
        assert api.post(f"{url}/bulk", {"create": items}).status == 200
    everything = _every_page(api, url, {"limit": 500})
    key, desc = sort.split(",")[0].lstrip("-"), sort.startswith("-")
    land = [r for r in everything if r["values"]["kind"] == "土地"]
    present = sorted((r for r in land if r["values"][key] is not None),
                     key=lambda r: (r["values"][key], r["id"]), reverse=desc)
    if sort == "-day,name":
        present = sorted((r for r in land if r["values"][key] is not None),
                         key=lambda r: (r["values"]["day"], r["values"]["name"]), reverse=False)
        present.sort(key=lambda r: r["values"]["day"], reverse=True)
    absent = sorted((r for r in land if r["values"][key] is None), key=lambda r: r["id"],
                    reverse=desc)
    expected = [r["id"] for r in (present + absent if desc else absent + present)]
    seen = [r["id"] for r in _every_page(api, url, {"filter": "kind:eq:土地", "sort": sort,
                                                    "limit": 137})]
    if sort == "-day,name":
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
        days = [next(r for r in land if r["id"] == i)["values"]["day"] for i in seen]
        non_null = [d for d in days if d is not None]
        assert non_null == sorted(non_null, reverse=True) and days[len(non_null):] == \
            [None] * (len(days) - len(non_null))
    else:
        assert seen == expected


@pytest.mark.parametrize("sort", ["id", "-id", "amount"])
def test_search_results_page_through_cursors(api: ApiClient, ledger: dict[str, Any],
                                             sort: str) -> None:
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    items = [{"values": {"name": f"{'庁舎' if n % 3 else '倉庫'}{n}", "amount": n % 5,
                         "kind": "建物" if n % 2 else "土地"}} for n in range(40)]
    assert api.post(f"{url}/bulk", {"create": items}).status == 200
    full = api.get(url, {"q": "庁", "sort": sort, "limit": 500}).body["items"]
    assert len(full) == 26
    seen = [r["id"] for r in _every_page(api, url, {"q": "庁", "sort": sort, "limit": 7,
                                                    "filter": "amount:notempty"})]
    assert seen == [r["id"] for r in full]


def test_grouped_sums_get_a_covering_index_built_in_the_background(
        api: ApiClient, filled: dict[str, Any], settings: Any) -> None:
    from daicho import jobs
    from daicho.db import schema as ddl
    from daicho.models import Field, Job, Ledger

    base = f"/api/v1/ledgers/{filled['ledger']['id']}/aggregate"
    params = {"group_by": "kind", "metric": "sum:amount"}
    api.get(base, params)  # a small ledger does not need the index
    assert not Job.objects.filter(kind="pair_index").exists()
    settings.DAICHO = {**settings.DAICHO, "PAIR_INDEX_MIN_RECORDS": 1}
    first = api.get(base, params).body["groups"]
    assert Job.objects.filter(kind="pair_index", status="queued").count() == 1
    api.get(base, params)  # asking again does not queue the same work twice
    assert Job.objects.filter(kind="pair_index", status="queued").count() == 1
    assert jobs.run_pending() == 1
    ledger = Ledger.objects.get(id=filled["ledger"]["id"])
    columns = {f.code: f.column for f in Field.objects.filter(ledger=ledger)}
    assert ddl.index_exists(ddl.covering_index_name(ledger, columns["kind"], columns["amount"]))
    assert api.get(base, params).body["groups"] == first
    assert first == [{"key": None, "value": 300}, {"key": "土地", "value": 300},
                     {"key": "工作物", "value": 80}, {"key": "建物", "value": 5120}]


def test_filtered_sorted_pages_get_a_pair_index_that_changes_no_result(
        api: ApiClient, ledger: dict[str, Any], settings: Any, monkeypatch: Any) -> None:
    """A big ledger listed with `kind = x` sorted by another field gets a (filter, sort) index
    built in the background when the filter keeps many records; every page, before and
    after, is the same — including matches without a sort value — and deleting the sort field
    drops the index."""
    from daicho import jobs
    from daicho.db import schema as ddl
    from daicho.models import Field, Job, Ledger
    from daicho.selectors import planner

    url = f"/api/v1/ledgers/{ledger['id']}/records"
    items = [{"values": {"name": f"物件{i:03d}", "kind": "土地" if i % 3 else "建物",
                         "amount": None if i % 3 == 0 else (i * 37) % 50}} for i in range(90)]
    assert api.post(f"{url}/bulk", {"create": items}).status == 200
    monkeypatch.setattr(planner, "PROBE_ROWS", 10)
    settings.DAICHO = {**settings.DAICHO, "PAIR_INDEX_MIN_RECORDS": 50}

    def pages(sort: str, kind: str) -> list[int]:
        return [r["id"] for r in _every_page(api, url, {"filter": f"kind:eq:{kind}",
                                                        "sort": sort, "limit": 7})]

    combos = [(s, k) for s in ("amount", "-amount", "name", "-name") for k in ("土地", "建物")]
    before = {c: pages(*c) for c in combos}
    assert len(before[("amount", "土地")]) == 60 and len(before[("-amount", "建物")]) == 30
    queued = Job.objects.filter(kind="pair_index", status="queued")
    assert {(j.params["first"], j.params["second"]) for j in queued} == {
        (f.column, g.column) for f in Field.objects.filter(ledger_id=ledger["id"], code="kind")
        for g in Field.objects.filter(ledger_id=ledger["id"], code__in=["amount", "name"])}
    assert jobs.run_pending() == 2
    model = Ledger.objects.get(id=ledger["id"])
    cols = {f.code: f.column for f in Field.objects.filter(ledger=model)}
    name = ddl.pair_index_name(model, cols["kind"], cols["amount"], "s")
    assert ddl.index_exists(name)
    assert {c: pages(*c) for c in combos} == before
    assert api.delete(f"/api/v1/ledgers/{ledger['id']}/fields/amount").status in (200, 204)
    assert not ddl.index_exists(name)
    assert ddl.index_exists(ddl.pair_index_name(model, cols["kind"], cols["name"], "s"))


def test_postgresql_tables_from_before_the_search_table_are_upgraded(
        api: ApiClient, filled: dict[str, Any]) -> None:
    """`daicho init` moves the search columns of ledger tables made before the search table
    (PostgreSQL) into one; the searches find the same records before and after, and a second
    run changes nothing."""
    from django.db import connection

    from daicho.db import dialect
    from daicho.db import schema as ddl
    from daicho.models import Ledger
    from tests.pg_search_layout import earlier_layout, texts_out_of_step

    if dialect.is_sqlite():
        assert ddl.upgrade_ledger_tables() == []
        return
    ledger = Ledger.objects.get(id=filled["ledger"]["id"])
    table = str(ledger.table_name)
    before = {term: _names(api, filled, q=term) for term in ("庁", "本庁舎", "市役所")}
    assert before["庁"] == ["市役所本庁舎"]
    earlier_layout(table)
    ddl.upgrade_ledger_tables()  # in the test's transaction: no VACUUM FULL
    assert not any(ddl.index_exists(n) for n in ddl.search_index_names(ledger))
    assert all(ddl.index_exists(n) for n in ddl.texts_index_names(ledger))
    assert texts_out_of_step(table) == 0
    with connection.cursor() as cur:  # the gram array's triggers and their function are gone
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s)"
                    " AND tgname LIKE %s", [f'"{table}"', "%grams%"])
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT to_regprocedure('daicho_set_grams()') IS NULL")
        assert cur.fetchone()[0]
    assert {term: _names(api, filled, q=term) for term in before} == before
    assert table not in ddl.upgrade_ledger_tables()


@pytest.mark.parametrize("window", [3, 12, 5_000])
@pytest.mark.parametrize("sort", ["id", "-id"])
def test_a_search_within_the_next_records_finds_what_the_search_table_does(
        api: ApiClient, ledger: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        window: int, sort: str) -> None:
    """PostgreSQL looks for a page of matches in id order among the next `WINDOW` records'
    keys before it asks the search table (selectors.search.search_in_window): common terms,
    rare ones, two terms, a filter, trashed records and every cursor page give the records
    the search table gives — with windows that hold a page, that do not, and that reach the
    end."""
    from daicho.db import dialect
    from daicho.selectors import search as search_selector

    monkeypatch.setattr(search_selector, "WINDOW", window)
    answered: list[bool] = []
    original = search_selector.search_in_window

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        answered.append(found is not None)
        return found

    monkeypatch.setattr("daicho.selectors.records.search_in_window", spy)
    url = f"/api/v1/ledgers/{ledger['id']}/records"
    names = [f"{'平成3年度' if n % 4 == 0 else '令和'}庁舎{n}{'倉庫' if n in (7, 41) else ''}"
             for n in range(60)]
    items = [{"values": {"name": name, "amount": n % 3}} for n, name in enumerate(names)]
    assert api.post(f"{url}/bulk", {"create": items}).status == 200
    ids = [r["id"] for r in api.get(url, {"limit": 500}).body["items"]]
    trashed = {ids[8], ids[9], ids[40]}
    for rid in trashed:
        assert api.delete(f"{url}/{rid}").status in (200, 204)
    live = [(rid, name, n % 3) for n, (rid, name) in enumerate(zip(ids, names, strict=True))
            if rid not in trashed]

    def expected(terms: list[str], amount: int | None) -> list[int]:
        out = [rid for rid, name, a in live
               if all(t in name for t in terms) and (amount is None or a == amount)]
        return out[::-1] if sort == "-id" else out

    for query, amount in [("平成3年", None), ("庁舎", None), ("倉庫", None), ("平成 庁舎4", None),
                          ("庁舎", 1), ("存在しない", None)]:
        params: dict[str, Any] = {"q": query, "sort": sort, "limit": 4}
        if amount is not None:
            params["filter"] = f"amount:eq:{amount}"
        seen = [r["id"] for r in _every_page(api, url, params)]
        assert seen == expected(query.split(), amount), (query, amount)
    if dialect.is_sqlite():
        assert answered == []  # SQLite's gram index yields its matches in id order itself
    elif window == 5_000:
        assert answered and all(answered)
    else:  # some pages are found within the window, the others by the search table
        assert True in answered and False in answered


@pytest.mark.parametrize("rekey_now", [5_000, 3])
def test_a_field_deleted_or_restored_changes_what_search_finds(
        api: ApiClient, filled: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        rekey_now: int) -> None:
    """A searchable field deleted: its texts no longer find records; restored: they do again.
    A small ledger gets its keys at once, a bigger one (more than REKEY_NOW records) from a
    `search_rekey` job queued with the change — the request that deleted a field of 100,000
    records took 16.8 s on SQLite, holding the write lock."""
    from daicho import jobs
    from daicho.models import Job, Ledger
    from daicho.services import ledgers

    monkeypatch.setattr(ledgers, "REKEY_NOW", rekey_now)
    lid = filled["ledger"]["id"]
    assert _names(api, filled, q="出張所") == ["トウキョウ出張所"]
    assert api.delete(f"/api/v1/ledgers/{lid}/fields/name").status in (200, 204)
    queued = Job.objects.filter(kind="search_rekey", status="queued", params__ledger=lid)
    assert queued.count() == (1 if rekey_now < len(ROWS) else 0)
    assert jobs.run_pending() >= queued.count()
    assert api.get(filled["url"], {"q": "出張所"}).body["items"] == []
    assert [r["id"] for r in api.get(filled["url"], {"q": "土地"}).body["items"]] == \
        [filled["ids"][3], filled["ids"][4]]  # the other fields' texts still count
    assert api.post(f"/api/v1/ledgers/{lid}/fields/name/restore").status in (200, 201)
    jobs.run_pending()
    assert _names(api, filled, q="出張所") == ["トウキョウ出張所"]
    assert not Job.objects.filter(kind="search_rekey", status__in=("queued", "running")).exists()
    assert not Job.objects.filter(kind="search_rekey", status="failed").exists()
    from daicho.db import dialect

    if not dialect.is_sqlite():
        from tests.pg_search_layout import texts_out_of_step

        assert texts_out_of_step(str(Ledger.objects.get(id=lid).table_name)) == 0
