"""A deterministic, city-shaped ledger for the benchmark: 財産台帳-like rows of 12 fields.

The vocabulary is chosen so that the search queries in SEARCH_QUERIES hit common and rare
characters and words, in kanji and kana, with known frequencies. Pure Python, no Django: the
loader feeds these dicts through daicho's own value cleaning.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

LEDGER_NAME = "ベンチマーク 公有財産台帳"
CONCURRENCY_CLIENTS = 16

KUBUN = ["土地", "建物", "工作物", "道路", "公園", "河川", "物品", "無体財産"]
KUBUN_WEIGHTS = [30, 22, 14, 12, 9, 6, 5, 2]
DEPTS = [
    "総務課", "財政課", "管財課", "企画政策課", "市民課", "税務課", "福祉総務課", "子育て支援課",
    "高齢福祉課", "健康づくり課", "環境政策課", "ごみ対策課", "農政課", "水産振興課", "商工観光課",
    "道路課", "河川課", "都市計画課", "公園緑地課", "建築住宅課", "下水道課", "水道課",
    "消防総務課", "教育総務課", "学校教育課", "生涯学習課", "スポーツ振興課", "図書館",
]
STATUS = ["使用中", "遊休", "貸付中", "廃止予定", "処分済"]
STATUS_WEIGHTS = [70, 10, 10, 6, 4]

# Town names: mostly kanji, some kana, two rare ones (鷺宮, 欅台) for rare-character queries.
TOWNS = [
    ("本町", 60), ("栄町", 50), ("旭町", 45), ("駅前", 40), ("港町", 40), ("中央", 40),
    ("東小川", 30), ("西小川", 30), ("大住", 25), ("田尻", 25), ("浜当目", 20), ("三ケ名", 20),
    ("石津", 20), ("策牛", 15), ("若葉台", 20), ("みどり町", 15), ("ひばりが丘", 12),
    ("さくら台", 12), ("つつじヶ丘", 8), ("鷺宮", 1), ("欅台", 1),
]
FACILITIES = [
    ("公園", 40), ("児童遊園", 15), ("市営住宅", 25), ("公民館", 20), ("集会所", 20),
    ("小学校", 15), ("中学校", 10), ("保育所", 10), ("市民会館", 4), ("図書館分館", 4),
    ("消防団詰所", 8), ("防火水槽", 10), ("ごみ集積所", 10), ("ポンプ場", 6), ("浄水場", 2),
    ("コミュニティセンター", 8), ("スポーツセンター", 4), ("市民プール", 3), ("グラウンド", 6),
    ("駐車場", 15), ("駐輪場", 10), ("倉庫", 12), ("普通財産", 10), ("道路敷", 20),
    ("水路敷", 15), ("橋梁", 8), ("緑地", 10), ("墓地", 3),
]
PREFIXES = ["", "", "", "", "第一", "第二", "第三", "旧", "新"]
NOTES = [
    "{y}年度に修繕を実施。", "境界確定済み。", "一部を{d}へ所管換え。", "貸付契約を{y}年度に更新。",
    "老朽化のため{y}年度に解体予定。", "台帳価格は取得価格による。", "寄附により取得。",
    "現地確認済み。\n次回は4月〜6月に再確認。", "登記未了（{y}年度に対応予定）。",
    "地元自治会へ管理を委託。",
]

FIELDS: list[dict[str, Any]] = [
    {"code": "kanri_no", "name": "管理番号", "type": "text", "unique": True},
    {"code": "name", "name": "名称", "type": "text", "required": True},
    {"code": "address", "name": "所在地", "type": "text"},
    {"code": "kubun", "name": "区分", "type": "choice", "options": {"choices": KUBUN}},
    {"code": "dept", "name": "所管課", "type": "choice", "options": {"choices": DEPTS}},
    {"code": "amount", "name": "金額", "type": "number",
     "options": {"decimals": 0, "unit": "円", "separator": True}},
    {"code": "area", "name": "面積", "type": "number", "options": {"decimals": 2, "unit": "㎡"}},
    {"code": "acquired_on", "name": "取得日", "type": "date"},
    {"code": "updated_on", "name": "更新日", "type": "date"},
    {"code": "status", "name": "状態", "type": "choice", "options": {"choices": STATUS}},
    {"code": "note", "name": "備考", "type": "textarea"},
    {"code": "active", "name": "有効", "type": "yesno"},
]
# Columns that get an index in daicho (every sortable/filterable field) — and in the plain copy.
INDEXED = [f["code"] for f in FIELDS if f["type"] != "textarea"]

# The filtered, sorted page: filter kubun = X, sort by one of these (vary over requests).
SORTS = ["-amount", "amount", "-area", "-acquired_on", "acquired_on", "-updated_on", "name"]

# (query, what it is). Katakana is folded to hiragana by the search key, so センター = せんたー.
SEARCH_QUERIES: list[tuple[str, str]] = [
    ("市", "1 kanji, common (every address)"),
    ("園", "1 kanji, common"),
    ("鷺", "1 kanji, rare"),
    ("欅", "1 kanji, rare"),
    ("り", "1 kana, common"),
    ("プ", "1 kana (katakana), less common"),
    ("ゑ", "1 kana, absent"),
    ("公園", "2 kanji, common"),
    ("住宅", "2 kanji, common"),
    ("鷺宮", "2 kanji, rare"),
    ("ひば", "2 kana, uncommon"),
    ("セン", "2 katakana, common"),
    ("市民会館", "4 kanji, uncommon"),
    ("市営住宅", "4 kanji, common"),
    ("公園緑地", "4 kanji, common (dept name)"),
    ("欅台公民", "4 kanji, rare"),
    ("ひばりが", "4 kana, uncommon"),
    ("センター", "4 katakana, common"),
]



def rows(n: int, seed: int = 20240401) -> Iterator[dict[str, Any]]:
    """n rows as API-style JSON values (strings for dates, ints/strings for numbers)."""
    rnd = random.Random(seed)
    town_names = [t for t, _w in TOWNS]
    town_weights = [w for _t, w in TOWNS]
    fac_names = [f for f, _w in FACILITIES]
    fac_weights = [w for _f, w in FACILITIES]
    epoch = dt.date(1960, 4, 1)
    span = (dt.date(2024, 12, 31) - epoch).days
    for i in range(1, n + 1):
        kubun = rnd.choices(KUBUN, KUBUN_WEIGHTS, k=1)[0]
        town = rnd.choices(town_names, town_weights, k=1)[0]
        fac = rnd.choices(fac_names, fac_weights, k=1)[0]
        acquired = epoch + dt.timedelta(days=rnd.randrange(span))
        last = dt.date(2025, 3, 31)
        updated = acquired + dt.timedelta(days=rnd.randrange((last - acquired).days))
        amount: int | None = int(10 ** rnd.uniform(3, 9.5)) if rnd.random() > 0.04 else None
        area: str | None = None
        if kubun in ("土地", "建物", "公園", "道路", "河川", "工作物"):
            area = f"{rnd.uniform(1, 20000):.2f}"
        note = None
        if rnd.random() < 0.4:
            note = rnd.choice(NOTES).format(y=rnd.randint(1990, 2024), d=rnd.choice(DEPTS))
        yield {
            "kanri_no": f"{kubun[0]}{acquired.year % 100:02d}-{i:07d}",
            "name": f"{rnd.choice(PREFIXES)}{town}{fac}" + (f"{rnd.randint(1, 12)}号棟"
                                                           if fac == "市営住宅" else ""),
            "address": f"静岡県焼津市{town}{rnd.randint(1, 6)}丁目{rnd.randint(1, 40)}番"
                       f"{rnd.randint(1, 30)}号",
            "kubun": kubun,
            "dept": rnd.choice(DEPTS),
            "amount": amount,
            "area": area,
            "acquired_on": acquired.isoformat(),
            "updated_on": updated.isoformat(),
            "status": rnd.choices(STATUS, STATUS_WEIGHTS, k=1)[0],
            "note": note,
            "active": rnd.random() < 0.93,
        }


def concurrency_fields() -> list[dict[str, Any]]:
    """The small ledger of the lost-update test: one counter per client and one shared one."""
    out: list[dict[str, Any]] = [{"code": "label", "name": "名称", "type": "text"}]
    out += [{"code": f"c{k}", "name": f"カウンタ{k}", "type": "number"}
            for k in range(1, CONCURRENCY_CLIENTS + 1)]
    out.append({"code": "total", "name": "合計", "type": "number"})
    return out
