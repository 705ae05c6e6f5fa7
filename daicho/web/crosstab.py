"""What the chart page shows of groups: a group's label (a department's name, 2024年度,
2024年4月, （空欄）), and a cross-tab labelled for the screen and for Excel."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.exporting.crosstab_xlsx import CrossTabSheet
from daicho.selectors.crosstab import CrossTab
from daicho.selectors.grouping import PERIODS, Grouping
from daicho.web.names import Names
from daicho.web.widgets import widget_for


def period_choices() -> list[tuple[str, str]]:
    """The ways a date field can be grouped, as the form offers them ("" = per day)."""
    labels = {"fy": _("Fiscal year (April–March)"), "year": _("Year"), "month": _("Month")}
    return [("", _("Each date")), *((p, labels[p]) for p in ("fy", "year", "month"))]


def period_name(period: str) -> str:
    """The short name in a heading: 取得日（年度）."""
    return {"fy": _("Fiscal year"), "year": _("Year"), "month": _("Month")}.get(period, "")


def group_label(grouping: Grouping, key: Any, names: Names) -> str:
    if key is None or key == "":
        return _("(blank)")
    if grouping.period == "fy":
        return _("FY%(year)d") % {"year": key}
    if grouping.period == "year":
        return _("%(year)d (year)") % {"year": key}
    if grouping.period == "month":
        return _("%(year)d/%(month)d") % {"year": int(key[:4]), "month": int(key[5:7])}
    f = grouping.field
    return html.unescape(strip_tags(str(widget_for(f).show(f, key, names))))


def grouping_name(grouping: Grouping) -> str:
    """「取得日（年度）」 for a date grouped by fiscal year, the field's name otherwise."""
    if grouping.period in PERIODS:
        return _("%(field)s (%(period)s)") % {"field": grouping.field.name,
                                               "period": period_name(grouping.period)}
    return grouping.field.name


def labels(grouping: Grouping, keys: list[Any], viewer: AnyUser) -> list[str]:
    """The groups' labels as `viewer` may read them (a link's title through the gate)."""
    names = Names(viewer).load_values([grouping.field] if not grouping.period else [],
                                [{grouping.field.code: k} for k in keys])
    return [group_label(grouping, k, names) for k in keys]


@dataclass
class LabelledCrossTab:
    """A cross-tab with the labels the screen and the Excel file show."""

    table: CrossTab
    title: str
    rows_name: str
    columns_name: str
    row_labels: list[str]
    column_labels: list[str]

    def body(self) -> list[tuple[str, list[Any], Any]]:
        width = len(self.column_labels)
        return [(label, [self.table.value(r, c) for c in range(width)], self.table.row_totals[r])
                for r, label in enumerate(self.row_labels)]

    def sheet(self, ledger_name: str) -> CrossTabSheet:
        return CrossTabSheet(
            sheet_name=ledger_name, title=f"{ledger_name}　{self.title}",
            corner=f"{self.rows_name} ＼ {self.columns_name}", total_label=_("Total"),
            columns=self.column_labels, rows=self.body(),
            column_totals=self.table.column_totals, total=self.table.total)


def labelled(table: CrossTab, metric_label: str, viewer: AnyUser) -> LabelledCrossTab:
    rows_name, columns_name = grouping_name(table.rows), grouping_name(table.columns)
    title = _("%(metric)s by %(rows)s and %(columns)s") % {
        "metric": metric_label, "rows": rows_name, "columns": columns_name}
    return LabelledCrossTab(table, title, rows_name, columns_name,
                            labels(table.rows, table.row_keys, viewer),
                            labels(table.columns, table.column_keys, viewer))
