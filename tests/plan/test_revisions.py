"""Issue 17 point 8: versions of the plan. The seed was revised once (「平成31年4月一部改定」):
the demo keeps that version (a snapshot of measures, schedule and targets with its date and
reason); a new version is saved through the API, and the differences between versions, or
between a version and the plan now, are listed per measure and target."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_roadmap, seed_text
from tests.plan.test_plan_data import every


@pytest.fixture
def plan(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {item["name"]: item["id"] for item in api.get("/api/v1/ledgers").body["items"]}


def test_the_seed_is_one_version(plan: dict[str, int], api: ApiClient) -> None:
    assert "平成31年4月一部改定" in seed_text().splitlines()[:8]
    (version,) = api.get("/api/v1/plan/revisions").body["items"]
    assert version["label"] == "平成31年4月一部改定" and version["date"] == "2019-04-01"
    assert "平成30年3月策定" in version["reason"]
    (record,) = every(api, plan["計画改定"]).values()
    snap = json.loads(record["snapshot"])
    for m in seed_roadmap():
        assert list(snap["measures"][m["code"]]["schedule"].values()) == m["schedule"]
        assert snap["measures"][m["code"]]["title"] == m["title"]
    assert snap["targets"]["ペーパーレス会議の実施数"]["targets"]["2022"] == 175
    diff = api.get(f"/api/v1/plan/revisions/{version['id']}/diff").body
    assert diff == {"from": version["id"], "to": None, "changes": []}


def test_a_revision_and_its_differences(plan: dict[str, int], api: ApiClient,
                                        make_client: Any) -> None:
    (first,) = api.get("/api/v1/plan/revisions").body["items"]
    measures = {v["code"]: rid for rid, v in every(api, plan["全体最適化取組"]).items()}
    rid = measures["B-i"]
    revision = api.get(f"/api/v1/ledgers/{plan['全体最適化取組']}/records/{rid}").body["revision"]
    assert api.patch(f"/api/v1/ledgers/{plan['全体最適化取組']}/records/{rid}", {
        "revision": revision, "values": {"fy2021": "●"}}).status == 200
    kpi_id = next(k for k, v in every(api, plan["目標指標"]).items()
                  if v["name"] == "台帳管理システムへの移行数")
    revision = api.get(f"/api/v1/ledgers/{plan['目標指標']}/records/{kpi_id}").body["revision"]
    assert api.patch(f"/api/v1/ledgers/{plan['目標指標']}/records/{kpi_id}", {
        "revision": revision, "values": {"target_2022": 200}}).status == 200
    expected = [
        {"kind": "measures", "key": "B-i", "field": "schedule.2021", "old": "★", "new": "●"},
        {"kind": "targets", "key": "台帳管理システムへの移行数", "field": "targets.2022",
         "old": 150, "new": 200},
    ]
    assert api.get(f"/api/v1/plan/revisions/{first['id']}/diff").body["changes"] == expected
    # Hostile input: no name, an unknown key — refused, nothing written.
    bad = api.post("/api/v1/plan/revisions", {"date": "2020-04-01"})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_label"
    assert api.post("/api/v1/plan/revisions", {"label": "x", "extra": 1}).status == 400
    assert len(api.get("/api/v1/plan/revisions").body["items"]) == 1
    saved = api.post("/api/v1/plan/revisions", {"label": "令和2年4月改定", "date": "2020-04-01",
                                                "reason": "B-i のスケジュール見直し"})
    assert saved.status == 201, saved.body
    second = saved.body
    assert [v["label"] for v in api.get("/api/v1/plan/revisions").body["items"]] == [
        "平成31年4月一部改定", "令和2年4月改定"]
    between = api.get(f"/api/v1/plan/revisions/{first['id']}/diff", {"to": second["id"]}).body
    assert between["changes"] == expected
    assert api.get(f"/api/v1/plan/revisions/{second['id']}/diff").body["changes"] == []
    assert api.get("/api/v1/plan/revisions/999999/diff").status == 404
    stranger = make_client("stranger")
    assert stranger.get("/api/v1/plan/revisions").status == 404
    assert stranger.post("/api/v1/plan/revisions", {"label": "x"}).status == 404
