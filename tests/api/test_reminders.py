"""Date reminders (contract §9): `days_before` days before the date in a record's field, once
per (rule, record, date value) — repeated runs, the job, the command and a changed date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "物品名", "type": "text", "code": "name"},
          {"name": "担当", "type": "user", "code": "owner"},
          {"name": "返却予定日", "type": "date", "code": "due"},
          {"name": "点検日時", "type": "datetime", "code": "check_at"}]


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _texts(client: ApiClient) -> list[str]:
    return [n["text"] for n in client.get("/api/v1/notifications").body["items"]]


def _ledger(api: ApiClient, make_client: Any) -> tuple[int, ApiClient, ApiClient]:
    tanaka = make_client("tanaka")
    suzuki = make_client("suzuki")
    lid = make_ledger(api, "貸出物品台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "tanaka"}, "rights": ["view"]},
        {"subject": {"user": "suzuki"}, "rights": ["view"], "fields": {"due": "hidden"}}]})
    resp = api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "date", "to": {"field": "owner"}, "field": "due", "days_before": 3},
        {"on": "date", "to": {"user": "suzuki"}, "field": "due", "days_before": 3}]})
    assert resp.status == 200, resp.body
    return lid, tanaka, suzuki


def test_a_reminder_fires_once_per_record_and_date(api: ApiClient, make_client: Any,
                                                   cli: Any) -> None:
    from daicho import jobs
    from daicho.services.reminders import enqueue_reminders, run_reminders

    lid, tanaka, suzuki = _ledger(api, make_client)
    base = f"/api/v1/ledgers/{lid}/records"
    due = {name: api.post(base, {"values": {"name": name, "owner": "tanaka", "due": day}}
                          ).body for name, day in [
        ("プロジェクター", _day(2)), ("三脚", _day(3)), ("机", _day(0)), ("椅子", _day(4)),
        ("棚", _day(-1))]}
    api.post(base, {"values": {"name": "日付なし", "owner": "tanaka"}})
    assert run_reminders()["notifications"] == 3
    texts = _texts(tanaka)
    assert len(texts) == 3
    assert any("プロジェクター" in t and "あと 2 日" in t and "返却予定日" in t for t in texts)
    assert any("机" in t and "本日" in t for t in texts)
    # suzuki may view the records but not the date: nothing.
    assert _texts(suzuki) == []
    # Again, as the job, and as the command: nothing new.
    assert run_reminders()["notifications"] == 0
    enqueue_reminders()
    assert jobs.run_pending() == 1
    result = cli("reminders", "run", "--json")
    assert result.code == 0, result.err
    assert result.json["notifications"] == 0
    assert len(_texts(tanaka)) == 3
    # A new date for a reminded record is a new reminder, once.
    rec = due["三脚"]
    api.patch(f"{base}/{rec['id']}", {"revision": rec["revision"], "values": {"due": _day(1)}})
    assert run_reminders()["notifications"] == 1
    assert run_reminders()["notifications"] == 0
    assert len(_texts(tanaka)) == 4


def test_a_datetime_field_and_a_filter(api: ApiClient, make_client: Any) -> None:
    from daicho.services.reminders import run_reminders

    tanaka = make_client("tanaka")
    lid = make_ledger(api, "点検台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions",
            {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    assert api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "date", "to": {"user": "tanaka"}, "field": "check_at", "days_before": 1,
         "filter": "name:contains:空調"}]}).status == 200
    base = f"/api/v1/ledgers/{lid}/records"
    soon = f"{_day(1)}T23:30:00+09:00"
    api.post(base, {"values": {"name": "空調設備", "check_at": soon}})
    api.post(base, {"values": {"name": "照明", "check_at": soon}})
    api.post(base, {"values": {"name": "空調2", "check_at": f"{_day(2)}T00:30:00+09:00"}})
    assert run_reminders()["notifications"] == 1
    [text] = _texts(tanaka)
    assert "空調設備" in text and _day(1) in text
