"""Sensitive ledgers: the flag (ledger API and permissions screen), every view of a record or a
list logged from the API and the web pages, nothing extra for other ledgers; and the access log's
retention (`daicho audit prune`) keeping the chain verifiable."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import ApiClient, make_ledger
from tests.permissions.conftest import World


def _log(api: ApiClient, **params: Any) -> list[dict[str, Any]]:
    resp = api.get("/api/v1/audit-log", params)
    assert resp.status == 200, resp.body
    return resp.body["items"]  # type: ignore[no-any-return]


def _views(ledger_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    from daicho.models import AuditEvent

    return [(e.user, e.action, e.details) for e in AuditEvent.objects.filter(
        target=f"ledger:{ledger_id}", action__startswith="view_").order_by("seq")]


def test_the_flag_through_the_ledger_api(world: World) -> None:
    api, somu = world.api, world.clients["somu"]
    assert api.get(world.base).body["sensitive"] is False
    resp = api.patch(world.base, {"sensitive": True})
    assert resp.status == 200 and resp.body["sensitive"] is True
    assert api.get(world.base).body["sensitive"] is True
    # A wrong value changes nothing, not even the name sent with it.
    resp = api.patch(world.base, {"sensitive": "yes", "name": "改名"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_sensitive"
    assert api.get(world.base).body["name"] == "公有財産"
    # The name alone leaves the flag; the flag alone leaves the name.
    assert api.patch(world.base, {"name": "公有財産2"}).body["sensitive"] is True
    assert api.patch(world.base, {"sensitive": False}).body["name"] == "公有財産2"
    # Only with the manage right (without it the ledger is not there).
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "edit"]}])
    assert somu.patch(world.base, {"sensitive": True}).status == 404
    assert somu.get(world.base).body["sensitive"] is False
    changes = [(e["user"], e["action"]) for e in _log(api, ledger=world.ledger_id)
               if e["action"] == "sensitive"]
    assert changes == [("admin", "sensitive"), ("admin", "sensitive")]


def test_api_views_are_logged(world: World) -> None:
    api, somu = world.api, world.clients["somu"]
    world.rules([{"subject": {"org": "110", "include_children": True},
                  "rights": ["view", "export"]}])
    api.patch(world.base, {"sensitive": True})
    rid = world.ids["庁舎"]
    assert somu.get(f"{world.base}/records", {"filter": "kind:eq:建物", "q": "庁"}).status == 200
    assert somu.get(f"{world.base}/records/{rid}").status == 200
    assert somu.get(f"{world.base}/records/{rid}/history").status == 200
    assert somu.get(f"{world.base}/aggregate", {"group_by": "kind"}).status == 200
    # Not seen, not logged: a record the user may not see (404), another user's denied list.
    assert world.clients["fukushi"].get(f"{world.base}/records").status == 404
    assert somu.get(f"{world.base}/records/99999").status == 404
    views = _views(world.ledger_id)
    assert [(user, action) for user, action, _d in views] == [
        ("somu", "view_list"), ("somu", "view_record"), ("somu", "view_record"),
        ("somu", "view_list")]
    assert views[0][2]["query"] == "filter=kind%3Aeq%3A%E5%BB%BA%E7%89%A9&q=%E5%BA%81"
    assert views[0][2]["path"] == f"{world.base}/records"
    assert views[1][2]["record"] == rid and views[2][2]["record"] == rid
    assert views[3][2]["query"] == "group_by=kind"
    # The administrators' API lists them with the ledger filter and the action filter.
    items = _log(api, ledger=world.ledger_id, action="view_record")
    assert [(e["user"], e["action"]) for e in items] == [("somu", "view_record")] * 2
    # Switched off: nothing more is logged.
    api.patch(world.base, {"sensitive": False})
    somu.get(f"{world.base}/records")
    assert len(_views(world.ledger_id)) == 4


def test_web_pages_log_views(world: World) -> None:
    from django.contrib.auth import get_user_model

    world.api.patch(world.base, {"sensitive": True})
    link = world.api.post("/api/v1/ledgers", {"name": "参照元", "fields": [
        {"name": "財産", "type": "link", "code": "asset",
         "options": {"ledger": world.ledger_id}}]}).body
    web = Client()
    web.force_login(get_user_model().objects.get(username="admin"))
    lid, rid = world.ledger_id, world.ids["倉庫"]
    for path in [f"/ledgers/{lid}/?q=倉", f"/ledgers/{lid}/records/{rid}/",
                 f"/ledgers/{lid}/records/{rid}/history", f"/ledgers/{lid}/trash",
                 f"/ledgers/{lid}/chart?group_by=kind", f"/ledgers/{link['id']}/fields/asset/pick?q=倉"]:
        assert web.get(path).status_code == 200, path
    views = _views(lid)
    assert [(action, d.get("record")) for _u, action, d in views] == [
        ("view_list", None), ("view_record", rid), ("view_record", rid), ("view_list", None),
        ("view_list", None), ("view_list", None)]
    assert {user for user, _a, _d in views} == {"admin"}
    assert views[0][2]["query"] == "q=%E5%80%89"
    assert views[5][2]["path"] == f"/ledgers/{link['id']}/fields/asset/pick"
    # The home page leaves the sensitive ledger's recent changes out (they are not logged there).
    home = web.get("/").content.decode()
    assert "倉庫" not in home and "庁舎" not in home
    world.api.patch(world.base, {"sensitive": False})
    assert "庁舎" in web.get("/").content.decode()


def test_other_ledgers_pay_nothing(api: ApiClient) -> None:
    """No query for the flag, no access-log write, for a ledger that is not sensitive."""
    led = make_ledger(api)
    base = f"/api/v1/ledgers/{led['id']}"
    rid = api.post(f"{base}/records", {"values": {"name": "a"}}).body["id"]
    paths = [f"{base}/records", f"{base}/records/{rid}", f"{base}/records/{rid}/history"]
    for path in paths:  # warm up (the token's use is logged once a minute)
        assert api.get(path).status == 200

    def queries(path: str) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(path).status == 200
        return [q["sql"].lower() for q in ctx.captured_queries]

    def others(sqls: list[str]) -> list[str]:
        """Less the access-log write: its lock, head and row, and the savepoint around them."""
        return [sql for sql in sqls if "audit" not in sql and "advisory" not in sql
                and "savepoint" not in sql]

    plain = {path: queries(path) for path in paths}
    for path, sqls in plain.items():
        assert not [sql for sql in sqls if "audit" in sql], path
    api.patch(base, {"sensitive": True})
    for path in paths:
        sqls = queries(path)
        assert [sql for sql in sqls if "auditevent" in sql and "insert" in sql], path
        assert len(others(sqls)) == len(others(plain[path])), path  # the flag costs no query


def test_retention_keeps_the_chain_verifiable(api: ApiClient, cli: Any, monkeypatch: Any) -> None:
    from django.utils import timezone

    from daicho.models import AuditEvent, AuditHead

    long_ago = timezone.now() - dt.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        for login in ("old1", "old2", "old3"):
            assert api.post("/api/v1/users", {"login": login}).status == 201
    api.post("/api/v1/users", {"login": "new1"})
    cutoff = timezone.now() - dt.timedelta(days=365)
    through = AuditEvent.objects.filter(at__lt=cutoff).order_by("-seq").first()
    assert through is not None
    before = AuditEvent.objects.count()
    deleted = AuditEvent.objects.filter(seq__lte=through.seq).count()
    # Without a setting the log is kept.
    monkeypatch.delenv("DAICHO_AUDIT_RETENTION_DAYS", raising=False)
    kept = cli("audit", "prune", "--json")
    assert kept.code == 0 and kept.json["deleted"] == 0 and AuditEvent.objects.count() == before
    monkeypatch.setenv("DAICHO_AUDIT_RETENTION_DAYS", "soon")
    assert cli("audit", "prune").code == 1
    monkeypatch.setenv("DAICHO_AUDIT_RETENTION_DAYS", "365")
    pruned = cli("audit", "prune", "--json")
    assert pruned.code == 0 and pruned.json["deleted"] == deleted >= 3
    assert not AuditEvent.objects.filter(at__lt=cutoff).exists()
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "audit_prune"
    assert last.details["through_seq"] == through.seq and last.details["deleted"] == deleted
    ok = cli("audit", "verify", "--json")
    assert ok.code == 0 and ok.json["ok"] and ok.json["pruned_through"] == through.seq
    assert ok.json["checked"] == before - deleted + 1
    assert cli("audit", "prune", "--days", "0").code == 1
    # Deleting more from the start, and moving the checkpoint to hide it, both show.
    first = AuditEvent.objects.order_by("seq").first()
    assert first is not None
    first.delete()
    bad = cli("audit", "verify", "--json")
    assert bad.code == 1 and {"seq": through.seq + 1, "problem": "missing"} in bad.json["problems"]
    AuditHead.objects.filter(id=2).update(seq=first.seq, hash=first.hash)
    bad = cli("audit", "verify", "--json")
    assert bad.code == 1 and {"seq": first.seq, "problem": "bad_checkpoint"} in bad.json["problems"]
