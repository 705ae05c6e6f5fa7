"""The three CSV encodings of contract §3.2 and the cp932 compatibility mapping."""

from __future__ import annotations

import codecs

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
