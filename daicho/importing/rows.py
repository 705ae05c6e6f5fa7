"""The row classifier: what each row under (and above) the header is, with the evidence for it.

`detect.py` finds the header; this module then says, in one pass over the cells already read,
which rows are records and which are not: totals counted twice, notes, labels of sections,
headings repeated on every printed page, a second table below the first, the description rows
of open-data templates, rows that hold only a running number. The evidence is the row's
position, which of its cells are filled compared with the rows of data, text where the data
has numbers, label words (計, 小計, 合計, 再掲, うち, 前年…), the header again, and breaks of
empty rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from daicho.importing.outline import (
    DATA,
    HEADER,
    NOTE,
    REPEATED_HEADER,
    SUBTOTAL,
    TITLE,
    RowOutline,
)

_TOTAL = re.compile(
    r"^[【\[〔(（<＜]?\s*(?:総\s*合\s*計|合\s*計|小\s*計|総\s*計|中\s*計|累\s*計|計"
    r"|(?i:grand\s*total|sub\s*total|total))\s*[】\]〕)）>＞]?"
    r"(?:\s*[（(][^）)]*[）)])?\s*[:：]?$")
_FOOTNOTE = re.compile(r"^(?:[※＊*]|[（(]?注\s*(?:$|[0-9０-９一二三四五六七八九十)）:：.．、\s]))")
_TOTAL_FIRST = frozenset("合小総中累計【[〔(（<＜GgSsTt")
_FOOTNOTE_FIRST = frozenset("※＊*注（(")


def filled(value: Any) -> bool:
    # Type checks, not == "": comparing a Decimal with a str goes through slow ABC checks.
    if value is None:
        return False
    if type(value) is str:
        return bool(value) and not value.isspace()
    return True


def count_filled(row: Sequence[Any]) -> int:
    n = len(row) - row.count("") - row.count(None)
    if n and any(type(v) is str and v.isspace() for v in row):
        n -= sum(1 for v in row if type(v) is str and v.isspace())
    return n


def classify(rows: list[list[Any]], *, header_index: int, header_rows: int,
             width: int) -> RowOutline:
    """The kind of every row of the sheet (None for blank rows)."""
    outline = RowOutline(kinds=[None] * len(rows))
    for i in range(header_index):
        if count_filled(rows[i]):
            outline.set(i, TITLE)
    for i in range(header_index, header_index + header_rows):
        outline.set(i, HEADER)
    start = header_index + header_rows
    head = rows[start - 1]
    head_first = next((v for v in head if filled(v)), None)
    for i in range(start, len(rows)):
        row = rows[i]
        first = row[0]
        kind = type(first)
        # Most rows start with a filled cell; look further only when the first one is empty.
        if first is None or (kind is str and (not first or first.isspace())):
            first = next((v for v in row if filled(v)), None)
            if first is None:
                continue  # a blank row
            kind = type(first)
        if kind is str:
            lead = first.lstrip()[:1]
            if lead in _TOTAL_FIRST and _TOTAL.match(first.strip()):
                outline.set(i, SUBTOTAL, first)
                continue
            if lead in _FOOTNOTE_FIRST and _FOOTNOTE.match(first.strip()) and (
                    count_filled(row) <= max(2, width // 3)):
                outline.set(i, NOTE, first)
                continue
            if first == head_first and row == head:
                outline.set(i, REPEATED_HEADER)
                continue
        outline.kinds[i] = DATA
    return outline
