"""Reads write nothing (issue 18): a read that misses a pair index only notes it, and the
request asks for the job after its response; scheduled department changes are applied by the job
worker's check and by the department writers, never by a read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.conftest import ApiClient


def test_a_read_only_notes_a_missing_index_and_the_request_asks_for_it(
        api: ApiClient, ledger: dict[str, Any], admin: Any, settings: Any) -> None:
    from daicho import access
    from daicho.models import Job
    from daicho.selectors import records as sel

    url = f"/api/v1/ledgers/{ledger['id']}/records"
    items = [{"values": {"name": f"物件{n}", "amount": n, "kind": "土地" if n % 2 else "建物"}}
             for n in range(6)]
    assert api.post(f"{url}/bulk", {"create": items}).status == 200
    settings.DAICHO = {**settings.DAICHO, "PAIR_INDEX_MIN_RECORDS": 1}
    schema = access.ledger_for(admin, ledger["id"])
    groups = sel.aggregate(admin, schema, group_by="kind", metric="sum:amount")
    assert {g["key"]: g["value"] for g in groups} == {"土地": 9, "建物": 6}
    assert not Job.objects.filter(kind="pair_index").exists()  # the read wrote nothing
    from daicho.services import indexes

    assert indexes.request_wanted() == 1  # what a request does after its response
    assert Job.objects.filter(kind="pair_index", status="queued").count() == 1
    assert indexes.request_wanted() == 0  # noted once, asked for once
    # Through the API the request asks for it itself, after the answer: no second job.
    assert api.get(f"/api/v1/ledgers/{ledger['id']}/aggregate",
                   {"group_by": "kind", "metric": "sum:amount"}).status == 200
    assert Job.objects.filter(kind="pair_index").count() == 1


def test_reads_of_departments_apply_nothing_and_the_job_worker_check_does(api: ApiClient) -> None:
    from daicho.models import OrgChange
    from daicho.services import orgs

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert api.post("/api/v1/orgs", {"code": "900", "name": "企画課"}).status == 201
    assert api.patch("/api/v1/orgs/900", {"name": "企画政策課",
                                          "valid_from": tomorrow.isoformat()}).status == 200
    # The night passes: the change is due, nobody has applied it yet.
    OrgChange.objects.filter(code="900").update(valid_from=timezone.localdate())

    def names() -> list[str]:
        return [o["name"] for o in api.get("/api/v1/orgs").body["items"] if o["code"] == "900"]

    assert names() == ["企画課"]
    assert api.get("/api/v1/orgs/900/history").status == 200
    assert OrgChange.objects.get(code="900").applied_at is None  # reads applied nothing
    orgs.apply_when_due()
    assert OrgChange.objects.get(code="900").applied_at is not None
    assert names() == ["企画政策課"]
