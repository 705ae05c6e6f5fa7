"""Process management (contract §8) through the API: the definition and its validation, versions,
the status in RECORD and as a pseudo field, and taking actions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from daicho.services import events
from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "件名", "type": "text", "code": "title", "required": True},
          {"name": "金額", "type": "number", "code": "amount"},
          {"name": "担当者", "type": "user", "code": "owner"}]

PROCESS: dict[str, Any] = {
    "enabled": True,
    "statuses": ["未処理", "承認待ち", "承認済", "差戻し"],
    "initial": "未処理",
    "actions": [
        {"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}},
        {"name": "承認", "from": "承認待ち", "to": "承認済", "by": {"user": "boss"}},
        {"name": "差戻し", "from": "承認待ち", "to": "差戻し", "by": {"user": "boss"},
         "comment_required": True},
        {"name": "再申請", "from": "差戻し", "to": "承認待ち", "by": {"creator": True}},
    ],
}


@pytest.fixture
def heard() -> Iterator[list[events.RecordEvent]]:
    got: list[events.RecordEvent] = []

    def listener(schema: Any, batch: Sequence[events.RecordEvent]) -> None:
        got.extend(batch)

    events.listen(listener)
    try:
        yield got
    finally:
        events._listeners.remove(listener)


@pytest.fixture
def people(api: ApiClient, make_client: Any) -> dict[str, ApiClient]:
    return {login: make_client(login) for login in ("staff", "boss", "other")}


def _ledger(api: ApiClient, people: dict[str, ApiClient]) -> int:
    lid = int(make_ledger(api, "申請台帳", FIELDS)["id"])
    resp = api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    assert resp.status == 200, resp.body
    return lid


def test_put_and_get_process(api: ApiClient, people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    assert api.get(f"/api/v1/ledgers/{lid}/process").body == {
        "enabled": False, "statuses": [], "initial": None, "actions": [], "version": 0}
    resp = api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    assert resp.status == 200, resp.body
    assert resp.body["version"] == 1 and resp.body["statuses"] == PROCESS["statuses"]
    assert resp.body["actions"][0] == PROCESS["actions"][0]
    assert api.get(f"/api/v1/ledgers/{lid}/process").body == resp.body
    # The same definition again is no new version; a changed one is.
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).body["version"] == 1
    changed = {**PROCESS, "statuses": [*PROCESS["statuses"], "取下げ"],
               "actions": [*PROCESS["actions"],
                           {"name": "取下げ", "from": "未処理", "to": "取下げ",
                            "by": {"creator": True}}]}
    assert api.put(f"/api/v1/ledgers/{lid}/process", changed).body["version"] == 2


def test_only_managers_see_and_change_the_process(api: ApiClient,
                                                  people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    assert people["staff"].get(f"/api/v1/ledgers/{lid}/process").status == 404
    assert people["staff"].put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 404


@pytest.mark.parametrize(("change", "at", "words"), [
    ({"statuses": ["未処理", "未処理"]}, "statuses[1]", "2回"),
    ({"initial": "完了"}, "initial", "初期"),
    ({"actions": [{"name": "申請", "from": "下書き", "to": "承認待ち", "by": {"creator": True}}]},
     "actions[0].from", "下書き"),
    ({"actions": [{"name": "申請", "from": "未処理", "to": "完了", "by": {"creator": True}}]},
     "actions[0].to", "完了"),
    ({"actions": [{"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"creator": True}}]},
     "actions", "到達"),
    ({"actions": [*PROCESS["actions"], PROCESS["actions"][0]]}, "actions[4]", "2回"),
    ({"actions": [{**PROCESS["actions"][0], "by": {"field": "title"}}]}, "actions[0].by.field",
     "title"),
    ({"actions": [{**PROCESS["actions"][0], "by": {"user": "nobody-here"}}]},
     "actions[0].by.user", "nobody-here"),
    ({"actions": [{**PROCESS["actions"][0], "condition": "amount:zz:1"}]},
     "actions[0].condition", "申請"),
    ({"actions": [{**PROCESS["actions"][0], "mode": "n_of_m"}]}, "actions[0].count", "count"),
    ({"statuses": []}, "statuses", "statuses"),
    ({"enabled": "yes"}, "enabled", "enabled"),
])
def test_a_bad_process_is_refused_with_its_reason(api: ApiClient, people: dict[str, ApiClient],
                                                  change: dict[str, Any], at: str,
                                                  words: str) -> None:
    lid = _ledger(api, people)
    resp = api.put(f"/api/v1/ledgers/{lid}/process", {**PROCESS, **change})
    assert resp.status == 400, resp.body
    error = resp.body["error"]
    assert error["code"] == "invalid_process" and error["details"]["at"] == at
    assert words in error["message"]
    assert api.get(f"/api/v1/ledgers/{lid}/process").body["version"] == 0


def test_unknown_keys_are_refused(api: ApiClient, people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    assert api.put(f"/api/v1/ledgers/{lid}/process", {**PROCESS, "x": 1}).status == 400
    bad = {**PROCESS, "actions": [{**PROCESS["actions"][0], "colour": "red"}]}
    assert api.put(f"/api/v1/ledgers/{lid}/process", bad).body["error"]["code"] == \
        "invalid_process"


def test_enabling_puts_existing_records_in_the_initial_status(
        api: ApiClient, people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    base = f"/api/v1/ledgers/{lid}/records"
    old = api.post(base, {"values": {"title": "前から"}}).body
    assert "status" not in old
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    assert api.get(f"{base}/{old['id']}").body["status"] == "未処理"
    new = api.post(base, {"values": {"title": "新しい"}}).body
    assert new["status"] == "未処理" and new["revision"] == 1
    api.put(f"/api/v1/ledgers/{lid}/process", {**PROCESS, "enabled": False})
    assert "status" not in api.get(f"{base}/{old['id']}").body


def test_a_field_coded_status_blocks_a_process(api: ApiClient,
                                               people: dict[str, ApiClient]) -> None:
    lid = make_ledger(api, "状態あり", [{"name": "状態", "type": "text", "code": "status"}])["id"]
    resp = api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    assert resp.status == 400 and "status" in resp.body["error"]["message"]


def test_status_filters_and_sorts(api: ApiClient, people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    ids = [people["staff"].post(base, {"values": {"title": t}}).body["id"] for t in "ABC"]
    moved = people["staff"].post(f"{base}/{ids[1]}/actions", {"action": "申請", "revision": 1})
    assert moved.status == 200, moved.body
    assert moved.body["status"] == "承認待ち" and moved.body["revision"] == 2
    waiting = api.get(base, {"filter": "status:eq:承認待ち"}).body["items"]
    assert [r["id"] for r in waiting] == [ids[1]]
    assert len(api.get(base, {"filter": "status:in:未処理,承認済"}).body["items"]) == 2
    ordered = api.get(base, {"sort": "-status"}).body["items"]
    assert [r["status"] for r in ordered] == ["未処理", "未処理", "承認待ち"]
    counts = api.get(f"/api/v1/ledgers/{lid}/aggregate", {"group_by": "status"}).body
    assert {g["key"]: g["value"] for g in counts["groups"]} == {"未処理": 2, "承認待ち": 1}
    # status is not a field: it is never written through values.
    resp = api.patch(f"{base}/{ids[0]}", {"revision": 1, "values": {"status": "承認済"}})
    assert resp.status == 400
    assert api.post(f"/api/v1/ledgers/{lid}/fields",
                    {"name": "状態", "type": "text", "code": "status"}).status == 400


def test_rights_follow_the_status(api: ApiClient, people: dict[str, ApiClient]) -> None:
    """Record rules on `status` (contract §5, §8): staff edit only what is still 未処理."""
    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    resp = api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add"]},
        {"subject": {"everyone": True}, "rights": ["edit"], "records": {"filter": "status:eq:未処理"}},
    ]})
    assert resp.status == 200, resp.body
    staff = people["staff"]
    rid = staff.post(base, {"values": {"title": "備品購入"}}).body["id"]
    assert staff.patch(f"{base}/{rid}", {"revision": 1, "values": {"amount": 100}}).status == 200
    assert staff.post(f"{base}/{rid}/actions", {"action": "申請", "revision": 2}).status == 200
    refused = staff.patch(f"{base}/{rid}", {"revision": 3, "values": {"amount": 200}})
    assert refused.status == 404
    assert api.get(f"{base}/{rid}").body["values"]["amount"] == 100


def test_taking_actions(api: ApiClient, people: dict[str, ApiClient],
                        heard: list[events.RecordEvent]) -> None:
    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    staff, boss, other = people["staff"], people["boss"], people["other"]
    rid = staff.post(base, {"values": {"title": "出張申請"}}).body["id"]
    offered = staff.get(f"{base}/{rid}/actions").body
    assert offered["status"] == "未処理" and [a["name"] for a in offered["items"]] == ["申請"]
    assert boss.get(f"{base}/{rid}/actions").body["items"] == []
    # Not the creator: 403; stale revision: 409; wrong status: 409; unknown action: 400.
    refused = other.post(f"{base}/{rid}/actions", {"action": "申請", "revision": 1})
    assert refused.status == 403 and refused.body["error"]["code"] == "action_not_allowed"
    assert staff.post(f"{base}/{rid}/actions", {"action": "申請", "revision": 9}).status == 409
    wrong = staff.post(f"{base}/{rid}/actions", {"action": "承認", "revision": 1})
    assert wrong.status == 409 and wrong.body["error"]["code"] == "conflict"
    assert wrong.body["error"]["details"]["current"]["status"] == "未処理"
    assert staff.post(f"{base}/{rid}/actions", {"action": "飛ばす", "revision": 1}).status == 400
    assert staff.post(f"{base}/{rid}/actions", {"action": "申請"}).status == 400
    heard.clear()
    done = staff.post(f"{base}/{rid}/actions", {"action": "申請", "revision": 1,
                                                "comment": "お願いします"})
    assert done.status == 200 and done.body["status"] == "承認待ち"
    [event] = heard
    boss_id = _uid("boss")
    assert event.action == "status" and event.revision == 2
    assert event.extra == {"from": "未処理", "to": "承認待ち", "action": "申請",
                           "comment": "お願いします", "waiting": [boss_id]}
    # 差戻し needs a comment.
    resp = boss.post(f"{base}/{rid}/actions", {"action": "差戻し", "revision": 2})
    assert resp.status == 400 and resp.body["error"]["code"] == "comment_required"
    assert boss.post(f"{base}/{rid}/actions", {"action": "承認", "revision": 2}).status == 200
    history = api.get(f"{base}/{rid}/history").body["items"]
    assert [h["action"] for h in history] == ["status", "status", "create"]
    assert history[1]["changes"] == {"status": {"old": "未処理", "new": "承認待ち",
                                                "action": "申請", "comment": "お願いします"}}
    assert history[0]["by"] == "boss"
    assert boss.get(f"{base}/{rid}/actions").body["items"] == []


def test_actions_need_view_and_404_otherwise(api: ApiClient,
                                             people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    rid = people["staff"].post(base, {"values": {"title": "内緒"}}).body["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "staff"}, "rights": ["view"], "records": {"creator": True}},
        {"subject": {"user": "boss"}, "rights": ["view"], "records": {"filter": "status:eq:承認待ち"}},
    ]})
    assert people["boss"].get(f"{base}/{rid}/actions").status == 404
    assert people["other"].post(f"{base}/{rid}/actions",
                                {"action": "申請", "revision": 1}).status == 404
    # Taking an action needs view, not edit: staff holds view only.
    assert people["staff"].post(f"{base}/{rid}/actions",
                                {"action": "申請", "revision": 1}).status == 200
    assert people["boss"].get(f"{base}/{rid}/actions").body["items"][0]["name"] == "承認"


def test_field_subject_and_condition(api: ApiClient, people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    process = {**PROCESS, "actions": [
        {"name": "申請", "from": "未処理", "to": "承認待ち", "by": {"field": "owner"},
         "condition": "amount:le:10000"},
        {"name": "承認", "from": "承認待ち", "to": "承認済", "by": {"everyone": True}},
        {"name": "差戻し", "from": "承認待ち", "to": "差戻し", "by": {"everyone": True}},
        {"name": "再申請", "from": "差戻し", "to": "承認待ち", "by": {"field": "owner"}},
    ]}
    assert api.put(f"/api/v1/ledgers/{lid}/process", process).status == 200
    base = f"/api/v1/ledgers/{lid}/records"
    rid = api.post(base, {"values": {"title": "高額", "amount": 50000, "owner": "other"}}).body["id"]
    assert people["other"].get(f"{base}/{rid}/actions").body["items"] == []
    assert people["other"].post(f"{base}/{rid}/actions",
                                {"action": "申請", "revision": 1}).status == 403
    api.patch(f"{base}/{rid}", {"revision": 1, "values": {"amount": 8000}})
    assert people["staff"].post(f"{base}/{rid}/actions",
                                {"action": "申請", "revision": 2}).status == 403
    assert people["other"].post(f"{base}/{rid}/actions",
                                {"action": "申請", "revision": 2}).status == 200


def test_records_keep_the_version_they_started_with(api: ApiClient,
                                                    people: dict[str, ApiClient]) -> None:
    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    staff = people["staff"]
    old = staff.post(base, {"values": {"title": "旧"}}).body["id"]
    # Version 2: 申請 now goes to 課長確認 first, by someone else.
    v2 = {**PROCESS, "statuses": [*PROCESS["statuses"], "課長確認"], "actions": [
        {"name": "申請", "from": "未処理", "to": "課長確認", "by": {"user": "other"}},
        {"name": "確認", "from": "課長確認", "to": "承認待ち", "by": {"user": "boss"}},
        *PROCESS["actions"][1:]]}
    assert api.put(f"/api/v1/ledgers/{lid}/process", v2).body["version"] == 2
    new = staff.post(base, {"values": {"title": "新"}}).body["id"]
    assert staff.post(f"{base}/{old}/actions", {"action": "申請", "revision": 1}).body[
        "status"] == "承認待ち"
    assert staff.post(f"{base}/{new}/actions", {"action": "申請", "revision": 1}).status == 403
    assert people["other"].post(f"{base}/{new}/actions", {"action": "申請", "revision": 1}).body[
        "status"] == "課長確認"


def _uid(login: str) -> int:
    from django.contrib.auth import get_user_model

    return int(get_user_model().objects.get(username=login).pk)


def test_imported_and_bulk_records_start_in_the_initial_status(
        api: ApiClient, people: dict[str, ApiClient]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    lid = _ledger(api, people)
    api.put(f"/api/v1/ledgers/{lid}/process", PROCESS)
    base = f"/api/v1/ledgers/{lid}/records"
    csv = "件名,金額\r\n机,100\r\n椅子,200\r\n".encode()
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("備品.csv", csv),
                                          "ledger": str(lid)})
    assert resp.status == 200, resp.body
    made = api.post(f"{base}/bulk", {"create": [{"values": {"title": "棚"}}]})
    assert made.body["created"][0]["status"] == "未処理"
    items = api.get(base, {"filter": "status:eq:未処理"}).body["items"]
    assert sorted(r["values"]["title"] for r in items) == ["机", "棚", "椅子"]
