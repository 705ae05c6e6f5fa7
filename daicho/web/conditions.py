"""What the permission screen's condition builder offers (docs/permissions.md, "Screens"): per
field its operators, in a fixed order, and the values a condition picks from. Everything comes
from the field's type (`operators`, `condition_values`, `storage`), so a new type needs nothing
here; the builder writes the stored syntax `CODE:OP:VALUE` that `parse_filter` reads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext

from daicho.selectors.ledgers import LedgerSchema

OPERATOR_ORDER = ("eq", "ne", "contains", "startswith", "lt", "le", "gt", "ge", "in", "empty",
                  "notempty")
# What the value input is for a storage kind; any other kind types text.
INPUTS = {"number": "number", "int": "number", "date": "date"}


def operator_labels() -> dict[str, str]:
    return {"eq": pgettext("condition", "equals (=)"),
            "ne": pgettext("condition", "does not equal (≠)"),
            "contains": pgettext("condition", "contains"),
            "startswith": pgettext("condition", "starts with"),
            "lt": pgettext("condition", "less than / before (<)"),
            "le": pgettext("condition", "at most / on or before (≤)"),
            "gt": pgettext("condition", "greater than / after (>)"),
            "ge": pgettext("condition", "at least / on or after (≥)"),
            "in": pgettext("condition", "is one of"),
            "empty": pgettext("condition", "is empty"),
            "notempty": pgettext("condition", "is not empty")}


def builder_fields(schema: LedgerSchema) -> list[dict[str, Any]]:
    """The fields a record condition may name (the ledger's whole definition, as the rest of
    the permission screen), for the builder's script."""
    labels = operator_labels()
    found: list[dict[str, Any]] = []
    for f in schema.full.fields:
        ftype = schema.full.type_of(f)
        ops = [op for op in OPERATOR_ORDER if op in ftype.operators]
        if not ops:
            continue
        values = ftype.condition_values(f)
        found.append({"code": f.code, "name": f.name, "input": INPUTS.get(ftype.storage, "text"),
                      "ops": [[op, labels[op]] for op in ops],
                      "values": None if values is None else [list(v) for v in values]})
    return found
