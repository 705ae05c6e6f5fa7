"""Departments over time, users' departments over time and extra departments (兼務), through the
API and the command line: the tree as of any date, scheduled reorganisations, primary department
history, extra departments in the gate, the role list, and the migration of existing data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import ApiClient, run_daicho
from tests.permissions.conftest import World

TODAY = timezone.localdate()  # the server's day (Asia/Tokyo), which dates every change
SOON = (TODAY + dt.timedelta(days=20)).isoformat()
LATER = (TODAY + dt.timedelta(days=40)).isoformat()


@pytest.fixture(autouse=True)
def _server_day() -> None:
    """Read the server's day when each test starts, not when the module is collected: a run
    can cross midnight in Tokyo (15:00 UTC) between the two."""
    global TODAY, SOON, LATER
    TODAY = timezone.localdate()
    SOON = (TODAY + dt.timedelta(days=20)).isoformat()
    LATER = (TODAY + dt.timedelta(days=40)).isoformat()


def _tree(client: ApiClient, day: str) -> dict[str, tuple[str, str | None]]:
    resp = client.get("/api/v1/orgs", {"as_of": day})
    assert resp.status == 200, resp.body
    return {o["code"]: (o["name"], o["parent_code"]) for o in resp.body["items"]}


def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status == status, resp.body
    return resp.body


def test_tree_as_of_any_date(api: ApiClient, make_client: Any) -> None:
    _ok(api.post("/api/v1/orgs", {"code": "100", "name": "総務部", "valid_from": "2020-04-01"}), 201)
    made = _ok(api.post("/api/v1/orgs", {"code": "110", "name": "総務課", "parent_code": "100",
                                         "valid_from": "2020-04-01"}), 201)
    assert made == {"code": "110", "name": "総務課", "parent_code": "100",
                    "valid_from": "2020-04-01", "scheduled": False}
    _ok(api.post("/api/v1/orgs", {"code": "200", "name": "企画部", "valid_from": "2020-04-01"}), 201)
    _ok(api.post("/api/v1/orgs", {"code": "120", "name": "情報課", "parent_code": "100",
                                  "valid_from": "2021-04-01"}), 201)
    # 2022: 総務課 is renamed; 2023: 情報課 moves to 企画部; 2024: it is abolished.
    renamed = _ok(api.patch("/api/v1/orgs/110", {"name": "総務管理課", "valid_from": "2022-04-01"}))
    assert renamed["name"] == "総務管理課" and renamed["valid_from"] == "2022-04-01"
    _ok(api.patch("/api/v1/orgs/120", {"parent_code": "200", "valid_from": "2023-04-01"}))
    assert _ok(api.patch("/api/v1/orgs/120", {"abolished": True, "valid_from": "2024-04-01"})) \
        == {"code": "120", "abolished": True, "valid_from": "2024-04-01"}

    clerk = make_client("clerk")
    assert _tree(clerk, "2019-12-31") == {}
    assert _tree(clerk, "2020-04-01") == {"100": ("総務部", None), "110": ("総務課", "100"),
                                          "200": ("企画部", None)}
    assert _tree(clerk, "2021-06-30")["120"] == ("情報課", "100")
    assert _tree(clerk, "2022-04-01")["110"] == ("総務管理課", "100")
    assert _tree(clerk, "2022-03-31")["110"] == ("総務課", "100")
    assert _tree(clerk, "2023-10-01")["120"] == ("情報課", "200")
    assert "120" not in _tree(clerk, "2024-04-01")
    items = clerk.get("/api/v1/orgs", {"as_of": "2023-10-01"}).body["items"]
    assert {"code": "120", "name": "情報課", "parent_code": "200", "valid_from": "2023-04-01",
            "valid_to": "2024-04-01"} in items
    # Today's tree keeps the contract's shape and leaves the abolished department out.
    assert clerk.get("/api/v1/orgs").body == {"items": [
        {"code": "100", "name": "総務部", "parent_code": None},
        {"code": "110", "name": "総務管理課", "parent_code": "100"},
        {"code": "200", "name": "企画部", "parent_code": None}]}
    history = clerk.get("/api/v1/orgs/120/history").body["items"]
    assert [(h["parent_code"], h["valid_from"], h["valid_to"]) for h in history] == [
        ("100", "2021-04-01", "2023-04-01"), ("200", "2023-04-01", "2024-04-01")]
    assert clerk.get("/api/v1/orgs/999/history").status == 404
    bad = clerk.get("/api/v1/orgs", {"as_of": "2024-02-30"})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_date"


def test_changes_are_dated_in_order(api: ApiClient, make_client: Any) -> None:
    api.post("/api/v1/orgs", {"code": "100", "name": "総務部", "valid_from": "2020-04-01"})
    api.post("/api/v1/orgs", {"code": "110", "name": "総務課", "parent_code": "100",
                              "valid_from": "2020-04-01"})
    _ok(api.patch("/api/v1/orgs/110", {"name": "総務管理課", "valid_from": "2022-04-01"}))
    early = api.patch("/api/v1/orgs/110", {"name": "x", "valid_from": "2021-04-01"})
    assert early.status == 400 and early.body["error"]["code"] == "org_date_order"
    assert "2022-04-01" in early.body["error"]["message"]
    # The same day again corrects that day's state instead of adding one.
    _ok(api.patch("/api/v1/orgs/110", {"name": "総務企画課", "valid_from": "2022-04-01"}))
    assert len(api.get("/api/v1/orgs/110/history").body["items"]) == 2
    under = api.patch("/api/v1/orgs/100", {"abolished": True})
    assert under.status == 400 and under.body["error"]["code"] == "org_has_children"
    assert api.patch("/api/v1/orgs/110", {"parent_code": "110"}).body["error"]["code"] == \
        "org_cycle"
    assert api.patch("/api/v1/orgs/110", {"parent_code": "999"}).body["error"]["code"] == \
        "unknown_org"
    assert api.patch("/api/v1/orgs/999", {"name": "x"}).status == 404
    assert api.patch("/api/v1/orgs/110", {"valid_from": "4月1日"}).body["error"]["code"] == \
        "invalid_date"
    clerk = make_client("clerk", org="110")
    refused = clerk.patch("/api/v1/orgs/110", {"name": "乗っ取り"})
    assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"


def test_scheduled_reorganisation(api: ApiClient, cli: Any, tmp_path: Path) -> None:
    from daicho.services.orgs import apply_due_changes

    api.post("/api/v1/orgs", {"code": "100", "name": "総務部"})
    api.post("/api/v1/orgs", {"code": "110", "name": "総務課", "parent_code": "100"})
    scheduled = _ok(api.post("/api/v1/orgs", {"code": "130", "name": "デジタル推進課",
                                              "parent_code": "100", "valid_from": SOON}), 201)
    assert scheduled["scheduled"] is True
    assert api.post("/api/v1/orgs", {"code": "130", "name": "x"}).status == 409
    _ok(api.patch("/api/v1/orgs/110", {"name": "総務管理課", "valid_from": SOON}))
    # A change dated before a scheduled one would be undone by it: refused with the date.
    clash = api.patch("/api/v1/orgs/110", {"name": "x"})
    assert clash.status == 409 and clash.body["error"]["code"] == "org_change_scheduled"
    assert SOON in clash.body["error"]["message"]
    # The tree before and from that day; today's tree is unchanged.
    assert _tree(api, TODAY.isoformat()) == {"100": ("総務部", None), "110": ("総務課", "100")}
    assert _tree(api, SOON) == {"100": ("総務部", None), "110": ("総務管理課", "100"),
                                "130": ("デジタル推進課", "100")}
    history = api.get("/api/v1/orgs/110/history").body["items"]
    assert [(h["name"], h["scheduled"]) for h in history] == [("総務課", False),
                                                              ("総務管理課", True)]
    # Abolishing 総務部 later while 110 and 130 stay under it does not hold together.
    hanging = api.patch("/api/v1/orgs/100", {"abolished": True, "valid_from": LATER})
    assert hanging.status == 400 and hanging.body["error"]["code"] == "org_missing_parent"
    # Nor may a change made today pull the ground from under a scheduled one.
    api.post("/api/v1/orgs", {"code": "150", "name": "臨時室"})
    _ok(api.post("/api/v1/orgs", {"code": "151", "name": "臨時係", "parent_code": "150",
                                  "valid_from": LATER}), 201)
    pulled = api.patch("/api/v1/orgs/150", {"abolished": True})
    assert pulled.status == 400 and pulled.body["error"]["code"] == "org_missing_parent"
    assert LATER in pulled.body["error"]["message"]
    # A CSV row for later whose parent will not exist is refused whole, like any bad row.
    (tmp_path / "later.csv").write_text(f"code,name,parent_code,valid_from\n"
                                        f"140,防災課,999,{LATER}\n", encoding="utf-8")
    assert cli("org", "import", str(tmp_path / "later.csv"), "--json").code == 1
    assert apply_due_changes(today=dt.date.fromisoformat(SOON)) == 2
    assert api.get("/api/v1/orgs").body["items"] == [
        {"code": "100", "name": "総務部", "parent_code": None},
        {"code": "110", "name": "総務管理課", "parent_code": "100"},
        {"code": "130", "name": "デジタル推進課", "parent_code": "100"},
        {"code": "150", "name": "臨時室", "parent_code": None}]
    assert [h["valid_from"] for h in api.get("/api/v1/orgs/110/history").body["items"]] == [
        TODAY.isoformat(), SOON]


def test_records_keep_an_abolished_department(api: ApiClient) -> None:
    api.post("/api/v1/orgs", {"code": "120", "name": "情報課"})
    led = _ok(api.post("/api/v1/ledgers", {"name": "機器", "fields": [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "所管課", "type": "org", "code": "dept"}]}), 201)
    rec = _ok(api.post(f"/api/v1/ledgers/{led['id']}/records",
                       {"values": {"name": "サーバ", "dept": "120"}}), 201)
    _ok(api.patch("/api/v1/orgs/120", {"name": "情報政策課"}))
    _ok(api.patch("/api/v1/orgs/120", {"abolished": True, "valid_from": SOON}))
    from daicho.services.orgs import apply_due_changes

    apply_due_changes(today=dt.date.fromisoformat(SOON))
    got = _ok(api.get(f"/api/v1/ledgers/{led['id']}/records/{rec['id']}"))
    assert got["values"]["dept"] == "120"
    refused = api.post("/api/v1/users", {"login": "late", "org": "120"})
    assert refused.status == 400 and refused.body["error"]["code"] == "abolished_org"


def test_primary_department_history(api: ApiClient, make_client: Any) -> None:
    from daicho.services.orgs import apply_due_changes

    for code, name in [("110", "総務課"), ("210", "生活福祉課"), ("310", "税務課")]:
        api.post("/api/v1/orgs", {"code": code, "name": name, "valid_from": "2020-04-01"})
    _ok(api.post("/api/v1/users", {"login": "sato", "name": "佐藤", "org": "110"}), 201)
    joined = _ok(api.get("/api/v1/users/sato"))
    assert joined["org_history"] == [{"org": "110", "name": "総務課", "primary": True,
                                      "valid_from": TODAY.isoformat(), "valid_to": None}]
    # Recorded late: 総務課 since 2020, 生活福祉課 since April 2023.
    _ok(api.patch("/api/v1/users/sato", {"org": "110", "valid_from": "2020-04-01"}))
    moved = _ok(api.patch("/api/v1/users/sato", {"org": "210", "valid_from": "2023-04-01"}))
    assert moved["org"] == "210"
    assert [(h["org"], h["valid_from"], h["valid_to"]) for h in moved["org_history"]] == [
        ("110", "2020-04-01", "2023-04-01"), ("210", "2023-04-01", None)]
    # A move loaded ahead of its day: today's department stays until then.
    ahead = _ok(api.patch("/api/v1/users/sato", {"org": "310", "valid_from": SOON}))
    assert ahead["org"] == "210" and ahead["org_history"][-1] == {
        "org": "310", "name": "税務課", "primary": True, "valid_from": SOON, "valid_to": None}
    listed = {u["login"]: u for u in api.get("/api/v1/users").body["items"]}
    assert listed["sato"]["org"] == "210"
    apply_due_changes(today=dt.date.fromisoformat(SOON))
    assert _ok(api.get("/api/v1/users/sato"))["org"] == "310"
    # Called off: back to the department before, whose period simply goes on.
    back = _ok(api.patch("/api/v1/users/sato", {"org": "210", "valid_from": SOON}))
    assert [(h["org"], h["valid_to"]) for h in back["org_history"]] == [
        ("110", "2023-04-01"), ("210", None)]
    assert back["org"] == "210"
    # Only admins (or the user themselves) read the history; bad input is refused.
    sato = ApiClient(_token("sato"))
    assert sato.get("/api/v1/users/sato").status == 200
    clerk = make_client("clerk")
    assert clerk.get("/api/v1/users/sato").status == 403
    assert clerk.patch("/api/v1/users/sato", {"org": "110"}).status == 403
    assert api.get("/api/v1/users/nobody").status == 404
    for body, code in [({"org": "999"}, "unknown_org"), ({"valid_from": "2024/04/01"},
                                                         "invalid_date"),
                       ({"extra_orgs": "110"}, "invalid_orgs"), ({"roles": "監査"}, "invalid_roles"),
                       ({"active": "no"}, "invalid_active")]:
        resp = api.patch("/api/v1/users/sato", body)
        assert resp.status == 400 and resp.body["error"]["code"] == code, body
    assert api.patch("/api/v1/users/admin", {"active": False}).body["error"]["code"] == \
        "self_deactivate"


def _token(login: str) -> str:
    from django.contrib.auth import get_user_model

    from daicho.services.accounts import create_token

    return create_token(user=get_user_model().objects.get(username=login))


def _sees(client: ApiClient, world: World) -> set[str] | None:
    page = client.get(f"{world.base}/records")
    return None if page.status == 404 else world.names(page.body["items"])


def test_extra_departments_count_in_org_rules(world: World) -> None:
    somu = world.clients["somu"]  # 総務課 (110)
    world.rules([{"subject": {"org": "210", "include_children": False}, "rights": ["view"]}])
    assert _sees(somu, world) is None
    done = _ok(world.api.patch("/api/v1/users/somu", {"extra_orgs": ["210"]}))
    assert done["org"] == "110" and done["extra_orgs"] == ["210"]
    assert _sees(somu, world) == {"庁舎", "倉庫", "福祉会館", "係の机", "無所属"}
    # "My department" record rules cover the extra department too.
    world.rules([{"subject": {"everyone": True}, "rights": ["view"],
                  "records": {"field_is_my_org": "dept"}}])
    assert _sees(somu, world) == {"庁舎", "倉庫", "係の机", "福祉会館"}
    # Removed: the access goes with it; the stint stays in the history.
    world.rules([{"subject": {"org": "200", "include_children": True}, "rights": ["view"]}])
    assert _sees(somu, world) is not None
    gone = _ok(world.api.patch("/api/v1/users/somu", {"extra_orgs": []}))
    assert gone["extra_orgs"] == [] and _sees(somu, world) is None
    assert [(h["org"], h["primary"], h["valid_to"]) for h in gone["org_history"]] == [
        ("110", True, None)]  # added and removed the same day: it never took effect
    # An extra department from a later day grants nothing yet.
    later = _ok(world.api.patch("/api/v1/users/somu", {"extra_orgs": ["210"], "valid_from": SOON}))
    assert later["extra_orgs"] == [] and _sees(somu, world) is None
    assert later["org_history"][-1] == {"org": "210", "name": "生活福祉課", "primary": False,
                                        "valid_from": SOON, "valid_to": None}


def test_extra_department_ended_keeps_its_period(world: World) -> None:
    from daicho.models import OrgMembership

    OrgMembership.objects.create(user_id=_uid("fukushi"), org_id=_org_id("110"), primary=False,
                                 valid_from=dt.date(2024, 4, 1))
    fukushi = world.clients["fukushi"]
    world.rules([{"subject": {"org": "100", "include_children": True}, "rights": ["view"]}])
    assert _sees(fukushi, world) is not None  # 総務課 (兼務) is below 総務部
    ended = _ok(world.api.patch("/api/v1/users/fukushi", {"extra_orgs": []}))
    assert _sees(fukushi, world) is None
    assert {"org": "110", "name": "総務課", "primary": False, "valid_from": "2024-04-01",
            "valid_to": TODAY.isoformat()} in ended["org_history"]


def _uid(login: str) -> int:
    from django.contrib.auth import get_user_model

    return int(get_user_model().objects.get(username=login).pk)


def _org_id(code: str) -> int:
    from daicho.models import Org

    return int(Org.objects.get(code=code).pk)


def test_roles_and_system_administrators(world: World, make_client: Any) -> None:
    roles = _ok(world.api.get("/api/v1/roles"))["items"]
    assert roles == [{"name": "システム管理者", "users": 0}, {"name": "台帳管理者", "users": 0},
                     {"name": "監査", "users": 1}]
    _ok(world.api.patch("/api/v1/users/named", {"roles": ["台帳管理者", "防災担当"],
                                                "name": "名前あり"}))
    names = {r["name"]: r["users"] for r in _ok(world.clients["somu"].get("/api/v1/roles"))["items"]}
    assert names["台帳管理者"] == 1 and names["防災担当"] == 1
    # A system administrator (by role, not a superuser) manages departments and users.
    sysadmin = make_client("sysadmin", roles=["システム管理者"])
    _ok(sysadmin.post("/api/v1/orgs", {"code": "300", "name": "防災部"}), 201)
    _ok(sysadmin.patch("/api/v1/users/somu", {"extra_orgs": ["300"]}))
    assert world.clients["somu"].post("/api/v1/orgs", {"code": "301", "name": "x"}).status == 403
    # Deactivated: the user's token stops working and the user leaves the list.
    _ok(sysadmin.patch("/api/v1/users/nobody", {"active": False}))
    assert world.clients["nobody"].get("/api/v1/ledgers").status == 401
    assert "nobody" not in {u["login"] for u in world.api.get("/api/v1/users").body["items"]}
    assert _ok(world.api.get("/api/v1/users/nobody"))["active"] is False


def test_history_file_loaded_again_changes_nothing(cli: Any, api: ApiClient,
                                                  tmp_path: Path) -> None:
    text = ("code,name,parent_code,valid_from\n100,総務部,,2020-04-01\n"
            "110,総務課,100,2020-04-01\n")
    (tmp_path / "2020.csv").write_text(text, encoding="utf-8")
    assert cli("org", "import", str(tmp_path / "2020.csv"), "--json").json["created"] == 2
    (tmp_path / "2022.csv").write_text("code,name,parent_code,valid_from\n"
                                       "110,総務管理課,100,2022-04-01\n", encoding="utf-8")
    assert cli("org", "import", str(tmp_path / "2022.csv"), "--json").json["updated"] == 1
    again = cli("org", "import", str(tmp_path / "2020.csv"), "--json").json
    assert (again["created"], again["updated"]) == (0, 0)
    assert _tree(api, "2021-01-01")["110"] == ("総務課", "100")
    assert _tree(api, TODAY.isoformat())["110"] == ("総務管理課", "100")
    # Created here first, then found in the city's older files: history grows backwards.
    api.post("/api/v1/orgs", {"code": "200", "name": "福祉部"})
    (tmp_path / "old.csv").write_text("code,name,parent_code,valid_from\n200,福祉部,,2019-04-01\n"
                                      "200,民生部,,2015-04-01\n", encoding="utf-8")
    assert cli("org", "import", str(tmp_path / "old.csv"), "--json").json["updated"] == 1
    assert [(h["name"], h["valid_from"], h["valid_to"])
            for h in api.get("/api/v1/orgs/200/history").body["items"]] == [
        ("民生部", "2015-04-01", "2019-04-01"), ("福祉部", "2019-04-01", None)]
    assert api.get("/api/v1/orgs").body["items"][-1] == {"code": "200", "name": "福祉部",
                                                         "parent_code": None}


MIGRATE_SCRIPT = """
import django, json, sys
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", "daicho", "0004", verbosity=0)
apps = MigrationExecutor(connection).loader.project_state(("daicho", "0004_sign_in_attempts")).apps
User = apps.get_model("auth", "User")
Org = apps.get_model("daicho", "Org")
Profile = apps.get_model("daicho", "Profile")
top = Org.objects.create(code="100", name="総務部")
sub = Org.objects.create(code="110", name="総務課", parent=top)
user = User.objects.create(username="sato")
Profile.objects.create(user=user, org=sub, roles=[])
call_command("migrate", verbosity=0)
from daicho.models import OrgMembership, OrgVersion
print(json.dumps({
    "versions": sorted([v.code, v.name, v.parent.code if v.parent else None, str(v.valid_from),
                        v.valid_to] for v in OrgVersion.objects.select_related("parent")),
    "members": [[m.user.username, m.org.code, m.primary, str(m.valid_from), m.valid_to]
                for m in OrgMembership.objects.select_related("user", "org")]}))
"""


def test_migration_keeps_existing_departments(cli_env: dict[str, str]) -> None:
    import subprocess
    import sys

    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "daicho.settings"}
    Path(env["DAICHO_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", MIGRATE_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    today = TODAY.isoformat()
    assert out == {"versions": [["100", "総務部", None, today, None],
                                ["110", "総務課", "100", today, None]],
                   "members": [["sato", "110", True, today, None]]}
    assert run_daicho(cli_env, "org", "apply", "--json").code == 0
