"""The words of the yes/no field type, readable without Django.

The yes/no type (daicho.fields.choice.YesNoType) owns this vocabulary and exposes it as
`YesNoType.meaning` and `YesNoType.shows_as_yes_no`; it lives here, beside the other ways a cell
is read (wareki.py: dates as typed), because the importer reads cells without Django and so
cannot import the field types. Nothing else keeps a list of these words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# The one yes/no vocabulary, compared after NFKC (full width to half), trimming and case folding.
YES_WORDS = frozenset({"true", "1", "yes", "y", "on", "はい", "○", "〇", "◯", "有", "有り", "あり"})
NO_WORDS = frozenset({"false", "0", "no", "n", "off", "いいえ", "×", "✕", "✖", "無", "無し", "なし"})
_MEANING = {**dict.fromkeys(YES_WORDS, True), **dict.fromkeys(NO_WORDS, False)}
# The words a yes/no field shows and exports (はい/いいえ), and a spreadsheet's own TRUE/FALSE.
# A file that writes its answers in these loses nothing in a yes/no field; any other words
# (有/無, ○/×) would come back as はい/いいえ.
_SHOWN_WORDS = frozenset({"はい", "いいえ", "true", "false"})


def meaning(text: str) -> bool | None:
    """True or False for a yes/no word (はい, ○, 有り, TRUE, on, 1, ×, 無し, off, 0 …), None
    for any other text."""
    found = _MEANING.get(text)  # the word as usually written: no normalisation needed
    if found is None:
        found = _MEANING.get(unicodedata.normalize("NFKC", text).strip().casefold())
    return found


def shows_as_yes_no(words: Iterable[str]) -> bool:
    """True when a yes/no field would show and export these words as they are written."""
    return all(unicodedata.normalize("NFKC", w).strip().casefold() in _SHOWN_WORDS
               for w in words)
