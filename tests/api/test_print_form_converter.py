"""Issue 15, print forms on premises: each PDF conversion is isolated — its own throw-away
LibreOffice profile, `--norestore`, a time limit that kills the converter's whole process group
— and a font the server lacks is an error, wherever the form names it (cell styles, rich text
runs, page headers). The converter here is a stand-in program set by DAICHO_SOFFICE (how an
installation points at its LibreOffice), which logs how it was started."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from daicho.printforms import pdf
from tests.api.test_print_forms import _template, _upload
from tests.conftest import ApiClient, make_ledger

FAKE = """#!/bin/sh
echo "$*" >> {log}
if [ -e {hang} ]; then
  sleep 300 &
  echo $! > {pid}
  wait
fi
exit 1
"""


@pytest.fixture
def ledger(api: ApiClient) -> tuple[int, int]:
    lid: int = make_ledger(api, "貸出物品", [{"name": "品名", "type": "text", "code": "name"}])["id"]
    rid: int = api.post(f"/api/v1/ledgers/{lid}/records", {"values": {"name": "机"}}).body["id"]
    return lid, rid


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {"log": tmp_path / "log", "hang": tmp_path / "hang", "pid": tmp_path / "pid",
             "program": tmp_path / "soffice"}
    paths["program"].write_text(FAKE.format(**paths))
    paths["program"].chmod(0o755)
    monkeypatch.setenv("DAICHO_SOFFICE", str(paths["program"]))
    return paths


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


def test_each_conversion_has_its_own_profile(api: ApiClient, ledger: Any,
                                             fake: dict[str, Path]) -> None:
    lid, rid = ledger
    fid = _upload(api, lid, _template({"A1": "{{品名}}"})).body["id"]
    for _ in range(2):
        resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/print", {"form": fid,
                                                                      "format": "pdf"})
        assert resp.status == 503 and resp.body["error"]["code"] == "pdf_unavailable"
    runs = fake["log"].read_text().splitlines()
    assert len(runs) == 2
    profiles = [re.search(r"-env:UserInstallation=file://(\S+)", run).group(1)  # type: ignore[union-attr]
                for run in runs]
    assert profiles[0] != profiles[1]  # never a profile (or a document to restore) shared
    assert all("--norestore" in run and "--headless" in run for run in runs)
    assert not any(Path(p).parent.exists() for p in profiles)  # thrown away after the job


def test_a_hanging_converter_is_stopped(api: ApiClient, ledger: Any, fake: dict[str, Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    lid, rid = ledger
    fid = _upload(api, lid, _template({"A1": "{{品名}}"})).body["id"]
    fake["hang"].touch()
    monkeypatch.setattr(pdf, "TIMEOUT", 2)
    resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/print", {"form": fid, "format": "pdf"})
    assert resp.status == 503 and resp.body["error"]["code"] == "pdf_unavailable"
    assert "時間" in resp.body["error"]["message"]
    # what the converter started is gone with it (the whole process group is killed)
    assert not _alive(int(fake["pid"].read_text()))
    assert api.client.get(f"/api/v1/ledgers/{lid}/records/{rid}/print",
                          {"form": fid, "format": "xlsx"}).status_code == 200


def _rich(font: str = "ＭＳ 明朝", run_font: str | None = None, header: str = "") -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("帳票")
    base = wb.add_format({"font_name": font})
    ws.write("A1", "{{品名}}", base)
    if run_font:
        ws.write_rich_string("A2", "品名：", wb.add_format({"font_name": run_font}), "{{品名}}",
                             base)
    if header:
        ws.set_header(header)
    wb.close()
    return buf.getvalue()


def test_a_missing_font_is_an_error_wherever_it_is_named(api: ApiClient, ledger: Any,
                                                         fake: dict[str, Path]) -> None:
    lid, rid = ledger
    for form, missing in [(_rich(run_font="存在しない書体"), "存在しない書体"),
                          (_rich(header='&C&"架空ゴシック,太字"貸出票'), "架空ゴシック")]:
        made = _upload(api, lid, form)
        assert made.status == 201 and made.body["missing_fonts"] == [missing]
        resp = api.get(f"/api/v1/ledgers/{lid}/records/{rid}/print",
                       {"form": made.body["id"], "format": "pdf"})
        assert resp.status == 400 and resp.body["error"]["code"] == "missing_fonts"
        assert missing in resp.body["error"]["message"]
    assert not fake["log"].exists()  # refused before any converter started
    # the fonts of Japanese Excel files are mapped, and "-" (the header's own font) is none
    made = _upload(api, lid, _rich(run_font="ＭＳ Ｐゴシック", header='&C&"-,太字"貸出票'))
    assert made.body["missing_fonts"] == []
