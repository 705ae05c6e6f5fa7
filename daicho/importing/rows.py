"""The row classifier: what each row under (and above) the header is, with the evidence for it.

`detect.py` finds the header; this module then says, in one pass over the cells already read,
which rows are records and which are not. The evidence:

- position: rows above the header are titles; rows under the last data are notes or a summary;
- the emptiness pattern: a row with one filled cell between groups of data is a section label
  (都心地域), one holding only a running number is not a record (the numbered empty rows of a
  form); a few rows under the list that fill other columns than the data are a summary block;
- text where the data has numbers: the header of a second table, a repeated header, the
  description rows of an open-data template (`#object_type_xsd`, `string`);
- label words: 合計, 小計, 計 as a suffix (東灘区計, 西区計), 再掲, うち, 前年… (comparison rows);
  ※, 注, a), 資料：… for notes, and the lines that continue a note;
- the header (or the title above it) again, width and spaces ignored (`7年度` = `７年度`):
  a new printed page;
- a break of empty rows followed by headings of their own: a second table below the first.

Only a sample of rows is read cell by cell (to learn which columns hold numbers); every other
row costs a count of its empty cells and a look at its first cells.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from daicho.dates.wareki import try_parse_date
from daicho.importing.numbers import try_parse_number
from daicho.importing.outline import (
    DATA,
    HEADER,
    METADATA,
    NOTE,
    NUMBERING_ONLY,
    REPEATED_HEADER,
    SECOND_TABLE,
    SECTION,
    SUBTOTAL,
    TITLE,
    RowOutline,
)
from daicho.importing.values import text_of

_TOTAL = re.compile(
    r"^[【\[〔(（<＜]?\s*(?:総\s*合\s*計|合\s*計|小\s*計|総\s*計|中\s*計|累\s*計|計|平\s*均"
    r"|(?i:grand\s*total|sub\s*total|total))\s*[】\]〕)）>＞]?"
    r"(?:\s*[（(][^）)]*[）)])?\s*[:：]?$")
# 東灘区計, 西区計, 市計, 全体計 — a short label ending in 計 — but not 会計, 設計, 統計, 時計 …
_SUFFIX_TOTAL = re.compile(r"^[^\s計]{1,10}\s*計$")
_NOT_TOTAL = ("会計", "設計", "統計", "時計", "家計", "集計", "余計", "生計", "早計", "主計",
              "推計", "見計", "度計", "温計", "量計", "位計", "速計", "圧計", "重計", "音計")
_FACILITIES_TOTAL = "施設計"  # 施設 + 計, not 設計
# (再掲), うち女性 (not うちわ祭り), 内訳; 前年５月, 前年度, 前年同月, 前年比 (not 前年度繰越)
_PART_OF = re.compile(r"^[(（〔【\[]?\s*(?:再\s*掲|う\s*ち(?![ぁ-ゖ])|内\s*訳)")
_COMPARISON = re.compile(
    r"^[(（〔【\[]?\s*前\s*年\s*度?\s*(?:同\s*[月期]|比|[0-9０-９]{1,2}\s*月\s*末?)?\s*"
    r"(?:分|値|実績)?\s*[)）〕】\]]?$")
_LABEL_FIRST = frozenset("合小総中累計平【[〔(（<＜GgSsTt再うウ内前")
_KEI = ("計", "計 ", "計\u3000")
_NOTE_FIRST = frozenset("※＊*注（(資出調備単abcdefghijklmnopqrstuvwxyz"
                        "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ")
_FOOTNOTE = re.compile(
    r"^(?:[※＊*]|[（(]?注\s*(?:$|[0-9０-９一二三四五六七八九十)）:：.．、\s])"
    r"|[a-zａ-ｚ][)）]"
    r"|(?:資\s*料|出\s*典|出\s*所|調\s*査\s*日|備\s*考|単\s*位)\s*[:：]"
    r"|[（(]\s*単\s*位)")
_TYPE_WORDS = frozenset({
    "string", "str", "text", "integer", "int", "long", "decimal", "double", "float", "number",
    "numeric", "date", "datetime", "time", "boolean", "bool", "varchar", "char", "url", "uri",
    "anyuri", "文字列", "数値", "整数", "日付", "時刻", "日時", "真偽値", "半角数字", "全角文字",
    "半角英数字", "文字", "数字"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.\- ]*$")  # LocalGovernmentCode, Post Code

_SAMPLE_ROWS = 400  # rows read cell by cell to learn which columns hold numbers
_METADATA_ROWS = 8  # description rows of a template sit right under the header
_SUMMARY_ROWS = 10  # a summary block under the list is small …
_SUMMARY_SHARE = 5  # … and the list at least this many times longer


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


def is_number(value: Any) -> bool:
    t = type(value)
    if t is int or t is float or t is Decimal:
        return True
    return t is str and try_parse_number(value) is not None


def texty(row: Sequence[Any]) -> bool:
    """A header row holds labels: mostly text that is not a number (dates are not labels)."""
    cells = [v for v in row if filled(v)]
    if not cells:
        return False
    values = sum(1 for v in cells if type(v) is not str or try_parse_number(v) is not None
                 or try_parse_date(v) is not None)
    return values * 3 <= len(cells)


def norm(value: Any) -> str:
    """A cell as compared with the header: width, case and spaces ignored (`７年度` = `7年度`)."""
    text = value if type(value) is str else text_of(value)
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def row_key(row: Sequence[Any]) -> tuple[str, ...]:
    return tuple(norm(v) for v in row if filled(v))


@dataclass
class Profile:
    """What the rows of data look like, from a sample of them."""

    numeric: list[int] = field(default_factory=list)  # columns that hold numbers
    common: list[int] = field(default_factory=list)  # columns filled in most rows
    typical: int = 0  # filled cells in a typical row (the median)


def profile(rows: list[list[Any]], start: int, width: int) -> Profile:
    numbers = [0] * width
    texts = [0] * width
    seen = [0] * width
    fills: list[int] = []
    for i in range(start, len(rows)):
        row = rows[i]
        n = count_filled(row)
        if n < 2:
            continue
        fills.append(n)
        for c, v in enumerate(row):
            if filled(v):
                seen[c] += 1
                if is_number(v):
                    numbers[c] += 1
                else:
                    texts[c] += 1
        if len(fills) >= _SAMPLE_ROWS:
            break
    if not fills:
        return Profile()
    fills.sort()
    return Profile(
        numeric=[c for c in range(width) if numbers[c] >= 2 and numbers[c] * 10 >= 7 * seen[c]],
        common=[c for c in range(width) if seen[c] * 10 >= 8 * len(fills)],
        typical=fills[len(fills) // 2])


def _text_in_numbers(row: Sequence[Any], numeric: list[int]) -> int:
    """Cells holding words (not a number, not a one-character placeholder such as - or ＊)
    in the columns where the data has numbers."""
    n = 0
    for c in numeric:
        v = row[c]
        if type(v) is str and len(v.strip()) > 1 and try_parse_number(v) is None:
            n += 1
    return n


def _label_kind(text: str, row: Sequence[Any] = ()) -> str | None:
    """SUBTOTAL or NOTE when the words of a row's first cell say so. A label that only ends in
    計 (東灘区計) needs a number in the row too: a total always has one."""
    text = text.strip()
    lead = text[:1]
    if lead in _LABEL_FIRST and (_TOTAL.match(text) or _PART_OF.match(text)
                                 or _COMPARISON.match(text)):
        return SUBTOTAL
    if text.endswith("計"):
        packed = "".join(text.split())  # 「西 区 計」
        if _SUFFIX_TOTAL.match(packed) and (
                not packed.endswith(_NOT_TOTAL) or packed.endswith(_FACILITIES_TOTAL)) and (
                any(is_number(v) for v in row)):
            return SUBTOTAL
    if _FOOTNOTE.match(text):
        return NOTE
    return None


def _describes_columns(row: Sequence[Any], next_row: Sequence[Any] | None,
                       header_ascii: bool) -> bool:
    """A template's description row: `#object_type_xsd`, `string`, `integer`, or the English
    identifiers of the columns under Japanese headings (when the rows below are not such
    words too: then they are the data)."""
    cells = [v for v in row if filled(v)]
    if any(type(v) is str and v.lstrip().startswith("#") for v in cells):
        return True
    if not cells or not all(type(v) is str for v in cells):
        return False
    words = [norm(v).removeprefix("xsd:") for v in cells]
    typed = sum(1 for w in words if w in _TYPE_WORDS)
    if typed * 2 >= len(words) and typed >= 1:
        return True
    return (not header_ascii and len(cells) >= 2 and _identifiers(cells)
            and not (next_row is not None and _identifiers([v for v in next_row if filled(v)])))


def _identifiers(cells: list[Any]) -> bool:
    return bool(cells) and all(type(v) is str and len(v.strip()) >= 2
                               and _IDENTIFIER.match(v.strip()) for v in cells)


class _Classifier:
    def __init__(self, rows: list[list[Any]], header_index: int, header_rows: int,
                 width: int) -> None:
        self.rows = rows
        self.width = width
        self.outline = RowOutline(kinds=[None] * len(rows))
        self.start = header_index + header_rows
        self.header_index = header_index
        self.header_rows = header_rows
        self.profile = profile(rows, self.start, width)
        # What a repeat of the title or the header after a page break would look like.
        self.titles: set[tuple[str, ...]] = set()
        self.headers: list[tuple[str, ...]] = []
        self.first_words: set[str] = set()
        header = rows[header_index] if rows else []
        self.first_col = next((c for c, v in enumerate(header) if filled(v)), 0)
        self.blocks: list[int] = []  # first rows of the runs of data between blank rows
        self.data_rows = 0
        self.last_data = -1
        header_cells = [v for r in range(header_index, self.start) for v in rows[r] if filled(v)]
        self.header_ascii = sum(1 for v in header_cells if str(v).isascii()) * 2 >= \
            len(header_cells)

    def run(self) -> RowOutline:
        rows, outline = self.rows, self.outline
        for i in range(self.header_index):
            if count_filled(rows[i]):
                outline.set(i, TITLE)
                key = row_key(rows[i])
                self.titles.add(key)
                self.first_words.add(key[0])
        for i in range(self.header_index, self.start):
            outline.set(i, HEADER)
            key = row_key(rows[i])
            self.headers.append(key)
            if key:
                self.first_words.add(key[0])
        self._rows_under_header()
        self._lonely_rows()
        self._summary_block()
        return outline

    # ---------------------------------------------------------------- the pass over the rows

    def _rows_under_header(self) -> None:
        rows, outline, kinds = self.rows, self.outline, self.outline.kinds
        numeric = self.profile.numeric
        # A header printed again has words where the data has numbers: rows with a number
        # there need no closer look (most rows of a big sheet).
        probe = numeric[0] if numeric else None
        often = [c for c in self.profile.common if c != 0]
        p1, p2 = (often[0], often[1]) if len(often) >= 2 else (0, 0)
        heading_count = len(self.headers[-1]) if self.headers else 0
        several = self.profile.typical >= 3 and heading_count >= 3
        wide = heading_count >= 2
        label_first, note_first = _LABEL_FIRST, _NOTE_FIRST
        width = self.width
        blanks = 0
        seen_data = False
        broken = False  # a blank row since the last data row
        blocks = self.blocks
        data_rows, last_data = 0, -1
        previous: str | None = None
        special = label_first | note_first
        fast = bool(p1) and probe is not None
        probe_c = probe or 0
        for i in range(self.start, len(rows)):
            row = rows[i]
            first = row[0]
            # Most rows of a long list: text in the first cell that starts with no label or note
            # mark, two columns that most rows fill filled, a number where the data has numbers,
            # no 計 label beside it, after data with no break. They are data, and what the
            # longer checks below would find for them is that too.
            if fast and seen_data and not broken and type(first) is str and first and (
                    (c := first[0]) not in special and not c.isspace()
                    and not first.endswith(_KEI)) and (
                    (v := row[p1]) is not None and (type(v) is not str or (
                        v and not v.isspace()))) and (
                    (v := row[p2]) is not None and (type(v) is not str or (
                        v and not v.isspace()))) and type(row[probe_c]) is not str and (
                    width < 2 or type(nxt := row[1]) is not str or not nxt.endswith(_KEI)):
                kinds[i] = DATA
                data_rows += 1
                last_data = i
                previous = DATA
                continue
            first_c = 0
            # Most rows fill their first cell and two columns that most rows fill: such a row
            # has three cells or more (n = 3 says "three or more"), which is all the count
            # decides below. Only other rows are counted cell by cell.
            if p1 and first is not None and (type(first) is not str or (
                    first and not first.isspace())) and (
                    (v := row[p1]) is not None and (type(v) is not str or (
                        v and not v.isspace()))) and (
                    (v := row[p2]) is not None and (type(v) is not str or (
                        v and not v.isspace()))):
                n = 3
            else:
                n = count_filled(row)
                if n == 0:
                    blanks += 1
                    broken = True
                    continue
                if first is None or (type(first) is str and (not first or first.isspace())):
                    first_c = self._first_filled(row)
                    first = row[first_c]
            gap, blanks = blanks, 0
            kind: str | None = None
            text = ""
            if type(first) is str:
                if (n <= 2 or gap or probe is None
                        or (type(row[probe]) is str and _wordy(row[probe]))) and \
                        self._repeats_page_top(row, first):
                    kind = REPEATED_HEADER
                elif gap and seen_data and self._second_table_starts(i, row, n, gap):
                    for j in range(i, len(rows)):
                        if count_filled(rows[j]):
                            outline.set(j, SECOND_TABLE)
                    break
                else:
                    lead = first[0] if not first[0].isspace() else first.lstrip()[:1]
                    if lead in label_first or lead in note_first or first.endswith(_KEI):
                        kind, text = self._by_words(row, first)
            # A running number, or a group's name merged down over its rows (東灘区 …), then
            # the label of the total: 「計」, 「小計」, 「東灘区計」.
            if kind is None and n > 1 and first_c + 1 < width and \
                    type(nxt := row[first_c + 1]) is str and nxt and \
                    (nxt.endswith(_KEI) or (type(first) is not str and nxt[0] in label_first)) \
                    and _label_kind(nxt, row) == SUBTOTAL:
                kind, text = SUBTOTAL, nxt
            if kind is None and not seen_data and i - self.start < _METADATA_ROWS and (
                    _describes_columns(row, self._next_filled(i), self.header_ascii)
                    or (numeric and texty(row)
                        and _text_in_numbers(row, numeric) * 2 >= len(numeric))):
                kind, text = METADATA, text_of(first)
            if kind is None and n == 1 and wide and first_c == self.first_col and \
                    is_number(first) and _whole(first):
                kind = NUMBERING_ONLY  # a numbered row of a form, left empty
            elif kind is None and n <= 2 and several:
                kind, text = self._sparse(row, n, first, previous)
            if kind is None:
                kinds[i] = DATA
                if broken or not seen_data:
                    blocks.append(i)  # data after a break: where a summary could start
                    broken = False
                    seen_data = True
                data_rows += 1
                last_data = i
                previous = DATA
            else:
                outline.set(i, kind, text)
                previous = kind
        self.data_rows, self.last_data = data_rows, last_data

    def _sparse(self, row: Sequence[Any], n: int, first: Any,
                previous: str | None) -> tuple[str | None, str]:
        """A row of one or two cells in a table whose rows fill three or more."""
        if n == 1:
            if type(first) is str:
                # A section label if data follows, a note if not (decided afterwards).
                return (NOTE if previous == NOTE else SECTION), first
        if previous == NOTE and all(type(v) is str for v in row if filled(v)):
            return NOTE, first  # a note that runs over several lines
        return None, ""

    def _next_filled(self, i: int) -> list[Any] | None:
        return next((r for r in self.rows[i + 1 : i + 4] if count_filled(r)), None)

    def _first_filled(self, row: Sequence[Any]) -> int:
        v = row[0]
        if v is not None and (type(v) is not str or (v and not v.isspace())):
            return 0
        return next((c for c, v in enumerate(row) if filled(v)), 0)

    def _by_words(self, row: Sequence[Any], first: str) -> tuple[str | None, str]:
        kind = _label_kind(first, row)
        if kind == SUBTOTAL:
            return kind, first
        if kind == NOTE and count_filled(row) <= max(2, self.width // 3):
            return kind, first
        return None, ""

    def _repeats_page_top(self, row: Sequence[Any], first: str) -> bool:
        if norm(first) not in self.first_words:
            return False
        key = row_key(row)
        if key in self.titles or key in self.headers:
            return True
        # A header printed again with a column more or less filled still repeats it.
        for header in self.headers:
            if len(header) >= 3 and len(key) >= 2:
                same = sum(1 for a, b in zip(key, header, strict=False) if a == b)
                if same * 5 >= 4 * max(len(key), len(header)):
                    return True
        return False

    def _second_table_starts(self, i: int, row: Sequence[Any], n: int, gap: int) -> bool:
        """After a break of several empty rows: headings of another table, maybe under a title.
        Headings are text where the data has numbers, or text over numbers in the rows below."""
        if gap < 2:
            return False
        if n >= 2:
            return self._headings(i, row)
        for j in range(i + 1, min(i + 5, len(self.rows))):
            below = self.rows[j]
            m = count_filled(below)
            if m >= 2:
                return self._headings(j, below) and row_key(below) not in self.headers
            if m:
                return False
        return False

    def _headings(self, i: int, row: Sequence[Any]) -> bool:
        if not texty(row):
            return False
        numeric = self.profile.numeric
        if numeric and _text_in_numbers(row, numeric) * 2 >= len(numeric):
            return True
        words = [c for c, v in enumerate(row) if type(v) is str and filled(v) and not is_number(v)]
        below: list[Sequence[Any]] = []  # the rows under them, up to the next blank row
        for r in self.rows[i + 1 : i + 6]:
            if not count_filled(r):
                break
            below.append(r)
        if not below:
            return False
        for c in words:
            under = sum(1 for r in below if is_number(r[c]) or (
                type(r[c]) is not str and filled(r[c])))
            if under * 2 > len(below):
                return True
        return False

    # ---------------------------------------------------------------- decisions afterwards

    def _lonely_rows(self) -> None:
        """A one-cell row is a section label when data follows it, else a note."""
        outline = self.outline
        for i, text in list(outline.texts.items()):
            if outline.kinds[i] == SECTION and i > self.last_data:
                outline.set(i, NOTE, text)

    def _summary_block(self) -> None:
        """A few rows under the list, after a break, that fill other columns than the data
        (施設数 335 / うち市立 300 …): totals of the list, not records. When they start with
        headings of their own they are a small second table."""
        if len(self.blocks) < 2:
            return
        kinds = self.outline.kinds
        tail = [i for i in range(self.blocks[-1], self.last_data + 1) if kinds[i] == DATA]
        rest = self.data_rows - len(tail)
        if len(tail) > _SUMMARY_ROWS or rest < _SUMMARY_SHARE * len(tail):
            return
        top = self.rows[tail[0]]
        if self._headings(tail[0], top) and row_key(top) not in self.headers:
            for i in range(tail[0], len(kinds)):  # a small table of its own, after one blank
                if kinds[i] is not None:
                    self.outline.set(i, SECOND_TABLE)
            return
        off = sum(1 for i in tail if self._off_pattern(self.rows[i]))
        if off * 2 > len(tail):
            for i in tail:
                row = self.rows[i]
                self.outline.set(i, SUBTOTAL, text_of(row[self._first_filled(row)]))

    def _off_pattern(self, row: Sequence[Any]) -> bool:
        common = self.profile.common
        if len(common) < 2:
            return False
        missing = sum(1 for c in common if not filled(row[c]))
        return missing * 2 >= len(common) or _text_in_numbers(row, self.profile.numeric) > 0


def _wordy(value: Any) -> bool:
    return type(value) is str and len(value.strip()) > 1 and try_parse_number(value) is None


def _whole(value: Any) -> bool:
    if type(value) is int:
        return True
    if type(value) is float:
        return value.is_integer()
    return type(value) is str and value.strip().isdigit()


def classify(rows: list[list[Any]], *, header_index: int, header_rows: int,
             width: int) -> RowOutline:
    """The kind of every row of the sheet (None for blank rows)."""
    return _Classifier(rows, header_index, header_rows, width).run()
