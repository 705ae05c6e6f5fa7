"""Deleting and restoring a field on the designer page: the message says what happened, and
on a ledger whose search keys follow from a background job (more than REKEY_NOW records) it
says that search follows in a few minutes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient, make_ledger


@pytest.mark.parametrize("rekey_now", [5_000, 1])
def test_the_designer_says_when_search_follows_in_the_background(
        web: Client, api: ApiClient, monkeypatch: pytest.MonkeyPatch, rekey_now: int) -> None:
    from daicho import jobs
    from daicho.services import ledgers

    monkeypatch.setattr(ledgers, "REKEY_NOW", rekey_now)
    lid = int(make_ledger(api, "備品", [{"name": "品名", "type": "text", "code": "name"},
                                      {"name": "備考", "type": "text", "code": "note"}])["id"])
    for name in ("机", "椅子"):
        assert api.post(f"/api/v1/ledgers/{lid}/records",
                        {"values": {"name": name, "note": "倉庫"}}).status == 201
    background = rekey_now < 2

    def said(resp: Any) -> str:
        assert resp.status_code == 302, resp.content
        return web.get(resp["Location"]).content.decode()

    page = said(web.post(f"/ledgers/{lid}/fields/note/delete"))
    assert "The field 「備考」 was deleted." in page
    assert ("for a few minutes, this field&#x27;s values may still find records" in page) is background
    jobs.run_pending()
    assert api.get(f"/api/v1/ledgers/{lid}/records", {"q": "倉庫"}).body["items"] == []
    page = said(web.post(f"/ledgers/{lid}/fields/note/restore"))
    assert "The field 「備考」 was restored." in page
    assert ("within a few minutes, this field&#x27;s values will find records too" in page) \
        is background
    jobs.run_pending()
    assert len(api.get(f"/api/v1/ledgers/{lid}/records", {"q": "倉庫"}).body["items"]) == 2
