"""One yes/no vocabulary, owned by the yes/no type: the API, the importer, the web form and
filters read the same words the same way (issue 12: the API took on/off/y/n, the importer
有り/無し/✖, and neither took the other's)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from daicho.fields.choice import NO_WORDS, YES_WORDS
from tests.conftest import ApiClient, make_ledger

WORDS = sorted(YES_WORDS | NO_WORDS)
# The same words as people also type them: full width, upper case, with spaces.
VARIANTS = {"ＴＲＵＥ": True, " Yes ": True, "ON": True, "Ｙ": True, "１": True, "有り ": True,
            "OFF": False, "ｎｏ": False, "０": False, " ✖": False, "無し": False}


def _expected(word: str) -> bool:
    return word in YES_WORDS


@pytest.fixture
def flags(api: ApiClient) -> dict[str, Any]:
    return make_ledger(api, "有無", [{"name": "名称", "type": "text", "code": "name"},
                                     {"name": "有無", "type": "yesno", "code": "flag"}])


def test_the_vocabulary_holds_both_old_lists() -> None:
    for word in ("有り", "無し", "✖", "on", "off", "y", "n", "はい", "いいえ", "○", "×", "true",
                 "false", "1", "0"):
        assert word in YES_WORDS | NO_WORDS, word
    assert not YES_WORDS & NO_WORDS


def test_api_and_import_agree_on_every_word(api: ApiClient, flags: dict[str, Any]) -> None:
    url = f"/api/v1/ledgers/{flags['id']}/records"
    words = WORDS + list(VARIANTS)
    meaning = {w: VARIANTS.get(w, _expected(w.strip())) for w in words}
    for i, word in enumerate(words):
        resp = api.post(url, {"values": {"name": f"api:{i}", "flag": word}})
        assert resp.status == 201, (word, resp.body)
        assert resp.body["values"]["flag"] is meaning[word], word
    csv = "名称,有無\n" + "".join(f"import:{i},{w}\n" for i, w in enumerate(words))
    report = api.upload("/api/v1/imports", {
        "file": io.BytesIO(csv.encode("utf-8")), "ledger": str(flags["id"]), "mode": "append"})
    assert report.status == 200 and report.body["ok"], report.body
    assert report.body["created"] == len(words)
    items = api.get(url, {"limit": "500"}).body["items"]
    stored = {r["values"]["name"]: r["values"]["flag"] for r in items}
    for i, word in enumerate(words):
        assert stored[f"api:{i}"] is stored[f"import:{i}"] is meaning[word], word


def test_the_same_words_are_refused_everywhere(api: ApiClient, flags: dict[str, Any]) -> None:
    url = f"/api/v1/ledgers/{flags['id']}/records"
    for word in ("2", "maybe", "有", "ない"):
        if word.strip().casefold() in YES_WORDS | NO_WORDS:
            continue
        resp = api.post(url, {"values": {"name": "x", "flag": word}})
        assert resp.status == 400, word
    report = api.upload("/api/v1/imports", {
        "file": io.BytesIO("名称,有無\nx,maybe\n".encode()), "ledger": str(flags["id"]),
        "mode": "append"})
    assert report.status == 400 and not report.body["ok"]
    assert report.body["errors"][0]["field"] == "有無"
    assert api.get(f"/api/v1/ledgers/{flags['id']}").body["record_count"] == 0


def test_filters_and_the_web_form_read_the_words(api: ApiClient, admin: Any,
                                                 flags: dict[str, Any]) -> None:
    lid = flags["id"]
    url = f"/api/v1/ledgers/{lid}/records"
    api.post(url, {"values": {"name": "有", "flag": True}})
    api.post(url, {"values": {"name": "無", "flag": False}})
    for word in WORDS:
        found = api.get(url, {"filter": f"flag:eq:{word}"}).body["items"]
        assert [r["values"]["name"] for r in found] == ["有" if _expected(word) else "無"], word
    web = Client()
    web.force_login(admin)
    for word, name in (("有り", "web-yes"), ("off", "web-no")):
        resp = web.post(f"/ledgers/{lid}/records/new", {"v_name": name, "v_flag": word})
        assert resp.status_code == 302, resp.content.decode()[:500]
    found = {r["values"]["name"]: r["values"]["flag"] for r in api.get(url).body["items"]}
    assert found["web-yes"] is True and found["web-no"] is False
    page = web.get(f"/ledgers/{lid}/", {"s": "1", "filter": "flag:eq:有り"})
    assert page.status_code == 200 and "web-yes" in page.content.decode()
    assert "web-no" not in page.content.decode()


def test_inference_keeps_digits_as_numbers(api: ApiClient) -> None:
    """1 and 0 mean yes and no in a yes/no field, but a column of them is a number column."""
    csv = "名称,件数,確認\na,1,y\nb,0,n\nc,1,Y\n"
    report = api.upload("/api/v1/imports", {"file": io.BytesIO(csv.encode()), "name": "推定"})
    assert report.status == 200, report.body
    types = {f["name"]: f["type"] for f in report.body["fields"]}
    # y/n are yes/no words, but a yes/no field would show はい/いいえ: the column keeps the
    # file's own words as a choice (issue 13).
    assert types == {"名称": "text", "件数": "number", "確認": "choice"}
