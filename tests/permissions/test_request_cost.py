"""A token request's fixed cost (issue 19): the gate reads the token, its user, the user's roles
and departments, the ledger and its fields with a plain cursor (daicho.db.plain). These pin that
the rows still mean what the ORM made of them — dates compared as dates, JSON decoded, datetimes
aware — and how few statements a list page runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import ApiClient
from tests.permissions.conftest import World


def _names(world: World, login: str) -> set[str] | int:
    resp = world.clients[login].get(f"{world.base}/records")
    return world.names(resp.body["items"]) if resp.status == 200 else resp.status


def test_a_department_counts_from_its_first_day_to_the_day_before_its_last(world: World) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    world.rules([{"subject": {"org": "110"}, "rights": ["view"]},
                 {"subject": {"org": "210"}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    # somu moves from 総務課 to 生活福祉課 tomorrow; fukushi gains 総務課 as an extra one tomorrow.
    assert world.api.patch("/api/v1/users/somu", {"org": "210", "valid_from": tomorrow}).status == 200
    assert world.api.patch("/api/v1/users/fukushi",
                           {"extra_orgs": ["110"], "valid_from": tomorrow}).status == 200
    assert _names(world, "somu") == set(world.ids)  # still 総務課 today: every record
    assert _names(world, "fukushi") == {"福祉会館"}  # only 生活福祉課 today
    # From today instead: the move has happened.
    today = timezone.localdate().isoformat()
    assert world.api.patch("/api/v1/users/somu", {"org": "210", "valid_from": today}).status == 200
    assert _names(world, "somu") == {"福祉会館"}


def test_tokens_that_no_longer_open_anything(world: World, make_client: Any) -> None:
    from daicho.models import ApiToken

    world.rules([{"subject": {"everyone": True}, "rights": ["view"]}])
    client = make_client("temp")
    assert client.get(f"{world.base}/records").status == 200
    token = ApiToken.objects.get(user__username="temp")
    ApiToken.objects.filter(id=token.id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"{world.base}/records").status == 401
    ApiToken.objects.filter(id=token.id).update(
        expires_at=timezone.now() + dt.timedelta(days=1))
    assert client.get(f"{world.base}/records").status == 200
    ApiToken.objects.filter(id=token.id).update(revoked_at=timezone.now())
    assert client.get(f"{world.base}/records").status == 401
    resp = world.clients["nobody"].get(f"{world.base}/records")
    assert resp.status == 200
    assert world.api.patch("/api/v1/users/nobody", {"active": False}).status == 200
    resp = world.clients["nobody"].get(f"{world.base}/records")
    assert resp.status == 401 and resp.body["error"]["code"] == "not_authenticated"


def test_roles_and_ledger_settings_are_read_as_json(world: World, make_client: Any) -> None:
    world.rules([{"subject": {"role": "監査"}, "rights": ["view"],
                  "fields": {"secret": "hidden"}}])
    resp = world.clients["auditor"].get(f"{world.base}/records")
    assert resp.status == 200
    assert all("secret" not in item["values"] for item in resp.body["items"])
    assert world.clients["nobody"].get(f"{world.base}/records").status == 404
    # The ledger's settings (JSON) still say sensitive: the list read is in the access log.
    assert world.api.patch(world.base, {"sensitive": True}).status == 200
    assert world.clients["auditor"].get(f"{world.base}/records").status == 200
    resp = world.api.get("/api/v1/audit-log", {"action": "view_list"})
    assert resp.status == 200, resp.body
    assert [e["user"] for e in resp.body["items"]] == ["auditor"]


def test_a_token_list_page_runs_few_statements(world: World) -> None:
    world.rules([{"subject": {"org": "100", "include_children": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    client: ApiClient = world.clients["shomu"]
    client.get(f"{world.base}/records")  # the once-a-minute token_use entry
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"{world.base}/records?sort=-amount&limit=2")
    assert resp.status == 200 and len(resp.body["items"]) == 2
    statements = [q["sql"] for q in ctx.captured_queries]
    # token, its user, the ledger, its fields, roles, departments, the department tree, the page
    # (the records with an amount, then those without), the people and departments it names;
    # nothing read twice.
    assert len(statements) <= 11, "\n".join(statements)
    assert len(set(statements)) == len(statements), "\n".join(statements)
