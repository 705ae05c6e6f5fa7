"""The list page kept current (issue 14, point 5b): group-by with subtotals, the live poll of
others' saved changes and of who else is here — in-process, through the page's endpoints."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def led(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "備品台帳", [
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
        {"name": "購入日", "type": "date", "code": "bought"},
    ])
    rows = [("机A", 2, "机", "2024-03-31"), ("机B", 3, "机", "2024-04-01"),
            ("椅子A", 5, "椅子", "2024-05-10"), ("椅子B", None, "椅子", None),
            ("机C", 7, "机", "2025-04-02")]
    items = [{"values": {"item": i, "qty": q, "kind": k, "bought": b}} for i, q, k, b in rows]
    assert api.post(f"/api/v1/ledgers/{led['id']}/records/bulk", {"create": items}).status == 200
    _written_an_hour_ago(led["id"])
    return led


def _written_an_hour_ago(lid: int) -> None:
    """The set-up's writes are in the past, so a poll since "a second ago" sees only the test's."""
    from daicho.db import dialect
    from daicho.models import Ledger

    table = Ledger.objects.get(id=lid).table_name
    then = dialect.param(dialect.now() - dt.timedelta(hours=1))
    with connection.cursor() as cur:
        cur.execute(f'UPDATE "{table}" SET created_at = %s, updated_at = %s', [then, then])


def _poll(web: Client, lid: int, **body: Any) -> Any:
    body.setdefault("since", (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat())
    body.setdefault("shown", [])
    return web.post(f"/ledgers/{lid}/live", json.dumps(body), content_type="application/json")


def _ids(api: ApiClient, lid: int) -> dict[str, int]:
    items = api.get(f"/api/v1/ledgers/{lid}/records", {"limit": 100}).body["items"]
    return {r["values"]["item"]: r["id"] for r in items}


# -- group-by -------------------------------------------------------------------------------------

def test_group_headers_come_before_each_group(web: Client, led: dict[str, Any]) -> None:
    html = web.get(f"/ledgers/{led['id']}/", {"s": "1", "group": "kind"}).content.decode()
    order = re.findall(r'<tr class="group-row" data-group="([^"]*)"|<tr data-id="\d+"', html)
    # Sorted by the grouped field (choices in their order), each group's rows together.
    assert [o or "row" for o in order] == ["机", "row", "row", "row", "椅子", "row", "row"]
    assert 'id="group-select"' in html and '<option value="kind" selected>' in html


def test_subtotals_count_and_sum_each_group(web: Client, led: dict[str, Any]) -> None:
    resp = web.get(f"/ledgers/{led['id']}/subtotals", {"s": "1", "group": "kind"})
    assert resp.status_code == 200, resp.content
    groups = resp.json()["groups"]
    assert groups["机"]["count"] == "3 records" and "12" in groups["机"]["cells"]["qty"]
    assert groups["椅子"]["count"] == "2 records" and "5" in groups["椅子"]["cells"]["qty"]


def test_dates_group_by_fiscal_year_month_and_year(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    fy = web.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "bought:fy"}).json()["groups"]
    assert {k: v["count"] for k, v in fy.items()} == {
        "": "1 record", "2023": "1 record", "2024": "2 records", "2025": "1 record"}
    assert "8" in fy["2024"]["cells"]["qty"]
    year = web.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "bought:year"}).json()
    assert year["groups"]["2024"]["count"] == "3 records"
    month = web.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "bought:month"}).json()
    assert set(month["groups"]) == {"", "2024-03", "2024-04", "2024-05", "2025-04"}
    html = web.get(f"/ledgers/{lid}/", {"s": "1", "group": "bought:fy"}).content.decode()
    assert "Fiscal year 2024" in html and "(blank)" in html


def test_the_grouping_is_kept_in_a_saved_view(web: Client, led: dict[str, Any]) -> None:
    lid = led["id"]
    resp = web.post(f"/ledgers/{lid}/views/save", {"s": "1", "group": "bought:fy", "name": "年度別",
                                                     "mode": "new"})
    assert resp.status_code == 302
    from daicho.web.models import SavedView

    view = SavedView.objects.get(name="年度別")
    assert view.group_by == "bought:fy"
    html = web.get(f"/ledgers/{lid}/", {"view": view.id}).content.decode()
    assert '<option value="bought:fy" selected>' in html and 'class="group-row"' in html


@pytest.mark.parametrize("group", ["nosuch", "item", "kind:year:x", "<script>", "qty:" + "x" * 500])
def test_hostile_groupings_are_ignored_or_refused(web: Client, led: dict[str, Any],
                                                  group: str) -> None:
    lid = led["id"]
    page = web.get(f"/ledgers/{lid}/", {"s": "1", "group": group})
    assert page.status_code == 200 and "&lt;script&gt;" not in page.content.decode()
    sub = web.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": group})
    if group.startswith(("kind", "qty", "item")):
        assert sub.status_code == 200
    else:
        assert sub.status_code == 400 and sub.json()["error"]["code"] == "invalid_group_by"


# -- the live poll --------------------------------------------------------------------------------

def test_the_poll_sends_rows_others_saved_new_rows_and_gone_ones(
        web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    ids = _ids(api, lid)
    shown = [ids["机A"], ids["机B"], ids["椅子A"]]
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    quiet = _poll(web, lid, since=since, shown=shown).json()
    assert quiet["rows"] == [] and quiet["gone"] == []
    assert api.patch(f"/api/v1/ledgers/{lid}/records/{ids['机A']}",
                     {"revision": 1, "values": {"qty": 42}}).status == 200
    assert api.delete(f"/api/v1/ledgers/{lid}/records/{ids['机B']}").status == 204
    new = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"item": "新しい机"}}).body
    got = _poll(web, lid, since=since, shown=shown, query="?s=1&group=kind").json()
    by_id = {r["id"]: r for r in got["rows"]}
    assert set(by_id) == {ids["机A"], new["id"]}
    assert by_id[ids["机A"]]["revision"] == 2 and ">42<" in by_id[ids["机A"]]["html"]
    assert by_id[ids["机A"]]["new"] is False and by_id[new["id"]]["new"] is True
    assert by_id[new["id"]]["group"] == ""
    assert got["gone"] == [ids["机B"]]
    assert dt.datetime.fromisoformat(got["since"]) > dt.datetime.fromisoformat(since) - \
        dt.timedelta(seconds=11)


def test_a_new_row_outside_the_page_filters_does_not_appear(
        web: Client, api: ApiClient, led: dict[str, Any]) -> None:
    lid = led["id"]
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"item": "椅子Z", "kind": "椅子"}})
    got = _poll(web, lid, since=since, query="?s=1&filter=kind:eq:机").json()
    assert got["rows"] == []
    got = _poll(web, lid, since=since, query="?s=1&filter=kind:eq:椅子").json()
    assert [r["new"] for r in got["rows"]] == [True]


def test_a_quiet_poll_costs_one_query_on_the_records(web: Client, api: ApiClient,
                                                     led: dict[str, Any]) -> None:
    lid = led["id"]
    shown = list(_ids(api, lid).values())
    since = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).isoformat()
    _poll(web, lid, since=since, shown=shown)  # warm the caches (schema, session)
    with CaptureQueriesContext(connection) as queries:
        assert _poll(web, lid, since=since, shown=shown).status_code == 200
    table = f'"ledger_{lid}"'
    ledger_reads = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    assert len(ledger_reads) == 1, ledger_reads


def test_presence_names_who_else_has_the_ledger_and_which_row(
        web: Client, api: ApiClient, led: dict[str, Any], make_client: Any) -> None:
    from django.contrib.auth import get_user_model

    lid = led["id"]
    make_client("sato", name="佐藤")
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "sato"}, "rights": ["view", "edit"]}]})
    sato = Client()
    sato.force_login(get_user_model().objects.get(username="sato"))
    sato.cookies["django_language"] = "en"
    ids = _ids(api, lid)
    assert _poll(sato, lid, shown=[ids["机A"]], editing=ids["机A"]).status_code == 200
    got = _poll(web, lid, shown=[ids["机A"], ids["机B"]]).json()
    assert got["present"] == "佐藤 also has this ledger open"
    assert got["editors"] == {str(ids["机A"]): "佐藤 has this record open"}
    # The record page shows the one editing it in the grid too.
    page = web.post(f"/ledgers/{lid}/records/{ids['机A']}/presence").content.decode()
    assert "佐藤 is editing this record" in page
    # Not named to themselves.
    assert _poll(sato, lid, shown=[ids["机A"]]).json()["present"] == \
        "管理者 also has this ledger open"


@pytest.mark.parametrize("body", [
    {"since": "yesterday", "shown": []},
    {"since": "2026-12-07T00:00:00", "shown": []},  # no time zone
    {"since": "2026-12-07T00:00:00+00:00", "shown": ["1"]},
    {"since": "2026-12-07T00:00:00+00:00", "shown": list(range(1, 1100))},
    {"since": "2026-12-07T00:00:00+00:00", "shown": [], "editing": "1"},
    {"since": "2026-12-07T00:00:00+00:00", "shown": [], "extra": 1},
])
def test_a_malformed_poll_is_refused_in_the_one_error_shape(web: Client, led: dict[str, Any],
                                                            body: dict[str, Any]) -> None:
    from daicho.web.models import RecordPresence

    resp = web.post(f"/ledgers/{led['id']}/live", json.dumps(body),
                    content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert set(resp.json()["error"]) >= {"code", "message"}
    assert not RecordPresence.objects.exists()


def test_the_poll_of_a_ledger_one_may_not_see_is_not_found(led: dict[str, Any],
                                                           make_client: Any) -> None:
    from django.contrib.auth import get_user_model

    make_client("stranger")
    other = Client()
    other.force_login(get_user_model().objects.get(username="stranger"))
    assert _poll(other, led["id"]).status_code == 404
    assert other.get(f"/ledgers/{led['id']}/subtotals", {"s": "1", "group": "kind"}) \
        .status_code == 404


def test_a_date_with_more_days_than_the_aggregate_groups_is_grouped_by_year(
        web: Client, led: dict[str, Any]) -> None:
    """Regression: the subtotals of a date grouping came from the aggregate per day, which stops
    at 10,000 groups — 28 years of days — and answered 400 `too_many_groups`."""
    from daicho.db import dialect
    from daicho.models import Field, Ledger

    lid = led["id"]
    table = Ledger.objects.get(id=lid).table_name
    bought = Field.objects.get(ledger_id=lid, code="bought").column
    qty = Field.objects.get(ledger_id=lid, code="qty").column
    now = dialect.param(dialect.now())
    first = dt.date(1990, 1, 1)
    rows = [[now, now, dialect.param(False), "", dialect.param(first + dt.timedelta(days=n)), 1]
            for n in range(10_050)]
    with connection.cursor() as cur:
        cur.executemany(f'INSERT INTO "{table}" (created_at, updated_at, deleted, search_key,'
                        f' "{bought}", "{qty}") VALUES (%s, %s, %s, %s, %s, %s)', rows)
    resp = web.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "bought:year"})
    assert resp.status_code == 200, resp.content
    groups = resp.json()["groups"]
    assert groups["1990"]["count"] == "365 records" and groups["1990"]["cells"]["qty"] == "365"
    assert groups["2024"]["count"] == "3 records"  # 2024-03-31 and -04-01 of the set-up, 05-10
