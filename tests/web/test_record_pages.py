"""The record form (new, edit, validation, merge, conflict), history and revert, trash, presence,
pickers, the field designer and the admin pages, through Django's test client."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import ApiClient, make_ledger


def _form(web: Client, url: str) -> dict[str, Any]:
    """The form as the browser would submit it untouched: every v_/o_ input and rev."""
    import re

    html = web.get(url).content.decode()
    data: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="([or]_[a-z_0-9]+|rev)" value="([^"]*)"',
                                  html):
        data[name] = value.replace("&quot;", '"').replace("&amp;", "&")
        if name.startswith("o_"):
            data["v_" + name[2:]] = data[name]
    return data


def test_new_record_and_validation(web: Client, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    resp = web.post(f"/ledgers/{lid}/records/new", {"v_name": "", "v_amount": "abc",
                                                   "v_kind": "建物"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="f-name-error"' in html and 'id="f-amount-error"' in html
    assert 'value="abc"' in html and '<option selected>建物</option>' in html
    resp = web.post(f"/ledgers/{lid}/records/new", {"v_name": "庁舎", "v_amount": "1,000",
                                                   "v_day": "2024-04-01", "then": "another"})
    assert resp.status_code == 302 and resp["Location"].endswith("/records/new")


def test_edit_merge_and_conflict(web: Client, api: ApiClient, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    rec = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "庁舎", "amount": 1}}).body
    url = f"/ledgers/{lid}/records/{rec['id']}/"
    loaded = _form(web, url)
    assert loaded["rev"] == "1" and loaded["v_name"] == "庁舎"
    # Nothing changed: nothing saved.
    assert web.post(url, loaded).status_code == 302
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body["revision"] == 1
    # Someone else changes amount; my stale form changes name: merged.
    api.patch(f"/api/v1/ledgers/{lid}/records/{rec['id']}", {"revision": 1, "values": {"amount": 2}})
    resp = web.post(url, {**loaded, "v_name": "新庁舎"})
    assert resp.status_code == 302
    after = api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body
    assert after["values"]["name"] == "新庁舎" and after["values"]["amount"] == 2
    # Same field from a stale form: 409 page with both values and my typing kept.
    resp = web.post(url, {**loaded, "v_amount": "99"})
    assert resp.status_code == 409
    html = resp.content.decode()
    assert 'id="conflict-banner"' in html and 'value="99"' in html
    assert 'name="r_amount"' in html and 'name="rev" value="3"' in html
    assert 'value="新庁舎"' in html  # the field I did not touch shows the current value
    # Resolve "theirs": nothing of mine for that field is sent.
    resp = web.post(url, {**_form(web, url), "v_amount": "99", "o_amount": "2", "r_amount": "theirs"})
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body["values"]["amount"] == 2


def test_file_upload_and_download(web: Client, api: ApiClient) -> None:
    led = make_ledger(api, "添付台帳", [{"name": "名称", "type": "text", "code": "name"},
                                       {"name": "資料", "type": "file", "code": "docs"}])
    rec = api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": {"name": "a"}}).body
    url = f"/ledgers/{led['id']}/records/{rec['id']}/"
    data = _form(web, url)
    data["v_docs__upload"] = SimpleUploadedFile("報告書.pdf", b"%PDF-1.4 test")
    assert web.post(url, data).status_code == 302
    docs = api.get(f"/api/v1/ledgers/{led['id']}/records/{rec['id']}").body["values"]["docs"]
    assert docs[0]["name"] == "報告書.pdf"
    html = web.get(url).content.decode()
    href = f"/api/v1/ledgers/{led['id']}/files/{docs[0]['id']}"
    assert href in html
    assert b"".join(web.get(href).streaming_content) == b"%PDF-1.4 test"
    # Removing it empties the field.
    data = _form(web, url)
    data["v_docs__kept"] = str(docs[0]["id"])
    data["v_docs__remove"] = str(docs[0]["id"])
    assert web.post(url, data).status_code == 302
    assert api.get(f"/api/v1/ledgers/{led['id']}/records/{rec['id']}").body["values"]["docs"] is None


def test_history_revert_delete_restore(web: Client, api: ApiClient, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    rec = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "旧名"}}).body
    api.patch(f"/api/v1/ledgers/{lid}/records/{rec['id']}", {"revision": 1, "values": {"name": "新名"}})
    html = web.get(f"/ledgers/{lid}/records/{rec['id']}/history").content.decode()
    assert "<del>" in html and "旧名" in html and "<ins>" in html and "新名" in html
    resp = web.post(f"/ledgers/{lid}/records/{rec['id']}/revert", {"to_revision": "1"})
    assert resp.status_code == 302
    assert api.get(f"/api/v1/ledgers/{lid}/records/{rec['id']}").body["values"]["name"] == "旧名"
    assert web.post(f"/ledgers/{lid}/records/{rec['id']}/delete", {"rev": "3"}).status_code == 302
    assert "旧名" in web.get(f"/ledgers/{lid}/trash").content.decode()
    assert web.get(f"/ledgers/{lid}/records/{rec['id']}/").status_code == 404
    assert web.get(f"/ledgers/{lid}/records/{rec['id']}/history").status_code == 200
    assert web.post(f"/ledgers/{lid}/records/{rec['id']}/restore").status_code == 302
    assert web.get(f"/ledgers/{lid}/records/{rec['id']}/").status_code == 200


def test_presence(web: Client, api: ApiClient, ledger: dict[str, Any], make_client: Any) -> None:
    lid = ledger["id"]
    rec = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "x"}}).body
    api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}]})
    make_client("sato", name="佐藤")
    other = Client()
    other.force_login(get_user_model().objects.get(username="sato"))
    url = f"/ledgers/{lid}/records/{rec['id']}/presence"
    assert "佐藤" not in web.post(url).content.decode()
    other.post(url)
    assert "佐藤" in web.post(url).content.decode()
    assert web.post(f"/ledgers/{lid}/records/999999/presence").status_code == 404


def test_pickers(web: Client, api: ApiClient, ledger: dict[str, Any]) -> None:
    from daicho.models import Org

    Org.objects.create(code="120", name="情報企画課")
    assert web.get("/pick/orgs", {"q": "情報"}).json()["items"] == [
        {"value": "120", "label": "情報企画課", "detail": "120"}]
    assert [i["value"] for i in web.get("/pick/users", {"q": "adm"}).json()["items"]] == ["admin"]
    led = make_ledger(api, "貸出", [{"name": "品", "type": "link", "code": "item",
                                   "options": {"ledger": ledger["id"]}}])
    rec = api.post(f"/api/v1/ledgers/{ledger['id']}/records", {"values": {"name": "投光器"}}).body
    items = web.get(f"/ledgers/{led['id']}/fields/item/pick", {"q": "投光"}).json()["items"]
    assert items == [{"value": str(rec["id"]), "label": "投光器", "detail": f"#{rec['id']}"}]


def test_field_designer(web: Client, api: ApiClient, ledger: dict[str, Any]) -> None:
    lid = ledger["id"]
    base = f"/ledgers/{lid}/fields/"
    resp = web.post(base + "add", {"name": "状態", "type": "choice",
                                   "opt:choice:choices": "使用中\r\n遊休\r\n"})
    assert resp.status_code == 302
    fields = api.get(f"/api/v1/ledgers/{lid}").body["fields"]
    state = next(f for f in fields if f["name"] == "状態")
    assert state["options"] == {"choices": ["使用中", "遊休"]}
    code = state["code"]
    assert web.post(base + f"{code}/update", {"name": "利用状態", "opt:choice:choices": "使用中\n遊休\n廃止"}
                    ).status_code == 302
    assert web.post(base + f"{code}/move", {"direction": "up"}).status_code == 302
    codes = [f["code"] for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]]
    assert codes.index(code) == len(codes) - 2
    assert web.post(base + "order", {"codes": list(reversed(codes))}).status_code == 302
    assert [f["code"] for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]] == codes[::-1]
    # Retype name (text) to number: a value that does not convert is previewed first.
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "十二"}})
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "12"}})
    resp = web.post(base + "name/retype", {"type": "number", "opt:number:decimals": "0"})
    assert resp.status_code == 409
    html = resp.content.decode()
    assert 'id="retype-preview"' in html and "十二" in html and 'name="confirm" value="1"' in html
    assert next(f for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]
                if f["code"] == "name")["type"] == "text"  # nothing changed yet
    resp = web.post(base + "name/retype", {"type": "number", "opt:number:decimals": "0",
                                           "confirm": "1"})
    assert resp.status_code == 302
    assert next(f for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]
                if f["code"] == "name")["type"] == "number"
    # Delete keeps the values; restore brings the field back.
    assert web.post(base + f"{code}/delete").status_code == 302
    assert "利用状態" in web.get(base).content.decode()  # listed under deleted fields
    assert web.post(base + f"{code}/restore").status_code == 302
    assert code in [f["code"] for f in api.get(f"/api/v1/ledgers/{lid}").body["fields"]]
    assert web.post(f"/ledgers/{lid}/settings", {"name": "改名した台帳", "description": ""}
                    ).status_code == 302
    assert api.get(f"/api/v1/ledgers/{lid}").body["name"] == "改名した台帳"


def test_users_and_tokens(web: Client, admin: Any) -> None:
    resp = web.post("/manage/users", {"login": "tanaka", "name": "田中", "password": "Kumamoto-2024!",
                                      "password2": "Kumamoto-2024!"})
    assert resp.status_code == 302
    assert get_user_model().objects.get(username="tanaka").check_password("Kumamoto-2024!")
    resp = web.post("/manage/users", {"login": "tanaka", "password": "", "password2": ""})
    assert resp.status_code == 409
    resp = web.post("/manage/tokens", {"label": "集計スクリプト", "login": "tanaka"})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    import re

    token = re.search(r'<code id="new-token" class="token">([^<]+)</code>', resp.content.decode()).group(1)
    api = ApiClient(token)
    assert api.get("/api/v1/ledgers").status == 200
    html = web.get("/manage/tokens").content.decode()
    assert token not in html and "集計スクリプト" in html  # shown once, never again
    from daicho.models import ApiToken

    tid = ApiToken.objects.get(label="集計スクリプト").id
    assert web.post(f"/manage/tokens/{tid}/revoke").status_code == 302
    assert api.get("/api/v1/ledgers").status == 401
    # Someone who is not an admin sees and revokes only their own tokens.
    web.post("/manage/tokens", {"label": "管理用", "login": "admin"})
    admins = ApiToken.objects.get(label="管理用").id
    clerk = Client()
    clerk.force_login(get_user_model().objects.get(username="tanaka"))
    html = clerk.get("/manage/tokens").content.decode()
    assert "集計スクリプト" in html and "管理用" not in html
    assert clerk.post(f"/manage/tokens/{admins}/revoke").status_code == 404
    assert ApiToken.objects.get(id=admins).revoked_at is None
