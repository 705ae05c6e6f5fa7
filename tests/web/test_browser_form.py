"""In the browser: the record form laid out in sections and columns from the field designer (at
1366×768, 1920×1080 and on a 390 px phone), and the A4 printouts of a record and of a list,
printed to PDF by Chromium and read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import SCREENSHOTS, Server, shot, unique

FIELDS = [
    {"name": "件名", "type": "text", "code": "title", "required": True},
    {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["土地", "建物"]}},
    {"name": "金額", "type": "number", "code": "amount", "options": {"unit": "円"}},
    {"name": "取得日", "type": "date", "code": "day", "options": {"wareki": True}},
    {"name": "個人番号", "type": "text", "code": "secret"},
    {"name": "メモ", "type": "textarea", "code": "memo"},
]
MEMO = "\n".join(f"経緯その{i}：現地を確認し、担当課と協議した。" for i in range(1, 61))


def _ledger(server: Server, records: int = 1) -> tuple[int, int]:
    rows = [{"title": "市民会館の敷地", "kind": "土地", "amount": 1234567, "day": "2024-04-01",
             "secret": "123456789012", "memo": MEMO}]
    rows += [{"title": f"物件{i:03d}", "kind": "建物", "amount": i * 1000, "secret": f"秘{i}"}
             for i in range(1, records)]
    led = server.ledger(unique("財産台帳"), FIELDS, rows)
    # Bob may view, but never sees the My Number field.
    server.call("PUT", f"/api/v1/ledgers/{led['id']}/permissions", {"rules": [
        {"subject": {"everyone": True}, "rights": ["view"], "fields": {"secret": "hidden"}}]})
    _status, page = server.call("GET", f"/api/v1/ledgers/{led['id']}/records?sort=id&limit=1")
    return led["id"], page["items"][0]["id"]


def _place(page: Any, code: str, *, section: str = "", columns: str = "", width: str = "",
           help_text: str = "") -> None:
    """Set where a field goes, in the field designer, as a person does."""
    item = page.locator(f"#field-{code}")
    item.locator("summary").click()
    if section:
        item.locator(f"#sec-{code}").check()
        item.locator(f"#sec-title-{code}").fill(section)
        item.locator(f"#sec-cols-{code}").select_option(columns)
    if width:
        item.locator(f"#width-{code}").select_option(width)
    if help_text:
        item.locator(f"#help-{code}").fill(help_text)
    item.locator(f"#save-layout-{code}").click()
    page.wait_for_selector(".message-success")


def _lay_out(page: Any, server: Server, lid: int) -> None:
    page.goto(f"{server.base}/ledgers/{lid}/fields/")
    _place(page, "title", section="基本情報", columns="2", help_text="台帳に載せる正式な名称です。")
    _place(page, "amount", section="取得", columns="2")
    _place(page, "memo", width="full", help_text="経緯を時系列で記入してください。")
    assert page.locator("#field-amount .section-mark").is_visible()
    page.locator("#field-title summary").click()
    page.locator("#layout-title").scroll_into_view_if_needed()
    shot(page, "designer-form-layout")


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box  # type: ignore[no-any-return]


def test_form_in_sections_and_columns(open_page: Any, server: Server) -> None:
    lid, rid = _ledger(server)
    admin = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    _lay_out(admin, server, lid)
    admin.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    title, kind = _box(admin, "#field-title"), _box(admin, "#field-kind")
    amount, day = _box(admin, "#field-amount"), _box(admin, "#field-day")
    # Two columns: side by side on one line, each about half of the form.
    assert abs(title["y"] - kind["y"]) < 2 and kind["x"] >= title["x"] + title["width"]
    assert abs(amount["y"] - day["y"]) < 2 and day["x"] >= amount["x"] + amount["width"]
    memo = _box(admin, "#field-memo")
    assert memo["width"] > 1.8 * amount["width"]  # full width in a two-column section
    headings = admin.locator(".form-section-title")
    assert headings.all_inner_texts() == ["基本情報", "取得"]
    assert _box(admin, ".form-section-title >> nth=1")["y"] > title["y"] + title["height"]
    # Help text under the input, read out with it; the required mark and 「必須」 for readers.
    help_box = _box(admin, "#f-title-help")
    assert help_box["y"] >= _box(admin, "#f-title")["y"] + _box(admin, "#f-title")["height"]
    assert admin.locator("#f-title").get_attribute("aria-describedby") == "f-title-help"
    assert admin.get_by_role("textbox", name=re.compile("件名.*必須")).count() == 1
    assert admin.locator("#field-title .required").inner_text() == "＊"
    assert admin.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(admin, "record-form-sections-1366")
    admin.set_viewport_size({"width": 1920, "height": 1080})
    title, kind = _box(admin, "#field-title"), _box(admin, "#field-kind")
    assert abs(title["y"] - kind["y"]) < 2 and kind["x"] >= title["x"] + title["width"]
    shot(admin, "record-form-sections-1920")
    admin.set_viewport_size({"width": 1024, "height": 768})
    title, kind = _box(admin, "#field-title"), _box(admin, "#field-kind")
    assert abs(title["y"] - kind["y"]) < 2 and title["width"] > 300
    assert admin.evaluate("document.documentElement.scrollWidth") <= 1024


def test_form_is_one_column_on_a_phone(open_page: Any, server: Server) -> None:
    lid, rid = _ledger(server)
    admin = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    _lay_out(admin, server, lid)
    phone = open_page("admin", language="ja", viewport={"width": 390, "height": 844})
    phone.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    title, kind = _box(phone, "#field-title"), _box(phone, "#field-kind")
    amount, day = _box(phone, "#field-amount"), _box(phone, "#field-day")
    assert kind["y"] >= title["y"] + title["height"] and day["y"] >= amount["y"] + amount["height"]
    assert abs(title["x"] - kind["x"]) < 2 and title["width"] > 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("#f-title-help").is_visible()
    shot(phone, "record-form-sections-390")


def _pdf_text(page: Any, name: str) -> tuple[str, int]:
    """Print the page to an A4 PDF as Chromium does, keep it and its pages as PNGs, give its text."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed (scripts/system-deps.sh)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(Path(SCREENSHOTS) / name)],
                   check=True)
    return text, pages


def _page_numbers(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"(?m)^\s*(\d+)\s*/\s*(\d+)\s*$", text)]


def test_print_record_as_a4(open_page: Any, server: Server) -> None:
    lid, rid = _ledger(server)
    admin = open_page("admin", language="ja", viewport={"width": 1366, "height": 768})
    _lay_out(admin, server, lid)
    admin.goto(f"{server.base}/ledgers/{lid}/records/{rid}/")
    admin.click("#print-record")
    admin.wait_for_url(f"**/records/{rid}/print")
    assert admin.locator("input, select, textarea").count() == 0
    shot(admin, "screen-record-print")
    text, pages = _pdf_text(admin, "record-print")
    assert pages == 2 and _page_numbers(text) == [(1, 2), (2, 2)]
    assert "市民会館の敷地" in text and re.search(r"1,234,567\s*円", text) and "令和6年4月1日" in text
    assert "基本情報" in text and "経緯その60" in text and "123456789012" in text
    assert re.search(r"印刷日時\s+\d{4}-\d\d-\d\d \d\d:\d\d", text)
    assert "用紙は A4" not in text  # the toolbar is not printed

    bob = open_page("bob", language="ja")
    bob.goto(f"{server.base}/ledgers/{lid}/records/{rid}/print")
    text, _pages = _pdf_text(bob, "record-print-bob")
    assert "市民会館の敷地" in text and "個人番号" not in text and "123456789012" not in text


def test_print_list_with_page_numbers_and_date(open_page: Any, server: Server) -> None:
    lid, _rid = _ledger(server, records=80)
    bob = open_page("bob", language="ja", viewport={"width": 1366, "height": 768})
    bob.goto(f"{server.base}/ledgers/{lid}/?s=1&filter=kind:eq:建物&sort=-amount")
    bob.click("#print-list")
    bob.wait_for_url(re.compile(r".*/ledgers/\d+/print\?s=1.*filter=kind"))
    shot(bob, "screen-list-print")
    text, pages = _pdf_text(bob, "list-print")
    assert pages >= 2 and _page_numbers(text) == [(n, pages) for n in range(1, pages + 1)]
    assert len(re.findall(r"印刷日時 \d{4}-\d\d-\d\d \d\d:\d\d", text)) == pages  # every page
    assert "物件079" in text and re.search(r"79,000\s*円", text) and "物件001" in text
    assert text.index("物件079") < text.index("物件001")  # the grid's sort
    assert "市民会館の敷地" not in text  # the grid's filter
    assert "個人番号" not in text and "秘1" not in text
    assert "79 件" in text or "79件" in text
