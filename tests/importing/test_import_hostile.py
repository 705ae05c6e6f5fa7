"""Files the importer must refuse, quickly and with one exception type."""

from __future__ import annotations

import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from daicho.importing import ImportFileError, Limits, read_table

MakeXlsx = Callable[..., Path]
MakeFile = Callable[[str, bytes], Path]
Rezip = Callable[..., Path]


def refused(path: Path, code: str, **kwargs: object) -> ImportFileError:
    started = time.monotonic()
    with pytest.raises(ImportFileError) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code, info.value.message
    assert info.value.message  # Japanese, for the user
    assert time.monotonic() - started < 5
    return info.value


def test_error_shape() -> None:
    err = ImportFileError("too_large", "大きすぎます。")
    assert err.status == 413
    assert ImportFileError("corrupt_file", "壊れています。").status == 400
    assert err.as_dict() == {"code": "too_large", "message": "大きすぎます。"}


def test_pdf_named_xlsx(make_file: MakeFile) -> None:
    err = refused(make_file("台帳.xlsx", b"%PDF-1.7\n" + b"x" * 1000), "wrong_file_type")
    assert "PDF" in err.message


def test_truncated_xlsx(make_xlsx: MakeXlsx, make_file: MakeFile) -> None:
    whole = make_xlsx([["名称", "値"], *[[f"n{i}", i] for i in range(500)]]).read_bytes()
    refused(make_file("cut.xlsx", whole[: len(whole) // 2]), "corrupt_file")


def test_empty_xlsx(make_file: MakeFile) -> None:
    refused(make_file("empty.xlsx", b""), "empty_file")


def test_not_a_workbook_zip(make_file: MakeFile, tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("photo.txt", "hello")
    refused(path, "wrong_file_type")
    xlsb = tmp_path / "book.xlsx"
    with zipfile.ZipFile(xlsb, "w") as zf:
        zf.writestr("xl/workbook.bin", b"\x00" * 10)
    refused(xlsb, "unsupported_format")


def test_unknown_extension(make_file: MakeFile) -> None:
    refused(make_file("a.pdf", b"%PDF-1.7"), "unsupported_format")


def test_password_protected(make_file: MakeFile) -> None:
    # An encrypted OOXML file is an OLE2 compound file with an EncryptedPackage stream.
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
           + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50
           + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1000)
    err = refused(make_file("secret.xlsx", ole), "password_protected")
    assert "パスワード" in err.message


def test_zip_bomb_by_ratio(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path) -> None:
    base = make_xlsx([["名称"], ["a"]])
    bomb = rezip(base, tmp_path / "bomb.xlsx", {"xl/media/image1.xml": b"\x00" * (20 << 20)})
    refused(bomb, "zip_bomb")


def test_zip_over_the_uncompressed_limit(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["名称", "値"], *[[f"名前{i}", i] for i in range(5000)]])
    refused(path, "too_large", limits=Limits(max_uncompressed_bytes=50_000))


def _patch_sizes(path: Path, member: str, size: int) -> None:
    """Make a member claim `size` uncompressed bytes in both of its zip headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    local = data.find(b"PK\x03\x04" + b"\x00" * 0, 0)
    while local >= 0:
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_len]) == name:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_zip_that_lies_about_sizes(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path) -> None:
    base = make_xlsx([["名称"], ["a"]])
    padding = b"<!-- " + b"ab" * (3 << 20) + b" -->"
    path = rezip(base, tmp_path / "liar.xlsx", {"xl/styles.xml": padding})
    _patch_sizes(path, "xl/styles.xml", 200)
    err = refused(path, "zip_bomb")
    assert "styles.xml" in err.message


def test_sparse_sheet_spanning_all_of_excel(tmp_path: Path) -> None:
    path = tmp_path / "sparse.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "名称")
    sheet.write(1_048_575, 16_383, "端")
    book.close()
    err = refused(path, "too_large")
    assert "1,048,576" in err.message


def test_billion_laughs(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path) -> None:
    base = make_xlsx([["名称"], ["hello"]])
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">' for i in range(1, 10))
    shared = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f"<!DOCTYPE sst [{entities}]>"
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2"'
              ' uniqueCount="2"><si><t>&lol9;</t></si><si><t>hello</t></si></sst>')
    bomb = rezip(base, tmp_path / "laughs.xlsx", {"xl/sharedStrings.xml": shared.encode()})
    refused(bomb, "unsafe_file")


def _sheet_xml(rows: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def test_cells_without_references(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path) -> None:
    base = make_xlsx([["x"]])
    # Positions come from order alone: calamine reads them, so must we, exactly.
    rows = ('<row><c t="inlineStr"><is><t>名称</t></is></c><c t="inlineStr"><is><t>値</t></is></c>'
            '</row><row><c t="inlineStr"><is><t>a</t></is></c><c><v>5</v></c></row>')
    path = rezip(base, tmp_path / "noref.xlsx", {"xl/worksheets/sheet1.xml": _sheet_xml(rows)})
    table = read_table(path)
    assert [c.name for c in table.columns] == ["名称", "値"]
    assert table.rows[0].values == ["a", Decimal(5)]
    wide = "<row>" + "<c><v>1</v></c>" * 20_000 + "</row>"
    path = rezip(base, tmp_path / "wide.xlsx", {"xl/worksheets/sheet1.xml": _sheet_xml(wide)})
    refused(path, "too_large")


@pytest.mark.parametrize("cell", [
    '<c r="XFD1048576"><v>1</v></c>',
    '<c r="xfd1048576"><v>1</v></c>',
    '<c r = "XFD1048576"><v>1</v></c>',
    "<c r='XFD1048576'><v>1</v></c>",
    '<c\nr="XFD1048576"><v>1</v></c>',
    '<c t="n" r="XFD1048576"><v>1</v></c>',
    '<c t="a>b" r="XFD1048576"><v>1</v></c>',
    '<x:c r="XFD1048576"><x:v>1</x:v></x:c>',
    '<c r="AAAA1"><v>1</v></c>',
])
def test_far_cells_however_written(make_xlsx: MakeXlsx, rezip: Rezip, tmp_path: Path,
                                   cell: str) -> None:
    # calamine accepts every one of these spellings, so each must be seen as far away.
    base = make_xlsx([["x"]])
    rows = '<row r="1"><c r="A1"><v>1</v></c>' + cell + "</row>"
    path = rezip(base, tmp_path / "far.xlsx", {"xl/worksheets/sheet1.xml": _sheet_xml(rows)})
    refused(path, "too_large")


def test_worksheet_part_with_another_name(make_xlsx: MakeXlsx, tmp_path: Path) -> None:
    # calamine follows workbook.xml.rels, so a worksheet need not be xl/worksheets/*.xml.
    base = make_xlsx([["x"]])
    sheet = _sheet_xml('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>1</v></c></row>')
    path = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            name, data = info.filename, src.read(info.filename)
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/data/part.bin", sheet
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"worksheets/sheet1.xml", b"data/part.bin")
            out.writestr(name, data)
    refused(path, "too_large")


def test_small_limits_use_exact_bounds(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx([["名称", "値"], ["a", 1], ["b", 2]])
    table = read_table(path, limits=Limits(max_cells=6, max_rows=3, max_columns=2))
    assert len(table.rows) == 2
    refused(path, "too_large", limits=Limits(max_cells=5))
    refused(path, "too_large", limits=Limits(max_rows=2))
    refused(path, "too_large", limits=Limits(max_columns=1))


def test_long_cells(make_xlsx: MakeXlsx, make_file: MakeFile) -> None:
    path = make_xlsx([["名称"], ["あ" * 200]])
    err = refused(path, "too_large", limits=Limits(max_cell_chars=100))
    assert "2 行目" in err.message
    csv_path = make_file("long.csv", ("名称\n" + "あ" * 200 + "\n").encode())
    refused(csv_path, "too_large", limits=Limits(max_cell_chars=100))


def test_csv_limits(make_file: MakeFile) -> None:
    path = make_file("a.csv", ("a,b,c\n" + "1,2,3\n" * 10).encode())
    refused(path, "too_large", limits=Limits(max_columns=2))
    refused(path, "too_large", limits=Limits(max_rows=5))
    refused(path, "too_large", limits=Limits(max_cells=20))
    refused(path, "too_large", limits=Limits(max_file_bytes=10))


def make_ods(path: Path, table_xml: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="台帳">{table_xml}'
        "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _cell(text: str) -> str:
    return (f'<table:table-cell office:value-type="string"><text:p>{text}</text:p>'
            "</table:table-cell>")


def test_ods(tmp_path: Path) -> None:
    rows = ('<table:table-column table:number-columns-repeated="1024"/>'
            + "<table:table-row>" + _cell("名称") + _cell("面積")
            + '<table:table-cell table:number-columns-repeated="1022"/></table:table-row>'
            + "<table:table-row>" + _cell("公園")
            + '<table:table-cell office:value-type="float" office:value="12.5">'
            + "<text:p>12.5</text:p></table:table-cell></table:table-row>"
            + '<table:table-row table:number-rows-repeated="1048574">'
            + '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    table = read_table(make_ods(tmp_path / "a.ods", rows))
    assert table.format == "ods"
    assert table.sheet == "台帳"
    assert table.rows[0].values == ["公園", Decimal("12.5")]


def test_ods_repeat_bomb(tmp_path: Path) -> None:
    rows = ('<table:table-column table:number-columns-repeated="3"/>'
            '<table:table-row table:number-rows-repeated="1000000">'
            '<table:table-cell table:number-columns-repeated="1000" office:value-type="string">'
            "<text:p>x</text:p></table:table-cell></table:table-row>")
    refused(make_ods(tmp_path / "bomb.ods", rows), "too_large")


def test_deflate_stream_cut_short(make_xlsx: MakeXlsx, tmp_path: Path) -> None:
    path = make_xlsx([["名称"], *[[f"n{i}"] for i in range(2000)]])
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        offset = info.header_offset
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_len + extra_len
    data[start + 10 : start + 60] = zlib.compress(b"garbage")[:50].ljust(50, b"\xff")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    refused(broken, "corrupt_file")
