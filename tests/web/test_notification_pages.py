"""The bell, the notification list (with one's mail settings), a ledger's notification rules
screen and the admins' mail queue: through Django's test client, then in the browser."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import ApiClient, make_ledger, run_daicho
from tests.web.conftest import Server, html_has_no_inline_code, shot, unique

FIELDS = [{"name": "物品名", "type": "text", "code": "name"},
          {"name": "担当", "type": "user", "code": "owner"},
          {"name": "返却予定日", "type": "date", "code": "due"}]


def signed_in(login: str, language: str = "ja") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    client.cookies["django_language"] = language
    return client


def _ledger(api: ApiClient) -> int:
    lid = make_ledger(api, "貸出物品台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions",
            {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    assert api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "create", "to": {"user": "tanaka"}}]}).status == 200
    return lid  # type: ignore[no-any-return]


def test_the_bell_and_the_list(api: ApiClient, make_client: Any) -> None:
    make_client("tanaka", name="田中")
    lid = _ledger(api)
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "三脚"}}).body["id"]
    tanaka = signed_in("tanaka")
    home = tanaka.get("/").content.decode()
    assert 'id="bell"' in home and re.search(r'id="bell-count">1<', home)
    assert "お知らせ（未読 1 件）" in home
    page = tanaka.get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200 and "三脚" in html and "貸出物品台帳" in html
    assert html_has_no_inline_code(html) == []
    nid = re.search(r'/notifications/(\d+)/open', html)
    assert nid
    opened = tanaka.post(f"/notifications/{nid.group(1)}/open")
    assert opened.status_code == 302 and opened["Location"] == f"/ledgers/{lid}/records/{rid}/"
    assert re.search(r'id="bell-count" hidden>0<', tanaka.get("/").content.decode())
    # Somebody else's notification cannot be opened.
    assert signed_in("admin").post(f"/notifications/{nid.group(1)}/open").status_code == 404
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "机"}})
    assert tanaka.post("/notifications/read").status_code == 302
    assert "未読のお知らせはありません" in tanaka.get("/notifications/?unread=1").content.decode()


def test_mail_settings_on_the_list_page(api: ApiClient, make_client: Any) -> None:
    make_client("tanaka")
    tanaka = signed_in("tanaka")
    resp = tanaka.post("/notifications/mail", {"email": "tanaka@city.example.jp",
                                               "daily_digest": "on"})
    assert resp.status_code == 302
    html = tanaka.get("/notifications/").content.decode()
    assert 'value="tanaka@city.example.jp"' in html and 'id="mail-digest" name="daily_digest" checked' in html
    tanaka.post("/notifications/mail", {"email": "だめ"})
    html = tanaka.get("/notifications/").content.decode()
    assert "メールアドレスは taro@city.example.jp のような形" in html
    assert 'value="tanaka@city.example.jp"' in html  # nothing was changed


def test_the_rules_screen_for_managers(api: ApiClient, make_client: Any) -> None:
    make_client("tanaka")
    lid = _ledger(api)
    admin = signed_in("admin")
    html = admin.get(f"/ledgers/{lid}/notifications").content.decode()
    assert "貸出物品台帳 のお知らせ設定" in html and 'id="notifications-tab"' in html
    assert html_has_no_inline_code(html) == []
    form = {"count": "2", "n0-on": "create", "n0-to": "user", "n0-user": "tanaka",
            "n1-new": "1", "n1-on": "date", "n1-to": "field", "n1-to_field": "owner",
            "n1-field_d": "due", "n1-days_before": "3", "n1-mail": "on", "digest_over": "50"}
    assert admin.post(f"/ledgers/{lid}/notifications", form).status_code == 302
    stored = api.get(f"/api/v1/ledgers/{lid}/notifications").body
    assert stored["digest_over"] == 50
    assert stored["rules"][1] == {"on": "date", "to": {"field": "owner"}, "field": "due",
                                  "days_before": 3, "mail": True}
    # A date rule without its date field: 400, the reason shown, nothing saved.
    bad = {**form, "n1-field_d": ""}
    resp = admin.post(f"/ledgers/{lid}/notifications", bad)
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "お知らせする日付項目" in page
    assert page.count('class="field-error"') == 1  # said once, at its rule, not at every one
    assert api.get(f"/api/v1/ledgers/{lid}/notifications").body == stored
    # A viewer gets the page saying which right is missing.
    assert signed_in("tanaka").get(f"/ledgers/{lid}/notifications").status_code == 403


def test_the_mail_queue_for_admins(api: ApiClient, make_client: Any) -> None:
    from django.utils import timezone

    from daicho.models import OutboxMail

    make_client("tanaka")
    now = timezone.now()
    mail = OutboxMail.objects.create(key="t:1", to="tanaka@city.example.jp", subject="件名",
                                     body="本文", status="failed", attempts=3,
                                     last_error="550 宛先がありません", next_attempt_at=now,
                                     created_at=now)
    admin = signed_in("admin")
    html = admin.get("/manage/mail").content.decode()
    assert "550 宛先がありません" in html and "再送する" in html and "メール送信キュー" in html
    assert html_has_no_inline_code(html) == []
    assert admin.post("/manage/mail", {"mail": str(mail.id)}).status_code == 302
    mail.refresh_from_db()
    assert mail.status == "pending"
    assert signed_in("tanaka").get("/manage/mail").status_code == 404


def test_in_the_browser_bell_list_and_rules(server: Server, open_page: Any) -> None:
    name = unique("貸出物品")
    led = server.ledger(name, FIELDS)
    lid = led["id"]
    server.call("PUT", f"/api/v1/ledgers/{lid}/permissions",
                {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    status, body = server.call("PUT", f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "create", "to": {"user": "bob"}},
        {"on": "date", "to": {"field": "owner"}, "field": "due", "days_before": 3}]})
    assert status == 200, body
    for item in ("プロジェクター（会議室用・長期貸出の予約あり）", "三脚"):
        server.call("POST", f"/api/v1/ledgers/{lid}/records",
                    {"values": {"name": item, "owner": "bob"}})
    # A date reminder, produced by the command as the daily job would.
    due = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    server.call("POST", f"/api/v1/ledgers/{lid}/records",
                {"values": {"name": "書画カメラ", "owner": "bob", "due": due}})
    ran = run_daicho(server.env, "reminders", "run", "--json")
    assert ran.code == 0 and ran.json["notifications"] >= 1, ran.err
    for size in ({"width": 1366, "height": 768}, {"width": 1920, "height": 1080}):
        page = open_page("bob", language="ja", viewport=size)
        bell = page.locator("#bell")
        assert bell.is_visible()
        count = int(page.locator("#bell-count").inner_text())
        assert count >= 2
        box = bell.bounding_box()
        assert box and box["x"] + box["width"] <= size["width"]
        bell.click()
        page.wait_for_url(server.base + "/notifications/")
        assert page.locator(".notify-item.unread").count() >= 3
        reminder = page.locator(".notify-item[data-kind=date]").first
        assert "書画カメラ" in reminder.inner_text() and "返却予定日" in reminder.inner_text()
        shot(page, f"notifications-list-{size['width']}")
        admin = open_page("admin", language="ja", viewport=size)
        admin.goto(f"{server.base}/ledgers/{lid}/notifications")
        admin.locator("#notifications-tab").wait_for()
        shot(admin, f"notifications-rules-{size['width']}")
        admin.goto(f"{server.base}/manage/mail")
        admin.locator("#outbox-empty, #outbox").first.wait_for()
        shot(admin, f"mail-queue-{size['width']}")
    # Opening one marks it read and goes to the record.
    page.locator(".notify-open").first.click()
    page.wait_for_url(re.compile(rf".*/ledgers/{lid}/records/\d+/"))
    assert int(page.locator("#bell-count").inner_text() or 0) == count - 1
