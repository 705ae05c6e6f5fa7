"""The cross-tab goes through the gate (issue 14 point 7): under a record rule a user's totals
are those of the records they may see, and a hidden field can be neither grouped nor summed."""

from __future__ import annotations

from tests.permissions.conftest import World


def test_crosstab_totals_only_the_callers_records(world: World) -> None:
    world.rules([{"subject": {"org": "110", "include_children": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    somu = world.clients["somu"]  # 総務課: sees 庁舎 (110), 倉庫 and 係の机 (111)
    resp = somu.get(f"{world.base}/crosstab",
                    {"rows": "kind", "columns": "dept", "metric": "sum:amount"})
    assert resp.status == 200, resp.body
    body = resp.body
    assert [c["key"] for c in body["columns"]] == ["110", "111"]
    assert {r["key"]: (r["values"], r["total"]) for r in body["rows"]} == {
        "土地": ([None, 200 + 400], 600), "建物": ([150, None], 150)}
    assert [c["total"] for c in body["columns"]] == [150, 600]
    assert body["total"] == 750
    # The admin sees all five.
    assert world.api.get(f"{world.base}/crosstab", {
        "rows": "kind", "columns": "dept", "metric": "sum:amount"}).body["total"] == 1550
    # Someone the rule does not cover sees no ledger at all.
    assert world.clients["fukushi"].get(f"{world.base}/crosstab", {
        "rows": "kind", "columns": "dept"}).status == 404


def test_hidden_fields_cannot_be_grouped_or_summed(world: World) -> None:
    world.rules([{"subject": {"everyone": True}, "rights": ["view"],
                  "fields": {"amount": "hidden", "secret": "hidden"}}])
    somu = world.clients["somu"]
    for params in ({"rows": "kind", "columns": "dept", "metric": "sum:amount"},
                   {"rows": "secret", "columns": "dept"}):
        resp = somu.get(f"{world.base}/crosstab", params)
        assert resp.status == 400, params
        assert resp.body["error"]["code"] == "unknown_field"
    assert somu.get(f"{world.base}/crosstab", {"rows": "kind", "columns": "dept"}).body[
        "total"] == 5
