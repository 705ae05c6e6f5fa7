"""format_html and format_html_join without Django's lazy-string wrappers.

Django's versions escape each argument through `keep_lazy` machinery that, on a grid page of 50
rows × 12 columns, cost more than the database query. These give the same output: an argument
with `__html__` (already safe) is inserted as is, anything else as `html.escape(str(arg))` —
which is what `django.utils.html.escape` does. The result is a SafeString made directly:
`mark_safe` goes through the same `keep_lazy` wrapper (a third of a 1,000-row page's time in
these two functions).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.safestring import SafeString


def _safe(arg: Any) -> str:
    if type(arg) is str:  # by far the most common: a value from the database, never safe already
        return escape(arg)
    html = getattr(arg, "__html__", None)
    return str(html()) if html is not None else escape(str(arg))


def format_html(template: str, *args: Any) -> SafeString:
    return SafeString(template.format(*map(_safe, args)))  # every argument escaped above


def format_html_join(sep: str, template: str, args: Iterable[Iterable[Any]]) -> SafeString:
    return SafeString(sep.join(template.format(*map(_safe, a)) for a in args))
