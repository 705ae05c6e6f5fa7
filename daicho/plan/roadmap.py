"""The roadmap (全体最適化ロードマップ) as a table: one row per measure of the 全体最適化取組 ledger,
one column per fiscal year holding a legend symbol. The roadmap page and its Excel file show this
same table; a cell is changed through the record writer like any other value.

The fiscal-year columns are the ledger's fields coded ``fy<year>``; their choices are the symbols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from daicho import access
from daicho.errors import NotFound
from daicho.fields.context import ValueContext
from daicho.plan import data, kpi
from daicho.plan.ledgers import INVENTORY, MEASURES, REFERENCES, open_ledger
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import records as record_svc

# The columns besides the years, in the seed's order; a column the user may not see is left out.
TEXT_COLUMNS = ("division", "code", "title", "target")
# Shown with the title (現状, 取組内容, 参考資料) and after the note (取組による効果).
EXTRA_COLUMNS = ("situation", "content", "reference", "effects")


def year_code(year: int) -> str:
    return f"fy{year}"


@dataclass
class Measure:
    id: int
    revision: int
    values: dict[str, Any]
    schedule: dict[int, str | None]

    def text(self, code: str) -> str:
        value = self.values.get(code)
        return "" if value is None else str(value)


@dataclass
class Roadmap:
    ledger_id: int
    years: list[int]
    current: int
    symbols: list[str]
    columns: dict[str, str]  # code → the field's name, for TEXT_COLUMNS and the note
    measures: list[Measure] = field(default_factory=list)

    @property
    def labels(self) -> dict[int, str]:
        return {y: kpi.plan_label(y) for y in self.years}

    @property
    def current_in_plan(self) -> bool:
        return self.current in self.years

    def grouped(self) -> list[tuple[Measure, int]]:
        """Each measure with the number of rows its 対策区分 cell spans, as the seed merges
        consecutive measures of one division (0: the cell above spans this row)."""
        out: list[tuple[Measure, int]] = []
        for n, m in enumerate(self.measures):
            if n and m.text("division") == self.measures[n - 1].text("division"):
                out.append((m, 0))
                continue
            span = 1
            while n + span < len(self.measures) and \
                    self.measures[n + span].text("division") == m.text("division"):
                span += 1
            out.append((m, span))
        return out

    @property
    def legend(self) -> list[tuple[str, str]]:
        """(symbol, meaning) of the symbols that mean something (— is "nothing planned")."""
        return [(s, data.LEGEND[s]) for s in self.symbols if data.LEGEND.get(s)]


def _years(schema: LedgerSchema) -> list[int]:
    return data.schedule_years(schema.by_code)


def _measure(schema: LedgerSchema, record: dict[str, Any], years: list[int]) -> Measure:
    values = record["values"]
    return Measure(id=int(record["id"]), revision=int(record["revision"]), values=values,
                   schedule={y: values.get(year_code(y)) for y in years})


def _symbols(schema: LedgerSchema, years: list[int]) -> list[str]:
    """The choices of the year fields (the legend's symbols), in their order."""
    found: list[str] = []
    for y in years:
        found += [c for c in schema.by_code[year_code(y)].options.get("choices", [])
                  if c not in found]
    return found or list(data.SYMBOLS)


def read(user: access.AnyUser) -> Roadmap:
    """The roadmap as `user` may see it; NotFound without the right to view the ledger."""
    schema = open_ledger(user, MEASURES)
    years = _years(schema)
    columns = {code: schema.by_code[code].name for code in (*TEXT_COLUMNS, "note", *EXTRA_COLUMNS)
               if code in schema.by_code}
    return Roadmap(ledger_id=schema.id, years=years, current=kpi.current_fiscal_year(),
                   symbols=_symbols(schema, years), columns=columns,
                   measures=[_measure(schema, r, years) for r in sel.all_records(user, schema)])


def symbols(user: access.AnyUser) -> list[str]:
    schema = open_ledger(user, MEASURES)
    return _symbols(schema, _years(schema))


def editable_years(user: access.AnyUser) -> set[int]:
    """The fiscal years whose cells `user` may change (none without the edit right)."""
    try:
        schema = open_ledger(user, MEASURES, "edit")
    except NotFound:
        return set()
    return {y for y in _years(schema) if year_code(y) not in schema.read_only}


def measure(user: access.AnyUser, record_id: int) -> Measure:
    schema = open_ledger(user, MEASURES)
    ctx = ValueContext()
    record = sel.records_json(schema, [sel.get_row(user, schema, record_id)], ctx)[0]
    return _measure(schema, record, _years(schema))


def set_symbol(user: access.AnyUser, *, record_id: int, year: int, symbol: str | None,
               revision: int | None) -> Measure:
    """Change one cell through the record writer: the revision guards against lost updates
    (Conflict when someone changed this cell since) and the change goes into the history."""
    schema = open_ledger(user, MEASURES, "edit")
    if year_code(year) not in schema.by_code:
        raise NotFound()
    record = record_svc.update_record(user=user, schema=schema, record_id=record_id,
                                      revision=revision, values={year_code(year): symbol or None})
    return _measure(schema, record, _years(schema))


_NUMBER = re.compile(r"No\.\s*(\d+)")
_REFERENCE = re.compile(r"^資料(\d+)")


@dataclass
class Links:
    """Where a measure's 対象システム (「No. 1」: the row of the evaluation table 2(1)) and its
    【参考資料】 (資料1–3: the 参考資料 ledgers; 資料4: the inventory) lead, for this user."""

    inventory: int | None = None
    systems: dict[int, int] = field(default_factory=dict)  # 評価表No. → inventory record id
    references: dict[int, int] = field(default_factory=dict)  # 資料 number → ledger id

    def system(self, target: str) -> int | None:
        found = _NUMBER.search(target or "")
        return self.systems.get(int(found.group(1))) if found else None

    def reference(self, text: str) -> int | None:
        found = _REFERENCE.match(text or "")
        return self.references.get(int(found.group(1))) if found else None


def links(user: access.AnyUser) -> Links:
    out = Links()
    for n, key in enumerate([*REFERENCES, INVENTORY], start=1):
        try:
            out.references[n] = open_ledger(user, key).id
        except NotFound:
            continue
    try:
        inventory = open_ledger(user, INVENTORY)
    except NotFound:
        return out
    out.inventory = inventory.id
    if "evaluation_no" in inventory.by_code:
        for record in sel.all_records(user, inventory, filters=["evaluation_no:notempty:"]):
            no = record["values"].get("evaluation_no")
            if no is not None:
                out.systems.setdefault(int(no), int(record["id"]))
    return out
