"""Issue 14 point 7 in the browser: the line chart's axis labels stay inside the SVG (long
Japanese labels at 1366×768 and 1920×1080), a line chart by 年度, and the cross-tab reached and
drawn with the keyboard. Screenshots: chart-line-fy-*, chart-crosstab-*."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, shot, unique

KINDS = ["庁舎建設に係る長期修繕計画の基本設計業務", "学校給食センター運営委託",
         "道路", "市民プール（屋外）改修工事", "ごみ処理施設の延命化に関する調査",
         "公園", "避難所備蓄品（毛布・保存水・簡易トイレ）"]
VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]


def _ledger(server: Server) -> int:
    records = []
    for n in range(70):
        year, month = 2016 + n // 8, (n * 5) % 12 + 1
        records.append({"name": f"施設{n}", "kind": KINDS[n % len(KINDS)],
                        "day": f"{year}-{month:02d}-15", "amount": 1000 * (n % 9 + 1)})
    led = server.ledger(unique("グラフ台帳"), [
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "事業区分", "type": "choice", "code": "kind", "options": {"choices": KINDS}},
        {"name": "取得日", "type": "date", "code": "day"},
        {"name": "取得価格", "type": "number", "code": "amount", "options": {"unit": "円"}},
    ], records)
    return int(led["id"])


OUTSIDE = """() => {
  const svg = document.querySelector('#chart svg.chart');
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([_, r]) => r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
                        r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
    .map(([text, r]) => `${text}: ${Math.round(r.left)}..${Math.round(r.right)} x ` +
                        `${Math.round(r.top)}..${Math.round(r.bottom)} outside ` +
                        `${Math.round(box.left)}..${Math.round(box.right)} x ` +
                        `${Math.round(box.top)}..${Math.round(box.bottom)}`);
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_chart_labels_stay_inside_the_svg(open_page: Any, server: Server,
                                          viewport: dict[str, int]) -> None:
    lid = _ledger(server)
    page = open_page("admin", language="ja", viewport=viewport)
    for kind in ("line", "bar", "pie"):
        for query in ("group_by=kind", "group_by=day&period=month"):
            page.goto(f"{server.base}/ledgers/{lid}/chart?kind={kind}&{query}")
            page.wait_for_selector("#chart svg.chart text")
            assert page.evaluate(OUTSIDE) == [], (kind, query)
            if kind == "line" and query == "group_by=kind":
                shot(page, f"chart-line-long-labels-{viewport['width']}")
    page.goto(f"{server.base}/ledgers/{lid}/chart?kind=line&group_by=day&period=fy"
              "&metric=sum:amount")
    page.wait_for_selector("#chart svg.chart circle")
    assert page.evaluate(OUTSIDE) == []
    labels = page.locator("#chart-table tbody th").all_inner_texts()
    assert labels[0] == "2015年度" and labels[-1] == "2024年度"
    shot(page, f"chart-line-fy-{viewport['width']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}")
def test_crosstab_by_keyboard(open_page: Any, server: Server, viewport: dict[str, int]) -> None:
    lid = _ledger(server)
    page = open_page("admin", language="ja", viewport=viewport)
    page.goto(f"{server.base}/ledgers/{lid}/chart")
    assert page.locator("#chart-columns").is_hidden()
    page.focus("#chart-kind")
    page.select_option("#chart-kind", "crosstab")
    assert page.locator("#chart-columns").is_visible()  # the form shows the columns' choice
    assert page.locator("#chart-column-period").is_visible()  # the default columns: 取得日
    page.select_option("#chart-column-period", "fy")
    page.select_option("#chart-metric", "sum:amount")
    page.focus("#chart-metric")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "draw-chart"
    page.keyboard.press("Enter")
    page.wait_for_selector("#crosstab")
    heading = page.locator("#crosstab thead th").all_inner_texts()
    assert heading[0] == "事業区分 ＼ 取得日（年度）"
    assert heading[1] == "2015年度" and heading[-1] == "合計"
    assert page.locator("#crosstab tfoot td.grand").inner_text() == "343,000"  # all 70 records
    # The Excel link and the table's scrolling region are on the Tab path after the form.
    reached = []
    page.focus("#draw-chart")
    for _n in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert "crosstab-xlsx" in reached and "crosstab-scroll" in reached, reached
    # The table fits the page or scrolls inside its own region, never the page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    shot(page, f"chart-crosstab-{viewport['width']}")
