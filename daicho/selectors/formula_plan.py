"""The formula plan: which formula fields a ledger has, compiled against its fields, in an order
where each comes after those it uses — and so which formulas would show a field a reader may not
see. Pure planning over a ledger's definition (no record is read), below the gate: the gate asks
`hidden_with_formulas` (daicho.access.Grant.hidden); the writers in daicho.services.formulas
compute and store the values."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields import type_for
from daicho.formula import Formula, FormulaError, compile_formula, kind_label
from daicho.models import Field
from daicho.selectors.ledgers import LedgerSchema

# The result kinds a formula's value may have for each kind of field result.
_FITS = {"number": {"number", "yesno", "any"}, "date": {"date", "any"},
         "yesno": {"yesno", "number", "any"}, "text": {"number", "text", "date", "yesno", "list",
                                                       "any"}}


@dataclass(frozen=True)
class Step:
    field: Field
    ftype: Any  # a FormulaType (for_field)
    formula: Formula


def plan(fields: Sequence[Field]) -> list[Step]:
    """The formulas of `fields`, compiled, in an order where each comes after those it uses."""
    kinds: dict[str, str] = {}
    for f in fields:
        kinds.update(type_for(f).formula_refs(f))
    steps: dict[str, Step] = {}
    for f in fields:
        ftype = type_for(f)
        if not ftype.computed:
            continue
        expression = str(f.options.get("expression", ""))
        try:
            formula = _compiled(expression, tuple(sorted(kinds.items())))
        except FormulaError as exc:
            raise _invalid(f, exc.position, exc.message) from None
        result = ftype.formula_kind(f)
        if formula.kind not in _FITS.get(result, set()):
            raise _invalid(f, 0, _("This formula gives %(kind)s, but the field's result is "
                                   "%(need)s.") % {"kind": kind_label(formula.kind),
                                                    "need": kind_label(result)})
        steps[f.code] = Step(f, ftype, formula)
    return _ordered(steps)


@functools.lru_cache(maxsize=512)
def _compiled(expression: str, kinds: tuple[tuple[str, str], ...]) -> Formula:
    return compile_formula(expression, dict(kinds))


def _invalid(f: Field, position: int, message: str) -> InvalidInput:
    return InvalidInput(_("The formula of 「%(name)s」 cannot be used: %(why)s")
                        % {"name": f.name, "why": message}, code=Code.INVALID_EXPRESSION,
                        details={"field": f.code, "position": position,
                                 "expression": str(f.options.get("expression", ""))[:4000]})


def _ordered(steps: dict[str, Step]) -> list[Step]:
    order: list[Step] = []
    state: dict[str, int] = {}  # 1: on the path, 2: placed

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            cycle = path[path.index(code):]
            names = " → ".join(steps[c].field.name for c in [*cycle, code])
            raise InvalidInput(_("These formulas use each other in a circle: %(names)s")
                               % {"names": names}, code=Code.FORMULA_CYCLE,
                               details={"fields": cycle})
        state[code] = 1
        for ref in sorted(steps[code].formula.refs):
            if ref in steps:
                visit(ref, [*path, code])
        state[code] = 2
        order.append(steps[code])

    for code in steps:
        visit(code, [])
    return order


def schema_plan(schema: LedgerSchema) -> list[Step]:
    """plan() of a schema's (whole) fields, kept on the schema object for its lifetime."""
    full = schema.full
    found: list[Step] | None = full.__dict__.get("_formula_plan")
    if found is None:
        fields = list(full.fields)
        while True:
            try:
                found = plan(fields)
                break
            except InvalidInput as exc:
                # A definition that no longer holds (the checks refuse making one; a field
                # restored from before could bring one back): that formula keeps its stored
                # values, the others go on.
                broken = set(exc.details.get("fields") or [exc.details.get("field")])
                kept = [f for f in fields if f.code not in broken]
                if len(kept) == len(fields):
                    found = []
                    break
                fields = kept
        full.__dict__["_formula_plan"] = found
    return found


def hidden_with_formulas(schema: LedgerSchema, hidden: frozenset[str]) -> frozenset[str]:
    """`hidden` (field codes a user may not see) and every formula field that uses one of
    them, directly or through another formula: its value would show what the user may not
    see (daicho.access.Grant.hidden)."""
    out = set(hidden)
    for step in schema_plan(schema):  # those it uses come first
        if any(ref.split(".")[0] in out for ref in step.formula.refs):
            out.add(step.field.code)
    return frozenset(out)
