"""The recompute job of formula fields (issue 15, speed) through the API: a chunk computed
column by column gives the values a writer gives record by record, and every record's search
key and gram index follow — whether the formulas end the key (the stored key is spliced) or
not (the key is made from all fields), and when a stored key was made in another field order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger


def _run_jobs(lid: int) -> None:
    """Run the recompute, then check every record's stored search key is the one a writer
    makes (sections included) and, on PostgreSQL, that the search table holds its sections."""
    from django.db import connection

    from daicho import jobs
    from daicho.db import dialect
    from daicho.db.dialect import q
    from daicho.fields.context import ValueContext
    from daicho.selectors import records as sel
    from daicho.selectors.ledgers import load_schema
    from daicho.services.record_values import record_search_key

    assert jobs.run_pending() >= 1
    schema = load_schema(lid)
    assert schema is not None
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sel.select_list(schema)} FROM {q(schema.table)} t ORDER BY t.id")
        rows = sel.to_rows(schema, cur.fetchall())
    assert rows and all(row.search_key == record_search_key(schema, row.raw, ValueContext())
                        for row in rows)
    if not dialect.is_sqlite():
        from tests.pg_search_layout import texts_out_of_step

        assert texts_out_of_step(schema.table) == 0


def _found(api: ApiClient, lid: int, text: str) -> list[str]:
    resp = api.get(f"/api/v1/ledgers/{lid}/records", {"q": text, "limit": 100})
    assert resp.status == 200, resp.body
    return sorted(r["values"]["name"] for r in resp.body["items"])


@pytest.fixture(params=["small", "big"])
def chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`big`: chunks of 2 records and the gram index dropped and rebuilt (a big ledger)."""
    from daicho.services import formulas

    if request.param == "big":
        monkeypatch.setattr(formulas, "REBUILD_INDEX_OVER", 1)
        monkeypatch.setattr(formulas, "CHUNK", 2)
    return str(request.param)


def test_a_formula_before_other_fields_is_keyed_from_all_of_them(api: ApiClient,
                                                                 chunks: str) -> None:
    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "表示", "type": "formula", "code": "label",
         "options": {"expression": "\"旧札\" & qty", "result": "text"}},
        {"name": "備考", "type": "text", "code": "note"}])["id"])
    base = f"/api/v1/ledgers/{lid}/records"
    for n in range(5):
        api.post(base, {"values": {"name": f"品{n}", "qty": n, "note": f"棚{n}"}})
    assert _found(api, lid, "旧札3") == ["品3"]
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/label", {
        "options": {"expression": "\"新票\" & (qty * 7)", "result": "text"}})
    assert resp.status == 200, resp.body
    _run_jobs(lid)
    assert _found(api, lid, "新票21") == ["品3"]
    assert _found(api, lid, "新票") == [f"品{n}" for n in range(5)]
    assert _found(api, lid, "旧") == [] and _found(api, lid, "旧札") == []
    assert _found(api, lid, "棚4") == ["品4"]  # the fields after the formula are kept
    assert api.get(f"{base}/1").body["values"]["label"] == "新票0"


def test_a_formula_at_the_end_is_spliced_into_the_stored_key(api: ApiClient,
                                                            chunks: str) -> None:
    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "取得日", "type": "date", "code": "day"}])["id"])
    base = f"/api/v1/ledgers/{lid}/records"
    for n in range(6):
        api.post(base, {"values": {"name": f"品{n}", "day": f"20{19 + n % 2}-0{n % 3 + 3}-15"}})
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": "和暦", "type": "formula", "code": "wareki",
        "options": {"expression": "WAREKI(day)", "result": "text"}})
    assert resp.status == 201, resp.body
    _run_jobs(lid)
    assert _found(api, lid, "平成31年") == ["品0", "品4"]  # 2019-03-15, 2019-04-15
    assert _found(api, lid, "令和") == ["品1", "品2", "品3", "品5"]
    assert _found(api, lid, "品") == [f"品{n}" for n in range(6)]
    # A second formula using the first: both end the key, only the new one changes.
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": "区分", "type": "formula", "code": "era",
        "options": {"expression": "LEFT(wareki, 2) & \"期\"", "result": "text"}})
    assert resp.status == 201, resp.body
    _run_jobs(lid)
    assert _found(api, lid, "令和期") == ["品1", "品2", "品3", "品5"]
    assert _found(api, lid, "平成期") == ["品0", "品4"]
    assert _found(api, lid, "令和") == ["品1", "品2", "品3", "品5"]  # the first one's text stays
    # Changed: the old texts leave the key and the gram index.
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/wareki", {
        "options": {"expression": "YEAR(day) & \"年\"", "result": "text"}})
    assert resp.status == 200, resp.body
    _run_jobs(lid)
    assert _found(api, lid, "令") == [] and _found(api, lid, "平成") == []
    assert _found(api, lid, "2020年") == ["品1", "品3", "品5"]
    assert _found(api, lid, "20期") == [f"品{n}" for n in range(6)]


def test_a_key_stored_in_another_field_order_is_made_afresh(api: ApiClient,
                                                           chunks: str) -> None:
    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "表示", "type": "formula", "code": "label",
         "options": {"expression": "\"旧札\" & qty", "result": "text"}}])["id"])
    base = f"/api/v1/ledgers/{lid}/records"
    order = f"/api/v1/ledgers/{lid}/fields/order"
    assert api.put(order, {"codes": ["label", "name", "qty"]}).status == 200
    for n in range(4):  # keyed with 表示 first
        api.post(base, {"values": {"name": f"品{n}", "qty": n}})
    assert api.put(order, {"codes": ["name", "qty", "label"]}).status == 200
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/label", {
        "options": {"expression": "\"新票\" & qty", "result": "text"}})
    assert resp.status == 200, resp.body
    _run_jobs(lid)
    assert _found(api, lid, "旧") == []
    assert _found(api, lid, "新票2") == ["品2"]
    assert _found(api, lid, "品1") == ["品1"]


def test_column_wise_values_are_those_of_a_writer(api: ApiClient, chunks: str) -> None:
    """Repeating inputs (dates, choices: computed once per distinct value), distinct ones
    (numbers), a formula without inputs and one over another formula: the job's values equal
    those the writer computes when the record is saved again."""
    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind",
         "options": {"choices": ["土地", "建物"]}},
        {"name": "金額", "type": "number", "code": "price", "options": {"decimals": 2}},
        {"name": "取得日", "type": "date", "code": "day"},
        {"name": "済", "type": "yesno", "code": "done"}])["id"])
    base = f"/api/v1/ledgers/{lid}/records"
    ids = []
    for n in range(12):
        values: dict[str, Any] = {"name": f"品{n}", "kind": ["土地", "建物"][n % 2],
                                  "price": [1.5, 2, 1234.25, None][n % 4],
                                  "day": [f"2024-0{n % 3 + 2}-28", None][n % 5 == 4],
                                  "done": n % 3 == 0}
        ids.append(api.post(base, {"values": values}).body["id"])
    formulas = [
        ("fy", "FISCAL_YEAR(day) & kind", "text"),
        ("label", "TEXT(price) & \"/\" & kind & IF(done, \"済\", \"未\")", "text"),
        ("tax", "ROUND(price * 1.1, 1)", "number"),
        ("fixed", "\"定\"", "text"),
        ("due", "DATE_ADD(day, 1, \"month\")", "date"),
        ("both", "fy & \"-\" & tax", "text"),
        ("later", "ISBLANK(due)", "yesno"),
    ]
    for code, expression, result in formulas:
        options: dict[str, Any] = {"expression": expression, "result": result}
        if code == "tax":
            options["decimals"] = 1
        resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
            "name": code, "type": "formula", "code": code, "options": options})
        assert resp.status == 201, resp.body
        _run_jobs(lid)
    by_job = {rid: api.get(f"{base}/{rid}").body["values"] for rid in ids}
    assert by_job[ids[0]]["fy"] == "2023土地" and by_job[ids[0]]["fixed"] == "定"
    assert by_job[ids[4]]["due"] is None and by_job[ids[4]]["later"] is True
    for rid in ids:  # saved again: the writer computes every formula for this record alone
        record = api.get(f"{base}/{rid}").body
        resp = api.patch(f"{base}/{rid}", {"revision": record["revision"],
                                           "values": {"name": record["values"]["name"] + "x"}})
        assert resp.status == 200, resp.body
        again = {k: v for k, v in resp.body["values"].items() if k != "name"}
        assert again == {k: v for k, v in by_job[rid].items() if k != "name"}
