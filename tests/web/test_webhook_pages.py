"""The webhooks screen through Django's test client: list, add, errors, the delivery log and
"send again" (the browser test is tests/web/test_browser_webhooks.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from daicho import jobs
from daicho.models import Webhook, WebhookDelivery
from tests.api.receiver import Receiver, receiving
from tests.conftest import ApiClient, make_ledger
from tests.web.conftest import html_has_no_inline_code

FIELDS = [{"name": "名称", "type": "text", "code": "name"}]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.DAICHO_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with receiving() as found:
        yield found


def _client(login: str, language: str = "en") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    client.cookies["django_language"] = language
    return client


def test_a_manager_adds_a_hook_and_sees_it_deliver(api: ApiClient, receiver: Receiver) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    web = _client("admin")
    page = web.get(f"/ledgers/{lid}/webhooks")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="webhooks-tab"' in html and "Nothing has been sent yet." in html
    assert html_has_no_inline_code(html) == []
    saved = web.post(f"/ledgers/{lid}/webhooks", {
        "count": "1", "h0-new": "1", "h0-url": receiver.url, "h0-event": ["create", "update"],
        "h0-enabled": "1"}, follow=True)
    assert saved.status_code == 200
    hook = Webhook.objects.get(ledger_id=lid)
    assert hook.events == ["create", "update"] and hook.enabled
    text = saved.content.decode()
    assert "The webhooks were saved." in text and hook.secret in text  # generated, shown once
    assert hook.secret not in web.get(f"/ledgers/{lid}/webhooks").content.decode()
    receiver.answers = [500]
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "庁舎"}})
    jobs.run_pending()
    log = web.get(f"/ledgers/{lid}/webhooks").content.decode()
    assert "status-pending" in log and ">500<" in log
    delivery = WebhookDelivery.objects.get()
    again = web.post(f"/ledgers/{lid}/webhooks/deliveries/{delivery.id}/retry", follow=True)
    assert "The delivery will be sent again in a moment." in again.content.decode()
    jobs.run_pending()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.got) == 2
    assert "status-delivered" in web.get(f"/ledgers/{lid}/webhooks?status=delivered").content.decode()


def test_a_refused_address_is_shown_on_its_hook_in_japanese(api: ApiClient) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    web = _client("admin", "ja")
    refused = web.post(f"/ledgers/{lid}/webhooks", {
        "count": "1", "h0-new": "1", "h0-url": "http://169.254.169.254/", "h0-event": "create",
        "h0-enabled": "1"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Webhook は保存されませんでした。" in html and "内部ネットワーク" in html
    assert 'value="http://169.254.169.254/"' in html  # what was typed stays
    assert not Webhook.objects.exists()


def test_removing_and_switching_off(api: ApiClient, receiver: Receiver) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/webhooks", {"hooks": [
        {"url": receiver.url, "events": ["create"], "secret": "a-long-secret"}]})
    hook = Webhook.objects.get()
    web = _client("admin")
    web.post(f"/ledgers/{lid}/webhooks", {"count": "2", "h0-id": str(hook.id),
                                          "h0-url": receiver.url, "h0-event": "create",
                                          "h1-new": "1", "h1-url": ""})
    hook.refresh_from_db()
    assert not hook.enabled and hook.secret == "a-long-secret"
    web.post(f"/ledgers/{lid}/webhooks", {"count": "1", "h0-id": str(hook.id), "h0-remove": "1",
                                          "h0-url": receiver.url, "h0-event": "create"})
    assert not Webhook.objects.exists()


def test_only_managers_open_the_screen(api: ApiClient, make_client: Any) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    make_client("viewer")
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"user": "viewer"}, "rights": ["view"]}]})
    viewer = _client("viewer")
    assert viewer.get(f"/ledgers/{lid}/webhooks").status_code == 403
    assert 'id="webhooks-tab"' not in viewer.get(f"/ledgers/{lid}/").content.decode()
    assert viewer.post(f"/ledgers/{lid}/webhooks", {"count": "0"}).status_code == 403
    make_client("stranger")
    assert _client("stranger").get(f"/ledgers/{lid}/webhooks").status_code == 404
