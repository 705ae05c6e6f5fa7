"""Anchoring the access log (issue 12): the chain head written outside the database by
`daicho audit anchor` and daily by the job thread; `daicho audit verify --anchors DIR` catches a
chain rewritten consistently (hashes recomputed, head moved) or cut short, which the chain
alone cannot show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient


def _make_entries(api: ApiClient, n: int) -> None:
    from daicho.models import AuditEvent

    start = AuditEvent.objects.count()
    for i in range(start, start + n):
        assert api.post("/api/v1/users", {"login": f"user{i}"}).status == 201


def _rewrite_from(seq: int, **changes: Any) -> None:
    """What someone with write access to the database can do: change an entry, recompute every
    hash after it and move the head — the chain verifies again."""
    from daicho.models import AuditEvent, AuditHead
    from daicho.services.audit import GENESIS, HEAD_ID, _digest

    events = list(AuditEvent.objects.order_by("seq"))
    prev = GENESIS
    for e in events:
        if e.seq == seq:
            for key, value in changes.items():
                setattr(e, key, value)
        if e.seq >= seq:
            e.prev_hash = prev
            e.hash = _digest(e.seq, e.at, e.user, e.action, e.target, e.ip, e.details, prev)
            e.save()
        prev = e.hash
    AuditHead.objects.filter(id=HEAD_ID).update(seq=events[-1].seq, hash=prev)


def _truncate_to(seq: int) -> None:
    from daicho.models import AuditEvent, AuditHead
    from daicho.services.audit import HEAD_ID

    AuditEvent.objects.filter(seq__gt=seq).delete()
    last = AuditEvent.objects.get(seq=seq)
    AuditHead.objects.filter(id=HEAD_ID).update(seq=seq, hash=last.hash)


@pytest.fixture
def anchors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "anchors"
    monkeypatch.setenv("DAICHO_AUDIT_ANCHOR_DIR", str(folder))
    return folder


def test_a_rewritten_chain_is_caught_by_the_anchor(api: ApiClient, cli: Any,
                                                   anchors: Path) -> None:
    _make_entries(api, 3)
    made = cli("audit", "anchor", "--json")
    assert made.code == 0, made.err
    anchored = made.json["seq"]
    assert anchored >= 3 and made.json["written_to"][0].startswith(str(anchors))
    lines = [json.loads(line) for f in sorted(anchors.iterdir())
             for line in f.read_text().splitlines()]
    assert [(a["seq"], a["hash"]) for a in lines] == [(anchored, made.json["hash"])]
    assert {"seq", "hash", "at", "anchored_at", "host"} <= set(lines[0])
    _make_entries(api, 1)
    ok = cli("audit", "verify", "--anchors", str(anchors), "--json")
    assert ok.code == 0 and ok.json["ok"] and ok.json["anchors"] == 1
    _rewrite_from(2, user="someone_else")
    assert cli("audit", "verify", "--json").code == 0  # the chain alone holds
    caught = cli("audit", "verify", "--anchors", str(anchors), "--json")
    assert caught.code == 1 and caught.json["ok"] is False
    assert {"seq": anchored, "problem": "anchor_mismatch",
            "file": sorted(anchors.iterdir())[0].name} in caught.json["problems"]
    text = cli("audit", "verify", "--anchors", str(anchors))
    assert text.code == 1 and "書き換えられています" in text.out


def test_a_truncated_chain_is_caught(api: ApiClient, cli: Any, anchors: Path) -> None:
    _make_entries(api, 4)
    anchored = cli("audit", "anchor", "--json").json["seq"]
    _truncate_to(anchored - 2)
    assert cli("audit", "verify", "--json").code == 0  # head moved with the cut
    caught = cli("audit", "verify", "--anchors", str(anchors), "--json")
    assert caught.code == 1
    assert [p["problem"] for p in caught.json["problems"]] == ["anchor_truncated"]
    assert "削除されています" in cli("audit", "verify", "--anchors", str(anchors)).out


def test_daily_anchor_by_the_job_thread(api: ApiClient, anchors: Path) -> None:
    from daicho.services.audit_anchor import anchor_if_due, read_anchors

    _make_entries(api, 1)
    first = anchor_if_due()
    assert first is not None
    assert anchor_if_due() is None  # once a day
    assert [a["seq"] for a in read_anchors(anchors)] == [first["seq"]]


def test_where_anchors_may_go(cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from django.conf import settings

    monkeypatch.delenv("DAICHO_AUDIT_ANCHOR_DIR", raising=False)
    monkeypatch.delenv("DAICHO_AUDIT_ANCHOR_SYSLOG", raising=False)
    unset = cli("audit", "anchor", "--json")
    assert unset.code == 1 and unset.json["error"]["code"] == "no_anchor_dir"
    inside = cli("audit", "anchor", "--dir", str(Path(settings.DATA_DIR) / "anchors"), "--json")
    assert inside.code == 1 and inside.json["error"]["code"] == "invalid_anchor_dir"
    assert cli("audit", "anchor", "--dir", str(tmp_path / "elsewhere")).code == 0
    missing = cli("audit", "verify", "--anchors", str(tmp_path / "nowhere"), "--json")
    assert missing.code == 1 and missing.json["error"]["code"] == "no_anchor_dir"
