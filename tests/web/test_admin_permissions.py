"""The permissions screen, "what can a user see?", the access-log screen and the API tokens screen:
through Django's test client (both languages' messages, the stored result checked through the
API), then in the browser."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from tests.conftest import ApiClient, make_ledger
from tests.permissions.conftest import World, world  # noqa: F401  (the small city fixture)
from tests.web.conftest import Server, html_has_no_inline_code, shot, unique


def signed_in(login: str, language: str = "en") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    client.cookies["django_language"] = language
    return client


class FormReader(HTMLParser):
    """What the browser would send for one form, untouched: inputs, checked boxes, selects."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, ""
        self.data: dict[str, list[str]] = {}
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(a["name"], []).append(a.get("value") or "on")
            else:
                self.data.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self.select = a.get("name", "")
        elif tag == "option" and self.select:
            self.first_option.setdefault(self.select, a.get("value", ""))
            if "selected" in a:
                self.data[self.select] = [a.get("value", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select:
            self.data.setdefault(self.select, [self.first_option.get(self.select, "")])
            self.select = ""
        elif tag == "form":
            self.inside = False


def form_of(html: str, form_id: str = "rules-form") -> dict[str, Any]:
    reader = FormReader(form_id)
    reader.feed(html)
    return {k: v if len(v) > 1 else v[0] for k, v in reader.data.items()}


def rules_of(api: ApiClient, lid: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/ledgers/{lid}/permissions")
    assert resp.status == 200, resp.body
    return resp.body["rules"]  # type: ignore[no-any-return]


# -- the permissions screen ----------------------------------------------------------------------

def test_screen_edits_the_rules_the_api_stores(world: World) -> None:  # noqa: F811
    web = signed_in("admin")
    url = f"/ledgers/{world.ledger_id}/permissions"
    page = web.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="rule-0"' in html and 'id="rule-1"' in html  # the default rule and the new slot
    assert html_has_no_inline_code(html) == []
    assert 'id="permissions-tab"' in web.get(f"/ledgers/{world.ledger_id}/").content.decode()
    data = form_of(html)
    assert data["count"] == "2" and data["r0-subject"] == "user" and data["r0-user"] == "admin"
    # Narrow the default rule; add one for a department and below, with record and field rules.
    data.update({"r0-right": ["view", "add", "edit", "delete", "export", "import", "manage"],
                 "r1-subject": "org", "r1-org": "110", "r1-children": "on",
                 "r1-right": ["view", "edit"], "r1-records": "field_is_my_org",
                 "r1-my_org_field": "dept", "r1-f-secret": "hidden", "r1-f-amount": "read"})
    resp = web.post(url, data)
    assert resp.status_code == 302 and resp["Location"] == url
    assert rules_of(world.api, world.ledger_id) == [
        {"subject": {"user": "admin"}, "rights": ["view", "add", "edit", "delete", "export",
                                                    "import", "manage"]},
        {"subject": {"org": "110", "include_children": True}, "rights": ["view", "edit"],
         "records": {"field_is_my_org": "dept"}, "fields": {"amount": "read", "secret": "hidden"}}]
    # The screen shows them again as stored: a round trip changes nothing.
    again = form_of(web.get(url).content.decode())
    assert again["r1-subject"] == "org" and again["r1-my_org_field"] == "dept"
    assert again["r1-f-secret"] == "hidden" and again["r1-f-name"] == ""
    assert web.post(url, again).status_code == 302
    assert len(rules_of(world.api, world.ledger_id)) == 2
    # The rule takes effect: 総務課 sees the records of its department and the one below it,
    # without the secret.
    items = world.clients["somu"].get(f"{world.base}/records").body["items"]
    assert world.names(items) == {"庁舎", "倉庫", "係の机"}
    assert all("secret" not in item["values"] for item in items)
    # Removing a rule, and a filter rule for a role.
    again["r1-remove"] = "on"
    again.update({"r2-subject": "role", "r2-role": "監査", "r2-right": "view",
                  "r2-records": "filter", "r2-filter": "kind:eq:土地", "r2-new": "1",
                  "count": "3"})
    assert web.post(url, again).status_code == 302
    assert rules_of(world.api, world.ledger_id)[1:] == [
        {"subject": {"role": "監査"}, "rights": ["view"], "records": {"filter": "kind:eq:土地"}}]
    assert world.names(world.clients["auditor"].get(f"{world.base}/records").body["items"]) == \
        {"倉庫", "係の机"}
    # The same log entry as the API writes.
    log = world.api.get("/api/v1/audit-log", {"ledger": world.ledger_id, "action": "permissions"})
    assert [e["user"] for e in log.body["items"]] == ["admin"] * 3


def test_errors_are_shown_next_to_the_inputs(world: World) -> None:  # noqa: F811
    before = rules_of(world.api, world.ledger_id)
    url = f"/ledgers/{world.ledger_id}/permissions"
    for language, unknown_user, no_rights in [
            ("en", "There is no user 「nosuch」.", "Choose at least one right."),
            ("ja", "ユーザー「nosuch」はいません。", "権利を1つ以上選んでください。")]:
        web = signed_in("admin", language)
        data = form_of(web.get(url).content.decode())
        data.update({"r1-subject": "user", "r1-user": "nosuch", "r1-right": "view"})
        resp = web.post(url, data)
        assert resp.status_code == 400
        html = resp.content.decode()
        assert 'id="r1-subject-error"' in html and unknown_user in html
        assert 'id="error-summary"' in html
        assert 'value="nosuch"' in html  # what was typed is kept
        data.update({"r1-user": "somu", "r1-right": []})
        html = web.post(url, data).content.decode()
        assert 'id="r1-rights-error"' in html and no_rights in html
    web = signed_in("admin")
    data = form_of(web.get(url).content.decode())
    data.update({"r1-subject": "everyone", "r1-right": "view", "r1-records": "filter",
                 "r1-filter": "nosuchfield:eq:1"})
    html = web.post(url, data).content.decode()
    assert 'id="r1-records-error"' in html and "nosuchfield" in html
    data.update({"r1-records": "", "r1-f-secret": "invisible"})
    html = web.post(url, data).content.decode()
    assert 'id="r1-f-secret-error"' in html
    data.update({"r1-f-secret": "", "r1-subject": "org", "r1-org": "999"})
    html = web.post(url, data).content.decode()
    assert 'id="r1-subject-error"' in html and "999" in html
    # Nothing was stored by any of them.
    assert rules_of(world.api, world.ledger_id) == before


def test_a_deleted_field_is_said_before_its_setting_is_dropped(world: World) -> None:  # noqa: F811
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "manage"],
                  "fields": {"secret": "hidden", "amount": "read"}}])
    assert world.api.delete(f"{world.base}/fields/secret").status == 204
    web = signed_in("admin")
    url = f"/ledgers/{world.ledger_id}/permissions"
    html = web.get(url).content.decode()
    assert "This rule also sets deleted fields (secret)." in html
    assert web.post(url, form_of(html)).status_code == 302
    assert rules_of(world.api, world.ledger_id)[0]["fields"] == {"amount": "read"}


def test_only_managers_open_it(world: World) -> None:  # noqa: F811
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "edit"]},
                 {"subject": {"user": "somu"}, "rights": ["view", "manage"]}])
    url = f"/ledgers/{world.ledger_id}/permissions"
    clerk = signed_in("fukushi", "ja")
    # A viewer is told which right is missing (issue 14, point 8); nothing is changed.
    page = clerk.get(url)
    assert page.status_code == 403 and "「管理」の権限が必要です" in page.content.decode()
    assert clerk.post(url, {"count": "1", "r0-subject": "everyone", "r0-right": "manage",
                            "r0-new": "1"}).status_code == 403
    assert clerk.post(url + "/sensitive", {"sensitive": "on"}).status_code == 403
    assert clerk.get("/ledgers/999999/permissions").status_code == 404
    assert world.api.get(world.base).body["sensitive"] is False
    manager = signed_in("somu")
    assert manager.get(url).status_code == 200
    # A manager who takes the right away from themselves lands on the ledger page.
    data = form_of(manager.get(url).content.decode())
    data["r1-remove"] = "on"
    resp = manager.post(url, data)
    assert resp.status_code == 302 and resp["Location"] == f"/ledgers/{world.ledger_id}/"
    assert manager.get(url).status_code == 403


def test_sensitive_checkbox(world: World) -> None:  # noqa: F811
    web = signed_in("admin")
    url = f"/ledgers/{world.ledger_id}/permissions/sensitive"
    assert web.post(url, {"sensitive": "on"}).status_code == 302
    assert world.api.get(world.base).body["sensitive"] is True
    assert 'id="sensitive" name="sensitive" checked' in web.get(
        f"/ledgers/{world.ledger_id}/permissions").content.decode()
    web.get(f"/ledgers/{world.ledger_id}/")
    assert web.post(url, {}).status_code == 302
    assert world.api.get(world.base).body["sensitive"] is False
    actions = [e["action"] for e in world.api.get(
        "/api/v1/audit-log", {"ledger": world.ledger_id}).body["items"]]
    assert actions.count("sensitive") == 2 and actions.count("view_list") == 1
    assert web.get(url).status_code == 405


# -- what can a user see? -----------------------------------------------------------------------

def _access_rows(html: str) -> dict[str, str]:
    """Ledger id → the text of its row (tags dropped, spaces squeezed)."""
    rows = re.findall(r'<tr data-ledger="(\d+)">(.*?)</tr>', html, re.S)
    return {lid: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for lid, body in rows}


def _raw_row(html: str, lid: str) -> str:
    found = re.search(rf'<tr data-ledger="{lid}">(.*?)</tr>', html, re.S)
    assert found is not None
    return found.group(1)


def test_what_a_user_can_see(world: World, make_client: Any) -> None:  # noqa: F811
    world.rules([
        {"subject": {"everyone": True}, "rights": ["view"], "records": {"creator": True},
         "fields": {"secret": "hidden"}},
        {"subject": {"org": "110", "include_children": True}, "rights": ["view", "edit"],
         "fields": {"secret": "hidden", "amount": "read"}},
        {"subject": {"role": "監査"}, "rights": ["view", "export"],
         "records": {"filter": "kind:eq:土地"}},
    ])
    other = make_ledger(world.api, "他課の台帳")
    web = signed_in("admin")
    lid = str(world.ledger_id)
    html = web.get("/manage/access", {"user": "shomu"}).content.decode()
    assert html_has_no_inline_code(html) == []
    row = _access_rows(html)[lid]
    assert "View — rule 1 (Everyone), rule 2 (Department 総務課 (110) and below)" in row
    assert "Edit — rule 2 (Department 総務課 (110) and below)" in row
    hidden, read_only = re.findall(r"<td>(.*?)</td>", _raw_row(html, lid), re.S)[-2:]
    assert "All records" in row and hidden == "個人番号" and read_only.strip() == \
        "<div>Edit: 金額</div>"
    assert str(other["id"]) not in _access_rows(html)  # the other ledger: no rule for them
    assert "他課の台帳" in html and 'id="ua-none"' in html
    assert "庶務係 (111)" in html
    row = _access_rows(web.get("/manage/access", {"user": "auditor"}).content.decode())[lid]
    assert "Export — rule 3 (Role 監査)" in row
    assert "Records they created" in row and "Records matching kind:eq:土地" in row
    assert "個人番号" not in row
    row = _access_rows(web.get("/manage/access", {"user": "nobody"}).content.decode())[lid]
    assert row.count("rule") == 1 and "Records they created" in row and "個人番号" in row
    html = web.get("/manage/access", {"user": "admin"}).content.decode()
    assert 'id="ua-admin"' in html and len(_access_rows(html)) == 2
    resp = web.get("/manage/access", {"user": "nosuch"})
    assert "There is no user 「nosuch」." in resp.content.decode()
    # What the screen says is what the gate does.
    assert world.clients["shomu"].get(f"{world.base}/records").status == 200
    assert world.clients["shomu"].get(f"/api/v1/ledgers/{other['id']}").status == 404
    # Administrators and system administrators only; the menu shows it to them.
    assert signed_in("somu").get("/manage/access").status_code == 404
    make_client("sysadmin", roles=["システム管理者"])
    sysadmin = signed_in("sysadmin")
    assert sysadmin.get("/manage/access", {"user": "shomu"}).status_code == 200
    assert 'id="nav-user-access"' in sysadmin.get("/").content.decode()
    assert 'id="nav-user-access"' not in signed_in("somu").get("/").content.decode()


# -- the access-log screen ----------------------------------------------------------------------

def test_access_log_screen_filters_pages_and_exports(web: Client, api: ApiClient,
                                                     make_client: Any) -> None:
    from daicho.models import AuditEvent

    led = make_ledger(api)
    lid = led["id"]
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"]}]})
    # A failed sign-in with a login Excel would run as a formula.
    assert not Client().login(username="=HYPERLINK(\"http://x\")", password="wrong-password")
    for n in range(120):
        api.post("/api/v1/users", {"login": f"u{n:03d}"})
    html = web.get("/manage/audit").content.decode()
    assert html_has_no_inline_code(html) == []
    seqs = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', html)]
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest is not None and seqs[0] == newest.seq and len(seqs) == 100
    assert seqs == sorted(seqs, reverse=True)
    link = re.search(r'<a href="([^"]+)" id="audit-older"', html)
    assert link is not None
    page2 = web.get("/manage/audit" + link.group(1).replace("&amp;", "&")).content.decode()
    seqs2 = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page2)]
    assert seqs2 and seqs2[0] == seqs[-1] - 1 and 'id="audit-newer"' in page2
    # Filters: action, ledger, user, dates (a wrong date is said next to its input).
    rows = web.get("/manage/audit", {"action": "permissions", "ledger": lid}).content.decode()
    assert re.findall(r'data-action="([a-z_]+)"', rows) == ["permissions"]
    rows = web.get("/manage/audit", {"user": "admin", "action": "user_create"}).content.decode()
    assert len(re.findall(r"<tr data-seq=", rows)) == 100
    assert web.get("/manage/audit", {"since": "2999-01-01"}).content.decode().count(
        "No entries match.") == 1
    bad = web.get("/manage/audit", {"since": "yesterday"})
    assert bad.status_code == 400 and 'id="a-since-error"' in bad.content.decode()
    # The chain check is its own fragment, loaded by the page.
    assert 'hx-get="/manage/audit/verify"' in html
    ok = web.get("/manage/audit/verify").content.decode()
    assert 'id="chain-ok"' in ok
    # CSV: UTF-8 with BOM, CRLF, formula-like text neutralised, the filters applied.
    resp = web.get("/manage/audit.csv", {"action": "sign_in_failed"})
    assert resp.status_code == 200 and resp["Content-Disposition"].startswith("attachment")
    body = b"".join(resp.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert table[0][:5] == ["Seq", "Date and time", "User", "Action", "Action code"]
    assert len(table) == 2 and table[1][4] == "sign_in_failed"
    assert table[1][5] == 'login:=HYPERLINK("http://x")'
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert table[1][0] == str(failed.seq) and table[1][9] == failed.hash
    # The export is itself logged, and the chain still holds.
    exported = AuditEvent.objects.order_by("-seq").first()
    assert exported is not None and exported.action == "audit_export"
    assert exported.details["rows"] == 1 and exported.details["action"] == "sign_in_failed"
    # A changed row shows on the screen.
    AuditEvent.objects.filter(seq=failed.seq).update(ip="10.9.9.9")
    broken = web.get("/manage/audit/verify").content.decode()
    assert 'id="chain-bad"' in broken and f"seq {failed.seq}" in broken
    # Administrators and system administrators only.
    make_client("clerk")
    assert signed_in("clerk").get("/manage/audit").status_code == 404
    assert signed_in("clerk").get("/manage/audit.csv").status_code == 404
    make_client("sysadmin", roles=["システム管理者"])
    assert signed_in("sysadmin").get("/manage/audit").status_code == 200
    assert ApiClient(None).get("/api/v1/audit-log").status == 401


def test_csv_neutralises_formulas(web: Client, api: ApiClient) -> None:
    assert not Client().login(username="=1+1", password="wrong-password")
    resp = web.get("/manage/audit.csv", {"action": "sign_in_failed"})
    text = b"".join(resp.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[1][5] == "login:=1+1"  # starts with "l": left alone
    from daicho.services import audit

    audit.record(user="=cmd|' /C calc'!A0", action="sign_in")
    text = b"".join(web.get("/manage/audit.csv", {"action": "sign_in"})  # type: ignore[attr-defined]
                    .streaming_content).decode("utf-8-sig")
    assert ",'=cmd|' /C calc'!A0,Sign-in,sign_in," in text


# -- API tokens: scope and expiry ----------------------------------------------------------------

def test_tokens_have_a_scope_and_an_expiry(web: Client, ledger: dict[str, Any]) -> None:
    import datetime as dt

    from django.utils import timezone

    from daicho.models import ApiToken

    def create(**data: str) -> tuple[int, str]:
        resp = web.post("/manage/tokens", data)
        found = re.search(r'<code id="new-token" class="token">([^<]+)</code>',
                          resp.content.decode())
        return resp.status_code, found.group(1) if found else resp.content.decode()

    records = f"/api/v1/ledgers/{ledger['id']}/records"
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    status, writer = create(label="書込", scope="read_write", expires=until)
    assert status == 200 and ApiClient(writer).post(records, {"values": {"name": "x"}}).status == 201
    status, reader = create(label="読取", scope="read_only")
    assert status == 200
    assert ApiClient(reader).get(records).status == 200
    refused = ApiClient(reader).post(records, {"values": {"name": "y"}})
    assert refused.status == 403 and refused.body["error"]["code"] == "read_only_token"
    stored = ApiToken.objects.get(label="書込")
    assert not stored.read_only and timezone.localtime(stored.expires_at).date() == \
        dt.date.fromisoformat(until) + dt.timedelta(days=1)
    assert ApiToken.objects.get(label="読取").read_only and \
        ApiToken.objects.get(label="読取").expires_at is None
    # The list shows scope, expiry, last use and state.
    html = web.get("/manage/tokens").content.decode()
    row = re.search(rf'<tr data-prefix="{writer[:10]}">(.*?)</tr>', html, re.S)
    assert row is not None and "read and write" in row.group(1) and "never" not in row.group(1)
    assert timezone.localtime(stored.expires_at).strftime("%Y-%m-%d") in row.group(1)
    assert timezone.localtime(ApiToken.objects.get(label="書込").last_used_at).strftime(
        "%Y-%m-%d %H:%M") in row.group(1)
    row = re.search(rf'<tr data-prefix="{reader[:10]}">(.*?)</tr>', html, re.S)
    assert row is not None and "read only" in row.group(1) and "never" in row.group(1)
    # A date in the past, or not a date, is refused in words.
    status, page = create(label="過去", scope="read_only", expires="2020-01-01")
    assert status == 400 and "The expiry date must be in the future." in page
    status, page = create(label="変", expires="someday")
    assert status == 400 and "YYYY-MM-DD" in page
    # Expired and revoked tokens are refused by the API.
    ApiToken.objects.filter(label="書込").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert ApiClient(writer).get(records).status == 401
    assert "expired" in re.search(rf'<tr data-prefix="{writer[:10]}">(.*?)</tr>',
                                  web.get("/manage/tokens").content.decode(), re.S).group(1)  # type: ignore[union-attr]
    tid = ApiToken.objects.get(label="読取").id
    assert web.post(f"/manage/tokens/{tid}/revoke").status_code == 302
    assert ApiClient(reader).get(records).status == 401
    # Creating a token is logged, with its scope and expiry.
    from daicho.models import AuditEvent

    created = AuditEvent.objects.filter(action="token_create", target=f"token:{writer[:10]}").get()
    assert created.user == "admin" and created.details["read_only"] is False
    assert created.details["expires_at"]


# -- in the browser ------------------------------------------------------------------------------

def _org(server: Server, code: str, name: str) -> None:
    status, body = server.call("POST", "/api/v1/orgs", {"code": code, "name": name})
    assert status in (201, 409), body


def test_permissions_screen_in_the_browser(open_page: Any, server: Server) -> None:
    _org(server, "510", "財政課")
    led = server.ledger(unique("権限台帳"), [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "所管課", "type": "org", "code": "dept"},
        {"name": "個人番号", "type": "text", "code": "secret"},
    ], [{"name": "庁舎", "dept": "510", "secret": "123"}])
    page = open_page("admin")
    page.goto(f"{server.base}/ledgers/{led['id']}/")
    page.click("#permissions-tab")
    page.wait_for_selector("#rules-form")
    # Only the inputs of the chosen subject and record condition are shown, once the page's
    # script has run (it hides the others when the page is loaded: without script all show).
    expect(page.locator("#r1-org")).to_be_hidden()
    expect(page.locator("#r1-user")).to_be_hidden()
    page.select_option("#r1-subject", "org")
    assert page.locator("#r1-org").is_visible() and page.locator("#r1-user").is_hidden()
    page.select_option("#r1-org", "510")
    page.check("#r1-right-view")
    page.check("#r1-right-edit")
    page.select_option("#r1-records", "field_is_my_org")
    assert page.locator("#r1-my_org_field").is_visible()
    page.locator("#rule-1 .field-rules > summary").click()
    page.select_option("#r1-f-secret", "hidden")
    shot(page, "permissions-new-rule")
    page.click("#save-rules")
    page.wait_for_selector(".message-success")
    _status, body = server.call("GET", f"/api/v1/ledgers/{led['id']}/permissions")
    assert body["rules"][1] == {"subject": {"org": "510", "include_children": True},
                                "rights": ["view", "edit"], "records": {"field_is_my_org": "dept"},
                                "fields": {"secret": "hidden"}}
    assert "財政課" in page.locator("#rule-1 > legend").inner_text()
    # A mistake is shown next to its input, in Japanese, and keyboard focus goes to the summary.
    page = open_page("admin", language="ja")
    page.goto(f"{server.base}/ledgers/{led['id']}/permissions")
    page.select_option("#r2-subject", "user")
    page.fill("#r2-user", "nosuch")
    page.check("#r2-right-view")
    page.click("#save-rules")
    page.wait_for_selector("#r2-subject-error")
    assert "nosuch" in page.locator("#r2-subject-error").inner_text()
    assert "いません" in page.locator("#r2-subject-error").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.locator("#r2-user").input_value() == "nosuch"
    shot(page, "permissions-error")
    # Sensitive, then remove the new rule again.
    page.check("#sensitive")
    page.click("#save-sensitive")
    page.wait_for_selector(".message-success")
    assert server.call("GET", f"/api/v1/ledgers/{led['id']}")[1]["sensitive"] is True
    page.check("#r1-remove")
    page.click("#save-rules")
    page.wait_for_selector(".message-success")
    assert len(server.call("GET", f"/api/v1/ledgers/{led['id']}/permissions")[1]["rules"]) == 1


def test_what_can_see_and_access_log_in_the_browser(open_page: Any, server: Server) -> None:
    led = server.ledger(unique("閲覧確認"), [{"name": "名称", "type": "text", "code": "name"},
                                            {"name": "金額", "type": "number", "code": "amount"}],
                        [{"name": "a", "amount": 1}])
    status, _body = server.call("PUT", f"/api/v1/ledgers/{led['id']}/permissions", {"rules": [
        {"subject": {"user": "admin"}, "rights": ["view", "manage"]},
        {"subject": {"user": "bob"}, "rights": ["view", "add"], "fields": {"amount": "read"}}]})
    assert status == 200
    page = open_page("admin")
    page.locator(".user-menu > summary").click()
    page.click("#nav-user-access")
    page.fill("#ua-user", "bob")
    page.keyboard.press("Enter")
    row = page.locator(f"#user-access tr[data-ledger='{led['id']}']")
    row.wait_for()
    assert "rule 2 (User bob)" in row.inner_text() and "Add: 金額" in row.inner_text()
    shot(page, "what-can-see")
    # The access log: the chain check fills in, the filters narrow, the CSV downloads.
    page.locator(".user-menu > summary").click()
    page.click("#nav-audit")
    page.wait_for_selector("#chain-ok")
    page.select_option("#a-action", "permissions")
    page.select_option("#a-ledger", str(led["id"]))
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r".*action=permissions.*"))
    actions = page.locator("#audit tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert actions == ["permissions"]
    shot(page, "access-log")
    with page.expect_download() as info:
        page.click("#audit-csv")
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 2
    assert b",permissions," in data and f"ledger:{led['id']}".encode() in data
