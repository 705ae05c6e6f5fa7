"""The roadmap as Excel through GET /api/v1/plan/roadmap/export: the seed's layout, cells equal to
daicho/plan/data.py, the export right, the access log."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import ApiClient


@pytest.fixture
def measures(shared_demo: Any, api: ApiClient, cli: Any) -> int:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    found = {i["name"]: i["id"] for i in api.get("/api/v1/ledgers").body["items"]}
    return int(found["全体最適化取組"])


def _sheet(body: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(body))
    assert book.sheet_names == ["ロードマップ"]
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def test_roadmap_xlsx_in_the_seeds_layout(measures: int, api: ApiClient) -> None:
    from daicho.plan import data

    resp = api.get("/api/v1/plan/roadmap/export", {"format": "xlsx"})
    assert resp.status == 200, resp.body
    assert resp.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = _sheet(resp.body)
    assert rows[0][0] == "情報システム全体最適化計画 全体最適化ロードマップ"
    assert rows[2][:5] == ["対策区分", "番号", "具体的取組", "対象システム", "スケジュール"]
    assert rows[2][9] == "備考"
    assert rows[3][4:9] == ["H30（2018）", "H31（2019）", "H32（2020）", "H33（2021）", "H34（2022）"]
    body = rows[4:4 + len(data.MEASURES)]
    division = ""
    for row, m in zip(body, data.MEASURES, strict=True):
        division = row[0] or division  # merged over the measures of one division, as in the seed
        assert division == m.division
        assert row[1:4] == [m.code, m.title, m.target]
        assert row[4:9] == [m.schedule[y] for y in data.FISCAL_YEARS]
        assert row[9] == m.note
    assert [r[0] for r in body].count("") == len(data.MEASURES) - len(data.DIVISIONS)
    # The legend below the table.
    tail = rows[4 + len(data.MEASURES):]
    legend_at = next(n for n, r in enumerate(tail) if r[0] == "凡例")
    legend = {r[0]: r[1] for r in tail[legend_at + 1:] if r[0]}
    assert legend == {s: m for s, m in data.LEGEND.items() if m}


def test_roadmap_xlsx_follows_edits_and_rights(measures: int, api: ApiClient,
                                               make_client: Any) -> None:
    records = api.get(f"/api/v1/ledgers/{measures}/records", {"limit": 500}).body["items"]
    b_i = next(r for r in records if r["values"]["code"] == "B-i")
    changed = api.patch(f"/api/v1/ledgers/{measures}/records/{b_i['id']}",
                        {"revision": b_i["revision"], "values": {"fy2022": "★"}})
    assert changed.status == 200, changed.body
    rows = _sheet(api.get("/api/v1/plan/roadmap/export").body)
    assert next(r for r in rows if r[1] == "B-i")[8] == "★"

    from daicho.models import AuditEvent

    assert AuditEvent.objects.filter(action="export", target=f"ledger:{measures}").exists()
    assert api.get("/api/v1/plan/roadmap/export", {"format": "csv"}).status == 400

    bob = make_client("bob")
    assert bob.get("/api/v1/plan/roadmap/export").status == 404
    rules = api.get(f"/api/v1/ledgers/{measures}/permissions").body["rules"]
    rules.append({"subject": {"user": "bob"}, "rights": ["view"]})
    assert api.put(f"/api/v1/ledgers/{measures}/permissions", {"rules": rules}).status == 200
    assert bob.get("/api/v1/plan/roadmap").status == 200
    assert bob.get("/api/v1/plan/roadmap/export").status == 404  # viewing is not exporting
    rules[-1]["rights"] = ["view", "export"]
    assert api.put(f"/api/v1/ledgers/{measures}/permissions", {"rules": rules}).status == 200
    assert bob.get("/api/v1/plan/roadmap/export").status == 200
