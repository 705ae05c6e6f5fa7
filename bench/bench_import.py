"""Import and export against the tools they are measured by (issue #3), side by side in one run.

    .venv/bin/python bench/bench_import.py [--rows N] [--only xlsx,csv,memory,export]
        [--repeat 2] [--out bench/out/import.json]

Four figures, each next to its yardstick, measured in the same run so machine load hits both:

- xlsx:   a city-ledger-shaped workbook (title rows, 10 columns: Japanese text, 和暦 dates as
          text, yen amounts, 区分/所管課/状態 choices, sparse 備考) of 100,000 rows. python-calamine
          alone reading the sheet (`to_python`) vs `daicho import FILE --json` end to end
          (subprocess, fresh data dir, SQLite). Bar: daicho ≤ 3 × calamine.
- csv:    the same ledger as a UTF-8 CSV of 1,000,000 rows. `sqlite-utils insert DB t FILE --csv`
          vs `daicho import FILE --json`. Bar: daicho ≤ 2 × sqlite-utils.
- memory: a full sheet, 1,048,576 rows (header + 1,048,575 records), imported by `daicho import`;
          peak RSS of the process from the kernel (getrusage RUSAGE_CHILDREN). Bar: ≤ 1.5 GB.
- export: the 1,000,000 records the CSV figure imported, `daicho export ID --format xlsx -o F`
          vs XlsxWriter (constant_memory, write_row) writing the same values, generated before
          its clock starts. Bar: daicho ≤ 2 × XlsxWriter.

`--rows N` makes every figure use N rows (a quick check of the harness). Every measured command
runs as its own child process; wall time and CPU time (user + system, from RUSAGE_CHILDREN) are
both reported, best of `--repeat`, the two sides interleaved. Generated files are kept under
bench/out/import-data/ and reused (delete the folder to regenerate). Results go to --out.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dataset import DEPTS, FACILITIES, KUBUN, KUBUN_WEIGHTS, NOTES, TOWNS  # noqa: E402

BIN = Path(sys.executable).parent
DAICHO = str(BIN / "daicho")
SHEET = "公有財産台帳"
HEADER = ["管理番号", "名称", "所在地", "区分", "所管課", "金額", "面積", "取得日", "更新日",
          "備考"]
FULL_SHEET_ROWS = 1_048_575  # + the header row = 1,048,576, every row Excel has
BARS = {"xlsx": 3.0, "csv": 2.0, "export": 2.0, "memory_mib": 1.5 * 1000**3 / 1024**2}
ERAS = [(dt.date(2019, 5, 1), "令和", "R"), (dt.date(1989, 1, 8), "平成", "H"),
        (dt.date(1926, 12, 25), "昭和", "S")]


def log(msg: str) -> None:
    print(f"[bench-import {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ data

def wareki(day: dt.date, short: bool) -> str:
    for start, name, letter in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            if short:
                return f"{letter}{year}.{day.month}.{day.day}"
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    raise ValueError(day)


def ledger_rows(n: int, seed: int = 20240401) -> Iterator[list[Any]]:
    """n records as Python values: str, Decimal (yen, ㎡), date, None for empty cells.
    取得日 is 和暦 text as offices type it (令和5年4月1日, some R5.4.1); 更新日 a real date."""
    rnd = random.Random(seed)
    towns, town_w = [t for t, _ in TOWNS], [w for _, w in TOWNS]
    facs, fac_w = [f for f, _ in FACILITIES], [w for _, w in FACILITIES]
    epoch = dt.date(1960, 4, 1)
    span = (dt.date(2024, 12, 31) - epoch).days
    last = dt.date(2025, 3, 31)
    for i in range(1, n + 1):
        kubun = rnd.choices(KUBUN, KUBUN_WEIGHTS)[0]
        town = rnd.choices(towns, town_w)[0]
        fac = rnd.choices(facs, fac_w)[0]
        acquired = epoch + dt.timedelta(days=rnd.randrange(span))
        updated = acquired + dt.timedelta(days=rnd.randrange((last - acquired).days))
        amount = Decimal(int(10 ** rnd.uniform(3, 9.5))) if rnd.random() > 0.04 else None
        area = None
        if kubun in ("土地", "建物", "公園", "道路", "河川", "工作物"):
            area = Decimal(rnd.randrange(100, 2_000_000)) / 100
        note = None
        if rnd.random() < 0.3:
            note = rnd.choice(NOTES).format(y=rnd.randint(1990, 2024), d=rnd.choice(DEPTS))
        yield [
            f"{kubun[0]}{acquired.year % 100:02d}-{i:07d}",
            f"{rnd.choice(['', '', '第一', '第二', '旧'])}{town}{fac}",
            f"静岡県焼津市{town}{rnd.randint(1, 6)}丁目{rnd.randint(1, 40)}番{rnd.randint(1, 30)}号",
            kubun,
            rnd.choice(DEPTS),
            amount,
            area,
            wareki(acquired, short=rnd.random() < 0.2),
            updated,
            note,
        ]


def write_xlsx(path: Path, n: int, *, title: bool) -> None:
    from xlsxwriter import Workbook

    tmp = path.with_suffix(".part")
    book = Workbook(str(tmp), {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    yen = book.add_format({"num_format": '#,##0"円"'})
    area = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy/m/d"})
    r = 0
    if title:
        sheet.write_string(0, 0, "令和6年度 公有財産台帳")
        sheet.write_string(1, 7, "単位：円、㎡")
        r = 3
    sheet.write_row(r, 0, HEADER)
    for values in ledger_rows(n):
        r += 1
        for c, v in enumerate(values):
            if v is None:
                continue
            if c == 5:
                sheet.write_number(r, c, v, yen)
            elif c == 6:
                sheet.write_number(r, c, v, area)
            elif c == 8:
                sheet.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date)
            else:
                sheet.write_string(r, c, v)
    book.close()
    tmp.replace(path)


def csv_text(values: list[Any]) -> list[str]:
    out = []
    for c, v in enumerate(values):
        if v is None:
            out.append("")
        elif c == 5:
            out.append(f"{v:,}")  # 1,234,000 as a city system exports it
        elif c == 8:
            out.append(f"{v.year}/{v.month:02d}/{v.day:02d}")
        else:
            out.append(str(v))
    return out


def write_csv(path: Path, n: int) -> None:
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(map(csv_text, ledger_rows(n)))
    tmp.replace(path)


def ensure(path: Path, make: Any, *args: Any, **kwargs: Any) -> Path:
    if not path.exists():
        log(f"generating {path.name}")
        started = time.perf_counter()
        make(path, *args, **kwargs)
        log(f"  {path.stat().st_size / 1e6:,.1f} MB in {time.perf_counter() - started:.0f} s")
    return path


# ------------------------------------------------------------------------------ measuring

def run(cmd: list[str], env: dict[str, str] | None = None,
        stdout_file: Path | None = None) -> dict[str, Any]:
    """Run one child to completion: its wall time and CPU time (peak RSS: see peak_rss)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(stdout_file.open("wb")) if stdout_file else subprocess.PIPE
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{(stderr or b'').decode(errors='replace')[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Not ru_maxrss: for RUSAGE_CHILDREN it is the largest of all children so far.
    return {"seconds": round(seconds, 3), "cpu": round(cpu, 3),
            "stdout": (stdout or b"").decode(errors="replace") if stdout_file is None else ""}


def peak_rss(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Peak RSS of one command alone: /usr/bin/time -v when present, else a fresh helper
    process whose RUSAGE_CHILDREN sees only that command."""
    if Path("/usr/bin/time").exists():
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            result = run(["/usr/bin/time", "-v", "-o", report.name, *cmd], env)
            for line in Path(report.name).read_text().splitlines():
                if "Maximum resident set size" in line:
                    result["peak_rss_mib"] = round(int(line.split(":")[1]) / 1024, 1)
                    result["peak_rss_from"] = "/usr/bin/time -v"
            return result
    helper = ("import json, resource, subprocess, sys, time; t = time.perf_counter(); "
              "p = subprocess.run(sys.argv[1:], capture_output=True); "
              "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
              "print(json.dumps({'rc': p.returncode, 'kib': u.ru_maxrss, "
              "'stdout': p.stdout.decode(errors='replace')}))")
    result = run([sys.executable, "-c", helper, *cmd], env)
    inner = json.loads(result["stdout"])
    if inner["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    result.update(peak_rss_mib=round(inner["kib"] / 1024, 1), stdout=inner["stdout"],
                  peak_rss_from="getrusage(RUSAGE_CHILDREN)")
    return result


class DataDir:
    """A fresh daicho data dir (SQLite), initialised outside the clock."""

    def __init__(self, parent: Path) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="daicho-bench-import-", dir=parent))
        self.env = dict(os.environ, DAICHO_DATA_DIR=str(self.path),
                        DAICHO_ADMIN_PASSWORD="bench-admin-password")
        for key in ("DAICHO_TESTING", "DAICHO_DATABASE_URL"):
            self.env.pop(key, None)
        subprocess.run([DAICHO, "init"], env=self.env, check=True, capture_output=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def daicho_import(file: Path, work: Path, *, keep: bool = False,
                  memory: bool = False) -> tuple[dict[str, Any], DataDir]:
    data = DataDir(work)
    cmd = [DAICHO, "import", str(file), "--json"]
    result = peak_rss(cmd, data.env) if memory else run(cmd, data.env)
    report = json.loads(result.pop("stdout"))
    if not report.get("ok"):
        raise RuntimeError(f"daicho import failed: {json.dumps(report, ensure_ascii=False)[:2000]}")
    result["created"] = report["created"]
    result["fields"] = [f"{f['name']}:{f['type']}" for f in report["fields"]]
    result["ledger_id"] = report["ledger"]["id"]
    if not keep:
        data.remove()
    return result, data


CALAMINE_READ = """
import sys, time
import python_calamine
t = time.perf_counter()
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
rows = book.get_sheet_by_name(sys.argv[2]).to_python()
print(len(rows), time.perf_counter() - t)
"""


def best(results: list[dict[str, Any]], key: str = "seconds") -> dict[str, Any]:
    return min(results, key=lambda r: r[key])


def ratio(ours: dict[str, Any], theirs: dict[str, Any], bar: float) -> dict[str, Any]:
    wall = ours["seconds"] / theirs["seconds"]
    cpu = ours["cpu"] / theirs["cpu"]
    return {"wall_ratio": round(wall, 2), "cpu_ratio": round(cpu, 2), "bar": bar,
            "met": wall <= bar}


def figure_xlsx(rows: int, repeat: int, files: Path, work: Path) -> dict[str, Any]:
    file = ensure(files / f"ledger-{rows}.xlsx", write_xlsx, rows, title=True)
    theirs, ours = [], []
    for k in range(repeat):
        log(f"xlsx {rows:,} rows, round {k + 1}/{repeat}: calamine alone")
        theirs.append(run([sys.executable, "-c", CALAMINE_READ, str(file), SHEET]))
        log(f"  {theirs[-1]['seconds']:.2f} s; daicho import")
        ours.append(daicho_import(file, work)[0])
        log(f"  {ours[-1]['seconds']:.2f} s")
    a, b = best(ours), best(theirs)
    return {"rows": rows, "file_mb": round(file.stat().st_size / 1e6, 1), "daicho": a,
            "calamine": {k: v for k, v in b.items() if k != "stdout"},
            "all_daicho_s": [r["seconds"] for r in ours],
            "all_calamine_s": [r["seconds"] for r in theirs], **ratio(a, b, BARS["xlsx"])}


def figure_csv(rows: int, repeat: int, files: Path, work: Path) -> tuple[dict[str, Any], DataDir]:
    file = ensure(files / f"ledger-{rows}.csv", write_csv, rows)
    theirs, ours = [], []
    kept: DataDir | None = None
    for k in range(repeat):
        log(f"csv {rows:,} rows, round {k + 1}/{repeat}: sqlite-utils insert --csv")
        db = Path(tempfile.mkdtemp(prefix="bench-sqlite-utils-", dir=work))
        theirs.append(run([str(BIN / "sqlite-utils"), "insert", str(db / "plain.db"), "ledger",
                           str(file), "--csv"]))
        shutil.rmtree(db, ignore_errors=True)
        log(f"  {theirs[-1]['seconds']:.2f} s; daicho import")
        result, data = daicho_import(file, work, keep=True)
        ours.append(result)
        if kept is None or result["seconds"] <= best(ours[:-1])["seconds"]:
            if kept is not None:
                kept.remove()
            kept = data
        else:
            data.remove()
        log(f"  {ours[-1]['seconds']:.2f} s")
    assert kept is not None
    a, b = best(ours), best(theirs)
    return ({"rows": rows, "file_mb": round(file.stat().st_size / 1e6, 1), "daicho": a,
             "sqlite_utils": {k: v for k, v in b.items() if k != "stdout"},
             "all_daicho_s": [r["seconds"] for r in ours],
             "all_sqlite_utils_s": [r["seconds"] for r in theirs],
             **ratio(a, b, BARS["csv"])}, kept)


def figure_memory(rows: int, files: Path, work: Path) -> dict[str, Any]:
    file = ensure(files / f"full-sheet-{rows}.xlsx", write_xlsx, rows, title=False)
    log(f"memory: importing a sheet of {rows + 1:,} rows")
    result = daicho_import(file, work, memory=True)[0]
    log(f"  peak RSS {result['peak_rss_mib']:,.0f} MiB in {result['seconds']:.1f} s")
    return {"sheet_rows": rows + 1, "file_mb": round(file.stat().st_size / 1e6, 1),
            "daicho": result, "bar_mib": round(BARS["memory_mib"]),
            "met": result["peak_rss_mib"] <= BARS["memory_mib"]}


XLSXWRITER_DIRECT = """
import sys, time, datetime as dt
sys.path.insert(0, sys.argv[3])
from bench_import import ledger_rows, HEADER
from xlsxwriter import Workbook
rows = list(ledger_rows(int(sys.argv[2])))  # the values, made before the clock starts
t = time.perf_counter()
book = Workbook(sys.argv[1], {"constant_memory": True})
sheet = book.add_worksheet("ledger")
sheet.write_row(0, 0, HEADER)
for r, values in enumerate(rows, start=1):
    sheet.write_row(r, 0, values)
book.close()
print(time.perf_counter() - t)
"""


def figure_export(rows: int, repeat: int, data: DataDir, ledger_id: int,
                  work: Path) -> dict[str, Any]:
    theirs, ours = [], []
    for k in range(repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-export-", dir=work))
        log(f"export {rows:,} records, round {k + 1}/{repeat}: XlsxWriter direct")
        result = run([sys.executable, "-c", XLSXWRITER_DIRECT, str(out / "direct.xlsx"),
                      str(rows), str(HERE)])
        # The child's own clock starts after the values exist; its CPU time includes making
        # them, so take the CPU of a run that only makes them off the total.
        inner = float(result.pop("stdout").split()[-1])
        result["process_seconds"], result["seconds"] = result["seconds"], round(inner, 3)
        theirs.append(result)
        log(f"  {inner:.2f} s; daicho export")
        ours.append(run([DAICHO, "export", str(ledger_id), "--format", "xlsx", "-o",
                         str(out / "daicho.xlsx")], data.env))
        ours[-1].pop("stdout")
        ours[-1]["bytes"] = (out / "daicho.xlsx").stat().st_size
        log(f"  {ours[-1]['seconds']:.2f} s")
        shutil.rmtree(out, ignore_errors=True)
    gen = run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[2]); "
               "from bench_import import ledger_rows; rows = list(ledger_rows(int(sys.argv[1])))",
               str(rows), str(HERE)])
    for r in theirs:
        r["cpu"] = round(max(r["cpu"] - gen["cpu"], 0.001), 3)
    a, b = best(ours), best(theirs)
    return {"rows": rows, "daicho": a, "xlsxwriter": b,
            "all_daicho_s": [r["seconds"] for r in ours],
            "all_xlsxwriter_s": [r["seconds"] for r in theirs], **ratio(a, b, BARS["export"])}


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"cores": os.cpu_count(), "python": sys.version.split()[0],
            "load_average_at_start": [round(x, 2) for x in load], "git_commit": commit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="rows for every figure (default: the bars' "
                        "sizes, 100,000 / 1,000,000 / 1,048,575 / 1,000,000)")
    parser.add_argument("--only", default="xlsx,csv,memory,export")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", default=str(HERE / "out" / "import.json"))
    parser.add_argument("--files", default=str(HERE / "out" / "import-data"),
                        help="where the generated xlsx/CSV files are kept")
    args = parser.parse_args()
    only = set(args.only.split(","))
    # daicho's own modules as an installed package has them, compiled (`make setup` does the
    # same): else every measured command compiles them again first (PYTHONDONTWRITEBYTECODE).
    compileall.compile_dir(str(ROOT / "daicho"), quiet=1)
    files = Path(args.files)
    files.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=files))
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
        "command": " ".join([".venv/bin/python", "bench/bench_import.py", *sys.argv[1:]])}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(name: str, figure: dict[str, Any]) -> None:
        """Every figure is written as soon as it is measured, with the machine's load."""
        figure["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        figure["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        results[name] = figure
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2))

    try:
        if "xlsx" in only:
            save("xlsx", figure_xlsx(args.rows or 100_000, args.repeat, files, work))
        data = None
        if "csv" in only or "export" in only:
            csv_figure, data = figure_csv(args.rows or 1_000_000,
                                          args.repeat if "csv" in only else 1, files, work)
            save("csv", csv_figure)
        if "export" in only and data is not None:
            save("export", figure_export(args.rows or 1_000_000, args.repeat, data,
                                         results["csv"]["daicho"]["ledger_id"], work))
        if data is not None:
            data.remove()
        if "memory" in only:
            save("memory", figure_memory(args.rows or FULL_SHEET_ROWS, files, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    summary(results)
    log(f"wrote {out}")


def summary(r: dict[str, Any]) -> None:
    def line(name: str, fig: dict[str, Any], ours: str, theirs: str) -> None:
        met = "ok" if fig["met"] else "MISSED"
        print(f"{name:<8} {fig['rows']:>10,} rows  daicho {fig['daicho']['seconds']:8.2f} s "
              f"(CPU {fig['daicho']['cpu']:.2f})  {theirs} {fig[ours]['seconds']:8.2f} s "
              f"(CPU {fig[ours]['cpu']:.2f})  ratio wall {fig['wall_ratio']:.2f} / CPU "
              f"{fig['cpu_ratio']:.2f}  bar ≤ {fig['bar']}  {met}")

    if "xlsx" in r:
        line("xlsx", r["xlsx"], "calamine", "calamine")
    if "csv" in r:
        line("csv", r["csv"], "sqlite_utils", "sqlite-utils")
    if "export" in r:
        line("export", r["export"], "xlsxwriter", "XlsxWriter")
    if "memory" in r:
        m = r["memory"]
        print(f"memory   {m['sheet_rows']:>10,} rows  peak RSS {m['daicho']['peak_rss_mib']:,.0f} MiB"
              f" in {m['daicho']['seconds']:.1f} s  bar ≤ {m['bar_mib']:,} MiB  "
              f"{'ok' if m['met'] else 'MISSED'}")


if __name__ == "__main__":
    main()
