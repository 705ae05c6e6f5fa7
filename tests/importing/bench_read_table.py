"""Benchmark: read_table against python-calamine alone on a generated 100,000 × 10 workbook.

Not collected by pytest (slow to generate). Run it by hand:

    python tests/importing/bench_read_table.py [ROWS]

The goal is read_table ≤ about 2 × the time calamine alone takes to read the same file.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

import python_calamine
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from daicho.importing import read_table

HEADER = ["番号", "名称", "住所", "面積", "金額", "取得日", "区分", "備考", "コード", "有無"]
KINDS = ["土地", "建物", "工作物", "物品"]
REPEAT = 5


def generate(path: Path, rows: int, *, shared_strings: bool) -> None:
    rnd = random.Random(1)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings})
    sheet = book.add_worksheet("台帳")
    date_format = book.add_format({"num_format": "yyyy/mm/dd"})
    sheet.write_row(0, 0, HEADER)
    start = dt.datetime(2000, 1, 1)
    for i in range(1, rows + 1):
        sheet.write_number(i, 0, i)
        sheet.write_string(i, 1, f"施設{i}号")
        sheet.write_string(i, 2, f"静岡県焼津市本町{i % 50}-{i % 7}")
        sheet.write_number(i, 3, round(rnd.random() * 1000, 2))
        sheet.write_number(i, 4, rnd.randint(0, 10**7))
        sheet.write_datetime(i, 5, start + dt.timedelta(days=i % 9000), date_format)
        sheet.write_string(i, 6, KINDS[i % 4])
        if i % 3 == 0:
            sheet.write_string(i, 7, f"メモ{i}")
        sheet.write_string(i, 8, f"{i:06d}")
        sheet.write_string(i, 9, "有" if i % 2 else "無")
    book.close()


def calamine_alone(path: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as fh:
        book = python_calamine.CalamineWorkbook.from_filelike(fh)
        book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def ours(path: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    table = read_table(path)
    elapsed = time.perf_counter() - wall, time.process_time() - cpu
    assert len(table.rows) > 0
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        for shared in (True, False):
            path = Path(tmp) / f"bench_{'shared' if shared else 'inline'}.xlsx"
            generate(path, rows, shared_strings=shared)
            base, mine = [], []
            for _ in range(REPEAT):
                gc.collect()
                base.append(calamine_alone(path))
                gc.collect()
                mine.append(ours(path))
            kind = "shared strings" if shared else "inline strings"
            print(f"{rows:,} rows × 10 columns ({kind}, {path.stat().st_size / 1e6:.1f} MB)")
            # Best of REPEAT runs, wall clock and CPU time (CPU time is steadier on a busy box).
            for label, k in (("wall", 0), ("cpu", 1)):
                b, m = min(t[k] for t in base), min(t[k] for t in mine)
                print(f"  {label}: calamine {b:.2f} s, read_table {m:.2f} s, ratio {m / b:.2f}")


if __name__ == "__main__":
    main()
