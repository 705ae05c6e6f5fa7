"""Record rules and field rules on every write path (issue 12, points 1, 3 and the matrix of
write surfaces): the record *after* the change must lie within the record conditions of the right
in use, and a field read-only under that right is refused, whichever surface writes — the API's
PATCH, bulk and revert, the web grid's save, the record form and revert, imports (append,
upsert, dry run) and restore."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.permissions.conftest import World

# somu (総務課) may work on the records of their department and the ones below it.
MINE = {"subject": {"user": "somu"}, "rights": ["view", "add", "edit", "delete", "import"],
        "records": {"field_is_my_org": "dept"}}


def _browser(login: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    return client


def _record(world: World, rid: int) -> dict[str, Any]:
    found = world.api.get(f"{world.base}/records/{rid}")
    assert found.status == 200
    return dict(found.body)



def _refused(resp: Any) -> bool:
    return bool(resp.status == 403 and resp.body["error"]["code"] == "outside_record_rules")


# Each surface tries to move 庁舎 (総務課, revision 2) into 生活福祉課, outside somu's rule.
def _patch(w: World, rid: int) -> bool:
    return _refused(w.clients["somu"].patch(f"{w.base}/records/{rid}", {
        "revision": 2, "values": {"dept": "210"}}))


def _bulk(w: World, rid: int) -> bool:
    return _refused(w.clients["somu"].post(f"{w.base}/records/bulk", {
        "update": [{"id": rid, "revision": 2, "values": {"dept": "210"}}]}))


def _bulk_with_new_row(w: World, rid: int) -> bool:
    return _refused(w.clients["somu"].post(f"{w.base}/records/bulk", {
        "create": [{"values": {"name": "新しい机", "dept": "110"}}],
        "update": [{"id": rid, "revision": 2, "values": {"dept": "210"}}]}))


def _grid(w: World, rid: int) -> bool:
    resp = _browser("somu").post(f"/ledgers/{w.ledger_id}/save", json.dumps({
        "create": [{"values": {"name": "新しい机", "dept": "110"}}],
        "update": [{"id": rid, "revision": 2, "values": {"dept": "210"}}]}),
        content_type="application/json")
    return bool(resp.status_code == 403 and resp.json()["error"]["code"] == "outside_record_rules")


def _form(w: World, rid: int) -> bool:
    resp = _browser("somu").post(f"/ledgers/{w.ledger_id}/records/{rid}/", {
        "rev": "2", "v_dept": "210", "o_dept": "110"})
    return bool(resp.status_code == 403)


def _upsert(w: World, rid: int) -> bool:
    return _refused(w.import_csv("somu", "名称,所管課\n庁舎,210\n", mode="upsert", key="name"))


def _upsert_dry_run(w: World, rid: int) -> bool:
    return _refused(w.import_csv("somu", "名称,所管課\n庁舎,210\n", mode="upsert", key="name",
                            dry_run="true"))


SURFACES: dict[str, Callable[[World, int], bool]] = {
    "patch": _patch, "bulk": _bulk, "bulk+create": _bulk_with_new_row, "grid-save": _grid,
    "form": _form, "import-upsert": _upsert, "import-upsert-dry-run": _upsert_dry_run,
}


@pytest.mark.parametrize("surface", SURFACES)
def test_a_record_cannot_be_moved_out_of_the_rule(world: World, surface: str) -> None:
    world.rules([MINE])
    rid = world.ids["庁舎"]
    before = _record(world, rid)
    count = world.api.get(world.base).body["record_count"]
    assert SURFACES[surface](world, rid), surface
    assert _record(world, rid) == before  # nothing written
    assert world.api.get(world.base).body["record_count"] == count
    # Moving it within the rule (to 庶務係, below 総務課) is fine.
    moved = world.clients["somu"].patch(f"{world.base}/records/{rid}",
                                        {"revision": 2, "values": {"dept": "111"}})
    assert moved.status == 200 and moved.body["values"]["dept"] == "111"


@pytest.fixture
def transferred(world: World) -> int:
    """A record made for 生活福祉課 and then moved to 総務課 by the admin."""
    made = world.api.post(f"{world.base}/records", {"values": {"name": "移管", "dept": "210"}})
    moved = world.api.patch(f"{world.base}/records/{made.body['id']}",
                            {"revision": 1, "values": {"dept": "110"}})
    assert moved.status == 200
    return int(made.body["id"])


def test_revert_cannot_move_a_record_out_of_the_rule(world: World, transferred: int) -> None:
    world.rules([MINE])
    before = _record(world, transferred)
    url = f"{world.base}/records/{transferred}/revert"
    assert _refused(world.clients["somu"].post(url, {"to_revision": 1}))
    # The history page's revert button: refused with a message, nothing written.
    page = _browser("somu").post(f"/ledgers/{world.ledger_id}/records/{transferred}/revert",
                                 {"to_revision": "1"}, follow=True)
    assert page.status_code == 200 and "何も保存されていません" in page.content.decode()
    assert _record(world, transferred) == before
    # Reverting within the rule works.
    world.clients["somu"].patch(f"{world.base}/records/{transferred}",
                                {"revision": 2, "values": {"amount": 5}})
    assert world.clients["somu"].post(url, {"to_revision": 2}).status == 200


def test_restore_only_within_the_rule(world: World) -> None:
    world.rules([MINE])
    own, other = world.ids["庁舎"], world.ids["福祉会館"]
    for rid in (own, other):
        assert world.api.delete(f"{world.base}/records/{rid}").status == 204
    somu = world.clients["somu"]
    assert somu.post(f"{world.base}/records/{other}/restore").status == 404
    page = _browser("somu").post(f"/ledgers/{world.ledger_id}/records/{other}/restore")
    assert page.status_code in (302, 404)
    assert world.api.get(f"{world.base}/records/{other}").status == 404  # still in the trash
    restored = somu.post(f"{world.base}/records/{own}/restore")
    assert restored.status == 200 and restored.body["values"]["dept"] == "110"


def test_import_append_only_within_the_rule(world: World) -> None:
    world.rules([MINE])
    count = world.api.get(world.base).body["record_count"]
    for dry_run in ("false", "true"):
        resp = world.import_csv("somu", "名称,所管課\n総務の棚,110\n福祉の棚,210\n", mode="append",
                       dry_run=dry_run)
        assert _refused(resp), resp.body
    assert world.api.get(world.base).body["record_count"] == count
    fine = world.import_csv("somu", "名称,所管課\n総務の棚,110\n", mode="append")
    assert fine.status == 200 and fine.body["created"] == 1


# Point 3: a field open for one write right and read-only for the other.
SPLIT_RULES = {
    "read-only-for-edit": [{"subject": {"everyone": True}, "rights": ["view", "add"]},
                           {"subject": {"everyone": True}, "rights": ["edit"],
                            "fields": {"amount": "read"}}],
    "read-only-for-add": [{"subject": {"everyone": True}, "rights": ["view", "edit"]},
                          {"subject": {"everyone": True}, "rights": ["add"],
                           "fields": {"amount": "read"}}],
}


def _mixed(rid: int, locked: str) -> dict[str, Any]:
    """One new row and one update; the locked write carries the read-only field."""
    new = {"name": "新しい机", **({"amount": 7} if locked == "read-only-for-add" else {})}
    change = {"name": "本庁舎", **({"amount": 7} if locked == "read-only-for-edit" else {})}
    return {"create": [{"values": new}], "update": [{"id": rid, "revision": 2, "values": change}]}


@pytest.mark.parametrize("locked", SPLIT_RULES)
@pytest.mark.parametrize("surface", ["api-bulk", "grid-save"])
def test_read_only_fields_hold_for_the_right_in_use(world: World, locked: str,
                                                    surface: str) -> None:
    world.rules(SPLIT_RULES[locked])
    rid = world.ids["庁舎"]
    before = _record(world, rid)
    count = world.api.get(world.base).body["record_count"]
    body = _mixed(rid, locked)
    if surface == "api-bulk":
        resp = world.clients["somu"].post(f"{world.base}/records/bulk", body)
        status, error = resp.status, resp.body["error"]
    else:
        raw = _browser("somu").post(f"/ledgers/{world.ledger_id}/save", json.dumps(body),
                                    content_type="application/json")
        status, error = raw.status_code, raw.json()["error"]
    assert status == 400, error
    [problem] = error["details"]["items"]
    assert problem["op"] == ("create" if locked == "read-only-for-add" else "update")
    assert list(problem["fields"]) == ["amount"]
    assert _record(world, rid) == before
    assert world.api.get(world.base).body["record_count"] == count
    # Without the locked field both writes go through.
    body["create"][0]["values"].pop("amount", None)
    body["update"][0]["values"].pop("amount", None)
    assert world.clients["somu"].post(f"{world.base}/records/bulk", body).status == 200


def test_uploads_only_into_fields_one_may_write(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    added = world.api.post(f"{world.base}/fields", {"name": "添付", "code": "doc", "type": "file"})
    assert added.status == 201, added.body
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "edit"],
                  "fields": {"doc": "read", "secret": "hidden"}}])

    def upload(field: str) -> Any:
        return world.clients["somu"].upload(f"{world.base}/files", {
            "field": field, "file": SimpleUploadedFile("a.txt", b"x")})

    read_only = upload("doc")
    assert read_only.status == 400 and read_only.body["error"]["code"] == "read_only_field"
    hidden, missing = upload("secret"), upload("nothing")
    assert hidden.status == missing.status == 400
    assert json.dumps(hidden.body).replace("secret", "C") == \
        json.dumps(missing.body).replace("nothing", "C")
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "edit"]}])
    assert upload("doc").status == 201


def test_rolling_back_an_import_needs_the_import_right_only(world: World) -> None:
    world.rules([{"subject": {"user": "somu"}, "rights": ["view", "import"]},
                 {"subject": {"user": "somu"}, "rights": ["edit"],
                  "records": {"field_is_my_org": "dept"}}])
    somu = world.clients["somu"]
    done = world.import_csv("somu", "名称,金額,所管課\n庁舎,1,110\n新しい棚,2,110\n", mode="upsert",
                   key="name")
    assert done.status == 200 and (done.body["created"], done.body["updated"]) == (1, 1)
    back = somu.post(f"/api/v1/imports/{done.body['batch_id']}/rollback", {})
    assert back.status == 200 and (back.body["trashed"], back.body["reverted"]) == (1, 1)
    assert _record(world, world.ids["庁舎"])["values"]["amount"] == 150
    names = {r["values"]["name"] for r in world.api.get(f"{world.base}/records").body["items"]}
    assert "新しい棚" not in names
