"""Contract §9 notifications through the API: rules (validated, managers only), in-app
notifications on create/update, bulk changes and imports per record or as one digest, the
read marks, and mentions and waiting users without a rule."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "名称", "type": "text", "code": "name"},
          {"name": "金額", "type": "number", "code": "amount"},
          {"name": "担当", "type": "user", "code": "owner"},
          {"name": "期限", "type": "date", "code": "due"}]


def _setup(api: ApiClient, make_client: Any, rules: list[dict[str, Any]],
           **document: Any) -> tuple[int, ApiClient]:
    staff = make_client("tanaka", name="田中")
    lid = make_ledger(api, "貸出物品台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions",
            {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    resp = api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": rules, **document})
    assert resp.status == 200, resp.body
    return lid, staff


def _unread(client: ApiClient) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/notifications", {"unread": "1"})
    assert resp.status == 200, resp.body
    return resp.body["items"]  # type: ignore[no-any-return]


def test_rules_round_trip_and_refuse_bad_input(api: ApiClient, make_client: Any) -> None:
    lid, staff = _setup(api, make_client, [
        {"on": "create", "to": {"user": "tanaka"}},
        {"on": "update", "to": {"field": "owner"}, "field": "amount", "mail": True},
        {"on": "date", "to": {"creator": True}, "field": "due", "days_before": 3,
         "filter": "amount:ge:10"}])
    got = api.get(f"/api/v1/ledgers/{lid}/notifications").body
    assert got["digest_over"] == 20
    assert got["rules"][0] == {"on": "create", "to": {"user": "tanaka"}, "mail": False}
    assert got["rules"][2]["days_before"] == 3
    base = f"/api/v1/ledgers/{lid}/notifications"
    bad = [
        ({"rules": [{"on": "delete", "to": {"everyone": True}}]}, "rules[0].on"),
        ({"rules": [{"on": "date", "to": {"everyone": True}, "field": "name"}]},
         "rules[0].field"),
        ({"rules": [{"on": "date", "to": {"everyone": True}, "field": "due",
                     "days_before": -1}]}, "rules[0].days_before"),
        ({"rules": [{"on": "create", "to": {"field": "amount"}}]}, "rules[0].to.field"),
        ({"rules": [{"on": "create", "to": {"user": "ghost"}}]}, "rules[0].to.user"),
        ({"rules": [{"on": "update", "to": {"everyone": True}, "filter": "nope:eq:1"}]},
         "rules[0].filter"),
        ({"rules": [{"on": "create", "to": {"everyone": True}, "mail": "yes"}]},
         "rules[0].mail"),
        ({"rules": [{"on": "create", "to": {"everyone": True}, "extra": 1}]}, "rules[0]"),
        ({"rules": [], "digest_over": 0}, "digest_over"),
        ({"rules": "all"}, "rules"),
    ]
    for body, at in bad:
        resp = api.put(base, body)
        assert resp.status == 400, body
        assert resp.body["error"]["code"] == "invalid_notification_rules"
        assert resp.body["error"]["details"]["at"] == at, (body, resp.body)
        assert resp.body["error"]["message"]
    assert api.get(base).body["rules"] == got["rules"]  # nothing was written
    # Managers only: a viewer is told the rules do not exist for them.
    assert staff.get(base).status == 404
    assert staff.put(base, {"rules": []}).status == 404


def test_create_and_update_rules_notify_in_the_app(api: ApiClient, make_client: Any) -> None:
    lid, staff = _setup(api, make_client, [
        {"on": "create", "to": {"user": "tanaka"}},
        {"on": "update", "to": {"user": "tanaka"}, "field": "amount"}])
    base = f"/api/v1/ledgers/{lid}/records"
    rec = api.post(base, {"values": {"name": "プロジェクター", "amount": 1}}).body
    items = _unread(staff)
    assert [(n["kind"], n["ledger"], n["record"], n["read"]) for n in items] == [
        ("create", lid, rec["id"], False)]
    assert "貸出物品台帳" in items[0]["text"] and "プロジェクター" in items[0]["text"]
    # A change of another field: the `field` rule stays silent.
    api.patch(f"{base}/{rec['id']}", {"revision": 1, "values": {"name": "投影機"}})
    assert len(_unread(staff)) == 1
    api.patch(f"{base}/{rec['id']}", {"revision": 2, "values": {"amount": 2}})
    items = _unread(staff)
    assert [n["kind"] for n in items] == ["update", "create"]
    assert "金額" in items[0]["text"]
    assert staff.get("/api/v1/notifications/count").body == {"unread": 2}
    # Read one, then all; someone else's notification is not found.
    other = make_client("other")
    assert other.post(f"/api/v1/notifications/{items[0]['id']}/read").status == 404
    assert staff.post("/api/v1/notifications/abc/read").status == 404
    read = staff.post(f"/api/v1/notifications/{items[0]['id']}/read")
    assert read.status == 200 and read.body["read"] is True
    assert [n["id"] for n in _unread(staff)] == [items[1]["id"]]
    assert staff.post("/api/v1/notifications/read").body == {"read": 1}
    assert _unread(staff) == []
    assert len(staff.get("/api/v1/notifications").body["items"]) == 2
    # The writer is not told about their own change.
    assert _unread(api) == []


def test_bulk_and_import_notify_per_record_or_as_one_digest(api: ApiClient,
                                                            make_client: Any) -> None:
    lid, staff = _setup(api, make_client, [{"on": "create", "to": {"everyone": True}},
                                           {"on": "update", "to": {"user": "tanaka"}}],
                        digest_over=2)
    base = f"/api/v1/ledgers/{lid}/records"
    resp = api.post(f"{base}/bulk", {"create": [{"values": {"name": "A"}},
                                                {"values": {"name": "B"}}]})
    assert resp.status == 200, resp.body
    assert [n["kind"] for n in _unread(staff)] == ["create", "create"]
    staff.post("/api/v1/notifications/read")
    resp = api.post(f"{base}/bulk", {"create": [{"values": {"name": n}} for n in "CDE"]})
    assert resp.status == 200
    items = _unread(staff)
    assert [(n["kind"], n["record"]) for n in items] == [("digest", None)]
    assert "3" in items[0]["text"]
    staff.post("/api/v1/notifications/read")
    csv = "名称,金額\r\n机,1\r\n椅子,2\r\n棚,3\r\n".encode()
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("物品.csv", csv),
                                          "ledger": str(lid), "mode": "append"})
    assert resp.status == 200, resp.body
    items = _unread(staff)
    assert [n["kind"] for n in items] == ["digest"] and "3" in items[0]["text"]


def test_mentions_and_waiting_users_are_told_without_a_rule(api: ApiClient,
                                                            make_client: Any) -> None:
    from django.contrib.auth import get_user_model

    from daicho.selectors.ledgers import load_schema
    from daicho.services import events

    staff = make_client("tanaka")
    stranger = make_client("yamada")
    lid = make_ledger(api, "監査指摘", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions",
            {"rules": [{"subject": {"user": "tanaka"}, "rights": ["view"]}]})
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "指摘1"}}).body["id"]
    users = {u.username: u.id for u in get_user_model().objects.all()}
    schema = load_schema(lid)
    assert schema is not None
    with transaction.atomic():
        events.emit(schema, [
            events.RecordEvent(action="comment", ledger_id=lid, record_id=rid, revision=1,
                               user_id=users["admin"],
                               extra={"comment_id": 1, "text": "@tanaka 確認をお願いします",
                                      "mentions": [users["tanaka"], users["yamada"], "tanaka",
                                                   None]}),
            events.RecordEvent(action="status", ledger_id=lid, record_id=rid, revision=2,
                               user_id=users["admin"],
                               extra={"from": "未処理", "to": "承認待ち", "action": "申請",
                                      "comment": "", "waiting": [users["tanaka"]]})])
    items = _unread(staff)
    assert [n["kind"] for n in items] == ["waiting", "mention"]
    assert "確認をお願いします" in items[1]["text"] and "承認待ち" in items[0]["text"]
    # yamada was mentioned but may not view the record: nothing.
    assert _unread(stranger) == []


def test_a_ledger_without_rules_adds_no_query_to_a_write(api: ApiClient) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daicho.services.notifications import on_events

    lid = make_ledger(api, "静かな台帳", FIELDS)["id"]
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}}).body["id"]
    from daicho.selectors.ledgers import load_schema
    from daicho.services.events import RecordEvent

    schema = load_schema(lid)
    assert schema is not None
    with CaptureQueriesContext(connection) as queries:
        on_events(schema, [RecordEvent(action="update", ledger_id=lid, record_id=rid,
                                       revision=2, user_id=None, changes={"name": {}})])
    assert len(queries) == 0


def test_telling_a_whole_department_costs_the_same_for_10_or_30_people(
        api: ApiClient, make_client: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daicho.models import Notification

    api.post("/api/v1/orgs", {"code": "300", "name": "会計課"})
    lid = make_ledger(api, "会計台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"org": "300", "include_children": False}, "rights": ["view"],
         "fields": {"amount": "hidden"}}]})
    api.put(f"/api/v1/ledgers/{lid}/notifications",
            {"rules": [{"on": "update", "to": {"org": "300", "include_children": False}}]})
    base = f"/api/v1/ledgers/{lid}/records"
    rec = api.post(base, {"values": {"name": "A"}}).body
    counts = []
    for n, people in enumerate((10, 30)):
        for k in range(10 if n else 0, people):
            make_client(f"kaikei{k}", org="300")
        with CaptureQueriesContext(connection) as queries:
            resp = api.patch(f"{base}/{rec['id']}", {"revision": rec["revision"],
                                                      "values": {"name": f"B{n}"}})
        assert resp.status == 200, resp.body
        rec = resp.body
        counts.append(len(queries))
        assert Notification.objects.filter(record_id=rec["id"], kind="update").count() == \
            (10 if n == 0 else 40)
    assert counts[0] == counts[1], counts


def test_hostile_parameters_get_a_clear_400_or_404(api: ApiClient) -> None:
    for params in ({"limit": "abc"}, {"before": "-1"}, {"before": str(10**30)}):
        resp = api.get("/api/v1/notifications", params)
        assert resp.status == 400 and resp.body["error"]["code"] == "invalid_parameter", params
    assert api.post(f"/api/v1/notifications/{10**30}/read").status == 404
    assert api.post(f"/api/v1/mail/outbox/{10**30}/retry").status == 404
    assert api.get("/api/v1/mail/outbox", {"status": "lost"}).status == 400
    resp = api.put("/api/v1/me/mail", {"daily_digest": "yes"})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_daily_digest"
    assert api.put("/api/v1/me/mail", {"colour": "red"}).status == 400
