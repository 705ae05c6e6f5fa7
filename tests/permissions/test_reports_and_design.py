"""Imports, their reports and job results, and field design under record and field rules
(issue 12, points 2 and 5): nothing tells the caller about a record, field or ledger they may
not see."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.permissions.conftest import World

MINE = {"subject": {"user": "somu"}, "rights": ["view", "add", "edit", "import"],
        "records": {"field_is_my_org": "dept"}}



def _import_events(login: str) -> list[dict[str, Any]]:
    from daicho.models import AuditEvent

    # An import that wrote is `import`; a dry run `import_dry_run`, a refused one `import_refused`
    # (services.imports.run_import): each with whether it was a dry run and whether it wrote.
    return [{**e.details, "ok": e.action == "import"} for e in AuditEvent.objects.filter(
        user=login, action__in=("import", "import_dry_run", "import_refused")).order_by("seq")]


@pytest.mark.parametrize("unique", [False, True], ids=["plain-key", "unique-key"])
def test_upsert_on_a_hidden_key_looks_like_a_value_in_use(world: World, unique: bool) -> None:
    if unique:
        assert world.api.patch(f"{world.base}/fields/name", {"unique": True}).status == 200
    world.rules([MINE])
    hidden = world.ids["福祉会館"]  # 生活福祉課, amount 300: not somu's to see
    before = world.api.get(f"{world.base}/records/{hidden}").body
    reports = []
    # The guessed values match (answered "unchanged" before), differ (404), and as dry runs.
    for amount in ("300", "999"):
        for dry_run in ("false", "true"):
            resp = world.import_csv("somu", f"名称,金額,所管課\n福祉会館,{amount},110\n",
                           mode="upsert", key="name", dry_run=dry_run)
            assert resp.status == 400, resp.body
            reports.append(resp.body)
    for report in reports:
        assert report["error"]["code"] == "invalid_rows"
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 0)
        assert report["errors"] == reports[0]["errors"]
        assert {k: v for k, v in report.items() if k != "dry_run"} == \
            {k: v for k, v in reports[0].items() if k != "dry_run"}
    [error] = reports[0]["errors"]
    assert (error["row"], error["field"], error["value"]) == (2, "名称", "福祉会館")
    # Exactly the answer to a value already in use by another record.
    if unique:
        clash = world.import_csv("somu", "名称,金額,所管課\n福祉会館,1,110\n", mode="append")
        assert clash.status == 400 and clash.body["errors"] == reports[0]["errors"]
    else:
        from django.utils.translation import gettext, override

        with override("ja"):
            assert error["message"] == gettext("This value is already used by another record.")
    assert world.api.get(f"{world.base}/records/{hidden}").body == before
    # Every attempt, dry runs and refusals too, is in the access log.
    events = _import_events("somu")
    assert [(e["dry_run"], e["ok"]) for e in events][:4] == \
        [(False, False), (True, False), (False, False), (True, False)]
    # A key somu may edit is updated or unchanged as usual; a new key makes a record.
    own = world.import_csv("somu", "名称,金額,所管課\n庁舎,150,110\n新しい棚,5,110\n",
                  mode="upsert", key="name")
    assert own.status == 200, own.body
    assert (own.body["created"], own.body["updated"], own.body["unchanged"]) == (1, 0, 1)


def test_reports_name_no_hidden_field(world: World) -> None:
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "add", "edit", "import"],
                  "fields": {"secret": "hidden"}}])
    for options in ({"mode": "append"}, {"mode": "append", "dry_run": "true"},
                    {"mode": "upsert", "key": "name"}):
        resp = world.import_csv("somu", "名称,個人番号\n新しい棚,漏れない\n", **options)
        assert resp.status == 200, resp.body
        text = json.dumps(resp.body, ensure_ascii=False)
        assert [f["code"] for f in resp.body["fields"]] == ["name", "amount", "dept", "kind"]
        assert "secret" not in text and "個人番号」 matches" not in text
        # The hidden column is skipped like any column that matches no field.
        assert any("個人番号" in w["message"] for w in resp.body["warnings"])


def test_job_results_follow_the_callers_rights(world: World) -> None:
    from daicho import jobs

    world.rules([{"subject": {"everyone": True}, "rights": ["view", "add", "edit", "import"],
                  "fields": {"secret": "hidden"}}])
    somu = world.clients["somu"]
    queued = _import_background(world, "somu", "名称,金額\n新しい棚,abc\n")
    jobs.run_pending()
    job = somu.get(f"/api/v1/jobs/{queued}")
    assert job.status == 200 and job.body["status"] == "done"
    result = job.body["result"]
    assert result["ok"] is False and [e["field"] for e in result["errors"]] == ["金額"]
    assert "secret" not in json.dumps(result) and "個人番号" not in json.dumps(
        result, ensure_ascii=False)
    # Hidden afterwards: the stored result no longer names the field to them.
    world.rules([{"subject": {"everyone": True}, "rights": ["view", "add", "edit", "import"],
                  "fields": {"secret": "hidden", "amount": "hidden"}}])
    later = somu.get(f"/api/v1/jobs/{queued}").body["result"]
    assert [f["code"] for f in later["fields"]] == ["name", "dept", "kind"]
    assert later["errors"] == [] and "金額" not in json.dumps(later, ensure_ascii=False)
    # Someone else's job answers as one that does not exist, on the API and the page.
    missing = world.clients["shomu"].get("/api/v1/jobs/999999")
    other = world.clients["shomu"].get(f"/api/v1/jobs/{queued}")
    assert (other.status, other.body) == (missing.status, missing.body) and other.status == 404
    from django.contrib.auth import get_user_model
    from django.test import Client

    page = Client()
    page.force_login(get_user_model().objects.get(username="shomu"))
    assert page.get(f"/import/jobs/{queued}").status_code == 404


def _import_background(world: World, login: str, text: str) -> int:
    resp = world.import_csv(login, text, mode="append", background="true")
    assert resp.status == 202, resp.body
    return int(resp.body["job"]["id"])


LINK = {"name": "参照", "type": "link"}


def test_a_link_field_tells_nothing_about_ledgers_one_may_not_see(world: World) -> None:
    world.rules([])  # the 公有財産 ledger: the admin's alone
    # Creating ledgers is a right of its own (test_ledger_creators.py): somu holds it here.
    assert world.api.put("/api/v1/ledger-creators", {"subjects": [{"user": "somu"}]}).status == 200
    somu = world.clients["somu"]
    made = somu.post("/api/v1/ledgers", {"name": "総務の台帳", "fields": []})
    assert made.status == 201
    base = f"/api/v1/ledgers/{made.body['id']}"

    def add(target: int) -> Any:
        return somu.post(f"{base}/fields", {**LINK, "options": {"ledger": target}})

    def create(target: int) -> Any:
        return somu.post("/api/v1/ledgers", {"name": f"別の台帳{target}", "fields": [
            {**LINK, "options": {"ledger": target}}]})

    def retype(target: int) -> Any:
        somu.post(f"{base}/fields", {"name": "文字", "code": "txt", "type": "text"})
        return somu.patch(f"{base}/fields/txt", {"type": "link", "options": {"ledger": target}})

    for attempt in (add, create, retype):
        hidden, missing = attempt(world.ledger_id), attempt(999999)
        assert hidden.status == missing.status == 400, attempt
        # Unescaped: a ledger id such as 55 must not match inside an escape like \u3055.
        assert json.dumps(hidden.body, ensure_ascii=False).replace(str(world.ledger_id), "N") == \
            json.dumps(missing.body, ensure_ascii=False).replace("999999", "N"), attempt
    # A ledger one may view can be linked.
    world.rules([{"subject": {"user": "somu"}, "rights": ["view"]}])
    assert add(world.ledger_id).status == 201


def test_field_design_by_a_manager_who_cannot_see_a_field(world: World) -> None:
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "manage"],
                  "fields": {"secret": "hidden"}}])
    somu = world.clients["somu"]
    assert [f["code"] for f in somu.get(world.base).body["fields"]] == \
        ["name", "amount", "dept", "kind"]

    def same(attempt: Any) -> None:
        hidden, missing = attempt("secret"), attempt("nothing")
        assert hidden.status == missing.status and hidden.status in (400, 404)
        assert json.dumps(hidden.body).replace("secret", "C") == \
            json.dumps(missing.body).replace("nothing", "C")

    renamed = somu.patch(world.base, {"name": "公有財産台帳"})
    assert renamed.status == 200 and "secret" not in json.dumps(renamed.body)
    same(lambda code: somu.patch(f"{world.base}/fields/{code}", {"name": "改名"}))
    same(lambda code: somu.delete(f"{world.base}/fields/{code}"))
    same(lambda code: somu.post(f"{world.base}/fields/{code}/restore"))
    from django.contrib.auth import get_user_model
    from django.test import Client

    page = Client()
    page.force_login(get_user_model().objects.get(username="somu"))
    design = page.get(f"/ledgers/{world.ledger_id}/fields/")
    assert design.status_code == 200 and "個人番号" not in design.content.decode()
    for action in ("update", "retype", "move", "delete", "restore"):
        hidden = page.post(f"/ledgers/{world.ledger_id}/fields/secret/{action}", {"name": "改名"})
        missing = page.post(f"/ledgers/{world.ledger_id}/fields/nothing/{action}",
                            {"name": "改名"})
        assert hidden.status_code == missing.status_code, action
        assert hidden.status_code in (302, 400, 404) and "個人番号" not in hidden.content.decode()
    # The field is untouched.
    fields = {f["code"]: f for f in world.api.get(world.base).body["fields"]}
    assert fields["secret"]["name"] == "個人番号"
