"""Parse a formula and compile it into nested Python closures (never eval), checking kinds
where the fields tell them: "a" * 2 is refused here, with the position of the culprit.

Grammar, loosest first (as Excel): comparison (= <> < <= > >=), & (join text), + -, * /, ^,
unary - +; ^ and the others associate to the left, and unary minus binds tighter than ^
(-2^2 = 4, as in Excel)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from daicho.formula import values as v
from daicho.formula.errors import FormulaError
from daicho.formula.functions import FUNCTIONS
from daicho.formula.lexer import Token, tokenize
from daicho.formula.values import Bad

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]
MAX_DEPTH = 60

_COMPARE = ("=", "<>", "<", "<=", ">", ">=")
# What each parameter kind accepts (a kind the compiler cannot know, "any", passes always).
_ACCEPTS = {
    "number": {"number", "yesno"},
    "yesno": {"yesno", "number"},
    "date": {"date", "text"},
    "text": {"number", "text", "date", "yesno", "list"},
    "list": {"number", "yesno", "date", "list"},
    "unit": {"text"},
    "any": {"number", "text", "date", "yesno", "list"},
}


def kind_label(kind: str) -> str:
    return {
        "number": pgettext("formula kind", "a number"),
        "text": pgettext("formula kind", "text"),
        "date": pgettext("formula kind", "a date"),
        "yesno": pgettext("formula kind", "yes/no"),
        "list": pgettext("formula kind", "a column of detail rows"),
    }.get(kind, pgettext("formula kind", "a value"))


@dataclass(frozen=True)
class Node:
    fn: Fn
    kind: str
    pos: int
    const: Any = None  # the value of a text or number literal
    literal: bool = False


@dataclass(frozen=True)
class Formula:
    """A compiled formula: evaluate(values by field code) gives its value or None."""

    source: str
    kind: str
    refs: frozenset[str]
    _fn: Fn

    def evaluate(self, env: Env) -> Any:
        try:
            return self._fn(env)
        except (Bad, ArithmeticError, ValueError, OverflowError, RecursionError):
            return None


def compile_formula(source: str, fields: Mapping[str, str]) -> Formula:
    """`fields`: field code (or `table.column` of a detail table) → its kind (values.KINDS).
    Raises FormulaError with the 0-based offset of the problem."""
    if not isinstance(source, str) or not source.strip():
        raise FormulaError(0, _("Enter a formula."))
    parser = _Parser(tokenize(source), fields)
    node = parser.expression(0)
    parser.expect_end()
    return Formula(source, node.kind, frozenset(parser.refs), node.fn)


class _Parser:
    def __init__(self, tokens: list[Token], fields: Mapping[str, str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.fields = fields
        self.refs: set[str] = set()

    # -- tokens ---------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def unexpected(self) -> FormulaError:
        tok = self.tok
        if tok.kind == "end":
            return FormulaError(tok.pos, _("The formula ends too early; something is missing."))
        shown = tok.value if tok.kind != "text" else f'"{tok.value}"'
        return FormulaError(tok.pos, _("「%(token)s」 is not expected here.") % {"token": shown})

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            raise self.unexpected()

    # -- grammar --------------------------------------------------------------------------------
    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise FormulaError(self.tok.pos, _("The formula is nested too deeply."))
        left = self.concat(depth)
        while self.at(*_COMPARE):
            op = str(self.take().value)
            right = self.concat(depth)
            self.check(left, "any", comparing=True)
            self.check(right, "any", comparing=True)
            left = _binary(functools.partial(v.compare, op), left, right, "yesno")
        return left

    def concat(self, depth: int) -> Node:
        left = self.additive(depth)
        while self.at("&"):
            self.take()
            right = self.additive(depth)
            left = _binary(v.concat, left, right, "text")
        return left

    def additive(self, depth: int) -> Node:
        left = self.term(depth)
        while self.at("+", "-"):
            op = self.take().value
            right = self.term(depth)
            for side in (left, right):
                if side.kind in ("text", "list"):
                    raise self.kind_error(side, "number")
            kinds = (left.kind, right.kind)
            if op == "+":
                if kinds == ("date", "date"):
                    raise self.kind_error(right, "number")
                kind = "date" if "date" in kinds else "any" if "any" in kinds else "number"
                left = _binary(v.add, left, right, kind)
            else:
                if right.kind == "date" and left.kind != "date":
                    raise self.kind_error(right, "number")
                kind = ("number" if kinds == ("date", "date") else "date" if left.kind == "date"
                        else "any" if "any" in kinds else "number")
                left = _binary(v.subtract, left, right, kind)
        return left

    def term(self, depth: int) -> Node:
        left = self.power(depth)
        while self.at("*", "/"):
            op = self.take().value
            right = self.power(depth)
            self.check(left, "number")
            self.check(right, "number")
            left = _binary(v.multiply if op == "*" else v.divide, left, right, "number")
        return left

    def power(self, depth: int) -> Node:
        left = self.unary(depth)
        while self.at("^"):
            self.take()
            right = self.unary(depth)
            self.check(left, "number")
            self.check(right, "number")
            left = _binary(v.power, left, right, "number")
        return left

    def unary(self, depth: int) -> Node:
        if self.at("-", "+"):
            if depth > MAX_DEPTH:
                raise FormulaError(self.tok.pos, _("The formula is nested too deeply."))
            tok = self.take()
            operand = self.unary(depth + 1)
            self.check(operand, "number")
            if tok.value == "+":
                return Node(operand.fn, "number", tok.pos)
            inner = operand.fn
            return Node(lambda env: v.CONTEXT.minus(v.number(inner(env))), "number", tok.pos)
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            number = tok.value
            return Node(lambda env: number, "number", tok.pos, number, True)
        if tok.kind == "text":
            self.take()
            text = tok.value
            return Node(lambda env: text, "text", tok.pos, text, True)
        if self.at("("):
            self.take()
            node = self.expression(depth + 1)
            if not self.at(")"):
                if self.tok.kind == "end":
                    raise FormulaError(self.tok.pos, _("A closing parenthesis ) is missing."))
                raise self.unexpected()
            self.take()
            return Node(node.fn, node.kind, tok.pos, node.const, node.literal)
        if tok.kind == "name":
            self.take()
            if self.at("("):
                return self.call(tok, depth)
            return self.name(tok)
        raise self.unexpected()

    def name(self, tok: Token) -> Node:
        name = str(tok.value)
        upper = name.upper()
        if upper in ("TRUE", "FALSE") and name not in self.fields:
            flag = upper == "TRUE"
            return Node(lambda env: flag, "yesno", tok.pos)
        code = name
        if self.at(".") and self.tokens[self.i + 1].kind == "name":
            self.take()
            code = f"{name}.{self.take().value}"
        kind = self.fields.get(code)
        if kind is None:
            raise FormulaError(tok.pos, _("There is no field with the code 「%(code)s」 in this "
                                          "ledger.") % {"code": code})
        self.refs.add(code)
        get = _getter(code)
        return Node(get, kind, tok.pos)

    def call(self, tok: Token, depth: int) -> Node:
        name = str(tok.value).upper()
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise FormulaError(tok.pos, _("There is no function 「%(name)s」.")
                               % {"name": tok.value})
        self.take()  # (
        args: list[Node] = []
        if not self.at(")"):
            while True:
                args.append(self.expression(depth + 1))
                if self.at(","):
                    self.take()
                    continue
                break
        if not self.at(")"):
            if self.tok.kind == "end":
                raise FormulaError(self.tok.pos, _("A closing parenthesis ) is missing."))
            raise self.unexpected()
        self.take()
        self.check_count(tok, name, len(args), spec.low, spec.high)
        for n, arg in enumerate(args):
            param = spec.param(n)
            self.check(arg, param)
            if param == "unit" and arg.literal and not any(
                    str(arg.const).strip().casefold() == u.casefold() for u in spec.units):
                raise FormulaError(arg.pos, _("Use one of %(units)s here.")
                                   % {"units": "、".join(f'"{u}"' for u in spec.units)})
        kind = _result_kind(spec.result, name, args)
        fns = [a.fn for a in args]
        impl = spec.impl
        if spec.lazy:
            def lazy(env: Env) -> Any:
                return impl(*[functools.partial(f, env) for f in fns])
            return Node(lazy, kind, tok.pos)

        def eager(env: Env) -> Any:
            return impl(*[f(env) for f in fns])
        return Node(eager, kind, tok.pos)

    # -- checks ---------------------------------------------------------------------------------
    def check(self, node: Node, need: str, comparing: bool = False) -> None:
        if comparing:
            if node.kind == "list":
                raise self.kind_error(node, "any")
            return
        if node.kind != "any" and need != "any" and node.kind not in _ACCEPTS[need]:
            raise self.kind_error(node, need)

    def kind_error(self, node: Node, need: str) -> FormulaError:
        return FormulaError(node.pos, _("Here %(need)s is needed, but this is %(kind)s.")
                            % {"need": kind_label("text" if need == "unit" else need),
                               "kind": kind_label(node.kind)})

    def check_count(self, tok: Token, name: str, count: int, low: int, high: int | None) -> None:
        if low <= count and (high is None or count <= high):
            return
        if high is None:
            message = _("%(name)s takes at least %(low)d arguments.")
        elif low == high:
            message = _("%(name)s takes %(low)d arguments.")
        else:
            message = _("%(name)s takes from %(low)d to %(high)d arguments.")
        raise FormulaError(tok.pos, message % {"name": name, "low": low, "high": high or 0})


def _getter(code: str) -> Fn:
    def get(env: Env) -> Any:
        return env.get(code)
    return get


def _binary(op: Callable[[Any, Any], Any], left: Node, right: Node, kind: str) -> Node:
    lf, rf = left.fn, right.fn
    return Node(lambda env: op(lf(env), rf(env)), kind, left.pos)


def _result_kind(result: str, name: str, args: list[Node]) -> str:
    if result != "same":
        return result
    kinds = {a.kind for a in (args[1:] if name == "IF" else args)}
    if name == "IF" and len(args) == 2:
        kinds.add(args[1].kind)
    if name in ("MIN", "MAX"):
        return "date" if kinds == {"date"} else "any" if "date" in kinds or "any" in kinds \
            else "number"
    return kinds.pop() if len(kinds) == 1 else "any"


