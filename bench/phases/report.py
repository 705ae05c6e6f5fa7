"""Summarise bench/phases/sitecustomize.py's lines: the PATCHes' p50 / p95 / max and every PATCH
slower than --slow ms with its phases (see sitecustomize.py).

    .venv/bin/python bench/phases/report.py PHASES.jsonl [--slow 10] [--last N]
"""

from __future__ import annotations

import argparse
import json
import statistics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--slow", type=float, default=10.0)
    parser.add_argument("--last", type=int, default=0, help="only the last N PATCHes")
    args = parser.parse_args()
    lines = [json.loads(x) for x in open(args.file)]
    patches = [x for x in lines if x["method"] == "PATCH"]
    if args.last:
        patches = patches[-args.last:]
    ms = [x["ms"] for x in patches]
    print(f"{len(patches)} PATCHes server side: p50 {statistics.median(ms):.1f} "
          f"p95 {statistics.quantiles(ms, n=20)[-1]:.1f} max {max(ms):.1f} ms; "
          f"commit p50 {statistics.median(x['commit_ms'] for x in patches):.2f} ms; "
          f"commits with a checkpoint inside: {sum(1 for x in patches if x['backfilled'])}; "
          f"frames p50 {statistics.median(x['frames'] for x in patches)}")
    if "cpu_ms" in patches[0]:
        cpu = [x["cpu_ms"] for x in patches]
        process = patches[-1]["process_cpu_s"] - patches[0]["process_cpu_s"]
        print(f"request thread CPU p50 {statistics.median(cpu):.2f} "
              f"p95 {statistics.quantiles(cpu, n=20)[-1]:.2f} ms; the worker's CPU from the first "
              f"PATCH to the last, all threads: {process * 1000 / (len(patches) - 1):.2f} ms "
              f"per PATCH")
    for x in patches:
        if x["ms"] > args.slow:
            rest = x["ms"] - x["commit_ms"] - x["begin_ms"]
            print(f"  {x['ms']:7.1f} ms: begin {x['begin_ms']:.1f}, commit {x['commit_ms']:.1f}, "
                  f"rest {rest:.1f}; frames {x['frames']}, backfilled {x['backfilled']}, "
                  f"wal_reset {x['wal_reset']}, job {x['job']}")


if __name__ == "__main__":
    main()
