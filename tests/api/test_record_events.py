"""Every record writer tells the event listeners (daicho.services.events) what it wrote, in its
own transaction: one event per history entry, and nothing for a write that failed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from daicho.services import events
from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "名称", "type": "text", "code": "name"},
          {"name": "番号", "type": "text", "code": "no", "unique": True}]


@pytest.fixture
def heard() -> Iterator[list[events.RecordEvent]]:
    got: list[events.RecordEvent] = []

    def listener(schema: Any, batch: Sequence[events.RecordEvent]) -> None:
        assert all(e.ledger_id == schema.id for e in batch)
        got.extend(batch)

    events.listen(listener)
    try:
        yield got
    finally:
        events._listeners.remove(listener)


def test_each_writer_emits_its_history_entries(api: ApiClient, heard: list[Any]) -> None:
    lid = make_ledger(api, "出来事", FIELDS)["id"]
    base = f"/api/v1/ledgers/{lid}/records"
    rec = api.post(base, {"values": {"name": "本庁舎", "no": "1"}}).body
    rid = rec["id"]
    api.patch(f"{base}/{rid}", {"revision": 1, "values": {"name": "新庁舎"}})
    api.post(f"{base}/{rid}/revert", {"to_revision": 1})
    api.delete(f"{base}/{rid}?revision=3")
    api.post(f"{base}/{rid}/restore")
    bulk = api.post(f"{base}/bulk", {"create": [{"values": {"name": "A", "no": "2"}},
                                                {"values": {"name": "B", "no": "3"}}]})
    assert bulk.status == 200
    assert [(e.action, e.record_id, e.revision) for e in heard[:5]] == [
        ("create", rid, 1), ("update", rid, 2), ("revert", rid, 3), ("delete", rid, 4),
        ("restore", rid, 5)]
    assert heard[1].changes == {"name": {"old": "本庁舎", "new": "新庁舎"}}
    assert heard[0].user_id is not None and heard[0].extra == {}
    assert [e.action for e in heard[5:]] == ["create", "create"]


def test_a_refused_write_emits_nothing(api: ApiClient, heard: list[Any]) -> None:
    lid = make_ledger(api, "出来事", FIELDS)["id"]
    base = f"/api/v1/ledgers/{lid}/records"
    rid = api.post(base, {"values": {"name": "A", "no": "1"}}).body["id"]
    heard.clear()
    assert api.post(base, {"values": {"name": "B", "no": "1"}}).status == 400
    assert api.patch(f"{base}/{rid}", {"revision": 9, "values": {"no": "1"}}).status == 409
    assert heard == []


def test_an_import_emits_one_event_per_record(api: ApiClient, heard: list[Any]) -> None:
    csv = "名称,番号\r\nA,1\r\nB,2\r\nC,3\r\n".encode()
    resp = api.upload("/api/v1/imports", {"file": SimpleUploadedFile("名簿.csv", csv)})
    assert resp.status == 200, resp.body
    assert [e.action for e in heard] == ["import"] * 3
    assert len({e.record_id for e in heard}) == 3 and {e.revision for e in heard} == {1}
