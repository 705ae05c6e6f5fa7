"""Group subtotals and the live poll of the list page go through the gate (issue 14, 5b): a
person under a record rule sums only their rows and hears only of rows they may see."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.test import Client

from tests.permissions.conftest import World


def _browser(login: str) -> Client:
    web = Client()
    web.force_login(get_user_model().objects.get(username=login))
    web.cookies["django_language"] = "en"
    return web


def test_subtotals_under_a_record_rule_sum_only_ones_own_rows(world: World) -> None:
    world.rules([{"subject": {"org": "110", "include_children": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    lid = world.ledger_id
    shomu = _browser("shomu")  # 庶務係: sees 倉庫 (200) and 係の机 (400), both 土地
    got = shomu.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "kind"}).json()["groups"]
    assert set(got) == {"土地"}
    assert got["土地"]["count"] == "2 records" and "600" in got["土地"]["cells"]["amount"]
    admin = _browser("admin")
    every = admin.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "kind"}).json()["groups"]
    assert every["建物"]["count"] == "3 records" and every["土地"]["count"] == "2 records"


def test_the_poll_tells_nothing_of_records_outside_the_rule(world: World) -> None:
    world.rules([{"subject": {"org": "110", "include_children": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    lid, ids = world.ledger_id, world.ids
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    shomu = _browser("shomu")
    body = {"since": since, "shown": [ids["倉庫"], ids["庁舎"], 999_999]}
    got = shomu.post(f"/ledgers/{lid}/live", json.dumps(body),
                     content_type="application/json").json()
    # 庁舎 (総務課) and a record that does not exist answer alike: not visible.
    assert got["gone"] == [ids["庁舎"], 999_999]
    assert {r["id"] for r in got["rows"]} <= {ids["倉庫"], ids["係の机"]}
    assert all("福祉会館" not in r["html"] and "庁舎" not in r["html"] for r in got["rows"])


def test_reads_of_a_sensitive_ledger_through_the_poll_and_subtotals_are_logged(
        world: World) -> None:
    from tests.permissions.test_sensitive_reads import _last_seq, _reads

    assert world.api.patch(world.base, {"sensitive": True}).status == 200
    lid, rid = world.ledger_id, world.ids["倉庫"]
    admin = _browser("admin")
    before = _last_seq()
    assert admin.get(f"/ledgers/{lid}/subtotals", {"s": "1", "group": "kind"}).status_code == 200
    assert [(u, a) for u, a, _d in _reads(lid, before)] == [("admin", "view_list")]
    # A poll that shows no record logs nothing; one that draws rows logs them.
    quiet = {"since": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat(),
             "shown": [rid]}
    before = _last_seq()
    admin.post(f"/ledgers/{lid}/live", json.dumps(quiet), content_type="application/json")
    assert _reads(lid, before) == []
    busy = {**quiet, "since": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()}
    admin.post(f"/ledgers/{lid}/live", json.dumps(busy), content_type="application/json")
    logged = _reads(lid, before)
    assert [(u, a) for u, a, _d in logged] == [("admin", "view_list")]
    assert rid in logged[0][2]["records"]
