"""A formula's recompute on a big ledger, old code against new, alternated on ONE ledger so
both meet the same data and (about) the same load: the first run fills the benchmark ledger
(bench_formula.py's, with the new code) and adds 金額(税込) = ROUND(amount * 1.1); each round
then changes the formula (× 1.1 ↔ × 1.08, so every record's value and search key change) once
with each code, and times the `formula_recompute` job it queues.

    .venv/bin/python bench/bench_recompute_alt.py --database-url URL --data-dir DIR
        [--records 100000] [--rounds 2] [--old /tmp/code-f146ec6-pgadd] [--new .]

--old / --new: directories holding a `daicho` package (git archive … daicho | tar -x -C DIR);
each run is a process of its own with that directory first on its path. Printed per run:
wall s, the process's CPU s, the CPU s of its database connection's server process and of the
whole PostgreSQL server (WAL writer, checkpointer, autovacuum too: /proc; the server must serve
this bench alone), the load average before and after."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPRESSIONS = ("ROUND(amount * 1.1)", "ROUND(amount * 1.08)")


def _server_cpu() -> float | None:
    """PostgreSQL: the CPU seconds of the whole server (its postmaster, every process it runs
    now — the backends, the WAL writer, the checkpointer, autovacuum — and those that ended),
    read from /proc; None on SQLite. The server must run on this machine and serve this bench
    alone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = int(cur.fetchone()[0])

    def stat(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    postmaster = int(stat(pid)[1])
    fields = stat(postmaster)
    ticks = sum(int(fields[k]) for k in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found = stat(int(entry.name))
            except OSError:
                continue
            if int(found[1]) == postmaster:
                ticks += int(found[11]) + int(found[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    import bench_filter_values as loader
    from bench_formula import BREAKDOWN, _backend_cpu, _time_steps, load_average

    # Those modules put this tree first on the path: the code under test goes before it.
    code = os.environ.get("PYTHONPATH", "")
    if code:
        sys.path.insert(0, code)
    loader.setup(args)
    import daicho

    assert not code or Path(daicho.__file__).is_relative_to(Path(code).resolve()), daicho.__file__
    from django.contrib.auth import get_user_model

    from daicho import jobs
    from daicho.models import Field, Ledger
    from daicho.selectors.ledgers import load_schema
    from daicho.services.ledgers import add_field, update_field

    if not Ledger.objects.filter(name=loader.dataset.LEDGER_NAME).exists():
        loader.fill(args.records)
    lid = loader.existing()
    admin = get_user_model().objects.get(username="fbadmin")
    schema = load_schema(lid)
    assert schema is not None
    found = Field.objects.filter(ledger_id=lid, code="tax", deleted_at=None).first()
    if found is None:
        expression = EXPRESSIONS[0]
        add_field(user=admin, schema=schema, spec={
            "name": "金額（税込）", "code": "tax", "type": "formula",
            "options": {"expression": expression, "result": "number"}})
    else:
        expression = EXPRESSIONS[1 - EXPRESSIONS.index(found.options["expression"])]
        update_field(user=admin, schema=schema, code="tax", patch={
            "options": {"expression": expression, "result": "number"}})
    if args.breakdown:
        _time_steps()
    if args.keep_search_indexes:  # a variant: the GIN indexes kept up to date row by row
        from daicho.db import schema as ddl

        ddl.suspend_search_indexes = lambda ledger: None
    load, backend, server = load_average(), _backend_cpu(), _server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    ran = jobs.run_pending()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after, server_after = _backend_cpu(), _server_cpu()
    print(json.dumps({"code": os.environ.get("PYTHONPATH", ""), "expression": expression,
                      "jobs": ran, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                      "database_cpu_s": None if backend is None or after is None
                      else round(after[1] - backend[1], 1),
                      "server_cpu_s": None if server is None or server_after is None
                      else round(server_after - server, 1),
                      "load": [load, load_average()],
                      **({"steps_wall_cpu_s": {k: [round(w, 1), round(c, 1)]
                                               for k, (w, c) in BREAKDOWN.items()}}
                         if args.breakdown else {})}, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--old", default="/tmp/code-f146ec6-pgadd")
    parser.add_argument("--new", default=str(HERE.parent))
    parser.add_argument("--only", choices=("old", "new"))
    parser.add_argument("--breakdown", action="store_true",
                        help="sum each step's wall and CPU s (bench_formula.py --breakdown)")
    parser.add_argument("--keep-search-indexes", action="store_true",
                        help="new code, but the GIN search indexes are not dropped")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args)
    base = [sys.executable, __file__, "--child", "--records", str(args.records),
            *(["--breakdown"] if args.breakdown else []),
            *(["--keep-search-indexes"] if args.keep_search_indexes else []),
            "--data-dir", args.data_dir, *(["--database-url", args.database_url]
                                            if args.database_url else [])]
    codes = [c for c in ("new", "old") if args.only in (None, c)]
    for _round in range(args.rounds):
        for code in codes:
            path = str(Path(getattr(args, code)).resolve())
            subprocess.run(base, check=True, env={**os.environ, "PYTHONPATH": path})


if __name__ == "__main__":
    main()
