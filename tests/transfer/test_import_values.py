"""Values and types of real city files (issue 13, points 3, 4, 9 and 10), end to end through
`daicho import --json`, `daicho export` and POST /api/v1/imports, on generated files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient, make_ledger
from tests.importing.conftest import write_xlsx


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _import(cli: Any, path: Path, *args: str) -> dict[str, Any]:
    result = cli("import", str(path), *args, "--json")
    report: dict[str, Any] = result.json
    assert result.code == (0 if report.get("ok") else 1), result.out
    return report


def _ledger(api: ApiClient, ledger_id: int) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/api/v1/ledgers/{ledger_id}").body
    return body


def _column(api: ApiClient, report: dict[str, Any], name: str) -> list[Any]:
    code = next(f["code"] for f in report["fields"] if f["name"] == name)
    body = api.get(f"/api/v1/ledgers/{report['ledger']['id']}/records", {"limit": 500}).body
    return [r["values"][code] for r in sorted(body["items"], key=lambda r: r["id"])]


def _types(report: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["type"] for f in report["fields"]}


def _messages(report: dict[str, Any]) -> list[str]:
    return [w["message"] for w in report["warnings"]]


# ------------------------------------------------------------------ 3. placeholders

PLACEHOLDER_ROWS = [["地区", "人口", "調査日"],
                    ["東", "1,200", "R6.4.1"],
                    ["西", "-", "R6.4.2"],
                    ["南", "x", "-"],
                    ["北", "－", "R6.4.4"],
                    ["中央", "…", "R6.4.5"],
                    ["港", "ｘ", "R6.4.6"],
                    ["山", "*", "R6.4.7"],
                    ["川", "―", "R6.4.8"],
                    ["森", "300", "R6.4.9"]]


def test_placeholders_are_empty_values_of_a_number_column(cli: Any, api: ApiClient,
                                                          tmp_path: Path) -> None:
    report = _import(cli, _csv(tmp_path / "人口.csv", PLACEHOLDER_ROWS))
    assert report["ok"] is True and report["created"] == 9
    assert _types(report) == {"地区": "text", "人口": "number", "調査日": "date"}
    assert report["text_columns"] == []
    assert _column(api, report, "人口") == [1200, None, None, None, None, None, None, None, 300]
    assert _column(api, report, "調査日")[2] is None
    people = [m for m in _messages(report) if m.startswith("「人口」")]
    assert people == ["「人口」の「-」「x」「－」「…」「ｘ」「*」「―」（計 7 件）は値なしとして"
                      "読み込みました。"]
    assert "「調査日」の「-」（計 1 件）は値なしとして読み込みました。" in _messages(report)


def test_placeholders_among_spreadsheet_numbers(cli: Any, api: ApiClient,
                                                tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "統計.xlsx", {"統計": [
        ["区分", "世帯数", "金額"], ["A", 10, "△"], ["B", "x", 2.5], ["C", "-", "ー"],
        ["D", 40, 1.5]]})
    report = _import(cli, path)
    assert _types(report) == {"区分": "text", "世帯数": "number", "金額": "number"}
    assert _column(api, report, "世帯数") == [10, None, None, 40]
    assert _column(api, report, "金額") == [None, 2.5, None, 1.5]


def test_marks_that_are_the_values_stay_text(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    """△ among ○ and × is an evaluation, not an empty number; "-" in a code column is data."""
    rows = [["評価", "番号"], ["○", "A-1"], ["△", "-"], ["×", "B-2"], ["○", "-"]]
    report = _import(cli, _csv(tmp_path / "評価.csv", rows))
    assert _types(report)["評価"] != "number" and _types(report)["番号"] == "text"
    assert _column(api, report, "評価") == ["○", "△", "×", "○"]
    assert _column(api, report, "番号") == ["A-1", "-", "B-2", "-"]
    assert not any("値なし" in m for m in _messages(report))


def test_append_into_a_number_field_takes_placeholders_as_empty(cli: Any, api: ApiClient,
                                                                tmp_path: Path) -> None:
    led = make_ledger(api, "人口台帳", [{"name": "地区", "type": "text", "code": "area"},
                                       {"name": "人口", "type": "number", "code": "people"}])
    rows = [["地区", "人口"], ["東", "-"], ["西", "x"], ["南", "秘匿"]]
    report = _import(cli, _csv(tmp_path / "追加.csv", rows), "--ledger", "人口台帳")
    assert report["ok"] is True and report["created"] == 3 and report["errors"] == []
    assert "「人口」の「-」「x」「秘匿」（計 3 件）は値なしとして読み込みました。" in \
        _messages(report)
    items = api.get(f"/api/v1/ledgers/{led['id']}/records").body["items"]
    assert [r["values"]["people"] for r in items] == [None, None, None]


# ------------------------------------------------------------------ 4. choices

def test_append_adds_new_choices_and_records_the_design_change(cli: Any, api: ApiClient,
                                                               tmp_path: Path) -> None:
    from daicho.models import LedgerEvent

    first = [["路線名", "道路種別"], ["本町線", "市道"], ["駅前線", "県道"], ["港線", "市道"],
             ["川沿線", "県道"]]
    report = _import(cli, _csv(tmp_path / "道路.csv", first), "--name", "道路台帳")
    assert _types(report) == {"路線名": "text", "道路種別": "choice"}
    ledger_id = report["ledger"]["id"]
    next_year = [["路線名", "道路種別"], ["新町線", "農道"], ["旧道", "その他"],
                 ["本町二号線", "市道"]]
    dry = _import(cli, _csv(tmp_path / "道路2.csv", next_year), "--ledger", "道路台帳",
                  "--dry-run")
    assert dry["ok"] is True and "「道路種別」の選択肢に「農道」「その他」を追加しました。" in \
        _messages(dry)
    kind = next(f for f in _ledger(api, ledger_id)["fields"] if f["name"] == "道路種別")
    assert kind["options"]["choices"] == ["市道", "県道"]  # the dry run changed nothing
    report = _import(cli, _csv(tmp_path / "道路2.csv", next_year), "--ledger", "道路台帳")
    assert report["ok"] is True and report["created"] == 3 and report["errors"] == []
    assert "「道路種別」の選択肢に「農道」「その他」を追加しました。" in _messages(report)
    kind = next(f for f in _ledger(api, ledger_id)["fields"] if f["name"] == "道路種別")
    assert kind["options"]["choices"] == ["市道", "県道", "農道", "その他"]
    event = LedgerEvent.objects.filter(ledger_id=ledger_id, action="update_field").get()
    assert event.details["options"]["new"]["choices"] == ["市道", "県道", "農道", "その他"]
    assert event.details["options"]["old"]["choices"] == ["市道", "県道"]


def test_append_adds_new_choices_to_a_multi_choice_field(cli: Any, api: ApiClient,
                                                        tmp_path: Path) -> None:
    led = make_ledger(api, "会場", [
        {"name": "名称", "type": "text", "code": "name"},
        {"name": "用途", "type": "multichoice", "code": "use",
         "options": {"choices": ["会議", "防災"]}},
    ])
    rows = [["名称", "用途"], ["公民館", "会議、選挙"], ["体育館", "防災,避難所"]]
    report = _import(cli, _csv(tmp_path / "会場.csv", rows), "--ledger", "会場")
    assert report["ok"] is True and report["created"] == 2
    assert "「用途」の選択肢に「選挙」「避難所」を追加しました。" in _messages(report)
    use = next(f for f in _ledger(api, led["id"])["fields"] if f["code"] == "use")
    assert use["options"]["choices"] == ["会議", "防災", "選挙", "避難所"]
    items = api.get(f"/api/v1/ledgers/{led['id']}/records").body["items"]
    assert [r["values"]["use"] for r in items] == [["会議", "選挙"], ["防災", "避難所"]]


def test_new_choices_need_someone_who_manages_the_ledger(api: ApiClient, make_client: Any,
                                                         tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    led = make_ledger(api, "備品", [
        {"name": "品名", "type": "text", "code": "name"},
        {"name": "区分", "type": "choice", "code": "kind", "options": {"choices": ["机", "椅子"]}},
    ])
    clerk = make_client("tanaka", name="田中")
    rules = {"rules": [{"subject": {"user": "tanaka"}, "rights": ["view", "add", "import"]},
                       {"subject": {"user": "admin"}, "rights": ["manage"]}]}
    assert api.put(f"/api/v1/ledgers/{led['id']}/permissions", rules).status == 200
    data = "品名,区分\r\n会議机,机\r\n書庫,棚\r\n".encode()
    resp = clerk.upload("/api/v1/imports", {"file": SimpleUploadedFile("備品.csv", data),
                                            "ledger": str(led["id"])})
    report = resp.body
    assert report["ok"] is False and [(e["row"], e["value"]) for e in report["errors"]] == [
        (3, "棚")]
    assert "「区分」に、選択肢にない値があります: 「棚」。台帳を管理する方に選択肢への追加をご依頼" \
           "ください。" in _messages(report)
    kind = next(f for f in _ledger(api, led["id"])["fields"] if f["code"] == "kind")
    assert kind["options"]["choices"] == ["机", "椅子"]


def test_open_ended_columns_are_text_not_choices(cli: Any, admin: Any, tmp_path: Path) -> None:
    rows = [["施設名", "担当者", "所在地", "種別", "番号"]]
    for i in range(12):
        rows.append([["本庁舎", "支所"][i % 2], ["山田　太郎", "佐藤　花子"][i % 2],
                     ["本町1丁目2番3号", "港町4-5-6"][i % 2], ["庁舎", "倉庫"][i % 2],
                     f"K{i % 8}"])
    report = _import(cli, _csv(tmp_path / "施設.csv", rows))
    assert _types(report) == {"施設名": "text", "担当者": "text", "所在地": "text",
                              "種別": "choice", "番号": "text"}


# ------------------------------------------------------------------ 9. dates

def test_month_day_year_dates(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    rows = [["件名", "受付日"], ["A", "5/23/2017"], ["B", "4/1/2023"], ["C", "12/31/2019"]]
    report = _import(cli, _csv(tmp_path / "受付.csv", rows))
    assert _types(report)["受付日"] == "date"
    assert _column(api, report, "受付日") == ["2017-05-23", "2023-04-01", "2019-12-31"]
    assert "「受付日」: 「5/23/2017」のような日付は、月/日/年の順として読み取りました" \
           "（2017-05-23）。" in _messages(report)
    # Day first with a four-digit year last is not guessed: the column stays text.
    rows = [["件名", "受付日"], ["A", "23/5/2017"], ["B", "4/1/2023"]]
    report = _import(cli, _csv(tmp_path / "受付2.csv", rows))
    assert _types(report)["受付日"] == "text"


def test_a_trailing_wave_dash_is_a_month_from_then_on(cli: Any, api: ApiClient,
                                                      tmp_path: Path) -> None:
    rows = [["取組", "開始"], ["クラウド化", "H32.3～"], ["ペーパーレス", "R2.4"],
            ["統合", "R3.10〜"]]
    report = _import(cli, _csv(tmp_path / "資料4.csv", rows))
    assert _types(report)["開始"] == "date"
    fields = _ledger(api, report["ledger"]["id"])["fields"]
    assert next(f for f in fields if f["name"] == "開始")["options"]["precision"] == "month"
    assert _column(api, report, "開始") == ["2020-03-01", "2020-04-01", "2021-10-01"]
    messages = _messages(report)
    assert any("「H32.3～」は令和2年3月以降を表します。令和2年3月として読み取り、「～」は取り込んで"
               "いません。" in m for m in messages)
    assert any(m.startswith("4 行目「開始」: 「R3.10〜」は令和3年10月以降を表します。")
               for m in messages)


# ------------------------------------------------------------------ 10. silent changes

def test_yes_no_words_of_the_file_are_kept(cli: Any, api: ApiClient, tmp_path: Path) -> None:
    rows = [["施設", "耐震", "回答"], ["本庁", "有", "はい"], ["支所", "無", "いいえ"],
            ["倉庫", "有", "はい"]]
    report = _import(cli, _csv(tmp_path / "耐震.csv", rows))
    assert _types(report) == {"施設": "text", "耐震": "choice", "回答": "yesno"}
    fields = _ledger(api, report["ledger"]["id"])["fields"]
    assert next(f for f in fields if f["name"] == "耐震")["options"]["choices"] == ["有", "無"]
    assert _column(api, report, "耐震") == ["有", "無", "有"]
    out = tmp_path / "耐震-出力.csv"
    assert cli("export", str(report["ledger"]["id"]), "--format", "csv", "-o", str(out)).code == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1:] == ["本庁,有,はい", "支所,無,いいえ", "倉庫,有,はい"]


def test_blanks_removed_are_said_once_per_column(cli: Any, api: ApiClient,
                                                 tmp_path: Path) -> None:
    rows = [["名称", "備考"], [" 本庁舎", "二階建て"], ["支所　", " 平屋 "], ["倉庫", "なし"]]
    report = _import(cli, _csv(tmp_path / "空白.csv", rows))
    assert _column(api, report, "名称") == ["本庁舎", "支所", "倉庫"]
    assert [m for m in _messages(report) if "空白" in m] == [
        "「名称」の 2 件の値で、前後の空白を取り除きました。",
        "「備考」の 1 件の値で、前後の空白を取り除きました。"]


def test_replacement_characters_in_the_file_are_reported(cli: Any, admin: Any,
                                                          tmp_path: Path) -> None:
    rows = [["氏名", "住所"], ["髙橋", "本町"], ["\ufffd田", "港町"], ["佐藤", "\ufffd\ufffd町"]]
    report = _import(cli, _csv(tmp_path / "文字化け.csv", rows))
    assert report["ok"] is True
    found = [(w["row"], w["message"]) for w in report["warnings"] if "\ufffd" in w["message"]]
    assert found == [
        (3, "3 行目「氏名」: ファイルにもともと「\ufffd」（ファイルの作成時に失われた文字の印）が"
            "含まれています。元の文字をご確認ください。"),
        (4, "4 行目「住所」: ファイルにもともと「\ufffd」（ファイルの作成時に失われた文字の印）が"
            "含まれています。元の文字をご確認ください。")]


@pytest.fixture
def look_alikes(api: ApiClient) -> dict[str, Any]:
    led = make_ledger(api, "表記", [{"name": "名称", "type": "text", "code": "name"},
                                   {"name": "備考", "type": "text", "code": "note"}])
    for values in [{"name": "¥100ショップ", "note": "9時〜17時"},
                   {"name": "辻\U000e0100堂", "note": "−5度"},
                   {"name": "本庁舎", "note": None}]:
        assert api.post(f"/api/v1/ledgers/{led['id']}/records", {"values": values}).status == 201
    return led


def test_cp932_export_lists_what_it_wrote_differently(cli: Any, look_alikes: dict[str, Any],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "表記.csv"
    result = cli("export", "表記", "--format", "csv", "--encoding", "cp932", "-o", str(out),
                 "--json")
    assert result.code == 0, result.out
    body = result.json
    assert body["substituted_count"] == 4 and body["replaced_count"] == 0
    assert [(s["row"], s["column"], s["char"], s["to"]) for s in body["substituted"]] == [
        (2, "名称", "¥", "￥"), (2, "備考", "〜", "～"), (3, "名称", "\U000e0100", ""),
        (3, "備考", "−", "－")]
    assert out.read_bytes().decode("cp932").splitlines()[1:] == [
        "￥100ショップ,9時～17時", "辻堂,－5度", "本庁舎,"]
    text = cli("export", "表記", "--format", "csv", "--encoding", "cp932", "-o", str(out))
    assert text.code == 0
    assert "4 文字を、cp932 で表せる文字にして書き出しました。" in text.out + text.err
    assert "「¥」(U+00A5)は「￥」として書き出しました（2行目「名称」）" in text.out + text.err
    assert "U+E0100（異体字セレクタ）は除いて書き出しました（3行目「名称」）" in text.out + text.err


def test_replace_drops_a_variation_selector_instead_of_adding_geta(
        cli: Any, look_alikes: dict[str, Any], api: ApiClient, tmp_path: Path) -> None:
    url = f"/api/v1/ledgers/{look_alikes['id']}/records"
    assert api.post(url, {"values": {"name": "𠮷野家"}}).status == 201
    out = tmp_path / "置換.csv"
    result = cli("export", "表記", "--format", "csv", "--encoding", "cp932", "--replace",
                 "-o", str(out), "--json")
    assert result.code == 0, result.out
    lines = out.read_bytes().decode("cp932").splitlines()
    assert lines[2] == "辻堂,－5度" and lines[4] == "〓野家,"
    assert [p["char"] for p in result.json["replaced"]] == ["𠮷"]


def test_append_into_a_date_field_says_what_a_wave_dash_meant(cli: Any, api: ApiClient,
                                                              tmp_path: Path) -> None:
    led = make_ledger(api, "計画", [{"name": "取組", "type": "text", "code": "name"},
                                   {"name": "開始", "type": "date", "code": "start"}])
    # 未定 keeps the file's column text; the field is a date field all the same.
    rows = [["取組", "開始"], ["A", "H32.3～"], ["B", "未定"]]
    report = _import(cli, _csv(tmp_path / "計画.csv", rows), "--ledger", "計画",
                     "--skip-bad-rows")
    assert report["ok"] is True and report["created"] == 1
    assert any(w["row"] == 2 and "「～」は取り込んでいません" in w["message"]
               for w in report["warnings"])
    items = api.get(f"/api/v1/ledgers/{led['id']}/records").body["items"]
    assert [r["values"]["start"] for r in items] == ["2020-03-01"]
