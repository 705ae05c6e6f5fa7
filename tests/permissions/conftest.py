"""A small city for the permission tests: departments, users in them, one ledger with records
created by different people in different departments, and a way to set the ledger's rules."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ApiClient

# 総務部 → 総務課 → 庶務係, 福祉部 → 生活福祉課
ORGS = [("100", "総務部", None), ("110", "総務課", "100"), ("111", "庶務係", "110"),
        ("200", "福祉部", None), ("210", "生活福祉課", "200")]
# login → (department, roles)
USERS = {"somu": ("110", []), "shomu": ("111", []), "fukushi": ("210", []),
         "auditor": (None, ["監査"]), "named": (None, []), "nobody": (None, [])}
FIELDS = [
    {"name": "名称", "type": "text", "code": "name", "required": True},
    {"name": "金額", "type": "number", "code": "amount"},
    {"name": "所管課", "type": "org", "code": "dept"},
    {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
    {"name": "個人番号", "type": "text", "code": "secret"},
]
# name → (creator, dept, kind, secret)
RECORDS = {
    "庁舎": ("admin", "110", "建物", "秘密甲"),
    "倉庫": ("admin", "111", "土地", "秘密乙"),
    "福祉会館": ("fukushi", "210", "建物", "秘密丙"),
    "係の机": ("shomu", "111", "土地", None),
    "無所属": ("somu", None, "建物", "秘密丁"),
}


@dataclass
class World:
    api: ApiClient
    ledger_id: int
    clients: dict[str, ApiClient]
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/api/v1/ledgers/{self.ledger_id}"

    def rules(self, rules: list[dict[str, Any]]) -> None:
        resp = self.api.put(f"{self.base}/permissions", {"rules": rules})
        assert resp.status == 200, resp.body

    def names(self, items: list[dict[str, Any]]) -> set[str]:
        return {item["values"]["name"] for item in items}

    def import_csv(self, login: str, text: str, **options: str) -> Any:
        """`POST /api/v1/imports` of a CSV text into the ledger as `login`."""
        stream = io.BytesIO(text.encode())
        stream.name = "台帳.csv"
        return self.clients[login].upload("/api/v1/imports", {
            "file": stream, "ledger": str(self.ledger_id), **options})


@pytest.fixture
def world(api: ApiClient, make_client: Any) -> World:
    from django.contrib.auth import get_user_model

    from daicho.access import ledger_for
    from daicho.models import Ledger, Org
    from daicho.services import records

    for code, name, parent in ORGS:
        Org.objects.create(code=code, name=name, parent=Org.objects.filter(code=parent).first())
    clients = {login: make_client(login, org=org, roles=roles)
               for login, (org, roles) in USERS.items()}
    resp = api.post("/api/v1/ledgers", {"name": "公有財産", "fields": FIELDS})
    assert resp.status == 201, resp.body
    w = World(api, resp.body["id"], clients)
    users = {u.username: u for u in get_user_model().objects.all()}
    # Each record is written by its creator (the writers check their rights), under a rule that
    # lets everyone write for the set-up only (set in the table: the set-up is not a permission
    # change of the access log); the ledger's own rules come back afterwards.
    ledger = Ledger.objects.get(id=w.ledger_id)
    defaults = list(ledger.rules)
    Ledger.objects.filter(id=w.ledger_id).update(rules=[
        *defaults, {"subject": {"everyone": True}, "rights": ["view", "add", "edit"]}])
    schema = ledger_for(users["admin"], w.ledger_id, "add")
    for n, (name, (creator, dept, kind, secret)) in enumerate(RECORDS.items()):
        rec = records.create_record(user=users[creator], schema=schema, values={
            "name": name, "amount": (n + 1) * 100, "dept": dept, "kind": kind, "secret": secret})
        w.ids[name] = rec["id"]
    # A second revision touching the secret, so history has something to hide.
    records.update_record(user=users["admin"], schema=schema, record_id=w.ids["庁舎"],
                          revision=1, values={"secret": "秘密甲改", "amount": 150})
    Ledger.objects.filter(id=w.ledger_id).update(rules=defaults)
    return w
