"""How detail rows (the subtable type, daicho.fields.subtable) look and are typed into: a table
on the record page, and on the record form a grid of inputs (js/subtable.js) that sends the
rows as JSON in one hidden input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.safestring import SafeString

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
        """The designer's columns: one per line, `code, name, type` (type one of
        COLUMN_TYPES; choices after the type, separated by |)."""
        out = []
        for line in data.get(prefix + "columns", "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            code, name, ctype = [*parts, "", "", "text"][:3]
            column: dict[str, Any] = {"code": code, "name": name or code, "type": ctype or "text"}
            if ctype in ("choice", "multichoice") and len(parts) > 3:
                column["options"] = {"choices": [c.strip() for c in parts[3].split("|")
                                                 if c.strip()]}
            out.append(column)
        return {"fields": out}

