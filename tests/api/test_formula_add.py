"""Adding or changing one formula field (issue 15, speed): the recompute job computes and writes
only that formula and those that use it, and their values are those a writer gives; where
every formula may be stale (a field they use changed its kind of value) it computes them all."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.conftest import ApiClient, make_ledger


def _run_jobs() -> None:
    from daicho import jobs

    assert jobs.run_pending() >= 1


@pytest.fixture(params=["small", "big"])
def chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`big`: chunks of 2 records, the gram index dropped and rebuilt (a big ledger), and a
    job's memo of computed values outgrowing its limit."""
    from daicho.services import formulas

    if request.param == "big":
        monkeypatch.setattr(formulas, "REBUILD_INDEX_OVER", 1)
        monkeypatch.setattr(formulas, "CHUNK", 2)
        monkeypatch.setattr(formulas.Memo, "LIMIT", 3)
    return str(request.param)


def _add(api: ApiClient, lid: int, code: str, expression: str, result: str) -> None:
    resp = api.post(f"/api/v1/ledgers/{lid}/fields", {
        "name": code, "type": "formula", "code": code,
        "options": {"expression": expression, "result": result}})
    assert resp.status == 201, resp.body


def _plant(lid: int, code: str, value: Any) -> None:
    """Write a value straight into a field's column of every record, behind the writers'
    backs: a job that rewrites that column replaces it."""
    from daicho.models import Field, Ledger

    table = Ledger.objects.get(id=lid).table_name
    column = Field.objects.get(ledger_id=lid, code=code, deleted_at=None).column
    with connection.cursor() as cur:
        cur.execute(f'UPDATE "{table}" SET "{column}" = %s', [value])


def _ledger(api: ApiClient) -> tuple[int, list[int]]:
    lid = int(make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"},
        {"name": "取得日", "type": "date", "code": "day"}])["id"])
    ids = [api.post(f"/api/v1/ledgers/{lid}/records", {"values": {
        "name": f"品{n}", "amount": [1500, 2, None, 999999][n % 4],
        "day": [f"20{18 + n % 3}-0{n % 4 + 3}-{10 + n % 2 * 18}", None][n % 5 == 4]}}).body["id"]
        for n in range(9)]
    _add(api, lid, "tax", "ROUND(amount * 1.1)", "number")
    _add(api, lid, "fy", "FISCAL_YEAR(day)", "number")
    _run_jobs()
    return lid, ids


def _values(api: ApiClient, lid: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    return {rid: api.get(f"/api/v1/ledgers/{lid}/records/{rid}").body["values"] for rid in ids}


def _saved_again(api: ApiClient, lid: int, rid: int) -> dict[str, Any]:
    """The record's values after its writer computed every formula for it alone."""
    base = f"/api/v1/ledgers/{lid}/records/{rid}"
    record = api.get(base).body
    resp = api.patch(base, {"revision": record["revision"],
                            "values": {"name": record["values"]["name"]}})
    assert resp.status == 200, resp.body
    return dict(resp.body["values"])


def test_a_third_formula_gives_what_saving_again_gives(api: ApiClient, chunks: str) -> None:
    lid, ids = _ledger(api)
    _add(api, lid, "wareki", "WAREKI(day)", "text")
    _add(api, lid, "era", "LEFT(wareki, 2) & fy", "text")  # one that uses it, one not
    _run_jobs()
    by_job = _values(api, lid, ids)
    assert by_job[ids[0]]["wareki"] == "平成30年3月10日" and by_job[ids[0]]["era"] == "平成2017"
    assert by_job[ids[4]]["wareki"] is None
    for rid in ids:
        assert _saved_again(api, lid, rid) == by_job[rid]
    _indexed_and_sound(lid, ["tax", "fy", "wareki", "era"])


def _indexed_and_sound(lid: int, codes: list[str]) -> None:
    """The formulas' columns are indexed again after the job (a big one drops the indexes of
    those it rewrites and builds them at its end), and the gram index passes FTS5's
    integrity-check, as `daicho check` runs it."""
    from daicho.db import dialect, search
    from daicho.db import schema as ddl
    from daicho.models import Field, Ledger

    ledger = Ledger.objects.get(id=lid)
    for code in codes:
        column = Field.objects.get(ledger_id=lid, code=code, deleted_at=None).column
        assert ddl.index_exists(ddl.index_name(ledger, column)), code
    if dialect.is_sqlite():
        assert search.index_ready(ledger)
        name = ddl.fts_table(ledger)
        with connection.cursor() as cur:
            cur.execute(f'INSERT INTO "{name}" ("{name}") VALUES (\'integrity-check\')')


def test_adding_a_formula_leaves_the_other_formulas_columns_alone(api: ApiClient,
                                                                 chunks: str) -> None:
    lid, ids = _ledger(api)
    _plant(lid, "tax", 7)
    _plant(lid, "fy", 1900)
    _add(api, lid, "wareki", "WAREKI(day)", "text")
    _run_jobs()
    values = _values(api, lid, ids)
    assert {v["tax"] for v in values.values()} == {7}  # not rewritten
    assert {v["fy"] for v in values.values()} == {1900}
    assert values[ids[0]]["wareki"] == "平成30年3月10日"


def test_a_changed_expression_recomputes_it_and_the_formulas_using_it(api: ApiClient,
                                                                      chunks: str) -> None:
    lid, ids = _ledger(api)
    _add(api, lid, "label", "TEXT(tax) & \"円\"", "text")  # uses tax
    _add(api, lid, "doubled", "label & label", "text")  # uses it through label
    _run_jobs()
    _plant(lid, "fy", 1900)
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/tax", {
        "options": {"expression": "ROUND(amount * 1.08)", "result": "number"}})
    assert resp.status == 200, resp.body
    _run_jobs()
    values = _values(api, lid, ids)
    assert values[ids[0]]["tax"] == 1620
    assert values[ids[0]]["label"] == "1620円"
    assert values[ids[0]]["doubled"] == "1620円1620円"
    assert {v["fy"] for v in values.values()} == {1900}  # uses none of them
    found = api.get(f"/api/v1/ledgers/{lid}/records", {"q": "1620円", "limit": 100}).body
    assert [r["id"] for r in found["items"]] == [ids[0], ids[4], ids[8]]
    _indexed_and_sound(lid, ["tax", "fy", "label", "doubled"])


def test_a_field_retyped_recomputes_every_formula(api: ApiClient, chunks: str) -> None:
    lid, ids = _ledger(api)
    _plant(lid, "fy", 1900)
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/tax", {  # number → text: a new column
        "options": {"expression": "TEXT(ROUND(amount * 1.1))", "result": "text"}})
    assert resp.status == 200, resp.body
    _run_jobs()
    values = _values(api, lid, ids)
    assert values[ids[0]]["tax"] == "1650"
    assert values[ids[0]]["fy"] == 2017  # the planted value is computed again
    for rid in ids:
        assert _saved_again(api, lid, rid) == values[rid]


def test_changes_queued_before_the_job_runs_are_one_job(api: ApiClient) -> None:
    from daicho.models import Job

    lid, ids = _ledger(api)
    _plant(lid, "tax", 7)
    _add(api, lid, "wareki", "WAREKI(day)", "text")
    _add(api, lid, "half", "amount / 2", "number")
    queued = list(Job.objects.filter(kind="formula_recompute", status="queued"))
    assert [j.params for j in queued] == [{"ledger": lid, "fields": ["half", "wareki"]}]
    _run_jobs()
    values = _values(api, lid, ids)
    assert values[ids[0]]["half"] == 750 and values[ids[0]]["wareki"] == "平成30年3月10日"
    assert {v["tax"] for v in values.values()} == {7}
    # A change that makes every formula stale takes the waiting job over whole.
    _add(api, lid, "third", "amount / 3", "number")
    resp = api.patch(f"/api/v1/ledgers/{lid}/fields/half", {
        "options": {"expression": "TEXT(amount / 2)", "result": "text"}})
    assert resp.status == 200, resp.body
    queued = list(Job.objects.filter(kind="formula_recompute", status="queued"))
    assert [j.params for j in queued] == [{"ledger": lid}]
    _run_jobs()
    assert _values(api, lid, ids)[ids[0]]["tax"] == 1650
