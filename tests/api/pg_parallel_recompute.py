"""Run by tests/api/test_formula_pg_recompute.py in a process of its own, on a database of its
own (cli_env): a big recompute on PostgreSQL runs on two connections only outside any
transaction, which a test's database is not. Prints what it found as JSON."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from daicho import jobs
    from daicho.db import schema as ddl
    from daicho.fields.context import ValueContext
    from daicho.models import Field, Ledger
    from daicho.selectors.ledgers import load_schema
    from daicho.selectors.records import list_records, records_json
    from daicho.services import formulas
    from daicho.services.accounts import create_user
    from daicho.services.ledgers import add_field, create_ledger
    from daicho.services.records import create_record
    from tests.pg_search_layout import texts_out_of_step

    formulas.REBUILD_INDEX_OVER = 1  # a big ledger, in chunks of 4
    formulas.CHUNK = 4
    threads: dict[str, list[int]] = {}
    rewrite = formulas._Chunk.rewrite

    def spy(self: Any, *args: Any, **kwargs: Any) -> int:
        name = threading.current_thread().name
        first = name not in threads
        threads.setdefault(name, []).extend(self.ids)
        if failing and failing & set(self.ids):
            raise RuntimeError("a worker's chunk failed")
        if failing and first and name == "daicho-recompute-0":
            # The first worker's first chunk waits for the other to have failed and ended,
            # so that the test knows where it stops: after this chunk.
            deadline = time.monotonic() + 60
            while any(t.name == "daicho-recompute-1" for t in threading.enumerate()):
                assert time.monotonic() < deadline
                time.sleep(0.01)
        return int(rewrite(self, *args, **kwargs))

    formulas._Chunk.rewrite = spy  # type: ignore[method-assign]
    failing: set[int] = set()
    admin = create_user(login="admin", name="管理者", admin=True)
    schema = create_ledger(user=admin, name="備品", fields=[
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "金額", "type": "number", "code": "amount"}])
    ids = [create_record(user=admin, schema=schema,
                         values={"name": f"品{n}", "amount": n})["id"] for n in range(41)]
    schema = load_schema(schema.id)
    assert schema is not None
    add_field(user=admin, schema=schema, spec={
        "name": "表示", "type": "formula", "code": "label",
        "options": {"expression": "\"税込\" & ROUND(amount * 1.1)", "result": "text"}})
    ran = jobs.run_pending()
    ledger = Ledger.objects.get(id=schema.id)
    schema = load_schema(schema.id)
    assert schema is not None
    rows = records_json(schema, list_records(admin, schema, limit=100).rows, ValueContext())
    labels = {int(r["id"]): r["values"].get("label") for r in rows}
    found = [int(r["id"]) for r in records_json(
        schema, list_records(admin, schema, search="税込11", limit=100).rows, ValueContext())]
    column = str(Field.objects.get(ledger=ledger, code="label").column)
    out: dict[str, Any] = {
        "jobs": ran, "ids": ids, "labels": {str(k): v for k, v in labels.items()},
        "found": found, "threads": {k: sorted(v) for k, v in threads.items()},
        "texts_out_of_step": texts_out_of_step(str(ledger.table_name)),
        "column_index": ddl.index_exists(ddl.index_name(ledger, column))}
    # A second formula whose recompute fails in one worker: it is raised, the other worker
    # stops, and what was written is in step with the search table.
    threads.clear()
    add_field(user=admin, schema=schema, spec={
        "name": "倍", "type": "formula", "code": "twice",
        "options": {"expression": "amount * 2", "result": "number"}})
    failing.add(ids[len(ids) // 2 + 1])  # the second worker's first chunk
    try:
        formulas.recompute(schema.id, None, fields=["twice"])
        out["raised"] = None
    except RuntimeError as exc:
        out["raised"] = str(exc)
    out["after_failure"] = {
        "threads": {k: sorted(v) for k, v in threads.items()},
        "alive": [t.name for t in threading.enumerate() if t.name.startswith("daicho-recompute")],
        "texts_out_of_step": texts_out_of_step(str(ledger.table_name))}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
