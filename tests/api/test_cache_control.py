"""Records, API answers and exports carry `Cache-Control: no-store` (issue 12): nothing a
ledger holds stays in a shared PC's browser cache or a proxy. Static files keep their caching."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import ApiClient


def _no_store(headers: Any) -> bool:
    return "no-store" in headers.get("Cache-Control", "")


def test_api_answers_are_not_stored(api: ApiClient, anon: ApiClient,
                                    ledger: dict[str, Any]) -> None:
    base = f"/api/v1/ledgers/{ledger['id']}"
    created = api.post(f"{base}/records", {"values": {"name": "庁舎"}})
    answers = [
        api.get("/api/v1/ledgers"), api.get(base), api.get(f"{base}/records"), created,
        api.get(f"{base}/records/{created.body['id']}"),
        api.get(f"{base}/records/{created.body['id']}/history"),
        api.get(f"{base}/aggregate"),
        api.get(f"{base}/records/424242"),  # errors too
        api.post(f"{base}/records", {"values": {"amount": "x"}}),
        anon.get(f"{base}/records"),
    ]
    for resp in answers:
        assert _no_store(resp.headers), (resp.status, resp.headers)
    for fmt in ("csv", "xlsx"):  # file responses: read through the client itself
        export = api.client.get(f"{base}/export", {"format": fmt})
        assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")
        assert _no_store(export), fmt


def test_pages_are_not_stored_static_files_are_cached(api: ApiClient, admin: Any,
                                                      ledger: dict[str, Any]) -> None:
    rid = api.post(f"/api/v1/ledgers/{ledger['id']}/records", {"values": {"name": "庁舎"}}).body["id"]
    web = Client()
    web.force_login(admin)
    for path in (f"/ledgers/{ledger['id']}/", f"/ledgers/{ledger['id']}/records/{rid}/",
                 f"/ledgers/{ledger['id']}/records/{rid}/history", "/"):
        resp = web.get(path)
        assert resp.status_code == 200, path
        assert _no_store(resp), path
    static = web.get("/static/web/js/grid/main.js")
    assert static.status_code == 200
    assert not _no_store(static)
