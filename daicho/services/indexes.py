"""The indexes a ledger turns out to need, built by background jobs.

Reads never write: a selector that finds a pair index missing only notes it
(`daicho.db.schema.want_pair_index`); `request_wanted` asks for the jobs after the response
(`DaichoConfig.ready` connects it to `request_finished`). The jobs themselves build the pair
indexes and the search index of a ledger made from an imported file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from daicho import jobs
from daicho.db import schema as ddl
from daicho.db import search
from daicho.models import Field, Job, Ledger

log = logging.getLogger(__name__)


def request_wanted(**_signal: Any) -> int:
    """Ask a job for each pair index the reads since the last call found missing. Returns how
    many were asked for. The response has gone: a failure is logged, and the next read that
    misses the index notes it again."""
    asked = 0
    for ledger, first, second, kind in ddl.wanted_pair_indexes():
        try:
            asked += request_pair_index(ledger, first, second, kind)
        except Exception:
            log.exception("pair index not requested")
    return asked


def forget_wanted(**_signal: Any) -> None:
    """A request starts with no wish (one a read outside any request left behind is dropped)."""
    ddl.wanted_pair_indexes()


def request_pair_index(ledger: Ledger, first: str, second: str, kind: str) -> bool:
    """Ask a background job to build the pair index, if the ledger is big enough to need one
    and no job for it is waiting. `(filter, sort, id)` ("s"): a page with `first = x` sorted by
    `second` is one index range — no sorting of the matches, and no walk past other records
    when most matches have no sort value (物品 have no 面積)."""
    if int(ledger.record_count) < settings.DAICHO["PAIR_INDEX_MIN_RECORDS"]:
        return False
    params = {"ledger": ledger.id, "first": first, "second": second, "kind": kind}
    if Job.objects.filter(kind="pair_index", status__in=("queued", "running"),
                          params=params).exists():
        return False
    jobs.enqueue(kind_name="pair_index", params=params, user=None)
    return True


@jobs.kind("pair_index", retry=True)
def _pair_index(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Build a two-column index a ledger turned out to need (`request_pair_index`)."""
    params = job.params
    ledger = Ledger.objects.filter(id=params["ledger"]).first()
    live = set(Field.objects.filter(ledger_id=params["ledger"], deleted_at=None)
               .values_list("column", flat=True))
    if ledger is None or not {params["first"], params["second"]} <= live \
            or params["kind"] not in ddl.PAIR_KINDS:
        return {"built": False}
    return {"built": ddl.build_pair_index(ledger, params["first"], params["second"],
                                          params["kind"])}


@jobs.kind("search_index", retry=True)
def _search_index(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Index a ledger made from an imported file (daicho.services.imports): its gram index in
    one transaction — search switches from reading the keys to the index as it commits —,
    then each field's indexes in a transaction of their own, so writers wait for one step at a
    time, never for the whole job."""
    ledger = Ledger.objects.filter(id=job.params["ledger"]).exclude(table_name=None).first()
    if ledger is None:
        return {"indexed": 0}
    fields = list(Field.objects.filter(ledger=ledger, deleted_at=None))
    with transaction.atomic():
        indexed = search.build_index(ledger)
    with transaction.atomic():
        ddl.create_system_indexes(ledger)
    for k, f in enumerate(fields):
        with transaction.atomic():
            current = Field.objects.filter(id=f.id).first()  # deleted or retyped meanwhile?
            if current is not None:
                ddl.sync_indexes(ledger, current)
        progress(k + 1, len(fields) + 1)
    ddl.analyze(ledger)
    return {"indexed": indexed, "fields": len(fields)}
