"""Point 6 of issue 12: every surface that reads a sensitive ledger's records is logged, because
the logging hangs on the gate (access.ledger_for → audit.opened) and a middleware, not on each
view remembering a call. The totals row of the web list was the surface that had forgotten."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import ApiClient
from tests.permissions.conftest import World


def _reads(ledger_id: int, since: int) -> list[tuple[str, str, dict[str, Any]]]:
    from daicho.models import AuditEvent

    return [(e.user, e.action, e.details) for e in AuditEvent.objects.filter(
        target=f"ledger:{ledger_id}", seq__gt=since,
        action__in=("view_list", "view_record", "view_file", "export")).order_by("seq")]


def _last_seq() -> int:
    from daicho.models import AuditEvent

    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _browser(login: str) -> Client:
    from django.contrib.auth import get_user_model

    web = Client()
    web.force_login(get_user_model().objects.get(username=login))
    return web


def test_every_read_surface_logs(world: World) -> None:
    world.rules([{"subject": {"org": "110", "include_children": True},
                  "rights": ["view", "export"]}])
    assert world.api.patch(world.base, {"sensitive": True}).status == 200
    somu, web = world.clients["somu"], _browser("somu")
    lid, rid = world.ledger_id, world.ids["庁舎"]
    cursor = world.api.get(f"{world.base}/records", {"limit": 1}).body["next_cursor"]
    api_reads = [
        (f"{world.base}/records", {}, "view_list"),
        (f"{world.base}/records", {"q": "庁"}, "view_list"),  # search
        (f"{world.base}/records/{rid}", {}, "view_record"),
        (f"{world.base}/records/{rid}/history", {}, "view_record"),
        (f"{world.base}/aggregate", {"group_by": "kind"}, "view_list"),
        (f"{world.base}/crosstab", {"rows": "kind", "columns": "dept"}, "view_list"),
        (f"{world.base}/export", {"format": "csv"}, "export"),
    ]
    web_reads = [
        (f"/ledgers/{lid}/", {"q": "庁"}, "view_list"),
        (f"/ledgers/{lid}/records/{rid}/", {}, "view_record"),
        (f"/ledgers/{lid}/records/{rid}/history", {}, "view_record"),
        (f"/ledgers/{lid}/totals", {"q": "庁"}, "view_list"),
        (f"/ledgers/{lid}/chart", {"group_by": "kind"}, "view_list"),
        (f"/ledgers/{lid}/chart", {"kind": "crosstab", "group_by": "kind", "columns": "dept"},
         "view_list"),
        (f"/ledgers/{lid}/chart/crosstab.xlsx", {"kind": "crosstab", "group_by": "kind",
                                                 "columns": "dept"}, "export"),
        (f"/ledgers/{lid}/trash", {}, "view_list"),
        (f"/ledgers/{lid}/fields/kind/filter", {"s": "1"}, "view_list"),  # a column's values
        (f"/ledgers/{lid}/records/{rid}/print", {}, "view_record"),  # printouts
        (f"/ledgers/{lid}/print", {"s": "1", "q": "庁"}, "view_list"),
        # The rows the list's continuous scroll reads after the first one.
        (f"/ledgers/{lid}/rows", {"s": "1", "after": cursor}, "view_list"),
    ]
    for client, reads in ((somu.client, api_reads), (web, web_reads)):
        for path, params, action in reads:
            before = _last_seq()
            resp = client.get(path, params)
            assert resp.status_code == 200, (path, resp.status_code)
            logged = _reads(lid, before)
            assert [(u, a) for u, a, _d in logged] == [("somu", action)], (path, logged)
            details = logged[0][2]
            if action != "export":
                assert details["path"] == path, path
            if action == "view_record":
                assert details["record"] == rid, path
    # The totals row names its conditions, as the list it belongs to does.
    before = _last_seq()
    web.get(f"/ledgers/{lid}/totals", {"q": "庁"})
    assert _reads(lid, before)[0][2]["query"] == "q=%E5%BA%81"


def test_what_reads_nothing_logs_nothing(world: World) -> None:
    world.api.patch(world.base, {"sensitive": True})
    lid, rid = world.ledger_id, world.ids["庁舎"]
    web = _browser("admin")
    before = _last_seq()
    # A write is in the history, not the access log; a refused read showed nothing.
    assert world.api.patch(f"{world.base}/records/{rid}", {
        "revision": 2, "values": {"amount": 1}}).status == 200
    assert world.clients["fukushi"].get(f"{world.base}/records").status == 404
    assert web.get(f"/ledgers/{lid}/records/99999/").status_code == 404
    # The home page opens the ledger only to leave it out of the recent changes; the ledger's
    # definition holds no record.
    assert web.get("/").status_code == 200
    assert world.api.get(world.base).status == 200
    # An applied filter popup only redirects to the list page (whose read is logged).
    assert web.get(f"/ledgers/{lid}/", {"s": "1", "fx": "kind", "fx:kind:pick": "in",
                                        "fx:kind:v": "土地"}).status_code == 302
    assert _reads(lid, before) == []


def test_a_sensitive_ledger_read_through_another_page_is_logged(world: World,
                                                                api: ApiClient) -> None:
    """The link picker of another ledger lists the sensitive one's records: logged as a list
    read of the sensitive ledger, not as a record of the page's own ledger."""
    world.api.patch(world.base, {"sensitive": True})
    source = api.post("/api/v1/ledgers", {"name": "参照元", "fields": [
        {"name": "財産", "type": "link", "code": "asset",
         "options": {"ledger": world.ledger_id}}]}).body
    before = _last_seq()
    web = _browser("admin")
    assert web.get(f"/ledgers/{source['id']}/fields/asset/pick", {"q": "倉"}).status_code == 200
    logged = _reads(world.ledger_id, before)
    assert [(u, a) for u, a, _d in logged] == [("admin", "view_list")]
    assert _reads(source["id"], before) == []  # that ledger is not sensitive
