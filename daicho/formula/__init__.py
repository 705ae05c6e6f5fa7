"""The expression language of formula fields (contract §7): tokenizer, parser and evaluator
of our own, exact decimal arithmetic, Excel-like semantics. Pure: no database, no models.

    formula = compile_formula('ROUND(qty * price * 1.1)', {"qty": "number", "price": "number"})
    formula.evaluate({"qty": Decimal(3), "price": Decimal("19.8")})  # Decimal('65')
"""

from daicho.formula.compiler import Formula, compile_formula, kind_label
from daicho.formula.errors import FormulaError
from daicho.formula.functions import FUNCTIONS
from daicho.formula.values import KINDS, coerce

__all__ = ["FUNCTIONS", "KINDS", "Formula", "FormulaError", "coerce", "compile_formula",
           "kind_label"]
