"""What the importer and exporter tell people comes in their language: Japanese by default,
English with DAICHO_LANGUAGE=en on the command line or Accept-Language: en on the API.

The last tests read the source: a message for people in daicho/importing or daicho/exporting is
never a bare string literal, so none can bypass the translation catalogue."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger

PACKAGE = Path(__file__).resolve().parents[2] / "daicho"
# The tests in this directory also run without Django (pytest -p no:django); these need it.
DJANGO = "DJANGO_SETTINGS_MODULE" in os.environ
needs_django = pytest.mark.skipif(not DJANGO, reason="runs the CLI and API through Django")

PDF_AS_CSV = b"%PDF-1.4 a PDF saved with a .csv name"
PDF_JA = "PDF ファイルです。Excel・CSV・Access のファイルを選んでください。"
PDF_EN = "This is a PDF file. Choose an Excel, CSV or Access file."

# A 和暦 date written after the era changed, and a total row under the table.
WARNINGS_CSV = "名称,取得日,金額\r\n本庁舎,平成31年5月1日,100\r\n支所,令和2年4月1日,200\r\n合計,,300\r\n"
WARNINGS_JA = [
    "2 行目「取得日」: 「平成31年5月1日」は改元後の日付です。令和元年5月1日として読み取りました。",
    "4 行目は合計・小計の行（「合計」）のため取り込みませんでした。",
]
WARNINGS_EN = [
    "Row 2 「取得日」: 「平成31年5月1日」 is a date after the era changed. "
    "It was read as 令和元年5月1日.",
    "Row 4 is a total or subtotal row (「合計」), so it was not imported.",
]


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DAICHO_LANGUAGE=en for the in-process CLI; the language is reset afterwards, because
    the CLI activates it for the whole thread and later tests expect the default."""
    from django.utils import translation

    monkeypatch.setenv("DAICHO_LANGUAGE", "en")
    yield
    translation.deactivate()


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "台帳.csv"
    path.write_bytes(PDF_AS_CSV)
    return path


@pytest.fixture
def warnings_file(tmp_path: Path) -> Path:
    path = tmp_path / "施設.csv"
    path.write_text(WARNINGS_CSV, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------- CLI

@needs_django
@pytest.mark.parametrize("language", ["ja", "en"])
def test_refused_file_is_explained_in_the_language(cli: Any, admin: Any, pdf_file: Path,
                                                   language: str,
                                                   request: pytest.FixtureRequest) -> None:
    """Japanese by default, English with DAICHO_LANGUAGE=en."""
    if language == "en":
        request.getfixturevalue("english")
    expected = PDF_EN if language == "en" else PDF_JA
    result = cli("import", str(pdf_file), "--json")
    assert result.code == 1
    assert result.json["error"] == {"code": "wrong_file_type", "message": expected}
    text = cli("import", str(pdf_file))
    assert text.code == 1 and text.err.splitlines()[0] == expected


@needs_django
@pytest.mark.parametrize("language", ["ja", "en"])
def test_refusal_by_the_zip_scan_follows_the_language(
        cli: Any, admin: Any, make_xlsx: Any, rezip: Any, tmp_path: Path, language: str,
        request: pytest.FixtureRequest) -> None:
    """The CLI scans a workbook before Django (and the language) is set up; a refusal there is
    made again by the importer, in the language asked for."""
    if language == "en":
        request.getfixturevalue("english")
    base = make_xlsx([["名称"], ["本庁舎"]])
    doctype = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "b">]>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<sheetData/></worksheet>')
    unsafe = rezip(base, tmp_path / "施設.xlsx", {"xl/worksheets/sheet1.xml": doctype})
    result = cli("import", str(unsafe), "--json")
    assert result.code == 1
    assert result.json["error"]["code"] == "unsafe_file"
    expected = ("The file contains XML DTD/ENTITY declarations. For safety it is not read."
                if language == "en" else
                "ファイルに XML の DTD/ENTITY 宣言が含まれています。安全のため読み込みません。")
    assert result.json["error"]["message"] == expected


@needs_django
@pytest.mark.parametrize("language", ["ja", "en"])
def test_warnings_follow_the_language(cli: Any, admin: Any, warnings_file: Path, language: str,
                                      request: pytest.FixtureRequest) -> None:
    """Japanese by default, English with DAICHO_LANGUAGE=en."""
    if language == "en":
        request.getfixturevalue("english")
    expected = WARNINGS_EN if language == "en" else WARNINGS_JA
    result = cli("import", str(warnings_file), "--dry-run", "--json")
    assert result.code == 0, result.out + result.err
    assert [w["message"] for w in result.json["warnings"]] == expected
    text = cli("import", str(warnings_file), "--dry-run", "--no-progress")
    assert all(message in text.out for message in expected), text.out


@needs_django
def test_export_refusal_follows_the_language(cli: Any, api: ApiClient, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import translation

    led = make_ledger(api, "外字", [{"name": "名称", "type": "text", "code": "name"}])
    api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": {"name": "𠮷野家"}})
    args = ("export", "外字", "--format", "csv", "--encoding", "cp932",
            "-o", str(tmp_path / "out.csv"), "--json")
    ja = cli(*args).json["error"]["message"]
    assert ja == ("Shift_JIS (cp932)で表せない文字が1か所あります: 2行目「名称」の「𠮷」(U+20BB7)。"
                  "文字を直すか、UTF-8で出力するか、置き換え(〓)を指定してください。")
    monkeypatch.setenv("DAICHO_LANGUAGE", "en")
    try:
        en = cli(*args).json["error"]["message"]
    finally:
        translation.deactivate()
    assert en == ("Shift_JIS (cp932) cannot hold 1 character: 「𠮷」(U+20BB7) in row 2 「名称」. "
                  "Fix the character, export as UTF-8, or choose to replace it (〓).")


# ------------------------------------------------------------------------------- API

@needs_django
def test_api_answers_in_japanese_unless_english_is_asked_for(api: ApiClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(**headers: str) -> Any:
        resp = api.client.post("/api/v1/imports",
                               {"file": SimpleUploadedFile("台帳.csv", PDF_AS_CSV)}, **headers)
        assert resp.status_code == 400
        return resp.json()["error"]["message"]

    assert upload() == PDF_JA
    assert upload(HTTP_ACCEPT_LANGUAGE="en") == PDF_EN
    assert upload(HTTP_ACCEPT_LANGUAGE="ja,en;q=0.8") == PDF_JA


# ------------------------------------------------------------------------------- values

@pytest.mark.parametrize(("type_key", "raw", "ja", "en"), [
    ("number", "不明", "「不明」は数値として読めません。", "「不明」 cannot be read as a number."),
    ("date", "令和6年2月30日", "「令和6年2月30日」: 2月30日はありません。",
     "「令和6年2月30日」: there is no day 30 in month 2."),
    ("date", "2024/4/1(火)", "「2024/4/1(火)」の曜日が日付と合いません（月曜日です）。",
     "The weekday in 「2024/4/1(火)」 does not match the date (it is a Monday)."),
    ("yesno", "たぶん", "「たぶん」ははい/いいえ（○×、有無、TRUE/FALSE）ではありません。",
     "「たぶん」 is not yes or no (○×, 有無, TRUE/FALSE)."),
])
def test_value_messages_follow_the_active_language(type_key: str, raw: str, ja: str,
                                                   en: str) -> None:
    from daicho.importing import ValueParseError, parse_value

    if not DJANGO:
        # Without Django the messages still come from the catalogue, in Japanese.
        with pytest.raises(ValueParseError) as caught:
            parse_value(type_key, {}, raw)
        assert caught.value.message == ja
        return
    from django.utils import translation

    for language, expected in (("ja", ja), ("en", en)):
        with translation.override(language), pytest.raises(ValueParseError) as caught:
            parse_value(type_key, {}, raw)
        assert caught.value.message == expected


# ------------------------------------------------------------------------------- source

GETTEXT = frozenset({"_", "gettext", "ngettext", "gettext_lazy"})
# Where a message for people is handed over: (callable name, index of the message argument).
MESSAGE_ARGUMENT = {"ImportFileError": 1, "ValueParseError": 0, "WarekiError": 0,
                    "NumberError": 0, "ExportError": 0, "_note": 0, "_warn": 3}
MESSAGE_NAMES = frozenset({"message", "warning"})


def _modules() -> list[Path]:
    return sorted([*PACKAGE.glob("importing/*.py"), *PACKAGE.glob("exporting/*.py")])


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        # super().__init__(message, ...) in an ExportError subclass
        if func.attr == "__init__" and isinstance(func.value, ast.Call):
            return "ExportError"
        return func.attr
    return ""


def _translated(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        return _name(node.func) in GETTEXT
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _translated(node.left)
    return False


def _literal(node: ast.expr) -> bool:
    """Text written in the code: a string, an f-string, or one formatted or joined into."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    return False


def _message_nodes(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            index = MESSAGE_ARGUMENT.get(_name(node.func))
            if index is not None and len(node.args) > index:
                yield node.args[index]
            yield from (k.value for k in node.keywords if k.arg in MESSAGE_NAMES)
        elif isinstance(node, ast.Dict):
            yield from (v for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value == "message")
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id in MESSAGE_NAMES for t in node.targets):
                yield node.value


def test_no_message_is_a_bare_string_literal() -> None:
    bare, translated = [], 0
    for path in _modules():
        for node in _message_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.IfExp):
                parts = node.elts if isinstance(node, ast.Tuple) else [node.body, node.orelse]
            else:
                parts = [node]
            for part in parts:
                if _translated(part):
                    translated += 1
                elif _literal(part):
                    bare.append(f"{path.relative_to(PACKAGE.parent)}:{part.lineno}: "
                                f"{ast.unparse(part)[:80]}")
    assert not bare, "messages for people must go through gettext:\n" + "\n".join(bare)
    assert translated >= 60, f"only {translated} translated messages found: is the check blind?"


def test_every_refusal_of_a_file_is_translated() -> None:
    """ImportFileError's message, the one every refused file shows, is a gettext call."""
    untranslated = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "ImportFileError":
                message = node.args[1] if len(node.args) > 1 else None
                if message is None or not _translated(message):
                    untranslated.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not untranslated, "ImportFileError without a gettext message:\n" + "\n".join(untranslated)
