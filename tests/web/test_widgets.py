"""The widget registry: every field type has a widget, and for every type a value shown in a form
and submitted unchanged reads back as the same text (so an untouched field is never sent)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.web.names import Names
from daicho.web.widgets import WIDGETS, widget_for

# type key → (options, a JSON value as the API returns it, the input's text)
SAMPLES: dict[str, tuple[dict[str, Any], Any, str]] = {
    "text": ({}, "焼津市役所", "焼津市役所"),
    "textarea": ({}, "一行目\n二行目", "一行目\n二行目"),
    "number": ({"decimals": 2, "unit": "円"}, 1234.5, "1234.50"),
    "date": ({"wareki": True}, "2019-05-01", "2019-05-01"),
    "datetime": ({}, "2024-04-01T09:30:00+09:00", "2024-04-01 09:30"),
    "yesno": ({}, True, "true"),
    "choice": ({"choices": ["土地", "建物"]}, "建物", "建物"),
    "multichoice": ({"choices": ["会議", "防災", "その他"]}, ["会議", "防災"], "会議\n防災"),
    "email": ({}, "joho@city.example.jp", "joho@city.example.jp"),
    "url": ({}, "https://www.city.example.jp/", "https://www.city.example.jp/"),
    "user": ({}, "admin", "admin"),
    "org": ({}, "120", "120"),
    "link": ({"ledger": 1}, 5, "5"),
    "file": ({}, [{"id": 3, "name": "a.pdf", "size": 10}], "3"),
    "autonumber": ({"prefix": "K-", "digits": 4}, "K-0001", "K-0001"),
    "formula": ({"expression": "qty * 2", "result": "number", "decimals": 1}, 1234.5, "1234.5"),
    "subtable": ({"fields": [{"code": "name", "name": "品名", "type": "text"},
                             {"code": "qty", "name": "数量", "type": "number"}]},
                 [{"id": 1, "name": "机", "qty": 2}], '[{"id":1,"name":"机","qty":2}]'),
    "lookup": ({"link": "dept", "field": "day", "source": {
        "ledger": 2, "type": "date", "options": {"wareki": True}}}, "2019-05-01", "2019-05-01"),
}


def _form_data(key: str, name: str, text: str) -> QueryDict:
    data = QueryDict(mutable=True)
    if key == "multichoice":
        for item in text.split("\n"):
            data.appendlist(name, item)
    elif key == "file":
        data.appendlist(name + "__kept", text)
    else:
        data[name] = text
    return data


def test_every_type_has_a_widget() -> None:
    assert set(WIDGETS) == set(REGISTRY)
    assert set(SAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_widget_round_trip(key: str) -> None:
    options, value, text = SAMPLES[key]
    field = Field(ledger_id=1, code="f", name="部品", type=key, options=options)
    widget = widget_for(field)
    assert widget.text_of(field, value) == text
    assert widget.text_of(field, None) == ""
    assert widget.submitted(field, _form_data(key, "v_f", text), "v_f") == text
    names = Names()
    names._users["admin"] = "管理者"  # no database needed for the display check
    names._orgs["120"] = "情報企画課"
    shown = str(widget.show(field, value, names))
    assert shown
    assert str(widget.show(field, None, names)) == ""
    assert widget.filter.template.startswith("web/filters/")


def test_display_formats() -> None:
    names = Names()
    number = Field(type="number", options={"decimals": 0, "unit": "円", "separator": True})
    assert str(widget_for(number).show(number, 1234567, names)) == '1,234,567<span class="unit">円</span>'
    date = Field(type="date", options={"wareki": True})
    assert "令和元年5月1日" in str(widget_for(date).show(date, "2019-05-01", names))
    month = Field(type="date", options={"precision": "month", "wareki": True})
    assert "平成31年4月" in str(widget_for(month).show(month, "2019-04-01", names))
    assert widget_for(month).to_service(month, "2019-04") == "2019-04-01"
    yes = Field(type="yesno")
    assert "✓" in str(widget_for(yes).show(yes, True, names))  # not colour alone
