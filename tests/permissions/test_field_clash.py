"""Issue 12, point 4: a ledger manager who may not see a field (rule `hidden`) adds or renames a
field with the hidden field's code or name. The answer is a 400 that reads the same as for a
visible field, so it tells nothing about what the rule hides, and no second field of the same
name or code ever exists. Codes of deleted fields stay reserved for their restore."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.permissions.conftest import World

MANAGER = [{"subject": {"user": "somu"}, "rights": ["view", "add", "edit", "manage"],
            "fields": {"secret": "hidden"}}]


@pytest.fixture
def managed(world: World) -> World:
    world.rules(MANAGER)
    fields = world.clients["somu"].get(world.base).body["fields"]
    assert "secret" not in [f["code"] for f in fields]
    return world


def _fields(world: World) -> list[tuple[str, str]]:
    return [(f["code"], f["name"]) for f in world.api.get(world.base).body["fields"]]


def _message_without(body: dict[str, Any], value: str) -> tuple[str, str]:
    error = body["error"]
    return error["code"], error["message"].replace(value, "…")


def test_adding_the_code_of_a_hidden_field(managed: World) -> None:
    somu = managed.clients["somu"]
    before = _fields(managed)
    hidden = somu.post(f"{managed.base}/fields", {"name": "新しい項目", "type": "text",
                                                  "code": "secret"})
    visible = somu.post(f"{managed.base}/fields", {"name": "新しい項目", "type": "text",
                                                   "code": "amount"})
    assert hidden.status == visible.status == 400, hidden.body
    assert _message_without(hidden.body, "secret") == _message_without(visible.body, "amount")
    assert hidden.body["error"] == {"code": "duplicate_field_code",
                                    "message": "項目コード「secret」は使えません。別のコードにしてください。"}
    assert _fields(managed) == before


def test_adding_the_name_of_a_hidden_field(managed: World) -> None:
    somu = managed.clients["somu"]
    before = _fields(managed)
    hidden = somu.post(f"{managed.base}/fields", {"name": "個人番号", "type": "text"})
    visible = somu.post(f"{managed.base}/fields", {"name": "金額", "type": "text"})
    assert hidden.status == visible.status == 400, hidden.body
    assert _message_without(hidden.body, "個人番号") == _message_without(visible.body, "金額")
    assert hidden.body["error"]["code"] == "duplicate_field_name"
    assert _fields(managed) == before


def test_renaming_to_the_name_of_a_hidden_field(managed: World) -> None:
    somu = managed.clients["somu"]
    before = _fields(managed)
    hidden = somu.patch(f"{managed.base}/fields/amount", {"name": "個人番号"})
    visible = somu.patch(f"{managed.base}/fields/amount", {"name": "名称"})
    assert hidden.status == visible.status == 400, hidden.body
    assert _message_without(hidden.body, "個人番号") == _message_without(visible.body, "名称")
    assert _fields(managed) == before
    assert somu.patch(f"{managed.base}/fields/amount", {"name": "金額"}).status == 200  # itself


def test_a_generated_code_never_takes_a_hidden_one(managed: World) -> None:
    somu = managed.clients["somu"]
    added = somu.post(f"{managed.base}/fields", {"name": "Secret", "type": "text"})
    assert added.status == 201, added.body
    assert added.body["code"] not in {"secret", "name", "amount", "dept", "kind"}
    codes = [code for code, _name in _fields(managed)]
    assert len(codes) == len(set(codes))


def test_codes_of_deleted_fields_stay_reserved(managed: World) -> None:
    somu = managed.clients["somu"]
    assert somu.delete(f"{managed.base}/fields/kind").status == 204
    again = somu.post(f"{managed.base}/fields", {"name": "種別", "type": "text", "code": "kind"})
    assert again.status == 400 and again.body["error"]["code"] == "duplicate_field_code"
    # The name of a deleted field is free again; the field's restore then refuses the clash.
    assert somu.post(f"{managed.base}/fields", {"name": "区分", "type": "text"}).status == 201
    clash = somu.post(f"{managed.base}/fields/kind/restore")
    assert clash.status == 400 and clash.body["error"]["code"] == "duplicate_field_name"
    assert [name for _code, name in _fields(managed)].count("区分") == 1


def test_restoring_next_to_a_hidden_field_of_the_same_name(managed: World) -> None:
    """The admin deletes 区分 and renames the hidden field to 区分; the manager's restore of
    kind must be refused without saying which field holds the name."""
    admin = managed.api
    assert admin.delete(f"{managed.base}/fields/kind").status == 204
    assert admin.patch(f"{managed.base}/fields/secret", {"name": "区分"}).status == 200
    clash = managed.clients["somu"].post(f"{managed.base}/fields/kind/restore")
    assert clash.status == 400, clash.body
    assert clash.body["error"]["code"] == "duplicate_field_name"
    assert [name for _code, name in _fields(managed)].count("区分") == 1


def test_the_designer_page_says_the_same(managed: World) -> None:
    from django.contrib.auth import get_user_model

    web = Client()
    web.force_login(get_user_model().objects.get(username="somu"))
    before = _fields(managed)
    resp = web.post(f"/ledgers/{managed.ledger_id}/fields/add",
                    {"name": "個人番号", "type": "text"})
    assert resp.status_code == 400
    assert "項目名「個人番号」は使えません。別の名前にしてください。" in resp.content.decode()
    renamed = web.post(f"/ledgers/{managed.ledger_id}/fields/amount/update",
                       {"name": "個人番号"}, follow=True)
    assert "項目名「個人番号」は使えません。別の名前にしてください。" in renamed.content.decode()
    assert _fields(managed) == before
