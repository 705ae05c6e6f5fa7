"""Reading spreadsheets, CSV and Access files into typed tables (pure Python, no database).

    from daicho.importing import read_table
    table = read_table(Path("台帳.xlsx"))
    table.columns  # [ParsedColumn(name="名称", type="text", options={}, source_index=1), ...]
    table.rows     # [ParsedRow(number=5, values=["市役所", Decimal("1200"), ...], raw=[...]), ...]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daicho.dates.wareki import (
        ParsedDate,
        WarekiError,
        format_wareki,
        parse_date,
        parse_datetime,
        try_parse_date,
    )
    from daicho.importing.errors import ImportFileError, Limits
    from daicho.importing.infer import TextReason
    from daicho.importing.numbers import ParsedNumber, parse_number, try_parse_number
    from daicho.importing.outline import RowKind
    from daicho.importing.table import ParsedColumn, ParsedRow, ParsedTable, read_table
    from daicho.importing.values import ValueParseError, parse_value, text_of

# Each name is imported from its module when first asked for: `daicho import` starts reading
# the file (daicho.importing.early) before the rest of the package is needed.
_HOMES = {
    "ImportFileError": "errors", "Limits": "errors", "TextReason": "infer",
    "ParsedNumber": "numbers", "parse_number": "numbers", "try_parse_number": "numbers",
    "RowKind": "outline",
    "ParsedColumn": "table", "ParsedRow": "table", "ParsedTable": "table", "read_table": "table",
    "ValueParseError": "values", "parse_value": "values", "text_of": "values",
    "ParsedDate": "daicho.dates.wareki", "WarekiError": "daicho.dates.wareki",
    "format_wareki": "daicho.dates.wareki", "parse_date": "daicho.dates.wareki",
    "parse_datetime": "daicho.dates.wareki", "try_parse_date": "daicho.dates.wareki",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home if "." in home else f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ImportFileError",
    "Limits",
    "ParsedColumn",
    "ParsedDate",
    "ParsedNumber",
    "ParsedRow",
    "ParsedTable",
    "RowKind",
    "TextReason",
    "ValueParseError",
    "WarekiError",
    "format_wareki",
    "parse_date",
    "parse_datetime",
    "parse_number",
    "parse_value",
    "read_table",
    "text_of",
    "try_parse_date",
    "try_parse_number",
]
