"""Print the headline figures of bench/out/results.json as a Markdown table.

    python bench/report.py [bench/out/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROWS = [
    ("page1_filter_sort", "filter kubun:eq:X + sort ±field, limit 50 (page 1)"),
    ("page2_cursor", "same, page 2 via next_cursor"),
    ("search_q_1char", "q, 1 character"),
    ("search_q_2char", "q, 2 characters"),
    ("search_q_4char", "q, 4 characters"),
    ("aggregate_group_count", "aggregate group_by=kubun metric=count"),
    ("aggregate_group_sum_amount", "aggregate group_by=kubun metric=sum:amount"),
    ("update_one_record", "PATCH one record (revision, history, search index)"),
    ("datasette_page1_lean", "Datasette 0.65, same page (_nocount, _nosuggest)"),
    ("datasette_page1_default", "Datasette 0.65, same page (default: count + facet suggestions)"),
    ("datasette_page2_lean", "Datasette 0.65, page 2 via _next"),
]


def cell(fig: dict[str, Any] | None) -> str:
    if not fig:
        return "—"
    mark = "" if "met" not in fig else (" ✓" if fig["met"] else " ✗")
    return f"{fig['p50_ms']:.0f} / {fig['p95_ms']:.0f} / {fig['max_ms']:.0f}{mark}"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out" /
                "results.json")
    results = json.loads(path.read_text())
    backends = results["backends"]
    names = [n for n in ("sqlite", "postgresql") if n in backends]
    print("| figure (ms: p50 / p95 / max) | target | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for key, label in ROWS:
        figs = [backends[n]["figures"].get(key) for n in names]
        target = next((f.get("target", "") for f in figs if f and f.get("target")), "")
        print(f"| {label} | {target} | " + " | ".join(cell(f) for f in figs) + " |")
    for n in names:
        f = backends[n]["figures"]
        load = backends[n]["load"]
        print(f"\n{n}: load {load['records']:,} rows in {load['load_seconds']} s "
              f"({load['load_rows_per_second']:,} rows/s, {load.get('load_processes', 1)} "
              f"process(es), code: {load.get('loaded_with', 'working tree')})")
        if "page1_vs_datasette" in f:
            print(f"  daicho / Datasette p95 ratio: {f['page1_vs_datasette']['ratio_p95']} "
                  f"(p50 {f['daicho_page1_vs_datasette_page1_lean']['p50_ms']}); page 2: "
                  f"{f['daicho_page2_vs_datasette_page2_lean']}")
        conc = backends[n]["concurrency"]
        print(f"  concurrency: merge {conc['merge']['updates_per_second']} upd/s "
              f"({conc['merge']['successful_updates']} updates, "
              f"{conc['merge']['conflicts_409']} × 409), conflict "
              f"{conc['conflict']['updates_per_second']} upd/s "
              f"({conc['conflict']['successful_updates']} updates, "
              f"{conc['conflict']['conflicts_409']} × 409), verification "
              f"{conc['verification']}")
        busy = backends[n].get("machine_busy", {})
        print("  CPU used by other processes during each scenario: "
              + ", ".join(f"{k} {v['cpu_others_pct']}%" for k, v in busy.items()))


if __name__ == "__main__":
    main()
