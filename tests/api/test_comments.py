"""Comments on records through the API (contract §9; docs/api.md, "Comments"): write and read,
mentions, bad input, edits and deletion with their history, trash and restore, the event the
listeners get, and the search."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from daicho.services import events
from tests.conftest import ApiClient, make_ledger

EVERYONE = [{"subject": {"everyone": True}, "rights": ["view", "add", "edit", "delete"]}]


@pytest.fixture
def heard() -> Iterator[list[events.RecordEvent]]:
    got: list[events.RecordEvent] = []

    def listener(schema: Any, batch: Sequence[events.RecordEvent]) -> None:
        got.extend(e for e in batch if e.action == "comment")

    events.listen(listener)
    try:
        yield got
    finally:
        events._listeners.remove(listener)


@pytest.fixture
def setup(api: ApiClient, make_client: Any) -> dict[str, Any]:
    lid = make_ledger(api, "備品台帳")["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": EVERYONE}).status == 200
    rid = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "公用車"}}).body["id"]
    return {"lid": lid, "rid": rid, "base": f"/api/v1/ledgers/{lid}/records/{rid}/comments",
            "tanaka": make_client("tanaka", name="田中一郎"),
            "yamada": make_client("yamada", name="山田 花子")}


def test_write_and_read_a_comment_with_mentions(api: ApiClient, setup: dict[str, Any],
                                                heard: list[events.RecordEvent]) -> None:
    base = setup["base"]
    resp = setup["tanaka"].post(base, {"text": "  @山田花子さん、@admin 確認をお願いします。\r\n明日まで  "})
    assert resp.status == 201, resp.body
    body = resp.body
    assert set(body) >= {"id", "at", "by", "text", "mentions"}
    assert body["by"] == "tanaka"
    assert body["text"] == "@山田花子さん、@admin 確認をお願いします。\n明日まで"
    assert body["mentions"] == ["yamada", "admin"] and body["skipped"] == []
    listed = api.get(base).body["items"]
    assert [c["id"] for c in listed] == [body["id"]] and listed[0]["mentions"] == ["yamada", "admin"]
    [event] = heard
    assert event.action == "comment" and event.record_id == setup["rid"]
    assert event.ledger_id == setup["lid"] and event.revision == 1
    assert event.extra["comment_id"] == body["id"] and event.extra["text"] == body["text"]
    assert len(event.extra["mentions"]) == 2 and all(isinstance(u, int)
                                                      for u in event.extra["mentions"])
    # A comment is not a change of the record: its revision stays, nobody editing meets a 409.
    rec = api.get(f"/api/v1/ledgers/{setup['lid']}/records/{setup['rid']}").body
    assert rec["revision"] == 1


def test_comments_come_oldest_first(setup: dict[str, Any]) -> None:
    client = setup["tanaka"]
    for text in ("一つ目", "二つ目", "三つ目"):
        assert client.post(setup["base"], {"text": text}).status == 201
    assert [c["text"] for c in client.get(setup["base"]).body["items"]] == ["一つ目", "二つ目", "三つ目"]


@pytest.mark.parametrize(("payload", "code"), [
    ({"text": ""}, "empty_comment"), ({"text": " \n\u3000 "}, "empty_comment"),
    ({"text": "あ" * 4001}, "comment_too_long"), ({"text": 12}, "invalid_comment"),
    ({"text": None}, "invalid_comment"), ({"text": "a\x00b"}, "invalid_comment"),
    ({}, "invalid_comment"), ({"text": "x", "by": "admin"}, "unknown_keys"),
])
def test_bad_text_is_refused_and_writes_nothing(api: ApiClient, setup: dict[str, Any],
                                                payload: dict[str, Any], code: str) -> None:
    resp = api.post(setup["base"], payload)
    assert resp.status == 400, resp.body
    assert resp.body["error"]["code"] == code and resp.body["error"]["message"]
    assert api.get(setup["base"]).body["items"] == []


def test_the_longest_text_is_taken(api: ApiClient, setup: dict[str, Any]) -> None:
    assert api.post(setup["base"], {"text": "あ" * 4000}).status == 201


def test_not_json_and_wrong_ids(api: ApiClient, setup: dict[str, Any]) -> None:
    assert api.post(setup["base"], raw="{").status == 400
    lid, rid = setup["lid"], setup["rid"]
    assert api.post(f"/api/v1/ledgers/{lid}/records/999999/comments", {"text": "x"}).status == 404
    assert api.get(f"/api/v1/ledgers/999999/records/{rid}/comments").status == 404
    assert api.patch(f"{setup['base']}/999999", {"text": "x"}).status == 404


def test_mentions_of_unknown_names_stay_text(api: ApiClient, setup: dict[str, Any]) -> None:
    body = api.post(setup["base"], {"text": "info@example.jp と @誰か へ"}).body
    assert body["mentions"] == [] and body["skipped"] == []


def test_a_shared_name_mentions_nobody_and_says_so(api: ApiClient, setup: dict[str, Any],
                                                    make_client: Any) -> None:
    make_client("tanaka2", name="田中一郎")
    body = api.post(setup["base"], {"text": "@田中一郎 さん"}).body
    assert body["mentions"] == []
    assert body["skipped"] == [{"text": "@田中一郎", "reason": "ambiguous"}]
    body = api.post(setup["base"], {"text": "@tanaka2 さん"}).body
    assert body["mentions"] == ["tanaka2"]


def test_only_the_author_edits_and_the_old_text_is_kept(api: ApiClient, setup: dict[str, Any],
                                                        heard: list[events.RecordEvent]) -> None:
    base, tanaka = setup["base"], setup["tanaka"]
    cid = tanaka.post(base, {"text": "@yamada 初稿"}).body["id"]
    resp = setup["yamada"].patch(f"{base}/{cid}", {"text": "書き換え"})
    assert resp.status == 403 and resp.body["error"]["code"] == "not_comment_author"
    assert api.patch(f"{base}/{cid}", {"text": "管理者でも不可"}).status == 403
    assert tanaka.patch(f"{base}/{cid}", {"text": ""}).status == 400
    resp = tanaka.patch(f"{base}/{cid}", {"text": "@yamada @admin 第二稿"})
    assert resp.status == 200, resp.body
    assert resp.body["text"] == "@yamada @admin 第二稿" and resp.body["edited_at"]
    # Only the newly mentioned are told again.
    assert heard[-1].extra["edited"] is True and len(heard[-1].extra["mentions"]) == 1
    history = tanaka.get(f"{base}/{cid}/history").body["items"]
    assert [(h["revision"], h["action"], h["text"]) for h in history] == [
        (2, "edit", "@yamada @admin 第二稿"), (1, "create", "@yamada 初稿")]
    assert history[1]["mentions"] == ["yamada"] and history[0]["by"] == "tanaka"


def test_a_deleted_comment_keeps_its_place_and_its_text_in_history(
        api: ApiClient, setup: dict[str, Any]) -> None:
    base, tanaka = setup["base"], setup["tanaka"]
    cid = tanaka.post(base, {"text": "消す予定"}).body["id"]
    assert setup["yamada"].delete(f"{base}/{cid}").status == 403
    assert tanaka.delete(f"{base}/{cid}").status == 204
    [item] = api.get(base).body["items"]
    assert item["deleted"] is True and item["text"] == "" and item["mentions"] == []
    assert tanaka.delete(f"{base}/{cid}").status == 409
    assert tanaka.patch(f"{base}/{cid}", {"text": "復活"}).status == 409
    history = api.get(f"{base}/{cid}/history").body["items"]
    assert [(h["action"], h["text"]) for h in history] == [("delete", "消す予定"),
                                                           ("create", "消す予定")]


def test_comments_stay_through_the_trash(api: ApiClient, setup: dict[str, Any]) -> None:
    lid, rid, base = setup["lid"], setup["rid"], setup["base"]
    cid = api.post(base, {"text": "ごみ箱の前"}).body["id"]
    assert api.delete(f"/api/v1/ledgers/{lid}/records/{rid}?revision=1").status == 204
    assert [c["id"] for c in api.get(base).body["items"]] == [cid]
    resp = api.post(base, {"text": "ごみ箱の中"})
    assert resp.status == 409 and resp.body["error"]["code"] == "record_in_trash"
    assert api.patch(f"{base}/{cid}", {"text": "x"}).status == 409
    assert api.post(f"/api/v1/ledgers/{lid}/records/{rid}/restore").status == 200
    assert [c["text"] for c in api.get(base).body["items"]] == ["ごみ箱の前"]
    assert api.post(base, {"text": "戻った後"}).status == 201
    # The record's own history keeps its actions (contract §4.2): comments are not entries.
    actions = [h["action"] for h in
               api.get(f"/api/v1/ledgers/{lid}/records/{rid}/history").body["items"]]
    assert actions == ["restore", "delete", "create"]


def test_search_is_japanese_aware_and_pages(api: ApiClient, setup: dict[str, Any]) -> None:
    base = setup["base"]
    for text in ("タイヤ交換の見積", "ﾀｲﾔの在庫", "車検の予約", "ＡＢＣ社に連絡"):
        assert api.post(base, {"text": text}).status == 201
    found = api.get("/api/v1/comments", {"q": "たいや"}).body
    assert [c["text"] for c in found["items"]] == ["ﾀｲﾔの在庫", "タイヤ交換の見積"]
    assert found["items"][0]["ledger"] == {"id": setup["lid"], "name": "備品台帳"}
    assert found["items"][0]["record"] == setup["rid"] and found["next_cursor"] is None
    assert [c["text"] for c in api.get("/api/v1/comments", {"q": "abc 連絡"}).body["items"]] \
        == ["ＡＢＣ社に連絡"]
    first = api.get("/api/v1/comments", {"q": "の", "limit": "2"}).body
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/api/v1/comments", {"q": "の", "limit": "2",
                                        "cursor": first["next_cursor"]}).body
    assert [c["text"] for c in first["items"] + rest["items"]] == [
        "車検の予約", "ﾀｲﾔの在庫", "タイヤ交換の見積"]
    assert rest["next_cursor"] is None
    one = api.get("/api/v1/comments", {"q": "の", "ledger": str(setup["lid"])}).body
    assert len(one["items"]) == 3


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "  "}, {"q": "x", "limit": "0"},
                                    {"q": "x", "limit": "201"}, {"q": "x", "limit": "abc"},
                                    {"q": "x", "cursor": "zz"}])
def test_search_refuses_bad_parameters(api: ApiClient, setup: dict[str, Any],
                                       params: dict[str, str]) -> None:
    resp = api.get("/api/v1/comments", params)
    assert resp.status == 400 and resp.body["error"]["code"], resp.body


def test_search_leaves_out_deleted_comments_and_trashed_records(
        api: ApiClient, setup: dict[str, Any]) -> None:
    lid, rid, base = setup["lid"], setup["rid"], setup["base"]
    cid = api.post(base, {"text": "削除するコメント"}).body["id"]
    api.post(base, {"text": "残るコメント"})
    api.delete(f"{base}/{cid}")
    assert [c["text"] for c in api.get("/api/v1/comments", {"q": "コメント"}).body["items"]] \
        == ["残るコメント"]
    api.delete(f"/api/v1/ledgers/{lid}/records/{rid}?revision=1")
    assert api.get("/api/v1/comments", {"q": "コメント"}).body["items"] == []
    assert api.get("/api/v1/comments", {"q": "x", "ledger": "999999"}).status == 404
