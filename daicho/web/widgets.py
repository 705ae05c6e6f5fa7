"""How each field type (部品) looks and is typed into in the browser: one Widget per type key.

The registry mirrors daicho.fields.REGISTRY (a test checks that every type has a widget); no
other module of the web UI branches on a type key. A widget works on the API's JSON values, so
the grid, the record form, history and the conflict view all show a value the same way.

- show(): the value as HTML for reading (escaped here, marked safe once).
- text_of() / submitted(): the value as the text of a form input; the two must agree, because
  the record form sends only the fields whose submitted text differs from the loaded text.
- to_service(): that text as the value the record services accept (they clean strings).
- editor / filter / options_template: the grid's inline editor, the column filter, and the
  field designer's options form.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_wareki
from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.web import filters as fk
from daicho.web.safe import format_html, format_html_join

if TYPE_CHECKING:
    from daicho.web.names import Names

EMPTY = mark_safe("")


def picked_text(data: QueryDict, name: str) -> str:
    """A picker input's text: the login, code or id picked for the name shown (name__picked,
    set with the name it was picked for, name__label), or else the text typed, to be looked up."""
    typed = data.get(name, "").strip()
    picked = data.get(name + "__picked", "").strip()
    return picked if picked and typed == data.get(name + "__label", "").strip() else typed


def _int_option(data: QueryDict, name: str) -> int | None:
    text = data.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        # The type's clean_options answers with the precise message; hand it the text as is.
        return text  # type: ignore[return-value]


class Widget:
    key: ClassVar[str]
    template: ClassVar[str] = "web/widgets/input.html"
    input_type: ClassVar[str] = "text"
    inputmode: ClassVar[str] = ""
    editor: ClassVar[str] = "text"  # text | textarea | select | date | month | datetime | none
    names: ClassVar[str] = ""  # "user" / "org" / "link": values are looked up in Names for display
    picker: ClassVar[str] = ""  # the URL name of the type-ahead suggestions, for picker widgets
    titled: ClassVar[bool] = False  # its value can name a record in links and lists
    numeric: ClassVar[bool] = False
    takes_uploads: ClassVar[bool] = False
    options_template: ClassVar[str] = ""
    filter: fk.FilterKind = fk.ContainsFilter()

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if value is None or value == "" or value == []:
            return EMPTY
        return format_html("{}", value)

    def text_of(self, field: Field, value: Any) -> str:
        return "" if value is None else str(value)

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        return data.get(name, "").strip()

    def to_service(self, field: Field, text: str) -> Any:
        return text if text != "" else None

    def editor_choices(self, field: Field) -> list[tuple[str, str]]:
        return []

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {}

    def label(self, field: Field, text: str, names: Names) -> str | None:
        """For picker widgets: the name a person reads for `text` (a login, a code, a record
        id: what text_of gives), or None when `text` is not such a value (it was typed)."""
        return None

    def picker_url(self, field: Field) -> str:
        return reverse(self.picker) if self.picker else ""

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        return {}

    def change_lines(self, field: Field, change: dict[str, Any], names: Names) -> list[SafeString]:
        """A history change said line by line (a subtable's rows); [] shows old → new."""
        return []

    def for_field(self, field: Field) -> Widget:
        """This widget as it applies to `field` (a formula's filters are its result's)."""
        return self


class TextWidget(Widget):
    key = "text"
    titled = True
    options_template = "web/options/max_length.html"

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        value = _int_option(data, prefix + "max_length")
        return {} if value is None else {"max_length": value}


class TextareaWidget(TextWidget):
    key = "textarea"
    template = "web/widgets/textarea.html"
    editor = "textarea"
    titled = False

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        return format_html('<span class="multiline">{}</span>', value)

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        # Browsers send CRLF from a textarea; the stored text keeps LF only.
        return data.get(name, "").replace("\r\n", "\n").strip()


class EmailWidget(Widget):
    key = "email"
    input_type = "email"
    titled = True

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        return format_html('<a href="mailto:{}">{}</a>', value, value)


class UrlWidget(Widget):
    key = "url"
    input_type = "url"

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        # The engine stores http(s) URLs only, so the href cannot be javascript:.
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
                           value, value)


class AutonumberWidget(Widget):
    key = "autonumber"
    template = "web/widgets/readonly.html"
    editor = "none"
    titled = True
    options_template = "web/options/autonumber.html"

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        return format_html('<span class="code">{}</span>', value) if value else EMPTY

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {"prefix": data.get(prefix + "prefix", "")}
        digits = _int_option(data, prefix + "digits")
        if digits is not None:
            out["digits"] = digits
        return out


class NumberWidget(Widget):
    key = "number"
    inputmode = "decimal"
    numeric = True
    options_template = "web/options/number.html"
    filter = fk.RangeFilter("text")

    def _decimal(self, field: Field, value: Any) -> Decimal | None:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number.quantize(Decimal(1).scaleb(-int(field.options.get("decimals", 0))))

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        number = None if value is None else self._decimal(field, value)
        if number is None:
            return EMPTY
        decimals = int(field.options.get("decimals", 0))
        spec = f",.{decimals}f" if field.options.get("separator", True) else f".{decimals}f"
        unit = field.options.get("unit", "")
        if unit:
            return format_html('{}<span class="unit">{}</span>', format(number, spec), unit)
        return format_html("{}", format(number, spec))

    def text_of(self, field: Field, value: Any) -> str:
        number = None if value is None else self._decimal(field, value)
        return "" if number is None else str(number)

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": data.get(prefix + "unit", "").strip(),
                               "separator": data.get(prefix + "separator") == "on"}
        decimals = _int_option(data, prefix + "decimals")
        if decimals is not None:
            out["decimals"] = decimals
        return out


class DateWidget(Widget):
    key = "date"
    template = "web/widgets/date.html"
    editor = "date"
    options_template = "web/options/date.html"
    filter = fk.RangeFilter("date")

    def _month(self, field: Field) -> bool:
        return bool(field.options.get("precision") == "month")

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        date = dt.date.fromisoformat(value)
        precision: Literal["day", "month"] = "month" if self._month(field) else "day"
        if field.options.get("wareki"):
            try:
                shown = format_wareki(date, precision)
            except ValueError:  # before 明治: no era name exists
                shown = value
        else:
            shown = value[:7] if precision == "month" else value
        return format_html('<time datetime="{}">{}</time>', value, shown)

    def text_of(self, field: Field, value: Any) -> str:
        if not value:
            return ""
        return str(value[:7] if self._month(field) else value)

    def to_service(self, field: Field, text: str) -> Any:
        if text and self._month(field) and len(text) == 7:
            return text + "-01"  # <input type=month> sends YYYY-MM
        return text or None

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        # kind: the date editor's (js/dates.js) reading — a date, or a year-month.
        return {"kind": "month" if self._month(field) else "date",
                "wareki": bool(field.options.get("wareki")),
                "wareki_text": self.show(field, value, names) if field.options.get("wareki")
                else ""}

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        return {"precision": data.get(prefix + "precision", "day"),
                "wareki": data.get(prefix + "wareki") == "on"}


class DateTimeWidget(Widget):
    key = "datetime"
    template = "web/widgets/date.html"
    editor = "datetime"
    filter = fk.RangeFilter("datetime-local")

    def _local(self, value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value).astimezone(TOKYO)

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        return format_html('<time datetime="{}">{}</time>', value,
                           self._local(value).strftime("%Y-%m-%d %H:%M"))

    def text_of(self, field: Field, value: Any) -> str:
        # Tokyo wall-clock time, to the minute, as the grid shows it.
        return self._local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {"kind": "datetime"}


class YesNoWidget(Widget):
    key = "yesno"
    template = "web/widgets/yesno.html"
    editor = "select"
    filter = fk.yes_no_filter()

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if value is None:
            return EMPTY
        # A mark and a word: the meaning never rests on a colour or a symbol alone.
        if value:
            return format_html('<span class="yes">✓ {}</span>', _("Yes"))
        return format_html('<span class="no">✗ {}</span>', _("No"))

    def text_of(self, field: Field, value: Any) -> str:
        return "" if value is None else ("true" if value else "false")

    def editor_choices(self, field: Field) -> list[tuple[str, str]]:
        return [("", "—"), ("true", _("Yes")), ("false", _("No"))]


class ChoiceWidget(Widget):
    key = "choice"
    template = "web/widgets/choice.html"
    editor = "select"
    titled = True
    options_template = "web/options/choices.html"
    filter = fk.OptionsFilter()

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        return format_html('<span class="chip">{}</span>', value) if value else EMPTY

    def editor_choices(self, field: Field) -> list[tuple[str, str]]:
        return [("", "—"), *[(c, c) for c in field.options.get("choices", [])]]

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        lines = data.get(prefix + "choices", "").replace("\r\n", "\n").split("\n")
        return {"choices": [line.strip() for line in lines if line.strip()]}


class MultiChoiceWidget(ChoiceWidget):
    key = "multichoice"
    template = "web/widgets/multichoice.html"
    editor = "text"  # typed as 「会議, 防災」 in the grid; the type splits on , and 、
    titled = False

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        return format_html_join(" ", '<span class="chip">{}</span>', ((v,) for v in value))

    def text_of(self, field: Field, value: Any) -> str:
        return "\n".join(value or [])

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        picked = set(data.getlist(name))
        return "\n".join(c for c in field.options.get("choices", []) if c in picked)

    def to_service(self, field: Field, text: str) -> Any:
        return text.split("\n") if text else None

    def editor_choices(self, field: Field) -> list[tuple[str, str]]:
        return []


class UserWidget(Widget):
    """A person; OrgWidget differs only in which names it looks up and which picker it opens."""

    key = "user"
    template = "web/widgets/picker.html"
    names = "user"  # the Names lookup (names.user / names.org) and the CSS class
    picker = "web:pick_users"
    filter = fk.ExactFilter()

    def _label(self, names: Names, value: Any) -> str:
        return str(getattr(names, self.names)(value))

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        css = "person" if self.names == "user" else self.names
        return format_html('<span class="{}" title="{}">{}</span>', css, value,
                           self._label(names, value))

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {"picker_url": self.picker_url(field),
                "current": self._label(names, value) if value else ""}

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        return picked_text(data, name)

    def label(self, field: Field, text: str, names: Names) -> str | None:
        if not text:
            return ""
        known = names.has_user(text) if self.names == "user" else names.has_org(text)
        return self._label(names, text) if known else None


class OrgWidget(UserWidget):
    key = "org"
    names = "org"
    picker = "web:pick_orgs"


class LinkWidget(Widget):
    key = "link"
    template = "web/widgets/picker.html"
    names = "link"
    options_template = "web/options/link.html"
    filter = fk.ExactFilter()

    def _href(self, field: Field, record_id: Any) -> str:
        return reverse("web:record", args=[field.options.get("ledger", 0), record_id])

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if value is None:
            return EMPTY
        title = names.link(field, value)
        if title is None:  # not visible to the viewer (or no title): the id, as the API says
            return format_html('<a href="{}">#{}</a>', self._href(field, value), value)
        return format_html('<a href="{}" class="linked" title="#{}">{}</a>',
                           self._href(field, value), value, title)

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        return picked_text(data, name)

    def label(self, field: Field, text: str, names: Names) -> str | None:
        if not text:
            return ""
        if not text.isascii() or not text.isdigit():
            return None
        return names.link(field, int(text)) or f"#{int(text)}"

    def picker_url(self, field: Field) -> str:
        return reverse("web:pick_link", args=[field.ledger_id, field.code])

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {"picker_url": self.picker_url(field),
                "current": self.show(field, value, names) if value else "",
                "href": self._href(field, value) if value else ""}

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        ledger = _int_option(data, prefix + "ledger")
        out: dict[str, Any] = {} if ledger is None else {"ledger": ledger}
        shown = data.get(prefix + "display_field", "").strip()
        if shown:
            out["display_field"] = shown
        return out


class FileWidget(Widget):
    key = "file"
    template = "web/widgets/file.html"
    editor = "none"
    takes_uploads = True
    options_template = "web/options/file.html"
    filter = fk.presence_filter()

    def _href(self, field: Field, file_id: Any) -> str:
        return f"/api/v1/ledgers/{int(field.ledger_id)}/files/{int(file_id)}"

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        if not value:
            return EMPTY
        return format_html_join(
            " ", '<a class="file" href="{}" download>{}</a> <span class="size">({})</span>',
            ((self._href(field, f["id"]), f["name"], filesizeformat(f["size"])) for f in value))

    def text_of(self, field: Field, value: Any) -> str:
        return "\n".join(str(f["id"]) for f in value or [])

    def submitted(self, field: Field, data: QueryDict, name: str) -> str:
        removed = set(data.getlist(name + "__remove"))
        kept = [i for i in data.getlist(name + "__kept") if i not in removed]
        return "\n".join(dict.fromkeys(i for i in kept if i.isdigit()))

    def to_service(self, field: Field, text: str) -> Any:
        return [{"id": int(i)} for i in text.split("\n")] if text else None

    def form_extra(self, field: Field, value: Any, names: Names) -> dict[str, Any]:
        return {"files": [{**f, "href": self._href(field, f["id"])} for f in value or []]}

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        text = data.get(prefix + "max_mb", "").strip()
        if not text:
            return {}
        try:
            return {"max_bytes": int(Decimal(text) * 1024 * 1024)}
        except (InvalidOperation, ValueError):
            return {"max_bytes": text}


class FormulaWidget(Widget):
    """A computed value (daicho.fields.formula): shown as its result type shows it, never
    edited; its options are the expression with a live preview (js/formula.js)."""

    key = "formula"
    template = "web/widgets/readonly.html"
    editor = "none"
    options_template = "web/options/formula.html"

    @staticmethod
    def _result(field: Field) -> Widget:
        return WIDGETS.get(str(field.options.get("result")), FALLBACK)

    def for_field(self, field: Field) -> Widget:
        result = self._result(field)
        return self if result is FALLBACK else _formula_widget(result.key)

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        return self._result(field).show(field, value, names)

    def text_of(self, field: Field, value: Any) -> str:
        return self._result(field).text_of(field, value)

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {"expression": data.get(prefix + "expression", "").replace("\r\n", "\n"),
                               "result": data.get(prefix + "result", "number")}
        if out["result"] == "number":
            decimals = _int_option(data, prefix + "decimals")
            out["decimals"] = 0 if decimals is None else decimals
            out["rounding"] = data.get(prefix + "rounding", "half_up")
        return out


WIDGETS: dict[str, Widget] = {
    w.key: w for w in (
        TextWidget(), TextareaWidget(), EmailWidget(), UrlWidget(), AutonumberWidget(),
        NumberWidget(), DateWidget(), DateTimeWidget(), YesNoWidget(), ChoiceWidget(),
        MultiChoiceWidget(), UserWidget(), OrgWidget(), LinkWidget(), FileWidget(),
        FormulaWidget(),
    )
}
FALLBACK = Widget()

from daicho.web.widget_lookup import LookupWidget  # noqa: E402  (it builds on the widgets above)

WIDGETS["lookup"] = LookupWidget()


def _register_late() -> None:
    """Widgets kept in their own modules (they build on Widget above)."""
    from daicho.web.subtable_widget import SubtableWidget

    WIDGETS[SubtableWidget.key] = SubtableWidget()


_register_late()


@functools.cache
def _formula_widget(result: str) -> Widget:
    """The formula widget of a result type: that type's filter control and alignment."""
    inner = WIDGETS[result]
    cls: type[Widget] = type(f"Formula{result.title()}Widget", (FormulaWidget,),
                             {"filter": inner.filter, "numeric": inner.numeric})
    return cls()


def widget_for(field: Field) -> Widget:
    return WIDGETS.get(field.type, FALLBACK).for_field(field)


def type_choices() -> list[tuple[str, str]]:
    """(key, label) of every field type, in the registry's order, for the field designer."""
    return [(key, str(ftype.label)) for key, ftype in REGISTRY.items()]


def editor_spec(field: Field, locked: bool = False) -> str:
    """The grid column's inline editor as JSON for a data- attribute (read by js/grid/core.js);
    none for a type nobody writes or a field a rule makes read-only for this user (`locked`)."""
    widget = widget_for(field)
    editable = not locked and (REGISTRY[field.type].writable if field.type in REGISTRY else False)
    return json.dumps({"kind": widget.editor if editable else "none",
                       "choices": widget.editor_choices(field), "numeric": widget.numeric,
                       "inputmode": widget.inputmode,
                       "picker": widget.picker_url(field) if editable else ""},
                      ensure_ascii=False)


def safe_show(field: Field, value: Any, names: Names) -> SafeString:
    """show() for values that may predate a type change (history): never fails, always escaped."""
    if value is None:
        return EMPTY
    try:
        return widget_for(field).show(field, value, names)
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return format_html("{}", text)
