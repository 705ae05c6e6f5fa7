"""Templates and design files on screen: the designer marks a ledger as a template and downloads
its design; the home page makes a ledger from a template or from a design file."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from daicho.models import Ledger
from tests.conftest import ApiClient, make_ledger


def test_mark_download_and_create(web: Client, api: ApiClient) -> None:
    lid = make_ledger(api, "備品台帳")["id"]
    page = web.get(f"/ledgers/{lid}/fields/").content.decode()
    assert 'id="ledger-template"' in page and f'/ledgers/{lid}/design' in page
    assert web.post(f"/ledgers/{lid}/template", {"template": "1"}).status_code == 302
    assert Ledger.objects.get(id=lid).settings["template"] is True
    home = web.get("/").content.decode()
    assert f'<option value="{lid}">' in home and "備品台帳" in home
    resp = web.post("/ledgers/new", {"name": "備品台帳（支所）", "template": str(lid)})
    assert resp.status_code == 302, resp.content.decode()[:500]
    made = Ledger.objects.get(name="備品台帳（支所）")
    assert [f["code"] for f in api.get(f"/api/v1/ledgers/{made.id}").body["fields"]] == [
        "name", "amount", "day", "kind"]
    download = web.get(f"/ledgers/{lid}/design")
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%82%99" in download["Content-Disposition"]
    design = json.loads(download.content)
    resp = web.post("/ledgers/new", {"name": "ファイルから", "design": SimpleUploadedFile(
        "d.daicho.json", json.dumps(design).encode())})
    assert resp.status_code == 302
    assert Ledger.objects.filter(name="ファイルから").exists()
    assert web.post(f"/ledgers/{lid}/template", {}).status_code == 302
    assert "template" not in Ledger.objects.get(id=lid).settings


def test_a_bad_design_file_is_refused_on_the_page(web: Client) -> None:
    before = Ledger.objects.count()
    for content in (b"\xff\xfe", b"[1, 2]", b'{"format": "x"}', b"{" * 5000):
        resp = web.post("/ledgers/new", {"name": "だめ", "design": SimpleUploadedFile(
            "d.json", content)})
        assert resp.status_code == 400
        assert 'id="create-error"' in resp.content.decode()
    assert Ledger.objects.count() == before
