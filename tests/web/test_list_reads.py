"""The list page writes nothing while the person pages, sorts and filters the ledger they
opened last (issue 18, reads that write); opening another ledger still moves it to the top of
the home page's recent ledgers."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import ApiClient, make_ledger

WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(web: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert web.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_paging_the_ledger_opened_last_writes_nothing(web: Client, api: ApiClient) -> None:
    from daicho.web.models import RecentLedger

    first = make_ledger(api, "備品台帳")["id"]
    second = make_ledger(api, "土地台帳")["id"]
    assert any("recent" in sql.lower() for sql in _writes(web, f"/ledgers/{first}/"))
    assert _writes(web, f"/ledgers/{first}/?sort=-amount") == []
    assert _writes(web, f"/ledgers/{first}/?filter=kind:eq:土地") == []
    assert _writes(web, f"/ledgers/{second}/") != []
    assert _writes(web, f"/ledgers/{first}/") != []  # back on top
    assert list(RecentLedger.objects.order_by("-opened_at").values_list("ledger_id", flat=True)) \
        == [first, second]
