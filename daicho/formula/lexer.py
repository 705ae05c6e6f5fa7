"""The tokens of a formula: numbers, "text", names (field codes, functions, TRUE/FALSE),
operators and punctuation, each with the 0-based character offset where it starts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from daicho.formula.errors import FormulaError

MAX_LENGTH = 4000

# Two-character operators first, so "<=" is not read as "<" then "=".
_OPERATORS = ("<=", ">=", "<>", "+", "-", "*", "/", "^", "&", "=", "<", ">", "(", ")", ",", ".")
# Full-width forms people type with a Japanese input method, read as their ASCII twins.
_WIDE = str.maketrans("（）＋－＊／＾＆＝＜＞，．　", "()+-*/^&=<>,. ")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | text | name | op | end
    value: str | Decimal
    pos: int


def _is_name_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_LENGTH:
        raise FormulaError(MAX_LENGTH, _("A formula has at most %(n)d characters.")
                           % {"n": MAX_LENGTH})
    # Same length as the source, so every offset still points at what the user typed.
    text = source.translate(_WIDE)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isascii() and ch.isdigit():
            start = i
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
            if i + 1 < n and text[i] == "." and text[i + 1].isascii() and text[i + 1].isdigit():
                i += 1
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
            tokens.append(Token("number", Decimal(text[start:i]), start))
        elif ch == '"':
            start = i
            i += 1
            parts: list[str] = []
            while True:
                end = text.find('"', i)
                if end < 0:
                    raise FormulaError(start, _("This text has no closing double quote (\")."))
                parts.append(source[i:end])
                if text[end + 1:end + 2] == '"':  # "" inside text is one double quote
                    parts.append('"')
                    i = end + 2
                    continue
                i = end + 1
                break
            tokens.append(Token("text", "".join(parts), start))
        elif _is_name_start(ch):
            start = i
            while i < n and _is_name_char(text[i]):
                i += 1
            tokens.append(Token("name", text[start:i], start))
        else:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    tokens.append(Token("op", op, i))
                    i += len(op)
                    break
            else:
                raise FormulaError(i, _("「%(char)s」 cannot be used in a formula.") % {"char": ch})
    tokens.append(Token("end", "", n))
    return tokens
