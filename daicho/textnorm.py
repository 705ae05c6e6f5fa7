"""Search keys for Japanese text.

NFKC folds full/half width (ｶﾞ→ガ, Ａ→A, １→1); casefold folds case; katakana is mapped to
hiragana so 「とうきょう」 finds 「トウキョウ」. Unlike jaconv's normalize we leave 〜 (U+301C)
alone: it marks ranges (4月〜6月) and must not turn into a long-vowel mark.
"""

from __future__ import annotations

import re
import unicodedata

_KATA_TO_HIRA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}
_KATAKANA = re.compile("[\u30a1-\u30f6]")


def search_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).casefold()
    # translate() looks every character up in the table (a miss costs an exception inside
    # CPython), so it runs only on the texts that hold katakana; imports key every record.
    return key.translate(_KATA_TO_HIRA) if _KATAKANA.search(key) else key


def query_terms(q: str) -> list[str]:
    """Split a search box entry into terms (AND); blanks separate terms, as in kintone."""
    return [t for t in search_key(q).split() if t]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
