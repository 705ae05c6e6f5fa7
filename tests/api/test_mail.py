"""Mail (contract §9) against a real SMTP server (aiosmtpd, started here on a free port): the
outbox is written with its cause and sent by a job after commit, in Japanese with a link to the
record; refused and hanging servers leave the mail in the outbox with the reason; nothing is
sent twice; the daily digest; the admins' queue with "send again"."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ApiClient, free_port, make_ledger

FIELDS = [{"name": "名称", "type": "text", "code": "name"},
          {"name": "金額", "type": "number", "code": "amount"}]


@dataclass
class Inbox:
    port: int
    refuse: bool = False
    messages: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if self.refuse:
            return "550 5.1.1 そのような宛先はありません"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    box = Inbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    monkeypatch.setenv("DAICHO_SMTP_URL", f"smtp://127.0.0.1:{box.port}")
    monkeypatch.setenv("DAICHO_MAIL_FROM", "daicho@city.example.jp")
    monkeypatch.setenv("DAICHO_BASE_URL", "https://daicho.city.example.jp/")
    monkeypatch.setenv("DAICHO_SMTP_TIMEOUT", "1")
    try:
        yield box
    finally:
        controller.stop()


def _ledger_with_mail_rule(api: ApiClient) -> int:
    resp = api.post("/api/v1/users", {"login": "tanaka", "name": "田中", "email":
                                      "tanaka@city.example.jp"})
    assert resp.status == 201, resp.body
    assert resp.body["email"] == "tanaka@city.example.jp"
    lid = make_ledger(api, "貸出物品台帳", FIELDS)["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions",
            {"rules": [{"subject": {"everyone": True}, "rights": ["view"]}]})
    assert api.put(f"/api/v1/ledgers/{lid}/notifications", {"rules": [
        {"on": "create", "to": {"user": "tanaka"}, "mail": True}]}).status == 200
    return lid  # type: ignore[no-any-return]


def _outbox(api: ApiClient) -> list[dict[str, Any]]:
    resp = api.get("/api/v1/mail/outbox")
    assert resp.status == 200, resp.body
    return resp.body["items"]  # type: ignore[no-any-return]


def test_a_mail_goes_out_after_commit_once_in_japanese_with_a_link(api: ApiClient,
                                                                    inbox: Inbox) -> None:
    from daicho import jobs

    lid = _ledger_with_mail_rule(api)
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "プロジェクター"}}
                   ).body["id"]
    assert [m["status"] for m in _outbox(api)] == ["pending"]
    assert inbox.messages == []  # nothing leaves before the job runs
    assert jobs.run_pending() >= 1
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "tanaka@city.example.jp" and msg["From"] == "daicho@city.example.jp"
    assert "貸出物品台帳" in msg["Subject"] and msg["Message-ID"]
    body = msg.get_content()
    assert "プロジェクター" in body and "レコードが追加されました" in body
    assert f"https://daicho.city.example.jp/ledgers/{lid}/records/{rid}/" in body
    assert [m["status"] for m in _outbox(api)] == ["sent"]
    # Nothing goes twice: another run, another job.
    from daicho.services import mail

    assert mail.send_due() == {"sent": 0, "retry": 0, "failed": 0}
    jobs.run_pending()
    assert len(inbox.messages) == 1


def test_a_refused_write_queues_no_mail(api: ApiClient, inbox: Inbox) -> None:
    lid = _ledger_with_mail_rule(api)
    resp = api.post(f"/api/v1/ledgers/{lid}/records/bulk", {"create": [
        {"values": {"name": "A"}}, {"values": {"amount": "たくさん"}}]})
    assert resp.status == 400
    assert _outbox(api) == []


def test_a_refusing_server_leaves_the_mail_failed_with_the_reason(api: ApiClient,
                                                                  inbox: Inbox) -> None:
    from daicho import jobs

    lid = _ledger_with_mail_rule(api)
    inbox.refuse = True
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}})
    jobs.run_pending()
    [row] = _outbox(api)
    assert row["status"] == "failed" and row["last_error"].startswith("550")
    assert inbox.messages == []
    # Once the address is accepted, an admin sends it again.
    inbox.refuse = False
    again = api.post(f"/api/v1/mail/outbox/{row['id']}/retry")
    assert again.status == 200 and again.body["status"] == "pending"
    jobs.run_pending()
    assert len(inbox.messages) == 1 and _outbox(api)[0]["status"] == "sent"
    assert api.post(f"/api/v1/mail/outbox/{row['id']}/retry").status == 400
    assert api.post("/api/v1/mail/outbox/999999/retry").status == 404


def test_a_hanging_server_keeps_the_mail_for_a_later_try(api: ApiClient, inbox: Inbox,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from daicho import jobs
    from daicho.services import mail

    lid = _ledger_with_mail_rule(api)
    monkeypatch.setenv("DAICHO_SMTP_TIMEOUT", "2")
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        monkeypatch.setenv("DAICHO_SMTP_URL", f"smtp://127.0.0.1:{silent.getsockname()[1]}")
        for name in ("A", "B"):
            api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": name}})
        started = time.monotonic()
        jobs.run_pending()
        # One wait for the server, not one per mail: the second waits with the same reason.
        assert time.monotonic() - started < 3.5  # two waits would be 4 s
    rows = _outbox(api)
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all("2 秒" in r["last_error"] for r in rows)
    assert all(r["next_attempt_at"] > r["created_at"] for r in rows)
    monkeypatch.setenv("DAICHO_SMTP_URL", f"smtp://127.0.0.1:{inbox.port}")
    assert mail.send_due()["sent"] == 0  # not due yet: backoff
    for row in rows:
        api.post(f"/api/v1/mail/outbox/{row['id']}/retry")
    jobs.run_pending()
    assert len(inbox.messages) == 2


def test_a_mail_claimed_by_a_killed_process_goes_out_once(api: ApiClient, inbox: Inbox) -> None:
    import datetime as dt

    from django.utils import timezone

    from daicho.models import OutboxMail
    from daicho.services import mail

    lid = _ledger_with_mail_rule(api)
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}})
    # A worker claimed it and died before sending.
    OutboxMail.objects.update(status="sending",
                              claimed_at=timezone.now() - dt.timedelta(minutes=30))
    assert mail.send_due()["sent"] == 1
    assert mail.send_due()["sent"] == 0
    assert len(inbox.messages) == 1


def test_daily_digest_one_mail_a_day(api: ApiClient, inbox: Inbox, make_client: Any) -> None:
    from daicho import jobs
    from daicho.services import mail

    lid = _ledger_with_mail_rule(api)
    from django.contrib.auth import get_user_model

    from daicho.services.accounts import create_token

    tanaka = ApiClient(create_token(user=get_user_model().objects.get(username="tanaka")))
    resp = tanaka.put("/api/v1/me/mail", {"daily_digest": True})
    assert resp.status == 200 and resp.body["daily_digest"] is True
    assert tanaka.put("/api/v1/me/mail", {"email": "not an address"}).status == 400
    for name in ("机", "椅子"):
        api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": name}})
    assert _outbox(api) == []
    assert mail.send_digests() == 1
    assert mail.send_digests() == 0  # nothing waits any more
    jobs.run_pending()
    [msg] = inbox.messages
    body = msg.get_content()
    assert "机" in body and "椅子" in body and "2" in msg["Subject"]
    # Another notification the same day waits for tomorrow's digest.
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "棚"}})
    assert mail.send_digests() == 0
    import datetime as dt

    from django.utils import timezone

    assert mail.send_digests(timezone.localdate() + dt.timedelta(days=1)) == 1


def test_without_smtp_url_notifications_stay_in_the_app(api: ApiClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAICHO_SMTP_URL", raising=False)
    lid = _ledger_with_mail_rule(api)
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}})
    body = api.get("/api/v1/mail/outbox").body
    assert body["items"] == [] and body["enabled"] is False


def test_only_admins_see_the_outbox(api: ApiClient, make_client: Any) -> None:
    staff = make_client("staff")
    assert staff.get("/api/v1/mail/outbox").status == 403
    assert staff.post("/api/v1/mail/outbox/1/retry").status == 403


def test_a_server_that_wants_a_login(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from daicho import jobs

    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"p@ss:word"
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=ok)

    box = Inbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port,
                            auth_require_tls=False, authenticator=authenticator)
    controller.start()
    try:
        monkeypatch.setenv("DAICHO_SMTP_URL", f"smtp://daicho:p%40ss%3Aword@127.0.0.1:{box.port}")
        lid = _ledger_with_mail_rule(api)
        api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}})
        jobs.run_pending()
        assert len(box.messages) == 1
        assert logins == [(b"daicho", b"p@ss:word")]
    finally:
        controller.stop()


def test_a_mail_whose_job_was_lost_is_found_by_the_periodic_check(api: ApiClient,
                                                                    inbox: Inbox) -> None:
    from daicho import jobs
    from daicho.models import Job
    from daicho.services import mail

    lid = _ledger_with_mail_rule(api)
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "A"}})
    Job.objects.filter(kind="mail_send").delete()  # the process died before its job ran
    assert jobs.run_pending() == 0 and inbox.messages == []
    # The worker loop runs the registered checks; the mail check finds the mail due.
    assert any(fn is mail.enqueue_due for _s, fn in jobs.PERIODIC)
    jobs._run_periodic({})
    assert jobs.run_pending() >= 1
    assert len(inbox.messages) == 1
