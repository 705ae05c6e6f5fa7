"""Search keys for Japanese text.

NFKC folds full/half width (ｶﾞ→ガ, Ａ→A, １→1); casefold folds case; katakana is mapped to
hiragana so 「とうきょう」 finds 「トウキョウ」. Unlike jaconv's normalize we leave 〜 (U+301C)
alone: it marks ranges (4月〜6月) and must not turn into a long-vowel mark.
"""

from __future__ import annotations

import re
import unicodedata

_KATA_TO_HIRA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}
_KATAKANA_RUNS = re.compile("[\u30a1-\u30f6]+")


def _hiragana(run: re.Match[str]) -> str:
    return run.group().translate(_KATA_TO_HIRA)


# A record's search key is its own fields' texts, then — after SECTION, when there are any —
# the texts its formulas computed: on PostgreSQL each section is a row of its own in the
# ledger's search table (daicho.db.schema), so a formula's recompute rewrites only the second.
# No text holds SECTION itself (search_key makes it a blank; Python's split() parts words at
# it, so SQLite's grams never span it).
SECTION = "\x1e"


def sectioned(own: str, computed: str) -> str:
    """The search key of a record whose own fields' key is `own` and whose formulas' is
    `computed`."""
    return own + SECTION + computed if computed else own


def own_section(key: str) -> str:
    return key.partition(SECTION)[0]


def search_key(text: str) -> str:
    if SECTION in text:
        text = text.replace(SECTION, " ")
    if text.isascii():  # NFKC leaves ASCII as it is, casefold is lower, and there is no kana
        return text.lower()
    key = unicodedata.normalize("NFKC", text).casefold()
    # translate() looks every character up in the table (a miss costs an exception inside
    # CPython), so it is given the runs of katakana only; imports key every record.
    return _KATAKANA_RUNS.sub(_hiragana, key)


def search_keys(texts: list[str]) -> list[str]:
    """search_key of each text, made by one normalisation of all of them joined by newlines:
    NFKC, casefold and the kana mapping work character by character and never across a
    newline, so the pieces are the keys. Texts that hold a newline themselves (several lines
    of 備考) are keyed one by one."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1 or not texts:
        return [search_key(text) for text in texts]
    return search_key(joined).split("\n")


def query_terms(q: str) -> list[str]:
    """Split a search box entry into terms (AND); blanks separate terms, as in kintone."""
    return [t for t in search_key(q).split() if t]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
