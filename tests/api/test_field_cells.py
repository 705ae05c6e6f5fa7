"""Issue 18 (1–3): each field type names how an import reads its cells (`import_kind`,
`parse_value`) and how an export writes them (`export_kind`); the importer and the exporters keep
no table of field types. Registry-wide, so a new type must name both."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daicho.exporting.columns import KINDS
from daicho.fields import REGISTRY, type_for
from daicho.importing.infer import PROPOSED
from daicho.importing.values import IMPORT_KINDS
from tests.api.test_field_registry import SAMPLES
from tests.conftest import ApiClient, make_ledger
from tests.exporting.conftest import xlsx_part


def test_every_type_names_its_import_and_export_kind() -> None:
    from daicho.fields.formula import RESULTS
    from daicho.models import Field

    for key, ftype in REGISTRY.items():
        # Declared on the type (the base class gives no default), and a kind the packages have.
        assert getattr(ftype, "import_kind", "missing") in IMPORT_KINDS | {None}, key
        assert getattr(ftype, "export_kind", "missing") in KINDS, key
        if not ftype.writable:
            assert ftype.import_kind is None, key  # an import leaves the column out
    for result in RESULTS:  # a formula is written as its result is
        formula = type_for(Field(type="formula", options={"expression": "1", "result": result}))
        assert formula.export_kind == RESULTS[result].export_kind, result
        assert formula.import_kind is None, result


def test_every_type_the_importer_proposes_reads_its_cells() -> None:
    for key in PROPOSED:
        assert REGISTRY[key].import_kind is not None, key


def test_the_status_pseudo_field_is_exported_as_its_type_says(api: ApiClient) -> None:
    from daicho.selectors.ledgers import STATUS_CODE, load_schema
    from daicho.services.exports import columns_for

    led = make_ledger(api, "申請", [{"name": "品名", "type": "text", "code": "item"}])
    process = {"enabled": True, "statuses": ["未処理", "済"], "initial": "未処理",
               "actions": [{"name": "完了", "from": "未処理", "to": "済", "by": {"creator": True}}]}
    assert api.put(f"/api/v1/ledgers/{led['id']}/process", process).status == 200
    schema = load_schema(led["id"])
    assert schema is not None
    status = columns_for(schema)[-1]
    assert status.type == schema.type_of(schema.field(STATUS_CODE)).export_kind == "text"


def test_a_textarea_wraps_in_an_xlsx_export(api: ApiClient) -> None:
    """Regression: the xlsx writer wrapped "textarea" columns, but exports named a textarea's
    column by its export kind, "text", so its lines never showed."""
    led = make_ledger(api, "苦情", [{"name": "内容", "type": "textarea", "code": "body"},
                                    {"name": "件名", "type": "text", "code": "title"}])
    url = f"/api/v1/ledgers/{led['id']}/records"
    assert api.post(url, {"values": {"body": "一行目\n二行目", "title": "道路"}}).status == 201
    resp = api.client.get(f"/api/v1/ledgers/{led['id']}/export", {"format": "xlsx"})
    assert resp.status_code == 200
    data = b"".join(resp.streaming_content)  # type: ignore[attr-defined]
    sheet = xlsx_part(data, "xl/worksheets/sheet1.xml")
    styles = xlsx_part(data, "xl/styles.xml")
    body = re.search(r'<c r="A2" s="(\d+)" t="inlineStr">', sheet)
    assert body is not None, sheet
    cell_formats = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert cell_formats is not None
    xfs = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", cell_formats.group(1), re.S)
    assert 'wrapText="1"' in xfs[int(body.group(1))]
    assert re.search(r'<c r="B2" t="inlineStr">', sheet)  # a one-line text is not wrapped


# ----------------------------------------------- clean(parse_value(cell)) == clean(cell)
#
# What an import makes of a cell (the type's parse_value) is what the API makes of the same
# input: wherever both take a cell, clean() gives the same value. The importer may refuse what
# clean() takes ("0012" may be a code, not a number; "20240401" a code, not a date) and take
# what clean() refuses ("△1,000", "-"): those are not compared. A text cell is the same input
# on both paths; a spreadsheet's own number, date or yes/no is compared where the type reads one
# (the value kinds below) — a text type reads it as the text the cell shows ("12" for 12.0),
# which a JSON number is not.
VALUE_KINDS = frozenset({"number", "date", "datetime", "yesno"})

# Cells as the readers give them: text stripped (empty text is None), spreadsheet numbers,
# booleans, dates and times; and texts each type takes.
WORDS = ["焼津市役所", "一行目\n二行目", "１，２３４.５", "1,000", "△1,000", "12.345", "0012", "-",
         "x", "2024/4/1", "R6.4.1", "令和6年4月1日", "2024-04-01T09:30:00+09:00", "2024/4/1 9:30",
         "○", "有り", "いいえ", "TRUE", "1", "0", "建物", "池", "防災、会議", "会議", "20240401",
         "joho@city.example.jp", "https://www.city.example.jp/", "admin", "120", "K-0001"]
TEXTS = st.one_of(st.sampled_from(WORDS), st.text(max_size=24).map(str.strip).filter(bool))
NATIVES = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False),
    st.booleans(),
    st.dates(min_value=dt.date(1868, 1, 1), max_value=dt.date(2200, 12, 31)),
    st.datetimes(min_value=dt.datetime(1868, 1, 2), max_value=dt.datetime(2200, 12, 30),
                 timezones=st.sampled_from([None, dt.UTC])),
    st.times(),
)
NATIVE_EXAMPLES = [12, 12.0, 0.5, 1, 0, Decimal("1.50"), True, False, dt.date(2024, 4, 1),
                   dt.datetime(2024, 4, 1, 9, 30), dt.time(9, 30)]


@pytest.fixture
def every_type(api: ApiClient) -> list[tuple[Any, Any]]:
    """A ledger with a field of every type (the registry tests' samples): (field, type)."""
    from daicho.models import Org
    from daicho.selectors.ledgers import load_schema

    Org.objects.get_or_create(code="120", defaults={"name": "情報企画課"})
    target = make_ledger(api, "リンク先")
    api.post(f"/api/v1/ledgers/{target['id']}/records", {"values": {"name": "庁舎"}})
    fields = []
    for key, (options, *_rest) in SAMPLES.items():
        opts = {**options, "ledger": target["id"]} if key == "link" else dict(options)
        fields.append({"name": f"項目 {key}", "type": key, "code": f"c_{key}", "options": opts})
    led = make_ledger(api, "全部品", fields)
    schema = load_schema(led["id"])
    assert schema is not None
    typed = [(f, schema.type_of(f)) for f in schema.fields if f.type in REGISTRY]
    assert {f.type for f, _t in typed} == set(REGISTRY)
    return typed


def _same_as_clean(f: Any, ftype: Any, cell: Any) -> int:
    """1 when both paths took the cell and agree, 0 when one of them refused it."""
    from daicho.errors import FieldValueError
    from daicho.fields.context import ValueContext
    from daicho.importing import ValueParseError

    if type(cell) is not str and ftype.import_kind not in VALUE_KINDS:
        return 0
    ctx = ValueContext()
    try:
        direct = ftype.clean(f, cell, ctx)
        parsed = ftype.parse_value(f, cell)
    except (FieldValueError, ValueParseError):
        return 0
    assert ftype.clean(f, parsed, ctx) == direct, (f.type, cell, parsed)
    return 1


def test_a_parsed_cell_cleans_to_what_the_cell_does(every_type: list[tuple[Any, Any]]) -> None:
    compared = {f.type: sum(_same_as_clean(f, ftype, cell) for cell in [*WORDS, *NATIVE_EXAMPLES])
                for f, ftype in every_type}
    # Every type that reads a kind of cell took some of the cells on both paths.
    assert [key for key, n in compared.items()
            if n == 0 and REGISTRY[key].import_kind is not None] == []

    @settings(max_examples=200, deadline=None)
    @given(cell=st.one_of(TEXTS, NATIVES))
    def check(cell: Any) -> None:
        for f, ftype in every_type:
            _same_as_clean(f, ftype, cell)

    check()
