"""Screenshots of the main screens for docs/screens/ (`make screens`; not part of `make test`).

    .venv/bin/python scripts/screens.py [--out docs/screens] [--only NAME ...]

Starts `daicho serve` on a fresh data dir loaded with the demo data (`daicho init`, `daicho
demo`), signs in as admin in Debian's Chromium (Playwright) with Japanese as the language, and
saves the visible part of each screen at 1366×768 and at 1920×1080 as NAME-WIDTH.png. The PNGs
are reduced to 256 colours (Pillow, declared in the test extras) so the folder stays small. The list
of screens is SCREENS below; docs/screens/README.md lists the files.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = ((1366, 768), (1920, 1080))
PASSWORD = "screens-" + secrets.token_urlsafe(12)


@dataclass
class Demo:
    base: str
    token: str
    tmp: Path

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def ledger_id(self, name: str) -> int:
        (found,) = [x for x in self.api("GET", "/ledgers")["items"] if x["name"] == name]
        return int(found["id"])

    def first_record(self, ledger_id: int) -> int:
        return int(self.api("GET", f"/ledgers/{ledger_id}/records?limit=1")["items"][0]["id"])


def _daicho(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "daicho"), *args], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(f"daicho {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server() -> Iterator[Demo]:
    with tempfile.TemporaryDirectory(prefix="daicho-screens-") as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DAICHO_", "PYTEST"))}
        env.update(DAICHO_DATA_DIR=str(Path(tmp) / "data"), DAICHO_ADMIN_PASSWORD=PASSWORD)
        print("loading the demo data …", flush=True)
        _daicho(env, "init")
        _daicho(env, "demo")
        token = _daicho(env, "token", "create", "admin").strip()
        port = _free_port()
        proc = subprocess.Popen([str(BIN / "daicho"), "serve", "--port", str(port),
                                 "--workers", "1", "--threads", "4"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=5):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise SystemExit("daicho serve did not start")
            yield Demo(base, token, Path(tmp))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _sample_xlsx(path: Path) -> Path:
    """A ledger as offices keep it in Excel: a title row above the header, 和暦, a 年度 column."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("施設一覧")
    rows: list[list[Any]] = [
        ["市有施設一覧（令和6年4月1日現在）"], [],
        ["管理番号", "施設名", "所在地", "建築年月日", "延床面積", "年度", "備考"],
        ["K-001", "市民会館", "本町1丁目2番3号", "S55.4.1", 3250.5, 2019, ""],
        ["K-002", "中央図書館", "栄町4丁目1番", "H8.10.1", 4120, 2021, "大規模改修済"],
        ["K-003", "東公民館", "東町2-3-4", "令和元年5月7日", 980.25, 2024, ""],
        ["K-004", "西体育館", "西町5丁目", "H30.6.1", 2600, 2018, "耐震化済"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    book.close()
    return path


# ---- the screens ------------------------------------------------------------------------------
# Each takes the page (signed in) and the demo, and leaves the page showing the screen.

Screen = Callable[[Any, Demo], None]
PROPERTY = "公有財産台帳"


def _goto(path: str) -> Screen:
    def show(page: Any, demo: Demo) -> None:
        page.goto(demo.base + path.format(
            ledger=demo.ledger_id(PROPERTY),
            record=demo.first_record(demo.ledger_id(PROPERTY))))
    return show


def _filter_popup(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.base}/ledgers/{demo.ledger_id(PROPERTY)}/")
    page.locator("#grid thead th[data-code=category] .filter-button").click()
    page.locator("#filter-popup #filter-form").wait_for()


def _chart(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.base}/ledgers/{demo.ledger_id(PROPERTY)}/chart?group_by=category"
              "&metric=sum:price&kind=bar")


LENDING = "貸出物品台帳"


def _calendar(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.base}/ledgers/{demo.ledger_id(LENDING)}/calendar?field=lent_on"
              "&at=2024-06-01")


def _kanban(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.base}/ledgers/{demo.ledger_id(LENDING)}/kanban?field=returned"
              "&card=borrower&card=due_on")


def _trash(page: Any, demo: Demo) -> None:
    lid = demo.ledger_id(PROPERTY)
    if not demo.api("GET", f"/ledgers/{lid}/records?trash=true")["items"]:
        record = demo.api("GET", f"/ledgers/{lid}/records?limit=3")["items"][-1]
        demo.api("DELETE", f"/ledgers/{lid}/records/{record['id']}?revision={record['revision']}")
    page.goto(f"{demo.base}/ledgers/{lid}/trash")


def _wizard(step: int) -> Screen:
    def show(page: Any, demo: Demo) -> None:
        page.goto(demo.base + "/import/")
        if step == 1:
            page.locator("#import-file").set_input_files(
                str(_sample_xlsx(demo.tmp / "市有施設一覧.xlsx")))
            return
        page.locator("#import-file").set_input_files(
            str(_sample_xlsx(demo.tmp / "市有施設一覧.xlsx")))
        page.click("#upload-next")
        page.wait_for_selector("#columns-next")
        if step == 2:
            return
        page.click("#columns-next")
        page.wait_for_selector("#run-import")
        if step == 3:
            return
        page.click("#run-import")
        page.wait_for_selector(".wizard-steps li:nth-child(4)[aria-current=step]")
    return show


def _home(page: Any, demo: Demo) -> None:
    # Two ledgers opened first, so 「最近開いた台帳」 has something to show.
    for name in ("OA機器台帳", PROPERTY):
        page.goto(f"{demo.base}/ledgers/{demo.ledger_id(name)}/")
    page.goto(demo.base + "/?group=folder")


SCREENS: dict[str, tuple[str, Screen]] = {
    "home": ("ホーム（台帳一覧：フォルダごと、最近開いた台帳）", _home),
    "ledger-grid": ("台帳のレコード一覧（グリッド）", _goto("/ledgers/{ledger}/")),
    "filter-popup": ("列の絞り込み（区分）", _filter_popup),
    "record": ("レコードの詳細・編集", _goto("/ledgers/{ledger}/records/{record}/")),
    "record-new": ("レコードの追加フォーム", _goto("/ledgers/{ledger}/records/new")),
    "designer": ("項目（フィールド）の設定", _goto("/ledgers/{ledger}/fields/")),
    "permissions": ("台帳の権限", _goto("/ledgers/{ledger}/permissions")),
    "import-1-file": ("読み込み 1：ファイルの選択", _wizard(1)),
    "import-2-columns": ("読み込み 2：行と列の確認", _wizard(2)),
    "import-3-check": ("読み込み 3：結果の確認", _wizard(3)),
    "import-4-done": ("読み込み 4：取り込み完了", _wizard(4)),
    "history": ("レコードの変更履歴", _goto("/ledgers/{ledger}/records/{record}/history")),
    "chart": ("グラフ（区分ごとの取得価格）", _chart),
    "calendar": ("カレンダー（貸出物品の貸出日）", _calendar),
    "kanban": ("かんばん（貸出物品の返却済・未返却）", _kanban),
    "trash": ("ごみ箱", _trash),
    "plan-roadmap": ("計画：ロードマップ", _goto("/plan/roadmap")),
    "plan-dashboard": ("計画：目標指標ダッシュボード", _goto("/plan/dashboard")),
    "plan-candidates": ("計画：統合候補", _goto("/plan/candidates")),
    "plan-report": ("計画：委員会報告", _goto("/plan/report")),
    "plan-revisions": ("計画：改定の履歴", _goto("/plan/revisions")),
}


def _save_small(png: bytes, path: Path) -> None:
    """The screenshot in at most 256 colours (a UI has few): a third of the size or less."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True)


README = """# Screens

Screenshots of daicho's main screens on the demo data (`daicho demo`), in Japanese, at 1366×768
and 1920×1080 (the visible part of the page, 256 colours). Made by `make screens`
(`scripts/screens.py`), which also writes this file; run it again after changing a screen and
commit the PNGs that changed.

| Screen | 1366×768 | 1920×1080 |
|---|---|---|
"""


def write_readme(out: Path) -> None:
    rows = [f"| {title} | [{name}-1366.png]({name}-1366.png) | [{name}-1920.png]({name}-1920.png) |"
            for name, (title, _show) in SCREENS.items()]
    (out / "README.md").write_text(README + "\n".join(rows) + "\n", encoding="utf-8")


def take(out: Path, only: list[str]) -> list[str]:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    names = [n for n in SCREENS if not only or n in only]
    out.mkdir(parents=True, exist_ok=True)
    with demo_server() as demo, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        for width, height in VIEWPORTS:
            ctx = browser.new_context(viewport={"width": width, "height": height},
                                      locale="ja-JP")
            ctx.set_default_timeout(30_000)
            page = ctx.new_page()
            page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(demo.base + "/login/")
            page.fill("#id_username", "admin")
            page.fill("#id_password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(demo.base + "/")
            for name in names:
                SCREENS[name][1](page, demo)
                page.wait_for_load_state("networkidle")
                horizontal = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth")
                if horizontal > 0:
                    problems.append(f"{name} at {width}: the page scrolls sideways by "
                                    f"{horizontal} px")
                _save_small(page.screenshot(), out / f"{name}-{width}.png")
                print(f"{name}-{width}.png", flush=True)
            ctx.close()
        browser.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--only", nargs="*", default=[], choices=list(SCREENS))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (scripts/system-deps.sh installs it)", file=sys.stderr)
        return 1
    problems = take(args.out, args.only)
    write_readme(args.out)
    for problem in problems:
        print("problem:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
