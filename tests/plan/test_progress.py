"""Issue 17 point 1: the plan as progress. Progress is recorded per measure and fiscal year in
the 取組進捗 ledger (an ordinary ledger), edited on the roadmap page, returned by
GET /api/v1/plan/roadmap and shown by the committee report — which shows 未入力 when nothing is
recorded, never the meaning of the planned symbol (contract §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ApiClient
from tests.plan.test_plan import seed_roadmap, seed_text

STATUSES = ["未着手", "予定どおり", "遅れ", "完了", "中止"]  # contract §6


@pytest.fixture
def demo(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, int]:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    return {i["name"]: i["id"] for i in api.get("/api/v1/ledgers").body["items"]}


def _measure_id(api: ApiClient, ledger_id: int, code: str) -> int:
    items = api.get(f"/api/v1/ledgers/{ledger_id}/records", {"limit": 500}).body["items"]
    return int(next(r["id"] for r in items if r["values"]["code"] == code))


def _progress(api: ApiClient, code: str) -> dict[str, Any]:
    resp = api.get("/api/v1/plan/roadmap")
    assert resp.status == 200, resp.body
    return dict(next(m for m in resp.body["measures"] if m["code"] == code)["progress"])


def _report(cli: Any, tmp_path: Path, year: int) -> dict[str, list[Any]]:
    from python_calamine import CalamineWorkbook

    out = tmp_path / f"committee-{year}.xlsx"
    result = cli("report", "committee", "--fy", str(year), "--format", "xlsx", "-o", str(out))
    assert result.code == 0, result.err
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    return {str(r[0]): r for r in rows[3:] if r and r[0]}


def test_the_progress_ledger_and_its_statuses(demo: dict[str, int], api: ApiClient) -> None:
    ledger = api.get(f"/api/v1/ledgers/{demo['取組進捗']}").body
    fields = {f["code"]: f for f in ledger["fields"]}
    assert fields["measure"]["type"] == "link"
    assert fields["measure"]["options"]["ledger"] == demo["全体最適化取組"]
    assert fields["status"]["options"]["choices"] == STATUSES
    assert fields["fiscal_year"]["name"] == "年度" and fields["note"]["type"] == "textarea"
    # The demo records no progress: the seed is a plan, it says nothing of what was done.
    assert api.get(f"/api/v1/ledgers/{demo['取組進捗']}/records").body["items"] == []
    # The measures ledger no longer has a single free-text status for all years.
    codes = {f["code"] for f in api.get(f"/api/v1/ledgers/{demo['全体最適化取組']}").body["fields"]}
    assert "status" not in codes


def test_the_report_shows_no_progress_as_未入力_never_the_legend(
        demo: dict[str, int], api: ApiClient, cli: Any, tmp_path: Path) -> None:
    seed = {m["code"]: m["schedule"] for m in seed_roadmap()}
    # The seed's legend line, e.g. ★完了: the meanings the report must not print as status.
    legend = seed_text().split("⇒実施 □検討 ●導入・方針等策定 ☆一部実施 ★完了")
    assert len(legend) > 1
    for year in (2018, 2022):
        body = _report(cli, tmp_path, year)
        assert list(body) == list(seed)
        for code, row in body.items():
            assert row[2] == seed[code][year - 2018]  # the plan's symbol, as in the seed
            assert row[3] == "未入力", (code, year)
    assert seed["B-ii"][4] == "★"  # B-ii FY2022 is ★ (完了) in the plan, and 未入力 above
    assert all(m["progress"] == {} for m in api.get("/api/v1/plan/roadmap").body["measures"])


def test_progress_recorded_in_the_ledger_reaches_the_api_and_the_report(
        demo: dict[str, int], api: ApiClient, cli: Any, tmp_path: Path) -> None:
    b_ii = _measure_id(api, demo["全体最適化取組"], "B-ii")
    resp = api.post(f"/api/v1/ledgers/{demo['取組進捗']}/records", {"values": {
        "measure": b_ii, "fiscal_year": 2022, "status": "遅れ",
        "note": "機器の納期遅延により更新は令和5年1月に延期"}})
    assert resp.status == 201, resp.body
    assert _progress(api, "B-ii") == {"2022": {
        "status": "遅れ", "note": "機器の納期遅延により更新は令和5年1月に延期"}}
    assert _progress(api, "B-i") == {}
    row = _report(cli, tmp_path, 2022)["B-ii"]
    assert row[2] == "★" and row[3] == "遅れ\n機器の納期遅延により更新は令和5年1月に延期"
    assert _report(cli, tmp_path, 2021)["B-ii"][3] == "未入力"
    # A status outside the five is refused and nothing is written.
    bad = api.post(f"/api/v1/ledgers/{demo['取組進捗']}/records", {"values": {
        "measure": b_ii, "fiscal_year": 2021, "status": "★完了"}})
    assert bad.status == 400 and bad.body["error"]["code"]
    assert set(_progress(api, "B-ii")) == {"2022"}


def test_progress_follows_the_progress_ledgers_permissions(
        demo: dict[str, int], api: ApiClient, make_client: Any) -> None:
    b_i = _measure_id(api, demo["全体最適化取組"], "B-i")
    assert api.post(f"/api/v1/ledgers/{demo['取組進捗']}/records", {"values": {
        "measure": b_i, "fiscal_year": 2019, "status": "完了"}}).status == 201
    bob = make_client("bob")
    rules = api.get(f"/api/v1/ledgers/{demo['全体最適化取組']}/permissions").body["rules"]
    rules.append({"subject": {"user": "bob"}, "rights": ["view"]})
    assert api.put(f"/api/v1/ledgers/{demo['全体最適化取組']}/permissions",
                   {"rules": rules}).status == 200
    measures = bob.get("/api/v1/plan/roadmap").body["measures"]
    assert all(m["progress"] == {} for m in measures)  # may not view 取組進捗
    rules = api.get(f"/api/v1/ledgers/{demo['取組進捗']}/permissions").body["rules"]
    rules.append({"subject": {"user": "bob"}, "rights": ["view"]})
    assert api.put(f"/api/v1/ledgers/{demo['取組進捗']}/permissions",
                   {"rules": rules}).status == 200
    assert _progress(bob, "B-i") == {"2019": {"status": "完了", "note": None}}


# -- the roadmap page ----------------------------------------------------------------------------

@pytest.fixture
def admin_client(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_progress_is_edited_on_the_roadmap(demo: dict[str, int], api: ApiClient,
                                           admin_client: Client) -> None:
    b_vi = _measure_id(api, demo["全体最適化取組"], "B-vi")
    page = admin_client.get("/plan/roadmap").content.decode()
    assert page.count('class="progress-button"') == 11 * 5
    url = f"/plan/roadmap/{b_vi}/2019/progress"
    form = admin_client.get(url + "/edit").content.decode()
    assert 'name="revision" value=""' in form
    assert all(f'<option value="{s}">' in form for s in STATUSES)
    resp = admin_client.post(url, {"status": "完了", "note": "台帳管理システムを導入", "revision": ""})
    assert resp.status_code == 200, resp.content
    assert "完了" in resp.content.decode() and 'hx-swap-oob' in resp.content.decode()
    assert _progress(api, "B-vi") == {"2019": {"status": "完了", "note": "台帳管理システムを導入"}}
    records = api.get(f"/api/v1/ledgers/{demo['取組進捗']}/records").body["items"]
    assert len(records) == 1
    record = records[0]
    assert record["values"]["measure"] == b_vi and record["values"]["fiscal_year"] == 2019
    # The roadmap shows it under the planned symbol.
    page = admin_client.get("/plan/roadmap").content.decode()
    assert '<span class="progress-status">完了</span>' in page
    # Changed again with the revision the form was opened at: one record, two revisions.
    form = admin_client.get(url + "/edit").content.decode()
    assert f'name="revision" value="{record["revision"]}"' in form
    resp = admin_client.post(url, {"status": "予定どおり", "note": "",
                                   "revision": record["revision"]})
    assert resp.status_code == 200
    assert _progress(api, "B-vi") == {"2019": {"status": "予定どおり", "note": None}}
    history = api.get(f"/api/v1/ledgers/{demo['取組進捗']}/records/{record['id']}/history")
    assert [h["action"] for h in history.body["items"]] == ["update", "create"]
    # A stale form is refused with the current value, the user's entry kept in the form.
    resp = admin_client.post(url, {"status": "遅れ", "note": "要確認",
                                   "revision": record["revision"]}, HTTP_ACCEPT_LANGUAGE="ja")
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "「予定どおり」" in body and ">要確認</textarea>" in body and 'role="alert"' in body
    # A form opened before anyone recorded this year, saved after someone did: refused too.
    resp = admin_client.post(url, {"status": "中止", "revision": ""})
    assert resp.status_code == 409
    # Hostile input: a status outside the five, a year outside the plan, no such measure.
    resp = admin_client.post(url, {"status": "★", "revision": record["revision"] + 1})
    assert resp.status_code == 400 and 'aria-invalid="true"' in resp.content.decode()
    assert admin_client.post(f"/plan/roadmap/{b_vi}/2030/progress",
                             {"status": "完了"}).status_code == 404
    assert admin_client.post("/plan/roadmap/999999/2019/progress",
                             {"status": "完了"}).status_code == 404
    assert _progress(api, "B-vi") == {"2019": {"status": "予定どおり", "note": None}}


def test_a_reader_of_the_progress_gets_no_progress_controls(
        demo: dict[str, int], api: ApiClient, admin: Any) -> None:
    from daicho.services.accounts import create_user

    carol = Client()
    carol.force_login(create_user(login="carol"))
    b_i = _measure_id(api, demo["全体最適化取組"], "B-i")
    assert api.post(f"/api/v1/ledgers/{demo['取組進捗']}/records", {"values": {
        "measure": b_i, "fiscal_year": 2020, "status": "予定どおり"}}).status == 201
    for ledger in ("全体最適化取組", "取組進捗"):
        rules = api.get(f"/api/v1/ledgers/{demo[ledger]}/permissions").body["rules"]
        rules.append({"subject": {"user": "carol"}, "rights": ["view"]})
        assert api.put(f"/api/v1/ledgers/{demo[ledger]}/permissions",
                       {"rules": rules}).status == 200
    page = carol.get("/plan/roadmap").content.decode()
    assert "progress-button" not in page and "予定どおり" in page
    url = f"/plan/roadmap/{b_i}/2020/progress"
    assert carol.get(url + "/edit").status_code == 404
    assert carol.post(url, {"status": "完了", "revision": "1"}).status_code == 404
    assert _progress(api, "B-i") == {"2020": {"status": "予定どおり", "note": None}}
