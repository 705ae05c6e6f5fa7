"""How detail rows (the subtable type, daicho.fields.subtable) look and are typed into: a table
on the record page, and on the record form a grid of inputs (js/subtable.js) that sends the
rows as JSON in one hidden input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from daicho.fields.subtable import columns
from daicho.models import Field
from daicho.web import filters as fk
from daicho.web.safe import format_html, format_html_join
from daicho.web.widgets import EMPTY, WIDGETS, Widget

if TYPE_CHECKING:
    from daicho.web.names import Names


def _canonical(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class SubtableWidget(Widget):
    key = "subtable"
    template = "web/widgets/subtable.html"
    editor = "none"
    options_template = "web/options/subtable.html"
    filter = fk.ContainsFilter()

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        cols = columns(field)
        head = format_html_join("", '<th scope="col">{}</th>', ((c.name,) for c in cols))
        body = format_html_join("", "<tr>{}</tr>", (
            (format_html_join("", '<td class="{}">{}</td>', (
                ("num" if WIDGETS[c.type].numeric else "",
                 WIDGETS[c.type].show(c, row.get(c.code), names)) for c in cols)),)
            for row in value))
        return format_html('<table class="subtable-view"><thead><tr>{}</tr></thead>'
                           "<tbody>{}</tbody></table>", head, body)

    def change_lines(self, field: Field, change: dict[str, Any], names: Names) -> list[SafeString]:
        """「行を追加（行 3）: 品名 机、数量 2」「行を削除（行 2）: …」「品名: A → B（行 3）」."""
        cols = {c.code: c for c in columns(field)}
        old = {r.get("id"): r for r in change.get("old") or [] if isinstance(r, dict)}
        new = {r.get("id"): r for r in change.get("new") or [] if isinstance(r, dict)}

        def cell(code: str, value: Any) -> SafeString:
            column = cols.get(code)
            if column is None:
                return format_html("{}", value)
            return WIDGETS[column.type].show(column, value, names) if value is not None \
                else format_html("{}", _("(blank)"))

        def cells(row: dict[str, Any]) -> SafeString:
            return format_html_join(_(", "), "{} {}", (
                (c.name, cell(c.code, row[c.code])) for c in cols.values()
                if row.get(c.code) is not None))

        out: list[SafeString] = []
        for item in change.get("rows") or []:
            action, n = item.get("action"), item.get("row")
            if action == "added":
                out.append(format_html("{}: {}", _("Row added (row %(n)s)") % {"n": n},
                                       cells(new.get(item.get("id")) or {})))
            elif action == "removed":
                out.append(format_html("{}: {}", _("Row removed (row %(n)s)") % {"n": n},
                                       cells(old.get(item.get("id")) or {})))
            else:
                for code, values in (item.get("changes") or {}).items():
                    name = cols[code].name if code in cols else code
                    out.append(format_html("{}: <del>{}</del> → <ins>{}</ins>（{}）", name,
                                           cell(code, values.get("old")),
                                           cell(code, values.get("new")),
                                           _("row %(n)s") % {"n": n}))
        return out

    def text_of(self, field: Field, value: Any) -> str:
        return _canonical(value) if value else ""

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        text = data.get(name, "").strip()
        try:
            rows = json.loads(text) if text else None
        except ValueError:
            return text  # the service refuses it with its message
        return _canonical(rows) if rows else ""

    def to_service(self, field: Field, text: str) -> Any:
        return text or None

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {"columns": [{"code": c.code, "name": c.name, "type": c.type,
                             "options": c.options} for c in columns(field)],
                "rows": value or []}

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        """The designer's columns: one per line, `code, name, type` (a type of
        daicho.fields.subtable.COLUMN_TYPES), then for a choice its choices separated by |, for
        a number its decimal places and unit, for a formula its expression (a number)."""
        out = []
        for line in data.get(prefix + "columns", "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",", 3)]
            if not any(parts):
                continue
            code, name, ctype = [*parts, "", "", "text"][:3]
            ctype = ctype or "text"
            rest = parts[3] if len(parts) > 3 else ""
            column: dict[str, Any] = {"code": code, "name": name or code, "type": ctype}
            if ctype in ("choice", "multichoice") and rest:
                column["options"] = {"choices": [c.strip() for c in rest.split("|") if c.strip()]}
            elif ctype == "number" and rest:
                decimals, _sep, unit = (p.strip() for p in rest.partition(","))
                column["options"] = {"decimals": int(decimals) if decimals.isdigit()
                                     else decimals, "unit": unit}
            elif ctype == "formula":
                column["options"] = {"expression": rest, "result": "number"}
            out.append(column)
        return {"fields": out}

