"""Search keys (daicho.textnorm): the shortcuts give the keys the full normalisation gives."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from daicho.textnorm import search_key, search_keys


def _full(text: str) -> str:
    key = unicodedata.normalize("NFKC", text.replace("\x1e", " ")).casefold()
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


def test_a_key_has_its_formulas_texts_in_a_section_of_their_own() -> None:
    from daicho.textnorm import SECTION, own_section, sectioned

    key = sectioned(search_key("本庁舎\n机"), search_key("税込110"))
    assert key == "本庁舎\n机" + SECTION + "税込110"
    assert own_section(key) == "本庁舎\n机" and sectioned("机", "") == "机"
    # No text holds the separator: it becomes a blank, and words part there.
    assert search_key("a\x1eｂ") == "a b" and search_key("庁\x1e舎") == "庁 舎"
    assert key.split() == ["本庁舎", "机", "税込110"]
