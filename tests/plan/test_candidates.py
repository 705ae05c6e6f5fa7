"""Integration candidates (measure C-ii) through /api/v1/plan/candidates: the demo's My Number
systems that could fold into the core system, look-alike systems of different departments, and
what the gate hides."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

MY_NUMBER = ["母子情報システム", "生活保護システム", "中国残留邦人支援システム",
             "障がい者総合福祉システム"]


@pytest.fixture
def inventory(shared_demo: Any, api: ApiClient, cli: Any) -> int:
    result = shared_demo[0]  # `daicho demo --json`, loaded once: tests/conftest.py
    assert result.code == 0, result.err
    found = {i["name"]: i["id"] for i in api.get("/api/v1/ledgers").body["items"]}
    return int(found["情報システム台帳"])


def _candidates(client: ApiClient) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/plan/candidates")
    assert resp.status == 200, resp.body
    for item in resp.body["items"]:
        assert set(item) >= {"systems", "departments", "reason", "kind", "kinds"}
        assert len(item["systems"]) == len(item["departments"])
    return list(resp.body["items"])


def _names(item: dict[str, Any]) -> list[str]:
    return [s["name"] for s in item["systems"]]


def _add(api: ApiClient, ledger_id: int, *values: dict[str, Any]) -> None:
    resp = api.post(f"/api/v1/ledgers/{ledger_id}/records/bulk",
                    {"create": [{"values": v} for v in values]})
    assert resp.status == 200, resp.body


def test_my_number_systems_fold_into_the_core_system(inventory: int, api: ApiClient) -> None:
    items = _candidates(api)
    folding = [i for i in items if i["kind"] == "my_number"]
    assert [_names(i) for i in folding] == [[name, "基幹システム"] for name in MY_NUMBER]
    by_system = {_names(i)[0]: i for i in folding}
    welfare = by_system["生活保護システム"]
    assert welfare["departments"] == [{"code": "410", "name": "生活福祉課"},
                                      {"code": "120", "name": "情報企画課"}]
    assert welfare["kinds"] == ["my_number"]
    assert welfare["reason"] == (
        "マイナンバーを利用しており、同じ個人番号と宛名情報を既に持つ基幹システム"
        "「基幹システム」へ統合できる可能性があります(取組C-ii)。")
    assert by_system["中国残留邦人支援システム"]["departments"][0]["name"] == "生活福祉課"
    assert by_system["母子情報システム"]["departments"][0]["name"] == "保健センター"
    # Systems without My Number are not listed, nor is the core system with itself.
    listed = {_names(i)[0] for i in folding}
    assert "保育園情報システム" not in listed and "基幹システム" not in listed


def test_same_department_systems_are_no_pair(inventory: int, api: ApiClient) -> None:
    """生活福祉課's two systems, and こども保育課's 保育園/幼稚園 systems, are one department's."""
    pairs = [set(_names(i)) for i in _candidates(api) if i["kind"] == "look_alike"]
    assert {"生活保護システム", "中国残留邦人支援システム"} not in pairs
    assert {"保育園情報システム", "幼稚園情報システム"} not in pairs


def test_look_alike_systems_of_different_departments(inventory: int, api: ApiClient) -> None:
    _add(api, inventory,
         {"name": "文書管理システム", "department": "110", "product": "DocuKeeper 3",
          "vendor": "株式会社サンプル情報"},
         {"name": "公文書管理システム", "department": "610", "product": "ＤｏｃｕＫｅｅｐｅｒ　３",
          "vendor": "㈱サンプル情報"},
         {"name": "窓口予約システム", "department": "310", "vendor": "有限会社まどぐち",
          "purpose": "窓口の来庁予約を受け付ける"},
         {"name": "来庁受付システム", "department": "320", "vendor": "まどぐち",
          "purpose": "窓口の来庁予約を受け付ける。"},
         # The same product in one department: that department's own business, no candidate.
         {"name": "施設管理システム", "department": "230", "product": "FacilityOne"},
         {"name": "財産管理システム", "department": "230", "product": "FacilityOne"})
    pairs = {frozenset(_names(i)): i for i in _candidates(api) if i["kind"] == "look_alike"}

    documents = pairs[frozenset({"文書管理システム", "公文書管理システム"})]
    assert documents["kinds"] == ["similar_name", "same_product", "same_vendor"]
    assert [d["name"] for d in documents["departments"]] == ["総務課", "都市政策課"]
    assert documents["reason"] == (
        "名称が似ています(「文書管理システム」と「公文書管理システム」、類似度86%)。 "
        "同じ製品「DocuKeeper 3」を使っています。 同じ事業者「株式会社サンプル情報」の製品です。")

    counter = pairs[frozenset({"窓口予約システム", "来庁受付システム"})]
    assert counter["kinds"] == ["same_vendor", "same_purpose"]
    assert counter["reason"] == ("同じ事業者「有限会社まどぐち」の製品です。 "
                                 "目的が同じです(「窓口の来庁予約を受け付ける」)。")
    assert frozenset({"施設管理システム", "財産管理システム"}) not in pairs
    # The pair with the most reasons comes first, before the My Number systems.
    items = _candidates(api)
    assert set(_names(items[0])) == {"文書管理システム", "公文書管理システム"}
    assert [i["kind"] for i in items] == sorted((i["kind"] for i in items),
                                                key=["look_alike", "my_number"].index)


def test_candidates_follow_the_gate(inventory: int, api: ApiClient, anon: ApiClient,
                                    make_client: Any) -> None:
    assert anon.get("/api/v1/plan/candidates").status == 401
    bob = make_client("bob")
    assert bob.get("/api/v1/plan/candidates").status == 404
    # bob may view the inventory, but not whether a system uses My Number.
    rules = api.get(f"/api/v1/ledgers/{inventory}/permissions").body["rules"]
    rules.append({"subject": {"user": "bob"}, "rights": ["view"],
                  "fields": {"my_number": "hidden"}})
    assert api.put(f"/api/v1/ledgers/{inventory}/permissions", {"rules": rules}).status == 200
    assert [i for i in _candidates(bob) if i["kind"] == "my_number"] == []
    # Without the field rule bob sees what admin sees.
    rules[-1].pop("fields")
    assert api.put(f"/api/v1/ledgers/{inventory}/permissions", {"rules": rules}).status == 200
    assert _candidates(bob) == _candidates(api)


def test_candidates_without_plan(api: ApiClient) -> None:
    assert api.get("/api/v1/plan/candidates").status == 404


def test_similarity() -> None:
    from daicho.plan.candidates import company_key, name_key, similarity

    assert name_key("文書管理ｼｽﾃﾑ") == name_key("文書管理システム") == "文書管理"
    assert similarity("文書管理", "公文書管理") == pytest.approx(6 / 7)
    assert similarity("保育園情報", "母子情報") < 0.5
    assert similarity("", "文書") == 0
    assert company_key("㈱サンプル情報") == company_key("株式会社 サンプル情報")
