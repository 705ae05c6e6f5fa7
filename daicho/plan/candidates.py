"""Integration candidates (measure C-ii, システム統合) found in the system inventory.

Two kinds of candidate, each with the reason in words a committee can read:

- a pair of systems kept by different departments that look alike: similar names (character
  bigrams of the names without the generic word システム), the same product, the same vendor or
  the same purpose;
- a system that uses My Number (マイナンバー利用) and could fold into the core system
  (基幹システム), which handles the same individual numbers and addresses.

The inventory is read through the gate, so a user sees only the candidates among the systems and
fields they may see. An inventory has tens of systems, so comparing every pair is cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.models import Org
from daicho.plan.ledgers import INVENTORY, open_ledger
from daicho.selectors import records as sel
from daicho.textnorm import search_key

# Dice coefficient of the name bigrams from which two names count as similar: 「保育園管理」 and
# 「幼稚園管理」 (0.5) are, 「保育園情報」 and 「母子情報」 (0.29) are not.
NAME_SIMILARITY = 0.5
PURPOSE_SIMILARITY = 0.8
CORE_MARK = search_key("基幹")
# Words every system name or company name carries; they say nothing about likeness.
_GENERIC_NAME = re.compile("|".join(map(re.escape, [search_key("システム"), "system"])))
_COMPANY_FORM = re.compile("|".join(map(re.escape, [
    search_key(w) for w in ("株式会社", "有限会社", "合同会社", "(株)", "(有)", "(同)")])))
# After NFKC: full-width blanks, brackets and commas are ASCII already.
_BLANKS = re.compile(r"[\s・,、。.\-_/()「」『』]+")


def _plain(text: Any) -> str:
    """Width-, case- and kana-insensitive, without blanks and punctuation."""
    return _BLANKS.sub("", search_key(str(text or "")))


def name_key(name: str) -> str:
    return _GENERIC_NAME.sub("", _plain(name))


def company_key(name: str) -> str:
    return _plain(_COMPANY_FORM.sub("", search_key(name)))


def bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text} - {""}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams: 1 for equal texts, 0 for nothing shared."""
    x, y = bigrams(a), bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@dataclass(frozen=True)
class System:
    id: int
    name: str
    department: str | None
    product: str
    vendor: str
    purpose: str
    my_number: bool

    @classmethod
    def of(cls, record: dict[str, Any]) -> System:
        values = record["values"]
        return cls(id=int(record["id"]), name=str(values.get("name") or ""),
                   department=values.get("department") or None,
                   product=str(values.get("product") or "").strip(),
                   vendor=str(values.get("vendor") or "").strip(),
                   purpose=str(values.get("purpose") or "").strip(),
                   my_number=values.get("my_number") is True)

    @property
    def is_core(self) -> bool:
        return CORE_MARK in search_key(self.name)


def _pair_reasons(a: System, b: System) -> tuple[list[str], list[str]]:
    """The kinds of likeness of two systems and a sentence for each."""
    kinds: list[str] = []
    reasons: list[str] = []
    score = similarity(name_key(a.name), name_key(b.name))
    if score >= NAME_SIMILARITY:
        kinds.append("similar_name")
        reasons.append(_("The names are alike (「%(a)s」 and 「%(b)s」, %(score)d%% similar).")
                       % {"a": a.name, "b": b.name, "score": round(score * 100)})
    if _plain(a.product) and _plain(a.product) == _plain(b.product):
        kinds.append("same_product")
        reasons.append(_("Both use the same product 「%(product)s」.") % {"product": a.product})
    if company_key(a.vendor) and company_key(a.vendor) == company_key(b.vendor):
        kinds.append("same_vendor")
        reasons.append(_("Both come from the same vendor 「%(vendor)s」.") % {"vendor": a.vendor})
    if a.purpose and b.purpose and \
            similarity(_plain(a.purpose), _plain(b.purpose)) >= PURPOSE_SIMILARITY:
        kinds.append("same_purpose")
        reasons.append(_("Both serve the same purpose 「%(purpose)s」.")
                       % {"purpose": a.purpose[:80]})
    return kinds, reasons


@dataclass(frozen=True)
class Candidate:
    kind: str  # look_alike or my_number
    kinds: list[str]
    systems: list[System]
    reason: str

    def as_json(self, orgs: dict[str, str]) -> dict[str, Any]:
        return {"kind": self.kind, "kinds": self.kinds,
                "systems": [{"id": s.id, "name": s.name} for s in self.systems],
                "departments": [{"code": s.department, "name": orgs.get(s.department, s.department)}
                                if s.department else None for s in self.systems],
                "reason": self.reason}


def _look_alike(systems: list[System]) -> list[Candidate]:
    """Pairs of different departments' systems, the most kinds of likeness first."""
    found: list[Candidate] = []
    for a, b in combinations(systems, 2):
        if not a.department or not b.department or a.department == b.department:
            continue
        kinds, reasons = _pair_reasons(a, b)
        if kinds:
            found.append(Candidate("look_alike", kinds, [a, b], " ".join(reasons)))
    return sorted(found, key=lambda c: (-len(c.kinds), [s.id for s in c.systems]))


def _my_number(systems: list[System]) -> list[Candidate]:
    core = next((s for s in systems if s.is_core), None)
    reason = _("It uses My Number and could fold into the core system 「%(core)s」, which already "
               "keeps the same individual numbers and addresses (measure C-ii).") \
        % {"core": core.name if core else _("core system")}
    return [Candidate("my_number", ["my_number"], [s, core] if core else [s], reason)
            for s in systems if s.my_number and not s.is_core]


def find(user: access.AnyUser) -> list[dict[str, Any]]:
    """The integration candidates among the inventory's systems `user` may see:
    `{"kind", "kinds", "systems": [{"id", "name"}], "departments": [{"code", "name"} | None],
    "reason"}`, the look-alike pairs first, then the My Number systems."""
    schema = open_ledger(user, INVENTORY)
    systems = [System.of(r) for r in sel.all_records(user, schema)]
    found = _look_alike(systems) + _my_number(systems)
    codes = {s.department for c in found for s in c.systems if s.department}
    orgs = dict(Org.objects.filter(code__in=codes).values_list("code", "name"))
    return [c.as_json(orgs) for c in found]
