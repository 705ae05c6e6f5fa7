"""A user or department value holding a control character is refused as a value error, never
sent to the database (PostgreSQL refuses a NUL in text with an error of its own: a 500 before).
Found by tests/api/test_field_cells.py's Hypothesis examples on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger


@pytest.fixture
def refs(api: ApiClient) -> dict[str, Any]:
    return make_ledger(api, "担当台帳", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "担当者", "type": "user", "code": "owner"},
        {"name": "担当課", "type": "org", "code": "dept"},
    ])


@pytest.mark.parametrize("code", ["owner", "dept"])
@pytest.mark.parametrize("text", ["\x00", "adm\x00in", "a\x07"])
def test_a_control_character_is_a_value_error(api: ApiClient, refs: dict[str, Any], code: str,
                                              text: str) -> None:
    resp = api.post(f"/api/v1/ledgers/{refs['id']}/records", {"values": {"name": "x", code: text}})
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == "invalid_values"
    assert code in resp.body["error"]["details"]["fields"]
    assert api.get(f"/api/v1/ledgers/{refs['id']}/records").body["total"] == 0


@pytest.mark.parametrize("code", ["owner", "dept"])
def test_a_filter_with_a_nul_is_refused(api: ApiClient, refs: dict[str, Any], code: str) -> None:
    resp = api.get(f"/api/v1/ledgers/{refs['id']}/records", {"filter": f"{code}:eq:a\x00"})
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == "invalid_filter"
