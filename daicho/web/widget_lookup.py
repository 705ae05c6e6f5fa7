"""The lookup field's widget: the looked-up field's widget, read-only. Registered by
daicho.web.widgets at its end (import that module, not this one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.safestring import SafeString

from daicho.fields.lookup import source_field
from daicho.models import Field
from daicho.web.widgets import FALLBACK, WIDGETS, Widget

if TYPE_CHECKING:
    from daicho.web.names import Names


class LookupWidget(Widget):
    """Shown as the looked-up field shows its value (with that field's options), never edited;
    filtered as that field is."""

    key = "lookup"
    template = "web/widgets/readonly.html"
    editor = "none"
    options_template = "web/options/lookup.html"

    @staticmethod
    def _inner(field: Field) -> tuple[Widget, Field]:
        source = source_field(field)
        if source is None:
            return FALLBACK, field
        return WIDGETS.get(source.type, FALLBACK).for_field(source), source

    def for_field(self, field: Field) -> Widget:
        inner, _source = self._inner(field)
        return self if inner is FALLBACK else _variant(type(inner), inner)

    def show(self, field: Field, value: Any, names: Names) -> SafeString:
        inner, source = self._inner(field)
        return inner.show(source, value, names)

    def text_of(self, field: Field, value: Any) -> str:
        inner, source = self._inner(field)
        return inner.text_of(source, value)

    def options_from(self, data: QueryDict, prefix: str) -> dict[str, Any]:
        link, _sep, looked_up = data.get(prefix + "pair", "").partition(":")
        out: dict[str, Any] = {"link": link, "field": looked_up}
        if data.get(prefix + "copy"):
            out["copy"] = True
        return out


_VARIANTS: dict[type[Widget], Widget] = {}


def _variant(kind: type[Widget], inner: Widget) -> Widget:
    """The lookup widget with the looked-up widget's filter control and alignment."""
    found = _VARIANTS.get(kind)
    if found is None:
        found = _VARIANTS[kind] = type(f"Lookup{kind.__name__}", (LookupWidget,), {
            "filter": inner.filter, "numeric": inner.numeric})()
    return found
