"""`daicho demo`: the demo data set loads, changes nothing when run again, and its ledgers work
through the API (types, listing, Japanese search, aggregation, history)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ApiClient

NAMES = ["公有財産台帳", "OA機器台帳", "貸出物品台帳"]
# The IT optimisation plan's ledgers (daicho.demo.plan) load after them.
ALL_NAMES = [*NAMES, "計画概要", "情報システム台帳", "全体最適化取組", "取組進捗", "委員会開催",
             "委員会議題", "目標指標",
             "情報セキュリティ監査項目", "情報セキュリティ監査計画", "情報セキュリティ監査",
             "監査チェックリスト", "監査指摘事項", "監査改善計画", "調達見積", "会議", "電子申請手続",
             "ペーパーレス会議システム整備", "プリント枚数", "参考資料1", "参考資料2", "参考資料3",
             "計画改定"]
SEARCHABLE = {"text", "textarea", "choice", "multichoice", "date", "number", "email", "url",
              "autonumber"}


@pytest.fixture
def demo(shared_demo: Any, api: ApiClient, cli: Any) -> dict[str, dict[str, Any]]:
    """Loads the demo once; the ledgers by name, each with its fields."""
    result, elapsed = shared_demo  # `daicho demo --json`, timed, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    assert result.json == {"ok": True, "created": ALL_NAMES}
    assert elapsed < 30, f"the demo took {elapsed:.1f} s to load"
    out = {}
    for item in api.get("/api/v1/ledgers").body["items"]:
        resp = api.get(f"/api/v1/ledgers/{item['id']}")
        assert resp.status == 200, resp.body
        out[item["name"]] = resp.body
    return out


def _all(api: ApiClient, ledger_id: int, **params: Any) -> list[dict[str, Any]]:
    """Every record a query returns, following the cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        resp = api.get(f"/api/v1/ledgers/{ledger_id}/records", query)
        assert resp.status == 200, resp.body
        items += resp.body["items"]
        cursor = resp.body["next_cursor"]
        if not cursor:
            return items


def _snapshot(api: ApiClient) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from daicho.models import History, LedgerEvent, Org

    ledgers = api.get("/api/v1/ledgers").body["items"]
    snap: dict[str, Any] = {
        "ledgers": ledgers,
        "orgs": list(Org.objects.order_by("code").values_list("code", "name", "parent__code")),
        "users": sorted(get_user_model().objects.values_list("username", flat=True)),
        "history": History.objects.count(),
        "events": LedgerEvent.objects.count(),
    }
    for ledger in ledgers:
        lid = ledger["id"]
        snap[f"{lid} fields"] = api.get(f"/api/v1/ledgers/{lid}").body
        snap[f"{lid} records"] = _all(api, lid)
        snap[f"{lid} trash"] = _all(api, lid, trash="true")
        snap[f"{lid} history"] = {
            r["id"]: api.get(f"/api/v1/ledgers/{lid}/records/{r['id']}/history").body
            for r in snap[f"{lid} records"] + snap[f"{lid} trash"] if r["revision"] > 1
        }
    return snap


def test_second_run_changes_nothing(api: ApiClient, cli: Any,
                                    demo: dict[str, dict[str, Any]]) -> None:
    before = _snapshot(api)
    assert [item["name"] for item in before["ledgers"]] == ALL_NAMES
    assert before["history"] > sum(item["record_count"] for item in before["ledgers"])
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    assert result.json == {"ok": True, "created": []}
    assert _snapshot(api) == before
    text = cli("demo")
    assert text.code == 0 and "読み込み済み" in text.out, text.out


def test_existing_departments_and_users_are_kept(api: ApiClient, cli: Any) -> None:
    from daicho.models import Org
    from daicho.services.accounts import create_user

    Org.objects.create(code="120", name="デジタル推進課")
    create_user(login="yamada.taro", name="別人", org="120")
    assert cli("demo").code == 0
    assert Org.objects.get(code="120").name == "デジタル推進課"
    assert Org.objects.get(code="110").parent is not None
    assert Org.objects.get(code="110").parent.code == "100"  # type: ignore[union-attr]
    assert Org.objects.get(code="120").parent is None
    from daicho.models import Profile

    assert Profile.objects.get(user__username="yamada.taro").name == "別人"


def test_ledgers_and_field_types(demo: dict[str, dict[str, Any]]) -> None:
    def types(name: str) -> dict[str, tuple[str, str]]:
        return {f["name"]: (f["code"], f["type"]) for f in demo[name]["fields"]}

    assert demo["公有財産台帳"]["template"] is True  # the demo's ledgers serve as templates
    assert types("公有財産台帳") == {
        "財産番号": ("property_no", "autonumber"), "名称": ("name", "text"),
        "区分": ("category", "choice"), "所在地": ("address", "text"),
        "地目・構造": ("land_use", "text"), "面積": ("area", "number"),
        "取得年月日": ("acquired_on", "date"), "取得価格": ("price", "number"),
        "所管課": ("department", "org"), "用途": ("use_class", "choice"),
        "備考": ("note", "textarea"),
    }
    assert types("OA機器台帳") == {
        "資産番号": ("asset_no", "text"), "機器種別": ("kind", "choice"),
        "メーカー": ("maker", "text"), "型番": ("model", "text"),
        "設置場所": ("location", "org"), "利用者": ("assignee", "user"),
        "導入日": ("installed_on", "date"), "リース満了日": ("lease_ends_on", "date"),
        "月額リース料": ("monthly_fee", "number"), "ネットワーク": ("network", "choice"),
        "状態": ("status", "choice"), "管理者メール": ("admin_email", "email"),
    }
    assert types("貸出物品台帳") == {
        "物品名": ("item", "text"), "数量": ("quantity", "number"), "貸出先": ("borrower", "text"),
        "貸出日": ("lent_on", "date"), "返却予定日": ("due_on", "date"),
        "返却済": ("returned", "yesno"), "担当": ("staff", "user"),
        "関連財産": ("property", "link"), "用途": ("purposes", "multichoice"),
        "備考": ("note", "textarea"),
    }
    prop = {f["code"]: f for f in demo["公有財産台帳"]["fields"]}
    assert prop["property_no"]["options"] == {"prefix": "K-", "digits": 4}
    assert prop["category"]["options"] == {"choices": ["土地", "建物", "工作物", "立木竹"]}
    assert prop["area"]["options"]["decimals"] == 2
    assert prop["area"]["options"]["unit"] == "㎡"
    assert prop["price"]["options"]["unit"] == "円"
    assert prop["name"]["required"] and prop["category"]["required"]
    oa = {f["code"]: f for f in demo["OA機器台帳"]["fields"]}
    assert oa["asset_no"]["unique"] and oa["asset_no"]["required"]
    assert oa["network"]["options"]["choices"] == [
        "LGWAN接続系", "インターネット接続系", "マイナンバー利用事務系"]
    lending = {f["code"]: f for f in demo["貸出物品台帳"]["fields"]}
    assert lending["property"]["options"] == {"ledger": demo["公有財産台帳"]["id"]}
    assert lending["purposes"]["options"] == {"choices": ["会議", "イベント", "防災訓練", "その他"]}
    for ledger in demo.values():
        assert ledger["description"]


def test_records_are_listable_and_consistent(api: ApiClient,
                                             demo: dict[str, dict[str, Any]]) -> None:
    from django.contrib.auth import get_user_model

    from daicho.models import Org

    logins = set(get_user_model().objects.values_list("username", flat=True))
    org_codes = set(Org.objects.values_list("code", flat=True))
    records = {name: _all(api, ledger["id"]) for name, ledger in demo.items()}
    for name, items in records.items():
        assert len(items) == demo[name]["record_count"]
        assert api.get(f"/api/v1/ledgers/{demo[name]['id']}/records").body["total"] == len(items)
    assert [len(records[name]) for name in NAMES] == [40, 60, 30]

    props = [r["values"] for r in records["公有財産台帳"]]
    assert [p["property_no"] for p in props] == [f"K-{n:04d}" for n in range(1, 41)]
    assert {p["category"] for p in props} == {"土地", "建物", "工作物", "立木竹"}
    days = sorted(p["acquired_on"] for p in props)
    assert days[0] < "1989-01-08"  # 昭和
    assert any("1989-01-08" <= d <= "2019-04-30" for d in days)  # 平成
    assert days[-1] >= "2019-05-01"  # 令和
    assert all(p["department"] in org_codes for p in props)
    assert any(isinstance(p["area"], float) and p["area"] != int(p["area"]) for p in props)

    devices = [r["values"] for r in records["OA機器台帳"]]
    numbers = [d["asset_no"] for d in devices]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"(PC|PR|MF|DP|TB)-\d{6}", n) for n in numbers)
    assert any(n.startswith("PC-000") for n in numbers)  # leading zeros kept as text
    assert all(d["location"] in org_codes for d in devices)
    assert {d["assignee"] for d in devices} - {None} <= logins
    assert any(d["assignee"] for d in devices)
    assert all(d["lease_ends_on"] > d["installed_on"] for d in devices)
    assert all(d["admin_email"].endswith("@city.example.jp") for d in devices)

    prop_ids = {r["id"] for r in records["公有財産台帳"]}
    loans = [r["values"] for r in records["貸出物品台帳"]]
    assert all(loan["property"] in prop_ids for loan in loans)
    assert all(loan["due_on"] >= loan["lent_on"] for loan in loans)
    assert {loan["returned"] for loan in loans} == {True, False}
    assert all(loan["purposes"] and isinstance(loan["purposes"], list) for loan in loans)
    assert {loan["staff"] for loan in loans} <= logins


def _haystack(ledger: dict[str, Any], values: dict[str, Any]) -> str:
    from daicho.textnorm import search_key

    parts = []
    for f in ledger["fields"]:
        value = values.get(f["code"])
        if f["type"] in SEARCHABLE and value is not None:
            parts.append(" ".join(value) if isinstance(value, list) else str(value))
    return search_key("\n".join(parts))


@pytest.mark.parametrize(("name", "query", "must_find"), [
    ("公有財産台帳", "倉", "防災備蓄倉庫"),             # one kanji
    ("公有財産台帳", "公民", "中央公民館"),             # two kanji
    ("公有財産台帳", "すぎ", "北山市有林 スギ人工林"),   # hiragana finds katakana
    ("貸出物品台帳", "テ", "折りたたみテント(3間×2間)"),  # one katakana
    ("貸出物品台帳", "ﾃﾝﾄ", "折りたたみテント(3間×2間)"),  # half-width kana
    ("貸出物品台帳", "町内", None),
    ("OA機器台帳", "ＰＣ", None),                      # full-width letters
    ("OA機器台帳", "富士", None),
], ids=["kanji-1", "kanji-2", "hiragana", "katakana-1", "halfwidth-kana", "borrower", "fullwidth",
        "maker"])
def test_japanese_search(api: ApiClient, demo: dict[str, dict[str, Any]], name: str, query: str,
                         must_find: str | None) -> None:
    from daicho.textnorm import query_terms

    ledger = demo[name]
    everything = _all(api, ledger["id"])
    terms = query_terms(query)
    expected = {r["id"] for r in everything
                if all(t in _haystack(ledger, r["values"]) for t in terms)}
    found = _all(api, ledger["id"], q=query)
    assert expected, "the demo data should hold this query"
    assert {r["id"] for r in found} == expected
    if must_find is not None:
        first_text = {r["values"].get("name") or r["values"].get("item") for r in found}
        assert must_find in first_text


def test_aggregate_by_category(api: ApiClient, demo: dict[str, dict[str, Any]]) -> None:
    lid = demo["公有財産台帳"]["id"]
    resp = api.get(f"/api/v1/ledgers/{lid}/aggregate", {"group_by": "category",
                                                         "metric": "count"})
    assert resp.status == 200, resp.body
    groups = {g["key"]: g["value"] for g in resp.body["groups"]}
    assert set(groups) == {"土地", "建物", "工作物", "立木竹"}
    assert sum(groups.values()) == demo["公有財産台帳"]["record_count"]
    for key, count in groups.items():
        assert len(_all(api, lid, filter=f"category:eq:{key}")) == count

    resp = api.get(f"/api/v1/ledgers/{lid}/aggregate", {"group_by": "category",
                                                         "metric": "sum:price"})
    assert resp.status == 200, resp.body
    sums = {g["key"]: g["value"] for g in resp.body["groups"]}
    items = _all(api, lid)
    for key, total in sums.items():
        assert total == sum(r["values"]["price"] or 0 for r in items
                            if r["values"]["category"] == key)

    oa = demo["OA機器台帳"]["id"]
    resp = api.get(f"/api/v1/ledgers/{oa}/aggregate", {"group_by": "network", "metric": "count"})
    assert resp.status == 200, resp.body
    assert {g["key"] for g in resp.body["groups"]} == {
        "LGWAN接続系", "インターネット接続系", "マイナンバー利用事務系"}


def test_history_and_trash(api: ApiClient, demo: dict[str, dict[str, Any]]) -> None:
    for name in NAMES:
        lid = demo[name]["id"]
        edited = [r for r in _all(api, lid) if r["revision"] > 1]
        assert edited, f"{name} should have edited records"
        for record in edited:
            items = api.get(f"/api/v1/ledgers/{lid}/records/{record['id']}/history").body["items"]
            assert [i["revision"] for i in items] == list(range(record["revision"], 0, -1))
            assert items[-1]["action"] == "create"
            # edits by the admin who loaded the demo; status changes by the clerk the process
            # names (daicho/demo_workflows.py)
            assert all(i["changes"] and (i["action"], i["by"]) in (
                ("update", "admin"), ("status", "suzuki.ichiro")) for i in items[:-1])
            assert items[-1]["by"] == "admin"

    prop = demo["公有財産台帳"]["id"]
    [lot] = _all(api, prop, filter="name:eq:旧清掃事務所跡地")
    items = api.get(f"/api/v1/ledgers/{prop}/records/{lot['id']}/history").body["items"]
    assert [i["action"] for i in items] == ["update", "update", "create"]
    assert set(items[1]["changes"]) == {"area", "note"}
    assert items[1]["changes"]["area"]["new"] == 1668.42
    assert set(items[0]["changes"]) == {"note"}
    assert lot["values"]["area"] == 1668.42

    lending = demo["貸出物品台帳"]["id"]
    [trashed] = _all(api, lending, trash="true")
    assert trashed["values"]["note"] == "二重登録"
    items = api.get(f"/api/v1/ledgers/{lending}/records/{trashed['id']}/history").body["items"]
    assert [i["action"] for i in items] == ["delete", "create"]
    resp = api.post(f"/api/v1/ledgers/{lending}/records/{trashed['id']}/restore")
    assert resp.status == 200, resp.body


def test_loads_before_any_admin_exists(cli: Any, request: pytest.FixtureRequest) -> None:
    """`daicho demo` before `daicho init`: loads with no acting user and creates no account
    that would stop init from creating admin."""
    from django.contrib.auth import get_user_model

    result = cli("demo", "--json")
    assert result.code == 0, result.err
    assert result.json["created"] == ALL_NAMES
    assert not get_user_model().objects.filter(is_superuser=True).exists()
    api: ApiClient = request.getfixturevalue("api")
    lid = api.get("/api/v1/ledgers").body["items"][0]["id"]
    record = _all(api, lid)[0]
    assert record["created_by"] is None


def test_generated_data_is_deterministic() -> None:
    from daicho.demo import city as demo

    logins = {login for login, _name, _org in demo.USERS}
    assert demo.property_records() == demo.property_records()
    assert demo.equipment_records(logins) == demo.equipment_records(logins)
    ids = {name: n for n, (name, *_rest) in enumerate(demo.PROPERTIES, start=1)}
    assert demo.lending_records(ids, logins) == demo.lending_records(ids, logins)


def test_real_command_needs_init_first(cli_env: dict[str, str]) -> None:
    """The console script in its own process, on an empty data dir (and database)."""
    from tests.conftest import run_daicho

    refused = run_daicho(cli_env, "demo", "--json")
    assert refused.code == 1, (refused.out, refused.err)
    assert refused.json["error"]["code"] == "not_initialized"
    init = run_daicho(cli_env, "init")
    assert init.code == 0, (init.out, init.err)
    first = run_daicho(cli_env, "demo", "--json")
    assert first.code == 0, (first.out, first.err)
    assert first.json["created"] == ALL_NAMES
    again = run_daicho(cli_env, "demo", "--json")
    assert again.code == 0, (again.out, again.err)
    assert again.json["created"] == []


def test_lending_and_audit_findings_have_processes_and_reminders(
        api: ApiClient, demo: dict[str, dict[str, Any]]) -> None:
    lending = demo["貸出物品台帳"]["id"]
    process = api.get(f"/api/v1/ledgers/{lending}/process").body
    assert process["enabled"] is True and process["statuses"] == ["申請中", "貸出中", "返却済", "却下"]
    groups = {g["key"]: g["value"] for g in api.get(
        f"/api/v1/ledgers/{lending}/aggregate", {"group_by": "status"}).body["groups"]}
    assert groups["返却済"] > 20 and groups["貸出中"] >= 1 and groups["申請中"] >= 1
    returned = api.get(f"/api/v1/ledgers/{lending}/records",
                       {"filter": "status:eq:返却済", "limit": 1}).body["items"][0]
    trail = api.get(f"/api/v1/ledgers/{lending}/records/{returned['id']}/history").body["items"]
    assert [h["action"] for h in trail][:2] == ["status", "status"]
    rules = api.get(f"/api/v1/ledgers/{lending}/notifications").body["rules"]
    assert {"on": "date", "to": {"field": "staff"}, "field": "due_on", "days_before": 1,
            "filter": "status:eq:貸出中", "mail": True} in rules
    findings = demo["監査指摘事項"]["id"]
    statuses = {g["key"] for g in api.get(f"/api/v1/ledgers/{findings}/aggregate",
                                          {"group_by": "status"}).body["groups"]}
    assert statuses == {"未回答", "回答済", "完了"}
    improvements = demo["監査改善計画"]["id"]
    assert [r["on"] for r in api.get(f"/api/v1/ledgers/{improvements}/notifications")
            .body["rules"]] == ["date"]
