"""The demo data set that `daicho demo` loads: what a mid-sized city (市) really keeps.

A small department tree, a few staff accounts and three ledgers (公有財産台帳, OA機器台帳,
貸出物品台帳), filled through the same services the API uses, so every record has its history.
Everything is fictional and generated from fixed seeds, so two fresh databases get the same data.

Loading is idempotent: departments are matched by code, users by login, ledgers by name, and
whatever already exists is left exactly as it is. A ledger is filled (and given its bit of
editing history) only in the run that creates it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.demo.workflows import add_workflows
from daicho.error_codes import Code
from daicho.errors import Conflict
from daicho.fields.context import ValueContext
from daicho.models import Ledger, Org
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services import accounts, designs, ledgers, records

SEED = 20240401
MAIL_DOMAIN = "city.example.jp"  # example.jp is reserved for examples by JPRS

# code, name, parent code, mailbox name (for 管理者メール)
ORGS: list[tuple[str, str, str | None, str]] = [
    ("100", "総務部", None, "somu-bu"),
    ("110", "総務課", "100", "somu"),
    ("120", "情報企画課", "100", "joho-kikaku"),
    ("200", "財政部", None, "zaisei-bu"),
    ("210", "財政課", "200", "zaisei"),
    ("220", "資産税課", "200", "shisanzei"),
    ("230", "管財課", "200", "kanzai"),
    ("300", "市民生活部", None, "shimin-bu"),
    ("310", "市民課", "300", "shimin"),
    ("320", "保険年金課", "300", "hoken-nenkin"),
    ("330", "市民協働課", "300", "kyodo"),
    ("400", "健康福祉部", None, "fukushi-bu"),
    ("410", "生活福祉課", "400", "seikatsu-fukushi"),
    ("420", "介護保険課", "400", "kaigo"),
    ("430", "障がい福祉課", "400", "shogai-fukushi"),
    ("440", "保健センター", "400", "hoken-center"),
    ("500", "こども未来部", None, "kodomo-bu"),
    ("510", "こども保育課", "500", "hoiku"),
    ("600", "都市整備部", None, "toshi-bu"),
    ("610", "都市政策課", "600", "toshi-seisaku"),
    ("620", "農村整備課", "600", "noson"),
    ("700", "危機管理室", None, "kiki-kanri"),
    ("710", "防災対策課", "700", "bosai"),
    ("800", "秘書課", None, "hisho"),
]
SECTIONS = [code for code, _name, parent, _mail in ORGS if parent is not None or code == "800"]
MAILBOX = {code: f"{mail}@{MAIL_DOMAIN}" for code, _name, _parent, mail in ORGS}
# Sections that run My Number work (マイナンバー利用事務系 terminals sit there).
MY_NUMBER_SECTIONS = {"220", "310", "320", "410", "420", "430", "440"}

# login, name, department code — common, made-up names
USERS: list[tuple[str, str, str]] = [
    ("yamada.taro", "山田 太郎", "120"),
    ("kobayashi.aya", "小林 彩", "120"),
    ("suzuki.ichiro", "鈴木 一郎", "110"),
    ("sato.hanako", "佐藤 花子", "230"),
    ("watanabe.shota", "渡辺 翔太", "220"),
    ("tanaka.misaki", "田中 美咲", "410"),
    ("kato.daisuke", "加藤 大輔", "420"),
    ("ito.yumi", "伊藤 由美", "510"),
    ("nakamura.yui", "中村 結衣", "610"),
    ("takahashi.kenta", "高橋 健太", "710"),
]

Values = dict[str, Any]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _round(value: Decimal | int, unit: int) -> int:
    return int(Decimal(value) / unit) * unit


# -- 公有財産台帳 ---------------------------------------------------------------------------------

PROPERTY = "公有財産台帳"
CATEGORIES = ["土地", "建物", "工作物", "立木竹"]
# name, category, address, 地目 or 構造, acquired (year or exact date), area ㎡ (None: not
# measured), price in yen (None: from the area), section, 行政財産?, note
PROPERTIES: list[tuple[str, str, str, str, str, int | None, int | None, str, bool, str]] = [
    ("市役所本庁舎敷地", "土地", "本町一丁目1番1号", "宅地", "1971", 8420, None, "230", True, ""),
    ("第二庁舎敷地", "土地", "本町一丁目3番2号", "宅地", "1993", 2315, None, "230", True, ""),
    ("中央公民館用地", "土地", "栄町二丁目5番", "宅地", "1978", 3650, None, "330", True, ""),
    ("桜ヶ丘公園用地", "土地", "桜ヶ丘三丁目", "公園", "1985", 18760, None, "610", True, ""),
    ("旧東小学校跡地", "土地", "東町四丁目12番", "学校用地", "1962", 15230, None, "230", False,
     "平成27年3月閉校。跡地の利活用を検討中"),
    ("市道北山線道路用地", "土地", "北山町字上野", "公衆用道路", "1989-01-07", 4120, None, "610",
     True, "昭和63年度事業で取得"),
    ("みどり台防災広場", "土地", "みどり台一丁目7番", "雑種地", "2008", 5480, None, "710", True,
     "指定緊急避難場所"),
    ("市営桜ヶ丘団地敷地", "土地", "桜ヶ丘二丁目4番", "宅地", "1974", 9870, None, "610", True, ""),
    ("北山市有林", "土地", "北山町字奥沢", "山林", "1958", 126400, None, "620", True,
     "分収林契約あり"),
    ("旧職員駐車場", "土地", "本町二丁目8番", "雑種地", "1983", 1240, None, "230", False,
     "民間事業者へ貸付中(月極駐車場)"),
    ("西部農業用ため池", "土地", "西原町字大池", "ため池", "1966", 21300, None, "620", True, ""),
    ("保健センター敷地", "土地", "栄町一丁目2番", "宅地", "1996", 2980, None, "440", True, ""),
    ("中央保育園用地", "土地", "中央町三丁目6番", "宅地", "1976", 2140, None, "510", True, ""),
    ("防災備蓄倉庫用地", "土地", "港町一丁目15番", "宅地", "2012", 860, None, "710", True, ""),
    ("旧清掃事務所跡地", "土地", "南町五丁目3番", "宅地", "1981", 1675, None, "230", False,
     "建物解体済み"),
    ("市役所本庁舎", "建物", "本町一丁目1番1号", "鉄筋コンクリート造 地上6階地下1階", "1973",
     18650, None, "230", True, "平成22年度 耐震補強工事実施"),
    ("第二庁舎", "建物", "本町一丁目3番2号", "鉄骨造 地上3階", "1995", 4320, None, "230", True,
     ""),
    ("中央公民館", "建物", "栄町二丁目5番", "鉄筋コンクリート造 地上2階", "1980", 2860, None,
     "330", True, ""),
    ("保健センター", "建物", "栄町一丁目2番", "鉄筋コンクリート造 地上3階", "1998", 3120, None,
     "440", True, ""),
    ("中央保育園 園舎", "建物", "中央町三丁目6番", "鉄骨造 平屋建", "2004", 980, None, "510",
     True, ""),
    ("東保育園 園舎", "建物", "東町二丁目9番", "木造 平屋建", "1986", 640, None, "510", True,
     "令和7年度 建替え予定"),
    ("防災備蓄倉庫", "建物", "港町一丁目15番", "鉄骨造 平屋建", "2013", 520, None, "710", True,
     "備蓄品・貸出用資機材を保管"),
    ("市営桜ヶ丘団地 1号棟", "建物", "桜ヶ丘二丁目4番", "鉄筋コンクリート造 地上5階", "1975",
     3250, None, "610", True, "30戸"),
    ("市営桜ヶ丘団地 2号棟", "建物", "桜ヶ丘二丁目4番", "鉄筋コンクリート造 地上5階", "1977",
     3250, None, "610", True, "30戸"),
    ("旧東小学校 校舎", "建物", "東町四丁目12番", "鉄筋コンクリート造 地上3階", "1968", 5870,
     None, "230", False, "閉校後は倉庫として一部使用"),
    ("みどり台コミュニティセンター", "建物", "みどり台一丁目7番", "木造 地上2階", "2019-04-30",
     760, None, "330", True, "平成最後の日に引渡し"),
    ("北山農村交流センター", "建物", "北山町字上野", "木造 平屋建", "2001", 430, None, "620",
     True, ""),
    ("南消防団詰所", "建物", "南町二丁目1番", "軽量鉄骨造 平屋建", "2019-05-01", 96, None, "710",
     True, ""),
    ("情報センター", "建物", "本町一丁目3番2号", "鉄筋コンクリート造 地上2階", "1990", 1180, None,
     "120", True, "サーバ室あり(空調・無停電電源装置)"),
    ("防災行政無線 屋外拡声子局(本町)", "工作物", "本町一丁目1番1号", "鋼管柱 高さ15m", "2016",
     None, 8_800_000, "710", True, "デジタル化更新済み"),
    ("桜ヶ丘公園 遊具一式", "工作物", "桜ヶ丘三丁目", "鋼製・FRP製", "2011", None, 12_400_000,
     "610", True, "毎年度 安全点検"),
    ("本庁舎 太陽光発電設備", "工作物", "本町一丁目1番1号", "太陽光パネル 出力50kW", "2014",
     None, 31_500_000, "230", True, ""),
    ("西部ため池 取水施設", "工作物", "西原町字大池", "コンクリート造", "1967", None, 5_600_000,
     "620", True, ""),
    ("中央公民館 駐輪場上屋", "工作物", "栄町二丁目5番", "鉄骨造", "1999", 84, 2_300_000, "330",
     True, ""),
    ("市道北山線 道路照明灯", "工作物", "北山町字上野", "鋼管柱 LED灯具 24基", "2020", None,
     9_100_000, "610", True, ""),
    ("北山市有林 スギ人工林", "立木竹", "北山町字奥沢", "スギ 45年生", "1979", 84300, 21_000_000,
     "620", True, ""),
    ("北山市有林 ヒノキ人工林", "立木竹", "北山町字奥沢", "ヒノキ 38年生", "1986", 42100,
     14_500_000, "620", True, ""),
    ("桜ヶ丘公園 桜並木", "立木竹", "桜ヶ丘三丁目", "ソメイヨシノ 120本", "1985", None, 3_600_000,
     "610", True, ""),
    ("市役所前 けやき並木", "立木竹", "本町一丁目", "ケヤキ 24本", "1972", None, 1_200_000, "230",
     True, ""),
    ("旧東小学校 記念樹", "立木竹", "東町四丁目12番", "クスノキ 1本", "1962", None, 150_000, "230",
     False, ""),
]


def property_fields() -> list[Values]:
    return [
        {"name": "財産番号", "type": "autonumber", "code": "property_no",
         "options": {"prefix": "K-", "digits": 4}},
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "区分", "type": "choice", "code": "category", "required": True,
         "options": {"choices": CATEGORIES}},
        {"name": "所在地", "type": "text", "code": "address"},
        {"name": "地目・構造", "type": "text", "code": "land_use"},
        {"name": "面積", "type": "number", "code": "area",
         "options": {"decimals": 2, "unit": "㎡"}},
        {"name": "取得年月日", "type": "date", "code": "acquired_on", "options": {"wareki": True}},
        {"name": "取得価格", "type": "number", "code": "price", "options": {"unit": "円"}},
        {"name": "所管課", "type": "org", "code": "department"},
        {"name": "用途", "type": "choice", "code": "use_class",
         "options": {"choices": ["行政財産", "普通財産"]}},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def property_records() -> list[Values]:
    rng = random.Random(SEED + 1)
    out = []
    for (name, category, address, land_use, acquired, area, price, section, public,
         note) in PROPERTIES:
        year = int(acquired[:4])
        day = dt.date.fromisoformat(acquired) if len(acquired) > 4 else \
            _day(rng, dt.date(year, 4, 1), dt.date(year, 12, 28))
        measured = None
        if area is not None:
            measured = Decimal(area) + Decimal(rng.randint(0, 99)) / 100
        if price is None and measured is not None:
            per_m2 = {"土地": rng.randint(9, 30) * 1000 if year < 1989 else
                      rng.randint(35, 90) * 1000, "建物": rng.randint(120, 320) * 1000}[category]
            price = _round(measured * per_m2, 1000)
        elif price is not None:
            price = _round(price * Decimal(rng.randint(90, 110)) / 100, 1000)
        out.append({"name": name, "category": category, "address": address,
                    "land_use": land_use, "area": None if measured is None else str(measured),
                    "acquired_on": day.isoformat(), "price": price, "department": section,
                    "use_class": "行政財産" if public else "普通財産", "note": note or None})
    return out


def property_history(actor: AnyUser, schema: LedgerSchema, ctx: ValueContext) -> None:
    by_name = _ids_by(actor, schema, "name", ctx)
    # Getting a vacant lot ready for sale: a survey corrects its area, then the sale is planned.
    rec = _edit(actor, schema, by_name["旧清掃事務所跡地"], ctx,
                {"area": "1668.42", "note": "建物解体済み\n令和6年9月 確定測量により面積を訂正"})
    _edit(actor, schema, rec, ctx,
          {"note": rec["values"]["note"] + "\n令和6年11月 一般競争入札により売却予定"})
    # A building taken out of public use (用途廃止) becomes 普通財産.
    _edit(actor, schema, by_name["北山農村交流センター"], ctx,
          {"use_class": "普通財産", "note": "令和6年3月31日 用途廃止"})
    _edit(actor, schema, by_name["旧東小学校跡地"], ctx,
          {"note": "平成27年3月閉校。令和6年度 利活用検討委員会で協議中"})


# -- OA機器台帳 -----------------------------------------------------------------------------------

EQUIPMENT = "OA機器台帳"
# kind, asset-number prefix, how many, makers, monthly lease range (yen), personal device?
DEVICE_KINDS: list[tuple[str, str, int, list[str], tuple[int, int], bool]] = [
    ("デスクトップPC", "PC", 20, ["NEC", "富士通", "Dell", "HP"], (3000, 4500), True),
    ("ノートPC", "PC", 18, ["Dynabook", "富士通", "Panasonic", "Lenovo"], (3500, 5800), True),
    ("プリンタ", "PR", 6, ["EPSON", "Canon", "ブラザー"], (1800, 4200), False),
    ("複合機", "MF", 5, ["RICOH", "シャープ", "京セラ", "コニカミノルタ"], (24000, 46000), False),
    ("ディスプレイ", "DP", 7, ["EIZO", "iiyama", "Dell"], (700, 1500), True),
    ("タブレット", "TB", 4, ["Apple", "NEC"], (2400, 3600), True),
]
NETWORKS = ["LGWAN接続系", "インターネット接続系", "マイナンバー利用事務系"]
STATUSES = ["稼働中", "予備", "廃棄予定"]
# Fictional model numbers start with these letters.
MODEL_PREFIX = {"NEC": "NE", "富士通": "FJ", "Dell": "DE", "HP": "HP", "Dynabook": "DB",
                "Panasonic": "CF", "Lenovo": "LN", "EPSON": "EP", "Canon": "CN",
                "ブラザー": "BR", "RICOH": "RC", "シャープ": "SH", "京セラ": "KC",
                "コニカミノルタ": "KM", "EIZO": "EV", "iiyama": "IY", "Apple": "AP"}
# Devices arrive in rollouts on 5-year leases; those ending within half a year of the end of
# fiscal 2024 (the demo's "now") are due for replacement.
ROLLOUTS = [dt.date(2020, 4, 1), dt.date(2020, 10, 1), dt.date(2021, 4, 1), dt.date(2022, 1, 1),
            dt.date(2022, 4, 1), dt.date(2023, 4, 1), dt.date(2023, 10, 1), dt.date(2024, 4, 1),
            dt.date(2024, 7, 1)]
RENEWAL_BEFORE = dt.date(2025, 9, 30)


def equipment_fields() -> list[Values]:
    return [
        {"name": "資産番号", "type": "text", "code": "asset_no", "required": True, "unique": True},
        {"name": "機器種別", "type": "choice", "code": "kind", "required": True,
         "options": {"choices": [k[0] for k in DEVICE_KINDS]}},
        {"name": "メーカー", "type": "text", "code": "maker"},
        {"name": "型番", "type": "text", "code": "model"},
        {"name": "設置場所", "type": "org", "code": "location"},
        {"name": "利用者", "type": "user", "code": "assignee"},
        {"name": "導入日", "type": "date", "code": "installed_on"},
        {"name": "リース満了日", "type": "date", "code": "lease_ends_on"},
        {"name": "月額リース料", "type": "number", "code": "monthly_fee",
         "options": {"unit": "円"}},
        {"name": "ネットワーク", "type": "choice", "code": "network",
         "options": {"choices": NETWORKS}},
        {"name": "状態", "type": "choice", "code": "status", "options": {"choices": STATUSES}},
        {"name": "管理者メール", "type": "email", "code": "admin_email"},
    ]


def equipment_records(logins: set[str]) -> list[Values]:
    """`logins`: the demo users that can be assigned (active ones); others stay unassigned."""
    rng = random.Random(SEED + 2)
    staff = [(login, org) for login, _name, org in USERS if login in logins]
    serial = {"PC": 100, "PR": 20, "MF": 10, "DP": 300, "TB": 40}
    out = []
    for kind, prefix, count, makers, (fee_lo, fee_hi), personal in DEVICE_KINDS:
        for _n in range(count):
            serial[prefix] += rng.randint(1, 9)
            user = None
            if personal and staff and rng.random() < 0.6:
                user, section = rng.choice(staff)
            else:
                section = rng.choice(SECTIONS)
            installed = rng.choice(ROLLOUTS)
            ends = installed.replace(year=installed.year + 5) - dt.timedelta(days=1)
            if section in MY_NUMBER_SECTIONS and rng.random() < 0.5:
                network = NETWORKS[2]
            else:
                network = NETWORKS[0] if rng.random() < 0.75 else NETWORKS[1]
            if ends <= RENEWAL_BEFORE:
                status = STATUSES[2]
            else:
                status = STATUSES[1] if rng.random() < 0.1 else STATUSES[0]
            maker = rng.choice(makers)
            model = f"{MODEL_PREFIX[maker]}-{rng.randint(100, 999)}{rng.choice('ABCDEFGHKLMX')}"
            out.append({
                "asset_no": f"{prefix}-{serial[prefix]:06d}", "kind": kind, "maker": maker,
                "model": model, "location": section, "assignee": user if status != "予備" else None,
                "installed_on": installed.isoformat(), "lease_ends_on": ends.isoformat(),
                "monthly_fee": _round(rng.randint(fee_lo, fee_hi), 10), "network": network,
                "status": status, "admin_email": MAILBOX[section],
            })
    return out


def equipment_history(actor: AnyUser, schema: LedgerSchema, ctx: ValueContext) -> None:
    rows = sel.all_records(actor, schema, ctx=ctx)
    assigned = [r for r in rows if r["values"]["assignee"] and r["values"]["status"] == "稼働中"]
    if not assigned:
        return
    # A transfer (人事異動): the PC is handed on to a colleague, later kept as a spare.
    first = assigned[0]
    successor = next((r["values"]["assignee"] for r in assigned
                      if r["values"]["assignee"] != first["values"]["assignee"]), None)
    moved = _edit(actor, schema, first, ctx, {"assignee": successor})
    _edit(actor, schema, moved, ctx, {"assignee": None, "status": "予備"})
    # A broken notebook marked for disposal ahead of its lease end.
    laptop = next((r for r in assigned[1:] if r["values"]["kind"] == "ノートPC"), None)
    if laptop is not None:
        _edit(actor, schema, laptop, ctx, {"status": "廃棄予定", "assignee": None})


# -- 貸出物品台帳 ---------------------------------------------------------------------------------

LENDING = "貸出物品台帳"
PURPOSES = ["会議", "イベント", "防災訓練", "その他"]
# item, most lent at once, usual purposes, where it is kept (a 公有財産台帳 名称)
ITEMS: list[tuple[str, int, list[str], str]] = [
    ("プロジェクター", 2, ["会議", "イベント"], "中央公民館"),
    ("スクリーン(100インチ)", 2, ["会議", "イベント"], "中央公民館"),
    ("ワイヤレスマイクセット", 3, ["会議", "イベント"], "中央公民館"),
    ("折りたたみテント(3間×2間)", 6, ["イベント", "防災訓練"], "防災備蓄倉庫"),
    ("長机", 20, ["会議", "イベント"], "第二庁舎"),
    ("パイプ椅子", 60, ["会議", "イベント"], "第二庁舎"),
    ("拡声器(ハンドマイク)", 4, ["イベント", "防災訓練"], "防災備蓄倉庫"),
    ("発電機(ガソリン式)", 2, ["防災訓練", "イベント"], "防災備蓄倉庫"),
    ("投光器", 4, ["防災訓練"], "防災備蓄倉庫"),
    ("簡易トイレ", 10, ["防災訓練"], "防災備蓄倉庫"),
    ("段ボールベッド", 20, ["防災訓練"], "防災備蓄倉庫"),
    ("AED訓練用トレーナー", 3, ["防災訓練", "その他"], "保健センター"),
]
BORROWERS = ["桜ヶ丘町内会", "みどり台自主防災会", "東町自治会", "市立中央小学校PTA",
             "北山地区社会福祉協議会", "栄町商店会", "市民課", "こども保育課",
             "南町自主防災会", "NPO法人まちづくりネット"]
STAFF = ["suzuki.ichiro", "takahashi.kenta"]


def lending_fields(property_ledger_id: int) -> list[Values]:
    return [
        {"name": "物品名", "type": "text", "code": "item", "required": True},
        {"name": "数量", "type": "number", "code": "quantity", "options": {"unit": "点"}},
        {"name": "貸出先", "type": "text", "code": "borrower"},
        {"name": "貸出日", "type": "date", "code": "lent_on"},
        {"name": "返却予定日", "type": "date", "code": "due_on"},
        {"name": "返却済", "type": "yesno", "code": "returned"},
        {"name": "担当", "type": "user", "code": "staff"},
        {"name": "関連財産", "type": "link", "code": "property",
         "options": {"ledger": property_ledger_id}},
        {"name": "用途", "type": "multichoice", "code": "purposes",
         "options": {"choices": PURPOSES}},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def lending_records(property_ids: dict[str, int], logins: set[str]) -> list[Values]:
    """`property_ids`: 公有財産台帳 名称 → record id, for the 関連財産 links."""
    rng = random.Random(SEED + 3)
    staff = [login for login in STAFF if login in logins]
    out = []
    lent = dt.date(2024, 4, 6)
    for n in range(30):
        item, most, usual, kept_in = rng.choice(ITEMS)
        lent += dt.timedelta(days=rng.randint(3, 14))
        due = lent + dt.timedelta(days=rng.randint(1, 7))
        purposes = sorted(rng.sample(usual, rng.randint(1, len(usual))), key=PURPOSES.index)
        out.append({
            "item": item, "quantity": rng.randint(1, most), "borrower": rng.choice(BORROWERS),
            "lent_on": lent.isoformat(), "due_on": due.isoformat(), "returned": n < 26,
            "staff": rng.choice(staff) if staff else None, "property": property_ids.get(kept_in),
            "purposes": purposes, "note": None,
        })
    return out


def lending_history(actor: AnyUser, schema: LedgerSchema, ctx: ValueContext) -> None:
    rows = sel.all_records(actor, schema, ctx=ctx)
    open_loans = [r for r in rows if not r["values"]["returned"]]
    _edit(actor, schema, open_loans[0], ctx, {"returned": True, "note": "返却時に数量確認済み"})
    extended = _edit(actor, schema, open_loans[1], ctx,
                     {"due_on": "2025-03-31", "note": "貸出先の申出により返却予定日を延長"})
    _edit(actor, schema, extended, ctx, {"quantity": extended["values"]["quantity"] + 1})
    # Entered twice by mistake, then moved to the trash (recoverable with its history).
    first = rows[0]["values"]
    dup = records.create_record(user=actor, schema=schema, ctx=ctx,
                                values={**first, "note": "二重登録"})
    records.delete_record(user=actor, schema=schema, record_id=dup["id"],
                          revision=dup["revision"], ctx=ctx)


# -- loading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoLedger:
    name: str
    description: str
    fields: Callable[[AnyUser, ValueContext], list[Values]]
    records: Callable[[AnyUser, ValueContext], list[Values]]
    history: Callable[[AnyUser, LedgerSchema, ValueContext], None]


def _active_logins() -> set[str]:
    return set(get_user_model().objects.filter(
        username__in=[u[0] for u in USERS], is_active=True).values_list("username", flat=True))


def _ledger_id(name: str) -> int | None:
    return Ledger.objects.filter(name=name).values_list("id", flat=True).first()


def _property_ids(actor: AnyUser, ctx: ValueContext) -> dict[str, int]:
    lid = _ledger_id(PROPERTY)
    schema = load_schema(lid) if lid is not None else None
    if schema is None or "name" not in schema.by_code:
        return {}
    return {name: int(r["id"]) for name, r in _ids_by(actor, schema, "name", ctx).items()}


def _lending_fields(actor: AnyUser, ctx: ValueContext) -> list[Values]:
    lid = _ledger_id(PROPERTY)
    fields = lending_fields(lid or 0)
    return fields if lid is not None else [f for f in fields if f["type"] != "link"]


def _lending_records(actor: AnyUser, ctx: ValueContext) -> list[Values]:
    items = lending_records(_property_ids(actor, ctx), _active_logins())
    if _ledger_id(PROPERTY) is None:  # no 関連財産 field then (see _lending_fields)
        items = [{k: v for k, v in values.items() if k != "property"} for values in items]
    return items


LEDGERS: list[DemoLedger] = [
    DemoLedger(
        PROPERTY,
        "市が所有する土地・建物・工作物・立木竹の台帳(地方自治法第238条)。"
        "財産番号は登録時に自動採番されます。",
        lambda actor, ctx: property_fields(),
        lambda actor, ctx: property_records(),
        property_history,
    ),
    DemoLedger(
        EQUIPMENT,
        "庁内のパソコン・プリンタ・複合機などOA機器のリース管理台帳。"
        "ネットワークは三層分離(LGWAN接続系・インターネット接続系・マイナンバー利用事務系)の区分です。",
        lambda actor, ctx: equipment_fields(),
        lambda actor, ctx: equipment_records(_active_logins()),
        equipment_history,
    ),
    DemoLedger(
        LENDING,
        "プロジェクター・テント・防災資機材など、町内会や各課への貸出物品の記録。",
        _lending_fields,
        _lending_records,
        lending_history,
    ),
]


def _ids_by(actor: AnyUser, schema: LedgerSchema, code: str,
            ctx: ValueContext) -> dict[str, dict[str, Any]]:
    """Records keyed by the value of one field (the first record wins)."""
    out: dict[str, dict[str, Any]] = {}
    for record in sel.all_records(actor, schema, ctx=ctx):
        out.setdefault(record["values"].get(code), record)
    return out


def _edit(actor: AnyUser, schema: LedgerSchema, record: dict[str, Any], ctx: ValueContext,
          values: Values) -> dict[str, Any]:
    return records.update_record(user=actor, schema=schema, record_id=record["id"],
                                 revision=record["revision"], values=values, ctx=ctx)


def _actor() -> AnyUser:
    """The first administrator. Without one (a schema migrated without `daicho init`) the demo
    loads as nobody: history shows no user, and no account is invented in admin's place."""
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True)
    admin = admins.order_by("id").first()
    return admin if admin is not None else AnonymousUser()


def _ensure_orgs() -> None:
    existing = dict(Org.objects.filter(code__in=[o[0] for o in ORGS]).values_list("code", "id"))
    for code, name, parent, _mail in ORGS:
        if code not in existing:
            org = Org.objects.create(code=code, name=name,
                                     parent_id=existing.get(parent) if parent else None)
            existing[code] = org.id


def _ensure_users() -> None:
    taken = set(get_user_model().objects.filter(username__in=[u[0] for u in USERS])
                .values_list("username", flat=True))
    for login, name, org in USERS:
        if login not in taken:
            accounts.create_user(login=login, name=name, org=org)


def _fill(actor: AnyUser, spec: DemoLedger) -> None:
    ctx = ValueContext()
    schema = ledgers.create_ledger(user=actor, name=spec.name, description=spec.description,
                                   fields=spec.fields(actor, ctx))
    designs.set_template(user=actor, schema=schema, value=True)  # the demo's designs are templates
    items = spec.records(actor, ctx)
    for start in range(0, len(items), 1000):
        records.bulk(user=actor, schema=schema, ctx=ctx,
                     create=[{"values": values} for values in items[start:start + 1000]])
    spec.history(actor, schema, ctx)


def _require_schema() -> None:
    """Refuse, with a clear message, a database `daicho init` has not set up. Creating the
    schema here instead would let the demo's users stop init from creating admin."""
    if Org._meta.db_table not in connection.introspection.table_names():
        raise Conflict(_("The database is not set up yet. Run `daicho init` first."),
                       code=Code.NOT_INITIALIZED)


def load_demo() -> list[str]:
    """Load what is missing of the demo data set; returns the names of the ledgers created."""
    _require_schema()
    created: list[str] = []
    with transaction.atomic():
        _ensure_orgs()
        _ensure_users()
        actor = _actor()
        for spec in LEDGERS:
            if Ledger.objects.filter(name=spec.name).exists():
                continue
            _fill(actor, spec)
            created.append(spec.name)
        from daicho.demo.plan import load_plan

        created += load_plan(actor)
        add_workflows(actor, created)
        _file_in_folders(actor, created)
    return created


# The home page's folders for the demo's ledgers; the plan's own ledgers go in one folder.
DEMO_FOLDERS = {"公有財産台帳": "財産・物品", "OA機器台帳": "財産・物品", "貸出物品台帳": "財産・物品"}
PLAN_FOLDER = "情報化推進計画"


def _file_in_folders(actor: AnyUser, created: list[str]) -> None:
    for ledger in Ledger.objects.filter(name__in=created):
        schema = load_schema(ledger.id)
        if schema is not None:
            ledgers.update_ledger(user=actor, schema=schema,
                                  patch={"folder": DEMO_FOLDERS.get(ledger.name, PLAN_FOLDER)})
