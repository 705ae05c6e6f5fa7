"""The date editor's reading (/dates/reading): the server's parse of a typed date, before saving."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.mark.parametrize(("kind", "text", "value", "reading"), [
    ("date", "R6.4.1", "2024-04-01", "令和6年4月1日（2024-04-01）"),
    ("date", "令和6年4月1日", "2024-04-01", "令和6年4月1日（2024-04-01）"),
    ("date", "2024/4/1", "2024-04-01", "令和6年4月1日（2024-04-01）"),
    ("date", "20240401", "2024-04-01", "令和6年4月1日（2024-04-01）"),
    ("date", "H31.4.30", "2019-04-30", "平成31年4月30日（2019-04-30）"),
    ("month", "R6.4", "2024-04", "令和6年4月（2024-04）"),
    ("datetime", "R6.4.1 9:30", "2024-04-01 09:30", "令和6年4月1日 9:30（2024-04-01 09:30）"),
])
def test_reading_of_typed_dates(web: Any, kind: str, text: str, value: str, reading: str) -> None:
    resp = web.get("/dates/reading", {"kind": kind, "text": text})
    assert resp.status_code == 200
    assert resp.json() == {"value": value, "reading": reading, "message": None}


@pytest.mark.parametrize(("text", "words"), [
    ("0441-02-02", "1868"), ("6/4/1", "R6.4.1"), ("R6.2.30", "30"), ("<b>x</b>", "<b>x</b>"),
])
def test_reading_says_why_not(web: Any, text: str, words: str) -> None:
    body = web.get("/dates/reading", {"text": text}).json()
    assert body["value"] is None and words in body["message"]


def test_reading_needs_sign_in_and_bounds_its_input(db: Any, client: Client, web: Any) -> None:
    resp = client.get("/dates/reading", {"text": "R6.4.1"})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "not_authenticated"
    assert web.get("/dates/reading", {"text": ""}).json()["value"] is None
    long = web.get("/dates/reading", {"text": "9" * 10_000, "kind": "nonsense"})
    assert long.status_code == 200 and long.json()["value"] is None
