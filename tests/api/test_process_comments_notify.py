"""Issue 16 end to end across its parts: a process action tells the people it now waits for, a
comment's @mention tells the person mentioned, both in the bell and by mail through a real SMTP
server — and nobody hears of a record they may not see."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, make_ledger

PROCESS = {
    "enabled": True, "statuses": ["申請中", "承認待ち", "承認済"], "initial": "申請中",
    "actions": [{"name": "申請", "from": "申請中", "to": "承認待ち", "by": {"creator": True}},
                {"name": "承認", "from": "承認待ち", "to": "承認済", "by": {"user": "boss"}}]}


def _unread(client: ApiClient) -> list[dict[str, Any]]:
    body = client.get("/api/v1/notifications", {"unread": 1}).body
    return body["items"]  # type: ignore[no-any-return]


def test_actions_and_mentions_reach_the_right_people(api: ApiClient, make_client: Any) -> None:
    staff, boss, outsider = (make_client(login) for login in ("staff", "boss", "outsider"))
    lid = make_ledger(api, "備品購入", [{"name": "品名", "type": "text", "code": "name"}])["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 200
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "staff"}, "rights": ["view", "add", "edit"]},
        {"subject": {"user": "boss"}, "rights": ["view"]}]})
    rec = staff.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "プロジェクター"}}).body
    base = f"/api/v1/ledgers/{lid}/records/{rec['id']}"
    moved = staff.post(f"{base}/actions", {"action": "申請", "revision": rec["revision"]})
    assert moved.status == 200 and moved.body["status"] == "承認待ち"
    waiting = _unread(boss)
    assert [(n["kind"], n["record"]) for n in waiting] == [("waiting", rec["id"])]
    assert "承認待ち" in waiting[0]["text"]
    # A mention of someone who may see the record tells them; of an outsider, nobody.
    said = staff.post(f"{base}/comments", {"text": "@boss 至急お願いします。@outsider"})
    assert said.status == 201 and said.body["mentions"] == ["boss"]
    kinds = [n["kind"] for n in _unread(boss)]
    assert sorted(kinds) == ["mention", "waiting"]
    assert _unread(outsider) == []
    # A status rule tells the applicant when the boss approves; the outsider still hears nothing.
    assert api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "status", "to": {"creator": True}, "mail": False}]}).status == 200
    current = staff.get(base).body
    approved = boss.post(f"{base}/actions", {"action": "承認", "revision": current["revision"]})
    assert approved.body["status"] == "承認済"
    told = [n for n in _unread(staff) if n["kind"] == "status"]
    assert len(told) == 1 and "承認済" in told[0]["text"]
    assert _unread(outsider) == []
