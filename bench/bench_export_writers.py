"""How much do daicho's export writers cost over plain XlsxWriter?

Writes N rows × 12 mixed columns three ways, each in its own process so peak memory is its own:

- baseline: XlsxWriter, constant_memory, Worksheet.write_row with values already in the forms
  XlsxWriter takes (joined lists, naive local datetimes, はい/いいえ strings); no formats.
- xlsx:     daicho.exporting.write_xlsx with the raw field values (it converts, formats, sizes
  columns, guards text against formulas and Excel's limits).
- csv:      daicho.exporting.write_csv (utf-8-sig and cp932), for reference.

Rows cycle through a pool of 1,000 generated rows so that generating data costs the same (almost
nothing) for every writer. The best run of each writer by CPU time is reported. Usage:

    python bench/bench_export_writers.py [--rows 1000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daicho.exporting import ExportColumn, write_csv, write_xlsx
from daicho.exporting.columns import NO_TEXT, TOKYO, YES_TEXT

POOL = 1000
COLUMNS = [
    ExportColumn("管理番号", "autonumber"),
    ExportColumn("氏名", "text"),
    ExportColumn("住所", "text"),
    ExportColumn("金額", "number", {"decimals": 0, "unit": "円", "separator": True}),
    ExportColumn("面積", "number", {"decimals": 2}),
    ExportColumn("受付日", "date"),
    ExportColumn("更新日時", "datetime"),
    ExportColumn("完了", "yesno"),
    ExportColumn("区分", "choice"),
    ExportColumn("対象", "multichoice"),
    ExportColumn("メール", "email"),
    ExportColumn("備考", "textarea"),
]


def make_pool(seed: int = 1) -> list[list[Any]]:
    rnd = random.Random(seed)
    surnames = ["山田", "佐藤", "鈴木", "髙橋", "渡邊", "伊藤", "中村", "小林"]
    given = ["太郎", "花子", "一郎", "美咲", "健", "さくら"]
    towns = ["本町", "駅前", "港町", "栄町", "旭町"]
    kinds = ["新規", "更新", "変更", "廃止"]
    targets = ["道路", "水路", "公園", "河川", "その他"]
    pool = []
    for i in range(POOL):
        utc = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rnd.randrange(10**8))
        pool.append([
            f"R6-{i:06d}",
            rnd.choice(surnames) + " " + rnd.choice(given),
            f"焼津市{rnd.choice(towns)}{rnd.randint(1, 9)}丁目"
            f"{rnd.randint(1, 30)}-{rnd.randint(1, 20)}",
            Decimal(rnd.randint(-50_000, 5_000_000)),
            Decimal(rnd.randint(0, 10**7)) / 100,
            dt.date(2000, 1, 1) + dt.timedelta(days=rnd.randrange(9000)),
            utc,
            rnd.random() < 0.5,
            rnd.choice(kinds),
            rnd.sample(targets, rnd.randint(0, 3)),
            f"user{i}@city.example.jp",
            None if rnd.random() < 0.7 else "現地確認済み。\n次回は4月〜6月に再確認。",
        ])
    return pool


def plain(row: Sequence[Any]) -> list[Any]:
    """The same row in the forms XlsxWriter's write_row accepts directly."""
    out: list[Any] = []
    for value in row:
        if isinstance(value, bool):
            out.append(YES_TEXT if value else NO_TEXT)
        elif isinstance(value, list):
            out.append("\n".join(value))
        elif isinstance(value, dt.datetime):
            out.append(value.astimezone(TOKYO).replace(tzinfo=None))
        else:
            out.append(value)
    return out


def cycle(pool: list[list[Any]], n: int) -> Iterator[list[Any]]:
    for i in range(n):
        yield pool[i % POOL]


def run_baseline(path: str, n: int) -> None:
    from xlsxwriter import Workbook

    pool = [plain(r) for r in make_pool()]
    workbook = Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("台帳")
    sheet.write_row(0, 0, [c.name for c in COLUMNS])
    for r, row in enumerate(cycle(pool, n), start=1):
        sheet.write_row(r, 0, row)
    workbook.close()


def run_xlsx(path: str, n: int) -> None:
    write_xlsx(path, COLUMNS, cycle(make_pool(), n))


def run_csv(path: str, n: int, encoding: str) -> None:
    with open(path, "wb") as f:
        write_csv(f, COLUMNS, cycle(make_pool(), n), encoding=encoding)


def child(kind: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out")
        start = time.perf_counter()
        cpu_start = time.process_time()
        if kind == "baseline":
            run_baseline(path, n)
        elif kind == "xlsx":
            run_xlsx(path, n)
        else:
            run_csv(path, n, kind.split(":", 1)[1])
        cpu = time.process_time() - cpu_start
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "bytes": size,
                      "peak_rss_mib": peak_kib / 1024}))


def measure(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--rows", str(n)],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return

    kinds = ["baseline", "xlsx", "csv:utf-8-sig", "csv:cp932"]
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for kind in kinds:  # interleaved, so drift in machine load hits every writer alike
            result = measure(kind, args.rows)
            if kind not in best or result["cpu"] < best[kind]["cpu"]:
                best[kind] = result
    print(f"{args.rows:,} rows × {len(COLUMNS)} columns, best of {args.repeat}, "
          f"Python {sys.version.split()[0]}")
    print(f"{'writer':<16}{'wall s':>9}{'CPU s':>9}{'rows/CPU s':>12}{'MB':>8}"
          f"{'peak RSS MiB':>14}")
    for kind in kinds:
        r = best[kind]
        print(f"{kind:<16}{r['seconds']:>9.2f}{r['cpu']:>9.2f}{args.rows / r['cpu']:>12,.0f}"
              f"{r['bytes'] / 1e6:>8.1f}{r['peak_rss_mib']:>14.0f}")
    # CPU time, because wall time on a shared machine mostly measures the neighbours.
    cpu_ratio = best["xlsx"]["cpu"] / best["baseline"]["cpu"]
    wall_ratio = best["xlsx"]["seconds"] / best["baseline"]["seconds"]
    print(f"xlsx / baseline: CPU time ratio {cpu_ratio:.2f}, wall time ratio {wall_ratio:.2f} "
          "(target ≤ 2.00)")


if __name__ == "__main__":
    main()
