"""Search keys (daicho.textnorm): the shortcuts give the keys the full normalisation gives."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from daicho.textnorm import search_key, search_keys


def _full(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).casefold()
    return re.sub("[\u30a1-\u30f6]", lambda m: chr(ord(m.group()) - 0x60), key)


@given(st.text())
def test_search_key_is_the_full_normalisation(text: str) -> None:
    assert search_key(text) == _full(text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_keys(text: str) -> None:
    assert search_key(text) == _full(text)


@given(st.lists(st.text(alphabet="aZ09-./:ｶﾞガあ１Ａ\n ")))
def test_search_keys_key_each_text(texts: list[str]) -> None:
    assert search_keys(texts) == [_full(t) for t in texts]


def test_examples() -> None:
    assert search_key("ﾄｳｷｮｳ") == "とうきょう"
    assert search_key("ＡＢＣ１２３") == "abc123"
    assert search_key("ABC-123") == "abc-123"
    assert search_key("4月〜6月") == "4月〜6月"
