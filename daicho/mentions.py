"""Finding @mentions in a comment's text (docs/api.md, "Comments").

A mention is `@` (or the full-width `＠`) followed by a user's login or display name. Japanese
text puts no blank around a name (「@山田太郎さん、確認お願いします」), so the rule is the
longest match: among every login and name that the text after the `@` begins with, the longest
wins. A login must end where a word does (`@tanaka2` is not `@tanaka`, `@tanaka。` is); a name
may be followed by anything. A name is also matched without its blanks (`山田 太郎` as
`@山田太郎`). Logins compare without case. An `@` right after a letter or digit is not a
mention, so mail addresses (`info@example.jp`) stay text.

This module only finds who the text names; which of them may be mentioned (may view the record,
unambiguous) is decided by daicho.services.comments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MARKS = ("@", "＠")
MAX_MARKS = 100  # a text with more @ than this has its first 100 looked at
_WORD_AFTER = re.compile(r"[A-Za-z0-9_]")
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class Person:
    uid: int
    login: str
    name: str


@dataclass(frozen=True)
class Found:
    """The text from `start` (the `@`) to `end` names the users `uids` (several when they share
    the name)."""

    start: int
    end: int
    uids: frozenset[int]


class Directory:
    """Every login and name variant of `people`, indexed by first character (folded)."""

    def __init__(self, people: Iterable[Person]) -> None:
        self._by_first: dict[str, list[tuple[str, bool, int]]] = {}
        for person in people:
            variants = {(person.login.casefold(), True)}
            name = unicodedata.normalize("NFC", person.name or "").strip()
            if name:
                variants |= {(name.casefold(), False), (_BLANKS.sub("", name).casefold(), False)}
            for text, is_login in variants:
                if text:
                    self._by_first.setdefault(text[0], []).append((text, is_login, person.uid))

    def longest_at(self, folded: str, pos: int) -> tuple[int, frozenset[int]]:
        """The length of the longest login or name that `folded` holds at `pos`, and whose it
        is; (0, {}) when none."""
        best, uids = 0, set[int]()
        for text, is_login, uid in self._by_first.get(folded[pos:pos + 1], ()):
            end = pos + len(text)
            if len(text) < best or not folded.startswith(text, pos):
                continue
            if is_login and _WORD_AFTER.match(folded, end):
                continue
            if len(text) > best:
                best, uids = len(text), set()
            uids.add(uid)
        return best, frozenset(uids)


def find(text: str, directory: Directory) -> list[Found]:
    """Every mention in `text`, in order. Offsets are those of `text` itself."""
    folded = _fold(text)
    found: list[Found] = []
    seen = 0
    pos = 0
    while seen < MAX_MARKS:
        pos = _next_mark(text, pos)
        if pos < 0:
            break
        seen += 1
        if pos and text[pos - 1].isascii() and text[pos - 1].isalnum():
            pos += 1
            continue
        length, uids = directory.longest_at(folded, pos + 1)
        if length:
            found.append(Found(pos, pos + 1 + length, uids))
            pos += 1 + length
        else:
            pos += 1
    return found


def _next_mark(text: str, start: int) -> int:
    hits = [i for i in (text.find(mark, start) for mark in MARKS) if i >= 0]
    return min(hits) if hits else -1


def _fold(text: str) -> str:
    """casefold, character by character, so that offsets stay those of `text` (casefold may
    lengthen a character, e.g. ß → ss; such a character is kept as it is)."""
    return "".join(c if len(f := c.casefold()) != 1 else f for c in text)
