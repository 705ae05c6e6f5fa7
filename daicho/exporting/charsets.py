"""The three CSV encodings of contract §3.2 and the cp932 compatibility mapping."""

from __future__ import annotations

import codecs
import re
from typing import TypedDict

# Each entry is a character Japanese users type (a Mac, a web page, JIS-based input) that has
# a look-alike cp932 byte sequence Windows shows the same way. Python's cp932 codec decodes those
# bytes to the right-hand character, and encodes only some of the left-hand ones (U+2014 EM DASH
# not at all), so mapping first gives bytes Excel shows correctly and keeps the export from
# failing on text that looks perfectly ordinary.
CP932_COMPAT = str.maketrans({
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～ FULLWIDTH TILDE (0x8160)
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO (0x8161)
    "\u2212": "\uff0d",  # − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS (0x817C)
    "\u00a2": "\uffe0",  # ¢ → ￠ (0x8191)
    "\u00a3": "\uffe1",  # £ → ￡ (0x8192)
    "\u00ac": "\uffe2",  # ¬ → ￢ (0x81CA)
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR (0x815C)
    # Not in the JIS/Microsoft mapping table, but common in pasted text: ¥ from Mac and web
    # input (cp932 0x5C is a backslash to Python) and the no-break space from web pages.
    "\u00a5": "\uffe5",  # ¥ → ￥ (0x818F)
    "\u00a0": " ",
})

# Variation selectors pick a glyph of the character before them (辻󠄀 = 辻 + U+E0100); cp932 has
# no glyph variants, so the base character is what a cp932 file can hold, not an extra 〓.
VARIATION_SELECTORS = "".join(map(chr, [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]))
# Everything a cp932 export writes differently from the ledger's text, and the pattern that
# finds it (one search per line; most lines have none).
CP932_SUBSTITUTIONS = {**CP932_COMPAT, **dict.fromkeys(map(ord, VARIATION_SELECTORS))}
CP932_SUBSTITUTED = re.compile(
    "[" + re.escape("".join(map(chr, CP932_COMPAT))) + "\ufe00-\ufe0f\U000e0100-\U000e01ef]")


class Substitution(TypedDict):
    """One character a cp932 export wrote as its look-alike (or left out, for a variation
    selector): where, which, and what was written instead ("" for nothing)."""

    row: int  # as Excel numbers it: header = 1
    column: str
    char: str
    codepoint: str
    to: str


def substitution_of(char: str) -> str:
    """What a cp932 export writes for this character of CP932_SUBSTITUTED."""
    return char.translate(CP932_SUBSTITUTIONS)


# Outside cp932's repertoire problems are replaced with the geta mark, the traditional
# placeholder for a missing kanji, which unlike "?" cannot be mistaken for data.
REPLACEMENT_CHAR = "〓"

SUPPORTED = ("utf-8-sig", "utf-8", "cp932")


# "Shift_JIS" in a Japanese office means what Windows writes, which is cp932 (Windows-31J) with
# the NEC and IBM extensions (①, ㈱, 髙); Python's strict shift_jis codec lacks them.
_ALIASES = {"windows-31j": "cp932", "shift_jis": "cp932"}


def resolve(encoding: str) -> str:
    """Canonical codec name; aliases such as "utf8", "ms932", "Windows-31J" are accepted."""
    key = encoding.strip().lower()
    try:
        name = codecs.lookup(key).name
    except LookupError:
        name = key
    name = _ALIASES.get(name, name)
    if name not in SUPPORTED:
        raise ValueError(f"unsupported CSV encoding {encoding!r}; use one of {SUPPORTED}")
    return name
