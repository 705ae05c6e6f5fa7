"""The record form's layout as the form and the printout read it (see
daicho.services.form_layout for where it is kept and how it is written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema

WIDTHS = ("full", "half", "third")
COLUMNS = (1, 2, 3)


@dataclass
class Placed:
    """A field where the form puts it: its help text and how many of the six tracks it spans."""

    field: Field
    help: str
    span: int


@dataclass
class Section:
    title: str
    columns: int
    items: list[Placed] = field(default_factory=list)


SPANS = {"full": 6, "half": 3, "third": 2}


def entries(schema: LedgerSchema) -> dict[str, dict[str, Any]]:
    settings_ = schema.ledger.settings if isinstance(schema.ledger.settings, dict) else {}
    form = settings_.get("form") if isinstance(settings_.get("form"), dict) else {}
    found = form.get("fields") if isinstance(form, dict) else None
    return {k: v for k, v in (found or {}).items() if isinstance(v, dict)}


def sections(schema: LedgerSchema) -> list[Section]:
    """The fields this user sees (`schema.fields`), grouped into sections.

    Sections are cut along every field, so a section starting at a field hidden from the user
    still holds its other fields; the fields before the first section form an untitled
    one-column section, and a section left without a field the user sees is left out."""
    layout = entries(schema)
    out = [Section("", 1)]
    for f in schema.full.fields:
        entry = layout.get(f.code, {})
        start = entry.get("section")
        if isinstance(start, dict):
            columns = start.get("columns")
            out.append(Section(str(start.get("title", "")),
                               columns if isinstance(columns, int) and columns in COLUMNS else 1))
        if f.code not in schema.by_code:
            continue
        current = out[-1]
        span = SPANS.get(entry.get("width", ""), 6 // current.columns)
        current.items.append(Placed(schema.by_code[f.code], str(entry.get("help", "")), span))
    return [s for s in out if s.items]
