"""A field type's clean_column (an import's fast path) agrees with clean() value by value:
whenever it answers, it gives what cleaning each value would, and it leaves every column with a
value that clean() changes or refuses to the per-value path."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

if "DJANGO_SETTINGS_MODULE" not in os.environ:  # field types need Django's settings
    pytest.skip("runs the field types through Django", allow_module_level=True)

from daicho.errors import FieldValueError
from daicho.fields import field_type
from daicho.fields.context import ValueContext
from daicho.models import Field


def _per_value(type_key: str, field: Field, values: list[Any]) -> list[Any] | None:
    ftype, ctx = field_type(type_key), ValueContext()
    try:
        return [None if v is None else ftype.clean(field, v, ctx) for v in values]
    except FieldValueError:
        return None


def _agrees(type_key: str, options: dict[str, Any], values: list[Any]) -> None:
    field = Field(code="f", name="f", type=type_key, column="c", options=options)
    fast = field_type(type_key).clean_column(field, values, ValueContext())
    if fast is None:
        return  # the importer cleans them one by one
    slow = _per_value(type_key, field, values)
    assert slow is not None, values  # the fast path never accepts what clean() refuses
    assert fast == slow and [type(v) for v in fast] == [type(v) for v in slow]
    assert [str(v) for v in fast] == [str(v) for v in slow]  # the same places (1.50, not 1.5)


texts = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["土地", " ", "", "a\tb",
                                                                  "改行\nあり", "\u3000全角"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=8), st.sampled_from([{}, {"max_length": 3}]))
def test_text_columns(values: list[Any], options: dict[str, Any]) -> None:
    _agrees("text", options, values)
    _agrees("textarea", options, values)


numbers = st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True, places=None),
                    st.decimals(min_value=-10**20, max_value=10**20, places=3),
                    st.sampled_from([Decimal("1.5"), Decimal("100"), Decimal("1E+20"),
                                     Decimal("123456789012345.6"), Decimal("-0.00")]))


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, max_size=8), st.integers(min_value=0, max_value=4))
def test_number_columns(values: list[Any], decimals: int) -> None:
    _agrees("number", {"decimals": decimals}, values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates()), max_size=8),
       st.sampled_from([{}, {"precision": "month"}]))
def test_date_columns(values: list[Any], options: dict[str, Any]) -> None:
    _agrees("date", options, values)


def test_the_fast_path_answers_for_plain_columns() -> None:
    cases: list[tuple[str, dict[str, Any], list[Any]]] = [
        ("text", {}, ["土地", None, "建物"]),
        ("number", {"decimals": 2}, [Decimal("1.5"), None, Decimal("2.25")]),
        ("date", {"precision": "month"}, [dt.date(2024, 4, 15), None]),
    ]
    for type_key, options, values in cases:
        field = Field(code="f", name="f", type=type_key, column="c", options=options)
        assert field_type(type_key).clean_column(field, values, ValueContext()) is not None
        _agrees(type_key, options, values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates()), max_size=8))
def test_column_forms_are_params_and_search_texts(values: list[Any]) -> None:
    """A type's column_forms (both forms of an import's column at once) are its to_params and
    search_texts."""
    ctx = ValueContext()
    for type_key in ("date", "text", "number"):
        column = values if type_key == "date" else [
            None if v is None else (v.isoformat() if type_key == "text" else Decimal(v.day))
            for v in values]
        field = Field(code="f", name="f", type=type_key, column="c", options={})
        ftype = field_type(type_key)
        assert ftype.column_forms(field, column, ctx) == (
            ftype.to_params(column), ftype.search_texts(field, column, ctx))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=8))
def test_text_search_texts_are_search_text_value_by_value(values: list[Any]) -> None:
    """The text types' search_texts (an import's column at once) is search_text of each
    value, "" for an empty one."""
    ctx = ValueContext()
    for type_key in ("text", "textarea", "email", "url", "autonumber"):
        field = Field(code="f", name="f", type=type_key, column="c", options={})
        ftype = field_type(type_key)
        assert ftype.search_texts(field, values, ctx) == [
            "" if v is None else ftype.search_text(field, v, ctx) for v in values]
