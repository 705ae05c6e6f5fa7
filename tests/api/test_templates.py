"""A new ledger from a template (contract §7 `POST /api/v1/ledgers` with "template"), ledgers
marked as templates, and a ledger's design exported and imported as JSON (added)."""

from __future__ import annotations

from typing import Any

from daicho.models import Ledger, Org
from tests.conftest import ApiClient, make_ledger


def _lending(api: ApiClient) -> tuple[int, int]:
    staff = make_ledger(api, "職員名簿", [{"name": "氏名", "type": "text", "code": "name"}])["id"]
    lid = make_ledger(api, "貸出物品台帳", [
        {"name": "品名", "type": "text", "code": "name", "required": True},
        {"name": "状態", "type": "choice", "code": "state",
         "options": {"choices": ["在庫", "貸出中"]}},
        {"name": "単価", "type": "number", "code": "price", "options": {"decimals": 0, "unit": "円"}},
        {"name": "管理者", "type": "link", "code": "keeper", "options": {"ledger": staff}},
        {"name": "番号", "type": "autonumber", "code": "no", "options": {"prefix": "K", "digits": 4}},
    ])["id"]
    api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "プロジェクター"}})
    Org.objects.create(code="500", name="総務課")
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"org": "500", "include_children": True}, "rights": ["view", "add"],
         "fields": {"price": "hidden"}},
        {"subject": {"role": "管財"}, "rights": ["view", "edit"],
         "records": {"filter": "state:eq:在庫"}}]}).status == 200
    from daicho.selectors.ledgers import load_schema
    from daicho.services.accounts import create_user
    from daicho.web.saved_views import save_view

    schema = load_schema(lid)
    assert schema is not None
    save_view(user=create_user(login="viewer_maker", admin=True), schema=schema,
              spec={"name": "在庫のみ", "filters": ["state:eq:在庫"], "sort": "-price",
                    "columns": ["name", "price"]}, shared=True)
    save_view(user=create_user(login="board_maker", admin=True), schema=schema,
              spec={"name": "状態ボード", "board": {"kind": "kanban", "field": "state"}},
              shared=True)
    return staff, lid


def _fields(api: ApiClient, lid: int) -> list[tuple[Any, ...]]:
    body = api.get(f"/api/v1/ledgers/{lid}").body
    return [(f["code"], f["name"], f["type"], f["required"], f["options"]) for f in body["fields"]]


def test_a_copy_has_the_design_and_no_records(api: ApiClient) -> None:
    _staff, lid = _lending(api)
    resp = api.post("/api/v1/ledgers", {"name": "貸出物品台帳（分室）", "template": lid})
    assert resp.status == 201, resp.body
    new = resp.body["id"]
    assert resp.body["record_count"] == 0 and resp.body["notes"] == []
    assert resp.body["description"] == Ledger.objects.get(id=lid).description
    assert _fields(api, new) == _fields(api, lid)
    rules = api.get(f"/api/v1/ledgers/{new}/permissions").body["rules"]
    assert rules[:2] == api.get(f"/api/v1/ledgers/{lid}/permissions").body["rules"][:2]
    assert {"subject": {"user": "admin"}, "rights": ["view", "add", "edit", "delete", "export",
                                                     "import", "manage"]} in rules
    from daicho.web.models import SavedView

    view, board = SavedView.objects.filter(ledger_id=new).order_by("id")
    assert (view.name, view.filters, view.sort, view.owner_id) == ("在庫のみ", ["state:eq:在庫"],
                                                                   "-price", None)
    assert (board.name, board.board["kind"], board.board["field"]) == ("状態ボード", "kanban",
                                                                       "state")
    rec = api.post(f"/api/v1/ledgers/{new}/records", {"values": {"name": "マイク"}}).body
    assert rec["values"]["no"] == "K0001"  # the autonumber starts afresh


def test_who_may_use_a_template(api: ApiClient, make_client: Any) -> None:
    _staff, lid = _lending(api)
    clerk = make_client("clerk")
    assert clerk.post("/api/v1/ledgers", {"name": "写し", "template": lid}).status == 404
    assert clerk.get("/api/v1/templates").body == {"items": []}
    assert clerk.patch(f"/api/v1/ledgers/{lid}", {"template": True}).status == 404
    marked = api.patch(f"/api/v1/ledgers/{lid}", {"template": True})
    assert marked.status == 200 and marked.body["template"] is True
    assert [t["name"] for t in clerk.get("/api/v1/templates").body["items"]] == ["貸出物品台帳"]
    # The link field points at 職員名簿, which the clerk may not see: refused, nothing made.
    resp = clerk.post("/api/v1/ledgers", {"name": "写し", "template": lid})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_design"
    assert "職員名簿" in resp.body["error"]["message"]
    assert not Ledger.objects.filter(name="写し").exists()
    api.put(f"/api/v1/ledgers/{_staff}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"]}]})
    resp = clerk.post("/api/v1/ledgers", {"name": "写し", "template": lid})
    assert resp.status == 201, resp.body
    assert clerk.get(f"/api/v1/ledgers/{resp.body['id']}/records").body["items"] == []
    assert clerk.get(f"/api/v1/ledgers/{lid}/records").status == 404  # still not the records
    assert api.patch(f"/api/v1/ledgers/{lid}", {"template": "yes"}).status == 400


def test_design_export_and_import(api: ApiClient) -> None:
    staff, lid = _lending(api)
    design = api.get(f"/api/v1/ledgers/{lid}/design").body
    assert design["format"] == "daicho-ledger-design" and design["version"] == 1
    assert [f["code"] for f in design["fields"]] == ["name", "state", "price", "keeper", "no"]
    assert design["fields"][3]["link_to"] == "職員名簿"
    assert "records" not in design and "プロジェクター" not in str(design)
    # Another installation: the department does not exist, the linked ledger has another id.
    Org.objects.filter(code="500").delete()
    design["fields"][3]["options"]["ledger"] = 999
    resp = api.post("/api/v1/ledger-designs", {"design": design, "name": "取り込んだ台帳"})
    assert resp.status == 201, resp.body
    assert len(resp.body["notes"]) == 1 and "500" in resp.body["notes"][0]
    keeper = next(f for f in resp.body["fields"] if f["code"] == "keeper")
    assert keeper["options"]["ledger"] == staff
    rules = api.get(f"/api/v1/ledgers/{resp.body['id']}/permissions").body["rules"]
    assert [r["subject"] for r in rules] == [{"role": "管財"}, {"user": "admin"}]


def test_bad_designs_write_nothing(api: ApiClient) -> None:
    _staff, lid = _lending(api)
    design = api.get(f"/api/v1/ledgers/{lid}/design").body
    before = Ledger.objects.count()
    bad: list[Any] = [
        None, "text", {"format": "other"}, {**design, "version": 2},
        {**design, "records": []}, {**design, "fields": "name"},
        {**design, "fields": [{"name": "x", "type": "nosuchtype"}]},
        {**design, "fields": [{**design["fields"][3], "link_to": "無い台帳"}]},
        {**design, "permissions": {"rules": "all"}},
        {**design, "name": "貸出物品台帳"},  # the name is taken
    ]
    for d in bad:
        resp = api.post("/api/v1/ledger-designs", {"design": d})
        assert resp.status in (400, 409), (d, resp.body)
    assert Ledger.objects.count() == before
    resp = api.post("/api/v1/ledgers", {"name": "x", "template": lid,
                                        "fields": [{"name": "a", "type": "text"}]})
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_template"
    assert api.post("/api/v1/ledgers", {"name": "x", "template": "abc"}).status == 400
    assert api.post("/api/v1/ledgers", {"name": "x", "template": 99999}).status == 404


PROCESS = {
    "enabled": True, "statuses": ["申請中", "貸出中", "返却済"], "initial": "申請中",
    "actions": [{"name": "貸出", "from": "申請中", "to": "貸出中", "by": {"user": "keeper"}},
                {"name": "返却", "from": "貸出中", "to": "返却済", "by": {"creator": True}}]}


def test_a_template_carries_its_process(api: ApiClient, make_client: Any) -> None:
    make_client("keeper")
    lid = make_ledger(api, "貸出簿", [{"name": "品名", "type": "text", "code": "name"}])["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/process", PROCESS).status == 200
    design = api.get(f"/api/v1/ledgers/{lid}/design").body
    assert design["process"] == PROCESS
    copy = api.post("/api/v1/ledgers", {"name": "貸出簿（分館）", "template": lid}).body
    process = api.get(f"/api/v1/ledgers/{copy['id']}/process").body
    assert {k: process[k] for k in PROCESS} == PROCESS and process["version"] == 1
    rec = api.post(f"/api/v1/ledgers/{copy['id']}/records", {"values": {"name": "カメラ"}}).body
    assert rec["status"] == "申請中"
    # Elsewhere the keeper does not exist: the ledger is made, the process left out and said so.
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="keeper").delete()
    resp = api.post("/api/v1/ledger-designs", {"design": design, "name": "よその貸出簿"})
    assert resp.status == 201, resp.body
    assert any("プロセス" in note and "keeper" in note for note in resp.body["notes"])
    assert api.get(f"/api/v1/ledgers/{resp.body['id']}/process").body["enabled"] is False


def test_a_template_carries_its_notification_rules(api: ApiClient, make_client: Any) -> None:
    make_client("keeper")
    lid = make_ledger(api, "返却予定", [{"name": "品名", "type": "text", "code": "name"},
                                    {"name": "返却日", "type": "date", "code": "due"}])["id"]
    rules = {"rules": [{"on": "date", "to": {"creator": True}, "field": "due", "days_before": 3,
                        "mail": True},
                       {"on": "create", "to": {"user": "keeper"}, "mail": False}],
             "digest_over": 50}
    assert api.put(f"/api/v1/ledgers/{lid}/notifications", rules).status == 200
    design = api.get(f"/api/v1/ledgers/{lid}/design").body
    copy = api.post("/api/v1/ledgers", {"name": "返却予定（写し）", "template": lid}).body
    got = api.get(f"/api/v1/ledgers/{copy['id']}/notifications").body
    assert got["digest_over"] == 50 and [r["on"] for r in got["rules"]] == ["date", "create"]
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="keeper").delete()
    elsewhere = api.post("/api/v1/ledger-designs", {"design": design, "name": "よその返却予定"}).body
    assert any("お知らせ" in n for n in elsewhere["notes"])
    kept = api.get(f"/api/v1/ledgers/{elsewhere['id']}/notifications").body["rules"]
    assert [r["on"] for r in kept] == ["date"]


def test_a_template_with_formulas(api: ApiClient) -> None:
    lid = make_ledger(api, "見積", [
        {"name": "数量", "type": "number", "code": "qty"},
        {"name": "単価", "type": "number", "code": "price", "options": {"decimals": 2}},
        {"name": "金額", "type": "formula", "code": "amount",
         "options": {"expression": "qty * price", "result": "number", "decimals": 2}}])["id"]
    copy = api.post("/api/v1/ledgers", {"name": "見積（写し）", "template": lid})
    assert copy.status == 201, copy.body
    made = api.post(f"/api/v1/ledgers/{copy.body['id']}/records",
                    {"values": {"qty": 3, "price": "0.1"}})
    assert made.status == 201, made.body
    assert made.body["values"]["amount"] == 0.3
