"""The differences between two versions of the plan as committee staff read them: per measure
and per target the fields that changed, labelled in their language, old → new, with added and
removed entries marked; and the same in sentences. The changes themselves come from
daicho.plan.revisions.compare()."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from daicho.plan import data, kpi
from daicho.plan.revisions import Comparison

# The snapshot's keys (daicho.plan.revisions.MEASURE_KEYS and the targets), in the seed's order.
LABELS: dict[str, Promise] = {
    "title": pgettext_lazy("plan version", "Measure"),
    "division": pgettext_lazy("plan version", "Category"),
    "target": pgettext_lazy("plan version", "Target systems"),
    "schedule": pgettext_lazy("plan version", "Schedule"),
    "note": pgettext_lazy("plan version", "Remarks"),
    "agenda": pgettext_lazy("plan version", "Committee agenda"),
    "qualitative": pgettext_lazy("plan version", "Qualitative targets"),
    "quantitative": pgettext_lazy("plan version", "Quantitative targets"),
    "goal": pgettext_lazy("plan version", "Target (the plan's wording)"),
    "targets": pgettext_lazy("plan version", "Target value"),
}
ORDER = list(LABELS)
KINDS = {"measures": pgettext_lazy("plan version kind", "Measure"),
         "targets": pgettext_lazy("plan version kind", "KPI")}
QUOTE_MAX = 60  # characters of a long text quoted in a sentence; the table shows all of it


@dataclass
class Row:
    path: str  # title, schedule.2021, targets.2022 …
    label: str
    old: str | None  # None: empty
    new: str | None


@dataclass
class Entry:
    """One measure or target that differs."""

    kind: str  # measures | targets
    key: str  # the measure's code or the KPI's name
    name: str  # "B-i 自治体クラウドの導入" or the KPI's name
    state: str  # changed | added | removed
    rows: list[Row] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


def _text(value: Any, subfield: str | None) -> str | None:
    if value is None or value == "":
        return None
    if subfield and subfield.isdigit() and isinstance(value, str) and value in data.LEGEND:
        return f"{value} {data.LEGEND[value]}"  # a schedule symbol and what it means
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _label(path: str) -> str:
    name, _dot, sub = path.partition(".")
    label = str(LABELS.get(name, name))
    if sub.isdigit():
        return f"{label} {kpi.plan_label(int(sub))}"
    return f"{label} {sub}" if sub else label


def _order(path: str) -> tuple[int, str]:
    name, _dot, sub = path.partition(".")
    return (ORDER.index(name) if name in ORDER else len(ORDER), sub)


def _paths(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    """A whole measure or target as (path, value) pairs, as the changes name them."""
    out: list[tuple[str, Any]] = []
    for name, value in entry.items():
        if isinstance(value, dict):
            out += [(f"{name}.{sub}", v) for sub, v in value.items()]
        else:
            out.append((name, value))
    return out


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "…"


def _sentence(what: str, row: Row) -> str:
    values = {"what": what, "field": row.label}
    if row.old is None:
        return _("%(what)s: %(field)s was set to 「%(new)s」.") % {
            **values, "new": _quote(row.new or "")}
    if row.new is None:
        return _("%(what)s: %(field)s was emptied (it was 「%(old)s」).") % {
            **values, "old": _quote(row.old)}
    return _("%(what)s: %(field)s changed from 「%(old)s」 to 「%(new)s」.") % {
        **values, "old": _quote(row.old), "new": _quote(row.new)}


def _name(kind: str, key: str, comparison: Comparison) -> str:
    if kind != "measures":
        return key
    found = (comparison.new.get("measures") or {}).get(key) or \
        (comparison.old.get("measures") or {}).get(key) or {}
    title = found.get("title") if isinstance(found, dict) else None
    return f"{key} {title}" if title else key


def entries(comparison: Comparison) -> list[Entry]:
    """The changes grouped per measure and target, in the order compare() lists them."""
    out: dict[tuple[str, str], Entry] = {}
    for change in comparison.changes:
        kind, key = str(change["kind"]), str(change["key"])
        entry = out.get((kind, key))
        if entry is None:
            state = "added" if change["old"] is None and change["field"] is None else \
                "removed" if change["new"] is None and change["field"] is None else "changed"
            entry = out[(kind, key)] = Entry(kind, key, _name(kind, key, comparison), state)
        if change["field"] is None:
            whole = change["new"] if entry.state == "added" else change["old"]
            pairs = _paths(whole if isinstance(whole, dict) else {})
            for path, value in pairs:
                text = _text(value, path.partition(".")[2])
                if text is not None:
                    entry.rows.append(Row(path, _label(path), None if entry.state == "added" else text,
                                          text if entry.state == "added" else None))
        else:
            path = str(change["field"])
            sub = path.partition(".")[2]
            entry.rows.append(Row(path, _label(path), _text(change["old"], sub),
                                  _text(change["new"], sub)))
    for entry in out.values():
        entry.rows.sort(key=lambda r: _order(r.path))
        kind = str(KINDS.get(entry.kind, entry.kind))
        what = f"{kind} {entry.name}"
        if entry.state == "added":
            entry.sentences = [_("%(what)s was added.") % {"what": what}]
        elif entry.state == "removed":
            entry.sentences = [_("%(what)s was removed.") % {"what": what}]
        else:
            entry.sentences = [_sentence(what, row) for row in entry.rows]
    return list(out.values())
