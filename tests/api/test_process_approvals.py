"""Beyond the basics of §8: several approvers (合議: all, N of M), one named person, the
creator's superior, delegation (代理) and required comments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger

FIELDS = [{"name": "件名", "type": "text", "code": "title", "required": True},
          {"name": "担当課", "type": "org", "code": "dept"}]
STATUSES = ["未処理", "審査中", "決裁済"]


@pytest.fixture
def city(api: ApiClient, make_client: Any) -> dict[str, ApiClient]:
    from daicho.models import Org

    bu = Org.objects.create(code="100", name="総務部")
    Org.objects.create(code="110", name="総務課", parent=bu)
    people = {"staff": ("110", []), "chief": ("110", ["係長"]), "head": ("100", []),
              "judge1": (None, ["審査員"]), "judge2": (None, ["審査員"]),
              "judge3": (None, ["審査員"]), "deputy": (None, [])}
    return {login: make_client(login, org=org, roles=roles)
            for login, (org, roles) in people.items()}


def _ledger(api: ApiClient, actions: list[dict[str, Any]]) -> str:
    lid = make_ledger(api, "決裁台帳", FIELDS)["id"]
    assert api.put(f"/api/v1/ledgers/{lid}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view", "add"]}]}).status == 200
    resp = api.put(f"/api/v1/ledgers/{lid}/process", {
        "statuses": STATUSES, "initial": "未処理", "actions": actions})
    assert resp.status == 200, resp.body
    return f"/api/v1/ledgers/{lid}/records"


def _submit(city: dict[str, ApiClient], base: str) -> int:
    rid = int(city["staff"].post(base, {"values": {"title": "備品"}}).body["id"])
    resp = city["staff"].post(f"{base}/{rid}/actions", {"action": "申請", "revision": 1})
    assert resp.status == 200, resp.body
    return rid


SUBMIT = {"name": "申請", "from": "未処理", "to": "審査中", "by": {"creator": True}}


def test_two_of_three_approvers(api: ApiClient, city: dict[str, ApiClient]) -> None:
    base = _ledger(api, [SUBMIT, {"name": "承認", "from": "審査中", "to": "決裁済",
                                  "by": {"role": "審査員"}, "mode": "n_of_m", "count": 2}])
    rid = _submit(city, base)
    first = city["judge1"].post(f"{base}/{rid}/actions", {"action": "承認", "revision": 2,
                                                          "comment": "可"})
    assert first.status == 200 and first.body["status"] == "審査中"
    assert first.body["revision"] == 2  # a partial approval is not a change of the record
    # Recorded and shown; the same approver cannot count twice.
    offer = city["judge2"].get(f"{base}/{rid}/actions").body
    assert offer["items"][0]["needed"] == 2 and offer["items"][0]["approved_by"] == ["judge1"]
    assert offer["approvals"]["承認"][0]["user"] == "judge1"
    assert city["judge1"].get(f"{base}/{rid}/actions").body["items"] == []
    again = city["judge1"].post(f"{base}/{rid}/actions", {"action": "承認", "revision": 2})
    assert again.status == 409 and again.body["error"]["code"] == "already_approved"
    assert city["staff"].post(f"{base}/{rid}/actions",
                              {"action": "承認", "revision": 2}).status == 403
    done = city["judge2"].post(f"{base}/{rid}/actions", {"action": "承認", "revision": 2})
    assert done.status == 200 and done.body["status"] == "決裁済" and done.body["revision"] == 3
    [entry] = [h for h in api.get(f"{base}/{rid}/history").body["items"] if h["revision"] == 3]
    assert entry["changes"]["status"]["approvals"] == ["judge1", "judge2"]
    assert city["judge3"].get(f"{base}/{rid}/actions").body["items"] == []


def test_all_of_a_department(api: ApiClient, city: dict[str, ApiClient]) -> None:
    base = _ledger(api, [SUBMIT, {"name": "合議", "from": "審査中", "to": "決裁済",
                                  "by": {"org": "110"}, "mode": "all"}])
    rid = _submit(city, base)
    assert city["staff"].post(f"{base}/{rid}/actions", {"action": "合議", "revision": 2}).body[
        "status"] == "審査中"
    assert city["chief"].post(f"{base}/{rid}/actions", {"action": "合議", "revision": 2}).body[
        "status"] == "決裁済"


def test_mode_one_needs_a_single_person(api: ApiClient, city: dict[str, ApiClient]) -> None:
    lid = make_ledger(api, "一人", FIELDS)["id"]
    bad = {"statuses": STATUSES[:2], "initial": "未処理", "actions": [
        {**SUBMIT, "by": {"role": "審査員"}, "mode": "one"}]}
    resp = api.put(f"/api/v1/ledgers/{lid}/process", bad)
    assert resp.status == 400 and resp.body["error"]["details"]["at"] == "actions[0].by"
    good = {**bad, "actions": [{**SUBMIT, "mode": "one"}]}
    assert api.put(f"/api/v1/ledgers/{lid}/process", good).status == 200


def test_the_creators_superior(api: ApiClient, city: dict[str, ApiClient]) -> None:
    """The superior of a record is anyone in the department above the creator's (総務課 → 総務部)."""
    base = _ledger(api, [SUBMIT, {"name": "決裁", "from": "審査中", "to": "決裁済",
                                  "by": {"superior": True}}])
    rid = _submit(city, base)
    assert city["chief"].post(f"{base}/{rid}/actions",
                              {"action": "決裁", "revision": 2}).status == 403
    assert [a["name"] for a in city["head"].get(f"{base}/{rid}/actions").body["items"]] == ["決裁"]
    assert city["head"].post(f"{base}/{rid}/actions", {"action": "決裁", "revision": 2}).body[
        "status"] == "決裁済"


def test_a_delegate_acts_for_someone_away(api: ApiClient, city: dict[str, ApiClient]) -> None:
    base = _ledger(api, [SUBMIT, {"name": "決裁", "from": "審査中", "to": "決裁済",
                                  "by": {"user": "head"}}])
    rid = _submit(city, base)
    assert city["deputy"].post(f"{base}/{rid}/actions",
                               {"action": "決裁", "revision": 2}).status == 403
    from django.utils import timezone

    today = timezone.localdate()  # the delegation's dates are Japan's
    later = {"delegate": "deputy", "from": (today + dt.timedelta(days=3)).isoformat(),
             "until": (today + dt.timedelta(days=5)).isoformat()}
    assert city["head"].put("/api/v1/me/delegation", later).status == 200
    assert city["deputy"].get(f"{base}/{rid}/actions").body["items"] == []
    now = {**later, "from": today.isoformat()}
    assert city["head"].put("/api/v1/me/delegation", now).body == now
    offer = city["deputy"].get(f"{base}/{rid}/actions").body["items"]
    assert offer[0]["name"] == "決裁" and offer[0]["acting_for"] == "head"
    done = city["deputy"].post(f"{base}/{rid}/actions", {"action": "決裁", "revision": 2})
    assert done.status == 200 and done.body["status"] == "決裁済"
    entry = api.get(f"{base}/{rid}/history").body["items"][0]
    assert entry["by"] == "deputy" and entry["changes"]["status"]["acting_for"] == "head"
    assert city["head"].put("/api/v1/me/delegation", {"delegate": None}).body == {
        "delegate": None, "from": None, "until": None}


@pytest.mark.parametrize("body", [
    {"delegate": "nobody", "from": "2026-01-01", "until": "2026-01-02"},
    {"delegate": "head", "from": "2026-01-01", "until": "2026-01-02"},  # oneself
    {"delegate": "deputy", "from": "2026-01-05", "until": "2026-01-02"},
    {"delegate": "deputy", "from": "明日", "until": "2026-01-02"},
    {"delegate": 7},
])
def test_bad_delegations_are_refused(city: dict[str, ApiClient], body: dict[str, Any]) -> None:
    resp = city["head"].put("/api/v1/me/delegation", body)
    assert resp.status == 400 and resp.body["error"]["code"] == "invalid_delegation"
    assert city["head"].get("/api/v1/me/delegation").body["delegate"] is None
