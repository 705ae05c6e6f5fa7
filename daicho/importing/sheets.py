"""Which sheet of a workbook is read, and what was found on every sheet (contract §3.1).

Without --sheet the first sheet in workbook order that holds a table is read: offices put a
cover page (表紙), notes or a legend before the list, and a yearly workbook keeps one list per
sheet; the fullest sheet is often a pivot or a print copy. A sheet holds a table when its first
rows show a header of at least two columns with at least one data row under it. Every sheet is
reported (`sheets` in the import report) so the person importing sees what else the file has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from daicho.importing.errors import ImportFileError

# The first rows are enough to tell a table: the header is looked for in the first 60 rows
# that hold anything (daicho.importing.detect), and a data row follows it.
PROBE_ROWS = 300

# Names Excel, LibreOffice Calc, Numbers and Google Sheets give a new sheet, in the languages a
# city office meets (Calc in Japanese names them Sheet1 too); compared without width, case and
# blanks; Access names a new table テーブル1 / Table1. Such a name says nothing about the
# ledger, so a new ledger is named after the file.
_DEFAULT_NAME = re.compile(
    r"^(?:sheet|シート|ワークシート|worksheet|tabelle|feuil|feuille|hoja|foglio|planilha|blad"
    r"|arkusz|工作表|лист|표|table|テーブル)\d*$")


def is_default_name(name: str | None) -> bool:
    """Whether `name` is a sheet name given by the spreadsheet program (Sheet1, シート1 …)."""
    if not name:
        return True
    key = "".join(unicodedata.normalize("NFKC", name).split()).casefold()
    return bool(_DEFAULT_NAME.match(key))


@dataclass
class SheetInfo:
    """What was found on one sheet; `as_dict` is its entry in the report's `sheets`."""

    name: str
    rows: int = 0  # the last row that holds anything (as Excel numbers rows); 0 = empty
    hidden: bool = False
    table: bool = False  # a header of two or more columns with data under it
    read: bool = False  # the sheet the import read
    header_row: int | None = None  # 1-based, where a table was found
    columns: int = 0  # columns of that table

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "table": self.table, "read": self.read,
                "hidden": self.hidden, "header_row": self.header_row, "columns": self.columns}


@dataclass
class Probe:
    table: bool
    data: bool  # a header with at least one data row, of any width
    header_row: int | None
    columns: int


def probe(rows: Sequence[Sequence[Any]], merged: Sequence[tuple[int, int, int, int]]) -> Probe:
    """Look for a table in the first PROBE_ROWS rows (copied: detection fills cells in)."""
    from daicho.importing.detect import detect  # detect imports readers, which imports us

    head = [list(r) for r in rows[:PROBE_ROWS]]
    if not head:
        return Probe(False, False, None, 0)
    inside = [m for m in merged if m[2] < len(head)]
    try:
        found = detect(head, inside)
    except ImportFileError:
        return Probe(False, False, None, 0)
    data = bool(found.data_indices)
    columns = len(found.names)
    table = data and columns >= 2
    return Probe(table, data, found.header_index + 1 if table else None, columns if table else 0)


def choose(infos: list[SheetInfo], probes: dict[str, Probe], candidates: list[str]) -> str:
    """The sheet to read among `candidates` (workbook order): the first holding a table; else
    the first with a header and data of one column; else the first that is not empty, whose
    import then fails or succeeds with detection's own words."""
    for test in (attrgetter("table"), attrgetter("data")):
        for name in candidates:
            found = probes.get(name)
            if found is not None and test(found):
                return name
    by_name = {info.name: info for info in infos}
    return next((n for n in candidates if by_name[n].rows), candidates[0])
