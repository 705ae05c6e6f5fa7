"""The generated permission matrix (contract §5), through the HTTP API: subjects × rights ×
record rules × field rules × surfaces (list, get, search, aggregate, export, history). Every case
asserts what is shown and what is absent."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from daicho.access import RIGHTS
from tests.permissions.conftest import RECORDS, USERS, World

ALL = set(RECORDS)

# subject → the users it matches
SUBJECTS: list[tuple[str, dict[str, Any], set[str]]] = [
    ("everyone", {"everyone": True}, set(USERS)),
    ("org", {"org": "110", "include_children": False}, {"somu"}),
    ("org+children", {"org": "110", "include_children": True}, {"somu", "shomu"}),
    ("parent+children", {"org": "100", "include_children": True}, {"somu", "shomu"}),
    ("user", {"user": "named"}, {"named"}),
    ("role", {"role": "監査"}, {"auditor"}),
]


@pytest.mark.parametrize(("label", "subject", "matched"), SUBJECTS, ids=[s[0] for s in SUBJECTS])
def test_subjects(world: World, label: str, subject: dict[str, Any], matched: set[str]) -> None:
    world.rules([{"subject": subject, "rights": ["view"]}])
    for login, client in world.clients.items():
        listed = {item["id"] for item in client.get("/api/v1/ledgers").body["items"]}
        page = client.get(f"{world.base}/records")
        if login in matched:
            assert world.ledger_id in listed and page.status == 200, login
            assert world.names(page.body["items"]) == ALL
        else:
            assert world.ledger_id not in listed, login
            assert page.status == 404 and client.get(world.base).status == 404, login


# record rule → the records (by name) that somu (総務課) and shomu (庶務係, below it) see
RECORD_RULES: list[tuple[str, dict[str, Any] | None, dict[str, set[str]]]] = [
    ("all", None, {"somu": ALL, "shomu": ALL}),
    ("creator", {"creator": True}, {"somu": {"無所属"}, "shomu": {"係の机"}}),
    ("my-org", {"field_is_my_org": "dept"},
     {"somu": {"庁舎", "倉庫", "係の机"}, "shomu": {"倉庫", "係の机"}}),
    ("filter", {"filter": "kind:eq:建物"},
     {"somu": {"庁舎", "福祉会館", "無所属"}, "shomu": {"庁舎", "福祉会館", "無所属"}}),
]


def _csv_text(resp: Any) -> str:
    data = resp.body if isinstance(resp.body, bytes) else b"".join(resp.body)
    return str(data.decode("utf-8-sig"))


def _export(client: Any, base: str, **params: str) -> str:
    from django.test import Client

    inner: Client = client.client
    resp = inner.get(f"{base}/export", {"format": "csv", "encoding": "utf-8", **params})
    assert resp.status_code == 200
    return b"".join(resp.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("label", "records", "expected"), RECORD_RULES,
                         ids=[r[0] for r in RECORD_RULES])
@pytest.mark.parametrize("login", ["somu", "shomu"])
def test_record_rules_on_every_surface(world: World, label: str, records: dict[str, Any] | None,
                                       expected: dict[str, set[str]], login: str) -> None:
    rule: dict[str, Any] = {"subject": {"org": "110", "include_children": True},
                            "rights": ["view", "export"]}
    if records is not None:
        rule["records"] = records
    world.rules([rule])
    client, shown = world.clients[login], expected[login]
    hidden = ALL - shown
    # list
    page = client.get(f"{world.base}/records")
    assert page.status == 200 and world.names(page.body["items"]) == shown
    assert page.body["total"] == (len(ALL) if records is None else None)
    # the record count of the ledger would count what they may not see
    count = client.get(world.base).body["record_count"]
    assert count == (len(ALL) if records is None else None)
    # get and history: 404 exactly as for a record that does not exist
    missing = client.get(f"{world.base}/records/999999").body
    for name, rid in world.ids.items():
        got = client.get(f"{world.base}/records/{rid}")
        hist = client.get(f"{world.base}/records/{rid}/history")
        if name in shown:
            assert got.status == 200 and got.body["values"]["name"] == name
            assert hist.status == 200 and hist.body["items"]
        else:
            assert got.status == 404 and got.body == missing
            assert hist.status == 404 and hist.body == missing
    # search
    for name in RECORDS:
        found = client.get(f"{world.base}/records", {"q": name}).body["items"]
        assert world.names(found) == ({name} & shown)
    # aggregate: counts only what is shown
    total = client.get(f"{world.base}/aggregate").body["groups"]
    assert total == [{"key": None, "value": len(shown)}]
    by_kind = client.get(f"{world.base}/aggregate", {"group_by": "kind"}).body["groups"]
    assert sum(g["value"] for g in by_kind) == len(shown)
    # export
    text = _export(client, world.base)
    assert all(name in text for name in shown)
    assert not any(name in text for name in hidden)


def _ids(world: World, names: set[str]) -> dict[str, int]:
    return {n: world.ids[n] for n in names}


ACTIONS = {
    "view": lambda w, c: c.get(w.base).status == 200,
    "add": lambda w, c: c.post(f"{w.base}/records", {"values": {"name": "新規"}}).status == 201,
    "edit": lambda w, c: c.patch(f"{w.base}/records/{w.ids['庁舎']}",
                                 {"revision": 2, "values": {"amount": 1}}).status == 200,
    "delete": lambda w, c: c.delete(f"{w.base}/records/{w.ids['倉庫']}").status == 204,
    "export": lambda w, c: c.client.get(f"{w.base}/export", {"format": "csv"}).status_code == 200,
    "import": lambda w, c: c.upload("/api/v1/imports", {
        "file": _named(io.BytesIO("名称\n取り込み\n".encode()), "in.csv"),
        "ledger": str(w.ledger_id), "mode": "append"}).status == 200,
    "manage": lambda w, c: c.get(f"{w.base}/permissions").status == 200,
}


def _named(stream: io.BytesIO, name: str) -> io.BytesIO:
    stream.name = name
    return stream


@pytest.mark.parametrize("right", RIGHTS)
def test_each_right_allows_only_itself(world: World, right: str) -> None:
    granted = {"view", right}
    world.rules([{"subject": {"user": "somu"}, "rights": sorted(granted)}])
    client = world.clients["somu"]
    for action, attempt in ACTIONS.items():
        assert attempt(world, client) == (action in granted), action
    # The others, matched by no rule, can do nothing at all.
    for action, attempt in ACTIONS.items():
        assert not attempt(world, world.clients["shomu"]), action


def test_write_rights_follow_record_rules(world: World) -> None:
    # somu sees everything in the department but may edit and delete only what they created.
    world.rules([
        {"subject": {"org": "110"}, "rights": ["view"]},
        {"subject": {"org": "110"}, "rights": ["edit", "delete"], "records": {"creator": True}},
    ])
    client = world.clients["somu"]
    own, other = world.ids["無所属"], world.ids["庁舎"]
    assert client.get(f"{world.base}/records/{other}").status == 200
    assert client.patch(f"{world.base}/records/{other}",
                        {"revision": 2, "values": {"amount": 1}}).status == 404
    assert client.delete(f"{world.base}/records/{other}").status == 404
    assert client.post(f"{world.base}/records/{other}/revert", {"to_revision": 1}).status == 404
    assert client.patch(f"{world.base}/records/{own}",
                        {"revision": 1, "values": {"amount": 1}}).status == 200
    assert client.delete(f"{world.base}/records/{own}").status == 204
    assert client.post(f"{world.base}/records/{own}/restore").status == 200


FIELD_CASES = ["hidden", "read"]


@pytest.mark.parametrize("level", FIELD_CASES)
def test_field_rules_on_every_surface(world: World, level: str) -> None:
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "add", "edit", "export"],
                  "fields": {"secret": level}}])
    client = world.clients["somu"]
    shown = level == "read"
    codes = {f["code"] for f in client.get(world.base).body["fields"]}
    assert ("secret" in codes) == shown and "name" in codes
    page = client.get(f"{world.base}/records").body
    assert ("秘密" in json.dumps(page, ensure_ascii=False)) == shown
    assert all(("secret" in item["values"]) == shown for item in page["items"])
    rid = world.ids["庁舎"]
    record = client.get(f"{world.base}/records/{rid}").body
    assert ("secret" in record["values"]) == shown
    history = client.get(f"{world.base}/records/{rid}/history").body
    assert ("秘密" in json.dumps(history, ensure_ascii=False)) == shown
    assert history["items"][0]["changes"]["amount"] == {"old": 100, "new": 150}
    text = _export(client, world.base)
    assert ("秘密" in text) == shown and ("個人番号" in text) == shown and "庁舎" in text
    # Search finds visible text, never the secret.
    assert world.names(client.get(f"{world.base}/records", {"q": "庁舎"}).body["items"]) == {"庁舎"}
    found = client.get(f"{world.base}/records", {"q": "秘密甲改"}).body["items"]
    assert world.names(found) == ({"庁舎"} if shown else set())
    # Writing it is refused either way; the other fields stay writable.
    resp = client.patch(f"{world.base}/records/{rid}", {"revision": 2, "values": {"secret": "x"}})
    assert resp.status == 400 and "secret" in resp.body["error"]["details"]["fields"]
    resp = client.post(f"{world.base}/records", {"values": {"name": "新", "secret": "x"}})
    assert resp.status == 400
    resp = client.patch(f"{world.base}/records/{rid}", {"revision": 2, "values": {"name": "本庁舎"}})
    assert resp.status == 200 and ("secret" in resp.body["values"]) == shown
    # The hidden value survived the edit (and the admin still finds it by search).
    admin_view = world.api.get(f"{world.base}/records", {"q": "秘密甲改"}).body["items"]
    assert world.names(admin_view) == {"本庁舎"}


def test_most_generous_field_level_wins(world: World) -> None:
    world.rules([
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"secret": "hidden"}},
        {"subject": {"org": "210"}, "rights": ["view", "edit"]},
    ])
    assert "secret" not in world.clients["somu"].get(
        f"{world.base}/records/{world.ids['福祉会館']}").body["values"]
    got = world.clients["fukushi"].get(f"{world.base}/records/{world.ids['福祉会館']}").body
    assert got["values"]["secret"] == "秘密丙"
