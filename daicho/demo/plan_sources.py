"""The demo's sources of the KPIs of B-iii, B-iv and B-v: online procedures, paperless-meeting
installations and print counts per 課等. The records are fictional, generated from fixed seeds."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from daicho.plan import data

Values = dict[str, Any]
SEED = 20180401


def _choice(name: str, code: str, choices: list[str], **extra: Any) -> Values:
    return {"name": name, "type": "choice", "code": code, "options": {"choices": choices}, **extra}


def online_fields() -> list[Values]:
    return [
        {"name": "手続名", "type": "text", "code": "name", "required": True},
        {"name": "所管課", "type": "org", "code": "department"},
        _choice("区分", "kind", data.ONLINE_KINDS),
        _choice("受付システム", "channel", data.ONLINE_CHANNELS),
        {"name": "公開日", "type": "date", "code": "published_on"},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


def online_records(orgs: dict[str, str]) -> list[Values]:
    """The procedures in order: the first ones since the system started (H19), then per year."""
    rng = random.Random(SEED + 4)
    codes = set(orgs.values())
    days: list[dt.date] = []
    for year, count in data.ONLINE_GROWTH.items():
        start, end = (dt.date(2007, 4, 1), dt.date(2018, 3, 31)) if year is None else \
            (dt.date(year, 4, 1), dt.date(year + 1, 3, 31))
        days += sorted(start + dt.timedelta(days=rng.randint(0, (end - start).days))
                       for _n in range(count))
    return [{"name": name, "department": dept if dept in codes else None, "kind": kind,
             "channel": channel, "published_on": day.isoformat()}
            for (name, dept, kind, channel), day in zip(data.ONLINE_PROCEDURES, days, strict=True)]


def paperless_fields() -> list[Values]:
    return [
        {"name": "整備課等", "type": "org", "code": "department", "required": True},
        {"name": "整備日", "type": "date", "code": "installed_on"},
        {"name": "端末台数", "type": "number", "code": "units", "options": {"unit": "台"}},
        {"name": "設置場所", "type": "text", "code": "place"},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


PAPERLESS_ROLLOUT = ((2018, 2), (2019, 4), (2020, 4), (2021, 4), (2022, None))


def paperless_records(sections: list[str]) -> list[Values]:
    """Every 課等 by FY2022, 情報企画課's e ミーティングルーム first; later a few more screens."""
    rng = random.Random(SEED + 5)
    order = sorted(sections)
    rng.shuffle(order)
    order.sort(key=lambda code: code != "120")
    out: list[Values] = []
    for year, count in PAPERLESS_ROLLOUT:
        batch, order = (order, []) if count is None else (order[:count], order[count:])
        for dept in batch:
            day = dt.date(year, 5, 1) + dt.timedelta(days=rng.randint(0, 300))
            first = not out
            out.append({"department": dept, "installed_on": day.isoformat(),
                        "units": 12 if first else rng.randint(2, 6),
                        "place": "eミーティングルーム" if first else "事務室内打合せスペース"})
    for dept in rng.sample(sorted(sections), min(3, len(sections))):
        out.append({"department": dept, "installed_on": f"2023-{rng.randint(5, 12):02d}-01",
                    "units": 2, "place": "会議室", "note": "増設"})
    return out


def print_fields() -> list[Values]:
    return [
        {"name": "年度", "type": "number", "code": "fiscal_year", "required": True},
        {"name": "所属", "type": "org", "code": "department", "required": True},
        {"name": "プリント枚数", "type": "number", "code": "sheets", "options": {"unit": "枚"}},
        {"name": "備考", "type": "textarea", "code": "note"},
    ]


# Paper use per fiscal year against FY2018: the plan's printer renewal (FY2019), telework and
# paperless meetings from FY2020.
PRINT_TREND = {2018: 1.0, 2019: 0.97, 2020: 0.88, 2021: 0.85, 2022: 0.81, 2023: 0.78}


def print_records(sections: list[str]) -> list[Values]:
    """Sheets printed per 課等 and fiscal year (the print servers' yearly totals)."""
    rng = random.Random(SEED + 6)
    base = {dept: rng.randint(80, 400) * 1000 for dept in sorted(sections)}
    return [{"fiscal_year": year, "department": dept,
             "sheets": round(base[dept] * factor * rng.uniform(0.95, 1.05), -2)}
            for year, factor in PRINT_TREND.items() for dept in sorted(sections)]
