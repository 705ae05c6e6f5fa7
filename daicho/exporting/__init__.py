"""Export writers: rows of Python values → xlsx or CSV, streamed, without Django.

The caller passes one ExportColumn per field, naming the kind of cell its values make (the field
type's export_kind; columns.KINDS), and rows whose values are already Python values of the field
type (None = empty). Cell forms, chosen so that ``daicho import`` reads them back:

============  ==========================================  =====================================
kind          xlsx cell                                   CSV text
============  ==========================================  =====================================
text          string cell (write_string, never formula)   text; leading = + - @ TAB CR get "'"
textarea      string cell, wrapped                        as text
number        number cell; format from decimals,          plain digits, "." decimal point, no
              separator (#,##0) and unit (#,##0"円")       separator, unit or exponent: -1234.5
date          date cell yyyy/m/d (yyyy/m with month        2024-04-01 (ISO)
              precision); before 1900: text 1899/1/2
datetime      date-time cell yyyy/m/d h:mm, Tokyo time     2024-04-01 09:30:00, Tokyo time
yesno         はい / いいえ                                 はい / いいえ
multichoice   values joined by a line feed, wrapped        values joined by a line feed
link          number cell for an int id, else text         the id
============  ==========================================  =====================================

A column may also name a field type that is written as one of these (columns.SAME_AS: email,
url, choice, user, org and autonumber as text; file — its file names — as multichoice). CSV: UTF-8 with
BOM by default, CRLF line ends, fields quoted only when needed. cp932 maps the usual look-alikes
(〜 — − ‖ ¢ £ ¬ ¥ NBSP) to the characters Windows shows for the same bytes, and refuses
characters it cannot hold (UnencodableError) unless asked to replace them with 〓.
Unencodable places name the row as Excel numbers it (header = 1), even when an earlier value
spans several physical lines.
"""

from daicho.exporting.columns import (
    MULTI_VALUE_SEPARATOR,
    NO_TEXT,
    YES_TEXT,
    ExportColumn,
)
from daicho.exporting.csv_writer import write_csv
from daicho.exporting.errors import (
    CellTooLongError,
    ExportError,
    TooManyRowsError,
    UnencodableError,
    UnencodablePosition,
)
from daicho.exporting.xlsx_writer import write_xlsx

__all__ = [
    "MULTI_VALUE_SEPARATOR",
    "NO_TEXT",
    "YES_TEXT",
    "CellTooLongError",
    "ExportColumn",
    "ExportError",
    "TooManyRowsError",
    "UnencodableError",
    "UnencodablePosition",
    "write_csv",
    "write_xlsx",
]
