"""Issue 16: the process status in print forms — {{status}} and {{ステータス}} are known
placeholders in a ledger with a process (refused without one), filled per record in a form
for one record and in a list."""

from __future__ import annotations

from typing import Any

from tests.api.test_print_forms import _sheet, _template, _upload
from tests.conftest import ApiClient, make_ledger

PROCESS = {"enabled": True, "statuses": ["未処理", "承認済"], "initial": "未処理",
           "actions": [{"name": "承認", "from": "未処理", "to": "承認済", "by": {"user": "admin"}}]}


def test_status_placeholders(api: ApiClient) -> None:
    lid = make_ledger(api, "購入申請", [{"name": "品名", "type": "text", "code": "name"}])["id"]
    form = _template({"A1": "{{name}}", "B1": "状態：{{ステータス}}", "C1": "{{status}}"})
    refused = _upload(api, lid, form)
    assert refused.status == 400 and refused.body["error"]["code"] == "invalid_form"
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 200
    ids = [api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": n}}).body["id"]
           for n in ("机", "椅子")]
    assert api.post(f"/api/v1/ledgers/{lid}/records/{ids[0]}/actions",
                    {"action": "承認", "revision": 1}).status == 200
    saved = _upload(api, lid, form)
    assert saved.status == 201, saved.body
    fid = saved.body["id"]
    one = api.client.get(f"/api/v1/ledgers/{lid}/records/{ids[0]}/print",
                         {"form": fid, "format": "xlsx"})
    assert one.status_code == 200
    assert _sheet(one.content)[0][:3] == ["机", "状態：承認済", "承認済"]
    listed = api.client.get(f"/api/v1/ledgers/{lid}/print",
                            {"form": fid, "format": "xlsx", "sort": "name"})
    rows: list[Any] = _sheet(listed.content)
    assert [r[:3] for r in rows[:2]] == [["机", "状態：承認済", "承認済"],
                                        ["椅子", "状態：未処理", "未処理"]]
