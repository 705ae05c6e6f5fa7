"""Webhooks (contract §9) end to end: hooks set through the API, deliveries written with the
change, sent by the job to a real HTTP receiver on 127.0.0.1 (allowed through
DAICHO_WEBHOOK_ALLOWED_NETWORKS), signed, retried with backoff, logged, sent again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from daicho import jobs
from daicho.models import Job, Ledger, Webhook, WebhookDelivery
from daicho.services import webhook_delivery
from tests.api.receiver import Receiver, receiving
from tests.conftest import ApiClient, make_ledger

SECRET = "s3cret-for-tests"
FIELDS = [{"name": "名称", "type": "text", "code": "name"}]


@pytest.fixture
def loopback(settings: Any) -> None:
    settings.DAICHO_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def receiver(loopback: None) -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _hooked(api: ApiClient, url: str, events: list[str] | None = None,
            **more: Any) -> tuple[int, str]:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    resp = api.put(f"/api/v1/ledgers/{lid}/webhooks", {"hooks": [
        {"url": url, "events": events or ["create", "update", "delete", "restore"],
         "secret": SECRET, **more}]})
    assert resp.status == 200, resp.body
    return lid, f"/api/v1/ledgers/{lid}"


def _deliveries(api: ApiClient, base: str, **params: Any) -> list[dict[str, Any]]:
    resp = api.get(f"{base}/webhooks/deliveries", params)
    assert resp.status == 200, resp.body
    return resp.body["items"]  # type: ignore[no-any-return]


def test_a_change_is_posted_signed_after_commit(api: ApiClient, receiver: Receiver) -> None:
    lid, base = _hooked(api, receiver.url)
    rid = api.post(f"{base}/records", {"values": {"name": "庁舎"}}).body["id"]
    # written with the change, sent by the job
    assert [d["status"] for d in _deliveries(api, base)] == ["pending"]
    assert receiver.got == []
    assert jobs.run_pending() == 1
    [got] = receiver.got
    body = got.json
    assert set(body) == {"event", "ledger", "record", "revision", "at", "delivery", "timestamp"}
    assert (body["event"], body["ledger"], body["record"], body["revision"]) == \
        ("create", lid, rid, 1)
    assert dt.datetime.fromisoformat(body["at"]).tzinfo is not None
    assert got.signed_with(SECRET) and not got.signed_with("another-secret")
    assert got.headers["X-Daicho-Delivery"] == body["delivery"]
    assert got.headers["X-Daicho-Timestamp"] == str(body["timestamp"])
    assert got.headers["X-Daicho-Event"] == "create"
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.path == "/hook"
    [logged] = _deliveries(api, base)
    assert (logged["status"], logged["response_code"], logged["attempts"]) == ("delivered", 200, 1)
    assert logged["delivery"] == body["delivery"] and logged["url"] == receiver.url


def test_every_writer_gives_its_event(api: ApiClient, receiver: Receiver) -> None:
    lid, base = _hooked(api, receiver.url, ["create", "update", "delete", "restore"])
    rid = api.post(f"{base}/records", {"values": {"name": "A"}}).body["id"]
    api.patch(f"{base}/records/{rid}", {"revision": 1, "values": {"name": "B"}})
    api.post(f"{base}/records/{rid}/revert", {"to_revision": 1})
    api.delete(f"{base}/records/{rid}?revision=3")
    api.post(f"{base}/records/{rid}/restore")
    assert api.post(f"{base}/records/bulk", {"create": [{"values": {"name": "C"}}]}).status == 200
    csv = "名称\r\nD\r\nE\r\n".encode()
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("追加.csv", csv),
                                          "ledger": str(lid)})
    assert resp.status == 200, resp.body
    jobs.run_pending()
    events = [(b["event"], b["revision"]) for b in receiver.bodies()]
    assert events[:5] == [("create", 1), ("update", 2), ("update", 3), ("delete", 4),
                          ("restore", 5)]
    assert events[5:] == [("create", 1)] * 3  # the bulk create and each imported record
    assert len({b["delivery"] for b in receiver.bodies()}) == 8


def test_only_the_chosen_events_are_sent(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url, ["delete"])
    rid = api.post(f"{base}/records", {"values": {"name": "A"}}).body["id"]
    api.patch(f"{base}/records/{rid}", {"revision": 1, "values": {"name": "B"}})
    assert _deliveries(api, base) == []
    api.delete(f"{base}/records/{rid}?revision=2")
    jobs.run_pending()
    assert [b["event"] for b in receiver.bodies()] == ["delete"]


def test_a_ledger_without_hooks_writes_nothing_more(api: ApiClient) -> None:
    base = f"/api/v1/ledgers/{make_ledger(api, '無連携', FIELDS)['id']}"
    api.post(f"{base}/records", {"values": {"name": "A"}})
    assert not WebhookDelivery.objects.exists()
    assert not Job.objects.filter(kind="webhooks").exists()


def test_a_failed_attempt_is_retried_with_backoff(api: ApiClient, receiver: Receiver) -> None:
    receiver.answers = [500]
    _lid, base = _hooked(api, receiver.url)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    jobs.run_pending()
    [first] = _deliveries(api, base)
    assert (first["status"], first["response_code"], first["attempts"]) == ("pending", 500, 1)
    assert first["error"] and first["response_body"].startswith("broken")
    assert len(first["response_body"]) <= 500
    wait = dt.datetime.fromisoformat(first["next_attempt_at"]) - \
        dt.datetime.fromisoformat(first["last_attempt_at"])
    assert wait == dt.timedelta(minutes=1)
    # not due yet: nothing is sent
    assert webhook_delivery.deliver_due()["sent"] == 0 and len(receiver.got) == 1
    later = timezone.now() + dt.timedelta(minutes=2)
    assert webhook_delivery.deliver_due(now=later)["sent"] == 1
    [done] = _deliveries(api, base)
    assert (done["status"], done["response_code"], done["attempts"]) == ("delivered", 200, 2)
    one, two = receiver.got
    assert one.json["delivery"] == two.json["delivery"]  # the receiver's idempotency key
    assert two.json["timestamp"] - one.json["timestamp"] >= 120
    assert two.signed_with(SECRET)


def _run_until_settled(start: dt.datetime) -> dt.datetime:
    """Run the sender at each moment a retry comes due, as the worker would, until nothing is
    pending; returns the last moment."""
    now = start
    for _ in range(200):
        webhook_delivery.deliver_due(now=now)
        due = WebhookDelivery.objects.filter(status="pending", hook__suspended_at=None) \
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if due is None:
            return now
        now = max(now, due)
    raise AssertionError("deliveries never settled")


def test_a_dead_receiver_is_tried_ten_times_over_a_day_then_suspended(
        api: ApiClient, receiver: Receiver) -> None:
    receiver.answers = [503] * 1000
    lid, base = _hooked(api, receiver.url)
    for name in ("A", "B", "C"):
        api.post(f"{base}/records", {"values": {"name": name}})
    start = timezone.now()
    _run_until_settled(start)
    items = _deliveries(api, base)
    assert [(d["status"], d["attempts"]) for d in items] == [("failed", 10)] * 3
    assert len(receiver.got) == 30
    last = max(dt.datetime.fromisoformat(d["last_attempt_at"]) for d in items)
    assert dt.timedelta(hours=23) < last - start < dt.timedelta(hours=25)
    [hook] = api.get(f"{base}/webhooks").body["hooks"]
    assert hook["suspended"] is True and hook["failures"] == 3
    notice = api.get("/api/v1/audit-log", {"ledger": str(lid)}).body["items"]
    assert any(e["action"] == "webhook_suspended" for e in notice)
    # the ledger's managers (here the admin who made it) find it in their bell
    told = [n for n in api.get("/api/v1/notifications", {"unread": 1}).body["items"]
            if n["kind"] == "webhook"]
    assert len(told) == 1 and "停止" in told[0]["text"] and told[0]["ledger"] == lid
    # while suspended, events are kept, not sent
    api.post(f"{base}/records", {"values": {"name": "D"}})
    assert webhook_delivery.deliver_due(now=start + dt.timedelta(days=2))["sent"] == 0
    assert _deliveries(api, base, status="pending")[0]["event"] == "create"
    # "send again" on a failed one resumes the hook: it and the kept one arrive
    receiver.answers = []
    failed = _deliveries(api, base, status="failed")[0]
    resp = api.post(f"{base}/webhooks/deliveries/{failed['id']}/retry")
    assert resp.status == 200, resp.body
    assert resp.body["status"] == "pending"
    jobs.run_pending()
    assert {d["status"] for d in _deliveries(api, base)} == {"failed", "delivered"}
    assert len(_deliveries(api, base, status="delivered")) == 2
    assert receiver.got[-2].json["delivery"] == failed["delivery"] or \
        receiver.got[-1].json["delivery"] == failed["delivery"]
    [hook] = api.get(f"{base}/webhooks").body["hooks"]
    assert hook["suspended"] is False and hook["failures"] == 0


def test_redirects_are_not_followed(api: ApiClient, receiver: Receiver) -> None:
    receiver.answers = [302]
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    _lid, base = _hooked(api, receiver.url)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    jobs.run_pending()
    [d] = _deliveries(api, base)
    assert (d["status"], d["response_code"]) == ("pending", 302)
    assert "リダイレクト" in d["error"]
    assert len(receiver.got) == 1


def test_a_killed_sender_delays_a_delivery_and_never_doubles_it(
        api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    now = timezone.now()
    claimed = webhook_delivery._claim(now)  # a server takes it, then dies before sending
    assert claimed is not None
    assert webhook_delivery.deliver_due(now=now)["sent"] == 0  # nobody else sends it meanwhile
    after_lease = now + webhook_delivery.LEASE + dt.timedelta(seconds=1)
    assert webhook_delivery.deliver_due(now=after_lease)["sent"] == 1
    assert webhook_delivery.deliver_due(now=after_lease + dt.timedelta(days=1))["sent"] == 0
    assert len(receiver.got) == 1 and receiver.got[0].json["delivery"] == claimed.key


def test_the_worker_wakes_for_a_due_retry(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    Job.objects.filter(kind="webhooks").delete()  # the queue entry lost: the tick finds it
    webhook_delivery.wake_if_due()
    assert jobs.run_pending() == 1 and len(receiver.got) == 1


def test_old_finished_deliveries_are_pruned(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    for name in ("A", "B"):
        api.post(f"{base}/records", {"values": {"name": name}})
    jobs.run_pending()
    old = timezone.now() - dt.timedelta(days=31)
    first = WebhookDelivery.objects.order_by("id").first()
    assert first is not None
    WebhookDelivery.objects.filter(id=first.id).update(created_at=old)
    assert webhook_delivery.deliver_due()["pruned"] == 1
    assert len(_deliveries(api, base)) == 1


def test_the_secret_is_write_only_and_kept(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    [hook] = api.get(f"{base}/webhooks").body["hooks"]
    assert hook["secret"] is None and hook["url"] == receiver.url and hook["enabled"] is True
    assert SECRET not in str(api.get("/api/v1/audit-log").body)
    # a round trip of what GET shows keeps the hook, its secret and its id
    again = api.put(f"{base}/webhooks", {"hooks": [{**hook, "events": ["create"]}]})
    assert again.status == 200, again.body
    assert again.body["hooks"][0]["id"] == hook["id"] and again.body["hooks"][0]["secret"] is None
    # the contract's shape without an id matches the hook by its URL
    same = api.put(f"{base}/webhooks", {"hooks": [{"url": receiver.url, "events": ["create"]}]})
    assert same.body["hooks"][0]["id"] == hook["id"]
    api.post(f"{base}/records", {"values": {"name": "A"}})
    jobs.run_pending()
    assert receiver.got[0].signed_with(SECRET)
    # a new hook without a secret gets one, shown once
    other = receiver.url + "/other"
    made = api.put(f"{base}/webhooks", {"hooks": [hook, {"url": other, "events": ["update"]}]})
    generated = made.body["hooks"][1]["secret"]
    assert isinstance(generated, str) and len(generated) >= 32
    assert api.get(f"{base}/webhooks").body["hooks"][1]["secret"] is None
    assert Webhook.objects.get(url=other).secret == generated


def test_removing_a_hook_cancels_what_it_had_pending(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    assert api.put(f"{base}/webhooks", {"hooks": []}).status == 200
    [d] = _deliveries(api, base)
    assert d["status"] == "cancelled" and d["hook"] is None
    jobs.run_pending()
    assert receiver.got == []
    resp = api.post(f"{base}/webhooks/deliveries/{d['id']}/retry")
    assert (resp.status, resp.body["error"]["code"]) == (409, "webhook_removed")


def test_a_switched_off_hook_gets_nothing(api: ApiClient, receiver: Receiver) -> None:
    lid, base = _hooked(api, receiver.url, enabled=False)
    api.post(f"{base}/records", {"values": {"name": "A"}})
    assert _deliveries(api, base) == []
    # the ledger's flag says there is nothing to do, so a write costs no query for hooks
    assert "webhooks" not in Ledger.objects.get(id=lid).settings
    [hook] = api.get(f"{base}/webhooks").body["hooks"]
    api.put(f"{base}/webhooks", {"hooks": [{**hook, "enabled": True}]})
    assert Ledger.objects.get(id=lid).settings["webhooks"] is True
    api.post(f"{base}/records", {"values": {"name": "B"}})
    assert [d["record"] for d in _deliveries(api, base)] == [2]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://127.1/", "http://2130706433/",
    "http://0x7f.1/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.10/",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://[::1]/", "http://[fe80::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/",
    "http://224.0.0.1/",
])
def test_internal_addresses_are_refused(api: ApiClient, url: str) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    resp = api.put(f"/api/v1/ledgers/{lid}/webhooks",
                   {"hooks": [{"url": url, "events": ["create"], "secret": SECRET}]})
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == "webhook_address_not_allowed"
    assert resp.body["error"]["details"]["at"] == "hooks[0].url"
    assert "DAICHO_WEBHOOK_ALLOWED_NETWORKS" in resp.body["error"]["message"]
    assert api.get(f"/api/v1/ledgers/{lid}/webhooks").body == {"hooks": []}


@pytest.mark.parametrize(("hook", "code"), [
    ({"url": "ftp://93.184.216.34/", "events": ["create"]}, "invalid_webhook_url"),
    ({"url": "http://user:pw@93.184.216.34/", "events": ["create"]}, "invalid_webhook_url"),
    ({"url": "http://93.184.216.34:99999/", "events": ["create"]}, "invalid_webhook_url"),
    ({"url": "http://exa mple.com/", "events": ["create"]}, "invalid_webhook_url"),
    ({"url": "", "events": ["create"]}, "invalid_webhook_url"),
    ({"url": 5, "events": ["create"]}, "invalid_webhook_url"),
    ({"url": "http://no-such-host.invalid/", "events": ["create"]}, "webhook_host_unresolvable"),
    ({"url": "http://93.184.216.34/", "events": ["created"]}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": []}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": "create"}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": ["create"], "secret": "short"}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": ["create"], "secret": 12345678}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": ["create"], "colour": "red"}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": ["create"], "id": 999}, "invalid_webhooks"),
    ({"url": "http://93.184.216.34/", "events": ["create"], "enabled": "yes"}, "invalid_webhooks"),
    ("http://93.184.216.34/", "invalid_webhooks"),
])
def test_bad_hooks_are_refused_and_nothing_is_written(api: ApiClient, hook: Any,
                                                       code: str) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    resp = api.put(f"/api/v1/ledgers/{lid}/webhooks", {"hooks": [hook]})
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == code
    assert resp.body["error"]["message"] and resp.body["error"]["message"].isascii() is False
    assert not Webhook.objects.exists()


def test_a_public_address_is_accepted(api: ApiClient) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    resp = api.put(f"/api/v1/ledgers/{lid}/webhooks", {"hooks": [
        {"url": "https://93.184.216.34/hook?x=1", "events": ["update", "create"],
         "secret": SECRET}]})
    assert resp.status == 200, resp.body
    assert resp.body["hooks"][0]["events"] == ["create", "update"]


def test_hooks_and_body_shape(api: ApiClient) -> None:
    lid = make_ledger(api, "連携台帳", FIELDS)["id"]
    base = f"/api/v1/ledgers/{lid}/webhooks"
    assert api.put(base, {"hooks": "x"}).body["error"]["code"] == "invalid_webhooks"
    assert api.put(base, {"hooks": [], "more": 1}).body["error"]["code"] == "unknown_keys"
    many = [{"url": f"http://93.184.216.34/{i}", "events": ["create"]} for i in range(21)]
    assert api.put(base, {"hooks": many}).status == 400
    bad = api.get(f"{base}/deliveries", {"status": "lost"})
    assert (bad.status, bad.body["error"]["code"]) == (400, "invalid_status")
    assert api.post(f"{base}/deliveries/424242/retry").status == 404


def test_the_address_is_checked_again_when_sending(api: ApiClient, settings: Any) -> None:
    """DNS or the administrator's setting may change after a hook was saved."""
    settings.DAICHO_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with receiving() as receiver:
        _lid, base = _hooked(api, receiver.url)
        settings.DAICHO_WEBHOOK_ALLOWED_NETWORKS = []
        api.post(f"{base}/records", {"values": {"name": "A"}})
        jobs.run_pending()
        assert receiver.got == []
        [d] = _deliveries(api, base)
        assert d["status"] == "pending" and d["response_code"] is None
        assert "DAICHO_WEBHOOK_ALLOWED_NETWORKS" in d["error"]


def test_only_managers_see_and_set_webhooks(api: ApiClient, make_client: Any,
                                            receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    editor = make_client("editor")
    manager = make_client("manager")
    assert api.put(f"{base}/permissions", {"rules": [
        {"subject": {"user": "editor"}, "rights": ["view", "add", "edit"]},
        {"subject": {"user": "manager"}, "rights": ["view", "manage"]}]}).status == 200
    for path in ("/webhooks", "/webhooks/deliveries"):
        assert editor.get(base + path).status == 404
        assert manager.get(base + path).status == 200
    assert editor.put(f"{base}/webhooks", {"hooks": []}).status == 404
    api.post(f"{base}/records", {"values": {"name": "A"}})
    did = _deliveries(api, base)[0]["id"]
    assert editor.post(f"{base}/webhooks/deliveries/{did}/retry").status == 404
    assert manager.post(f"{base}/webhooks/deliveries/{did}/retry").status == 200
    assert Webhook.objects.count() == 1


def test_the_log_leaves_out_records_the_manager_may_not_see(api: ApiClient, make_client: Any,
                                                            receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    manager = make_client("manager")
    mine = manager  # records the manager creates are theirs to see
    assert api.put(f"{base}/permissions", {"rules": [
        {"subject": {"user": "manager"}, "rights": ["view", "add", "manage"],
         "records": {"creator": True}}]}).status == 200
    api.post(f"{base}/records", {"values": {"name": "admin's"}})
    own = mine.post(f"{base}/records", {"values": {"name": "mine"}}).body["id"]
    assert [d["record"] for d in _deliveries(manager, base)] == [own]
    assert len(_deliveries(api, base)) == 2
    hidden = _deliveries(api, base)[1]["id"]
    assert manager.post(f"{base}/webhooks/deliveries/{hidden}/retry").status == 404


def test_finished_runs_of_the_job_do_not_pile_up(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    for name in ("A", "B", "C"):
        api.post(f"{base}/records", {"values": {"name": name}})
        jobs.run_pending()
    assert Job.objects.filter(kind="webhooks", status="done").count() == 3
    webhook_delivery.deliver_due(now=timezone.now() + dt.timedelta(days=2))
    assert not Job.objects.filter(kind="webhooks", status="done").exists()
    assert len(receiver.got) == 3


def test_https_checks_the_certificate(api: ApiClient, receiver: Receiver) -> None:
    """The receiver speaks plain HTTP: the TLS handshake to the checked address fails, and the
    failure is logged and retried like any other."""
    _lid, base = _hooked(api, receiver.url.replace("http://", "https://"))
    api.post(f"{base}/records", {"values": {"name": "A"}})
    jobs.run_pending()
    [d] = _deliveries(api, base)
    assert (d["status"], d["response_code"], d["attempts"]) == ("pending", None, 1)
    assert "TLS" in d["error"]


def test_a_receiver_that_never_answers_is_cut_off(api: ApiClient, loopback: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    from daicho import outbound

    monkeypatch.setattr(outbound, "DEADLINE_SECONDS", 1.0)
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    try:
        port = listener.getsockname()[1]
        _lid, base = _hooked(api, f"http://127.0.0.1:{port}/hook")
        api.post(f"{base}/records", {"values": {"name": "A"}})
        started = timezone.now()
        jobs.run_pending()
        assert timezone.now() - started < dt.timedelta(seconds=10)
        [d] = _deliveries(api, base)
        assert (d["status"], d["response_code"], d["attempts"]) == ("pending", None, 1)
        assert "1 秒以内に応答がありませんでした" in d["error"]
    finally:
        done.set()
        listener.close()
        for conn in held:
            conn.close()


def test_a_hook_named_by_id_and_one_by_url_stay_two(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url)
    [hook] = api.get(f"{base}/webhooks").body["hooks"]
    other = receiver.url + "/b"
    # the stored hook moves to another URL by its id; a new hook takes its old URL
    resp = api.put(f"{base}/webhooks", {"hooks": [
        {"url": receiver.url, "events": ["create"], "secret": "second-secret"},
        {"id": hook["id"], "url": other, "events": ["create"]}]})
    assert resp.status == 200, resp.body
    first, second = resp.body["hooks"]
    assert second["id"] == hook["id"] and first["id"] != hook["id"]
    assert {h.url for h in Webhook.objects.all()} == {receiver.url, other}
    assert Webhook.objects.get(id=hook["id"]).secret == SECRET


def test_status_and_comment_events_are_posted(api: ApiClient, receiver: Receiver) -> None:
    _lid, base = _hooked(api, receiver.url, ["status", "comment"])
    assert api.put(f"{base}/process", {
        "enabled": True, "statuses": ["受付", "完了"], "initial": "受付",
        "actions": [{"name": "完了にする", "from": "受付", "to": "完了",
                     "by": {"everyone": True}}]}).status == 200
    rec = api.post(f"{base}/records", {"values": {"name": "庁舎"}}).body
    moved = api.post(f"{base}/records/{rec['id']}/actions",
                     {"action": "完了にする", "revision": rec["revision"]})
    assert moved.status == 200
    assert api.post(f"{base}/records/{rec['id']}/comments", {"text": "確認しました"}).status == 201
    jobs.run_pending()
    got = [(r.json["event"], r.json["record"], r.json["revision"]) for r in receiver.got]
    assert got == [("status", rec["id"], moved.body["revision"]),
                   ("comment", rec["id"], moved.body["revision"])]
    assert all(r.signed_with(SECRET) for r in receiver.got)
