"""A test-only writer of small Microsoft Access (Jet) databases, so that the importer's tests run
the real mdbtools on real files instead of committed binaries.

It writes what mdbtools needs to list, describe and read tables, following the page layouts in
mdbtools' HACKING.md (/usr/share/doc/mdbtools/HACKING.md.gz):

- Jet 4 (Access 2000-2003): 4 KiB pages, names and text as uncompressed UCS-2.
  Jet 3 (Access 97): 2 KiB pages, names and text in a Windows code page (cp932 for Japanese),
  with the jump table that rows of 256 bytes or more need.
- Page 0, the database definition page: the version byte, and the RC4-masked region holding the
  code page, the sort order and a zero database key (so that no other page is masked).
- Page 1, a data page whose rows are the tables' page usage maps (type 0: a start page and a
  bitmap; each table's map of pages with free space is left empty).
- Page 2, the table definition (TDEF) of the catalog MSysObjects, whose rows (Id, ParentId, Name,
  Type, DateCreate, DateUpdate, Flags, LvProp) name each table and its TDEF page.
- One TDEF page per user table: row count, columns and column names, no indexes.
- Data pages: the row offset table at the top, rows packed from the end of the page; a row holds
  its column count, fixed columns, variable columns, the variable-column offsets and the null
  mask (where Yes/No values live).

Column types: Yes/No, Integer, Long Integer, Currency, Double, Date/Time, Text, and OLE Object
(NULL only). Not written: indexes, memo values, properties, compressed Unicode, TDEFs longer than a
page, deleted rows, the global usage map. Access itself has never opened this output: tests only.
"""

from __future__ import annotations

import datetime as dt
import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

HEADER_KEY = bytes([0xC7, 0xDA, 0x39, 0x6B])  # RC4 key of page 0's masked region
ACCESS_EPOCH = dt.datetime(1899, 12, 30)  # Date/Time values are days since then, as a double
CATALOG_PAGE = 2
USAGE_MAP_PAGE = 1
SYSTEM_TABLE = 0x80000002  # MSysObjects.Flags bits that hide a table from mdb-tables


class ColumnType(enum.IntEnum):
    BOOLEAN = 0x01
    INTEGER = 0x03
    LONG = 0x04
    CURRENCY = 0x05
    DOUBLE = 0x07
    DATETIME = 0x08
    TEXT = 0x0A
    OLE = 0x0B


FIXED_SIZES = {ColumnType.BOOLEAN: 0, ColumnType.INTEGER: 2, ColumnType.LONG: 4,
               ColumnType.CURRENCY: 8, ColumnType.DOUBLE: 8, ColumnType.DATETIME: 8}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    size: int = 50  # Text: characters (Jet 4) or bytes (Jet 3), as in Access's Field Size

    @property
    def fixed(self) -> bool:
        return self.type in FIXED_SIZES


@dataclass(frozen=True)
class Table:
    """rows hold Python values: None (NULL; a Yes/No column reads it as No), bool, int,
    float or Decimal, datetime.date or datetime.datetime, str."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]] = ()
    system: bool = False


@dataclass(frozen=True)
class JetFormat:
    version: int  # the byte at 0x14 of page 0
    page_size: int
    header_mask_len: int  # bytes masked with RC4 from 0x18 of page 0
    row_count_at: int  # where a data page's row count is; its row offsets follow
    wide: bool  # Jet 4: 2-byte counts and offsets, UCS-2 names and text


JET3 = JetFormat(version=0, page_size=2048, header_mask_len=126, row_count_at=0x08, wide=False)
JET4 = JetFormat(version=1, page_size=4096, header_mask_len=128, row_count_at=0x0C, wide=True)


def write_mdb(path: Path, tables: Sequence[Table], *, jet: JetFormat = JET4,
              charset: str = "cp1252", code_page: int = 0) -> Path:
    """Write the tables as an .mdb file. charset encodes Jet 3 names and text (Jet 4 is UCS-2);
    code_page is page 0's database code page (0: none, so readers must be told the charset)."""
    writer = _Writer(jet, "utf-16-le" if jet.wide else charset)
    path.write_bytes(writer.database(tables, code_page))
    return path


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


CATALOG_COLUMNS = (
    Column("Id", ColumnType.LONG), Column("ParentId", ColumnType.LONG),
    Column("Name", ColumnType.TEXT, 255), Column("Type", ColumnType.INTEGER),
    Column("DateCreate", ColumnType.DATETIME), Column("DateUpdate", ColumnType.DATETIME),
    Column("Flags", ColumnType.LONG), Column("LvProp", ColumnType.OLE))


class _Writer:
    def __init__(self, jet: JetFormat, charset: str) -> None:
        self.jet = jet
        self.charset = charset

    # Rows ---------------------------------------------------------------------------------------

    def fixed_value(self, kind: ColumnType, value: Any) -> bytes:
        if kind is ColumnType.INTEGER:
            return struct.pack("<h", value)
        if kind is ColumnType.LONG:
            return struct.pack("<I", value & 0xFFFFFFFF)
        if kind is ColumnType.CURRENCY:  # a 64-bit count of ten-thousandths
            return struct.pack("<q", int((Decimal(str(value)) * 10_000).to_integral_value()))
        if kind is ColumnType.DOUBLE:
            return struct.pack("<d", float(value))
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return struct.pack("<d", (value - ACCESS_EPOCH) / dt.timedelta(days=1))

    def row(self, columns: Sequence[Column], values: Sequence[Any]) -> bytes:
        if len(values) != len(columns):
            raise ValueError(f"{len(values)} values for {len(columns)} columns")
        fixed = bytearray()
        var_parts: list[bytes] = []
        null_mask = bytearray((len(columns) + 7) // 8)  # a set bit: not NULL, or Yes
        for number, (column, value) in enumerate(zip(columns, values, strict=True)):
            present = bool(value) if column.type is ColumnType.BOOLEAN else value is not None
            if present:
                null_mask[number // 8] |= 1 << (number % 8)
            if column.fixed:
                size = FIXED_SIZES[column.type]
                fixed += self.fixed_value(column.type, value) if present and size else bytes(size)
            elif column.type is ColumnType.OLE:
                if value is not None:
                    raise ValueError("only NULL is written to OLE Object columns")
                var_parts.append(b"")
            else:
                data = b"" if value is None else str(value).encode(self.charset)
                if len(data) > column.size * (2 if self.jet.wide else 1):
                    raise ValueError(f"{value!r} does not fit {column.name} ({column.size})")
                var_parts.append(data)
        count = struct.pack("<H", len(columns)) if self.jet.wide else bytes([len(columns)])
        body = count + fixed + b"".join(var_parts)
        if not var_parts:
            return body + null_mask
        offsets = [len(count) + len(fixed)]  # where each variable column starts, then the end
        for part in var_parts:
            offsets.append(offsets[-1] + len(part))
        if self.jet.wide:
            table = b"".join(struct.pack("<H", o) for o in reversed(offsets))
            return body + table + struct.pack("<H", len(var_parts)) + null_mask
        return body + self.jet3_offsets(offsets, len(body), len(null_mask)) + null_mask

    @staticmethod
    def jet3_offsets(offsets: list[int], body_len: int, mask_len: int) -> bytes:
        """Jet 3 offsets are single bytes. A jump table (stored just before the variable-column
        count) names the first offset entry past each further 256 bytes; readers size it from the
        row's length, so it may end with one 0xff dummy."""
        fixed_len = body_len + len(offsets) + 1 + mask_len
        jumps = next(k for k in range(16) if (fixed_len + k - 1) // 256 == k)
        needed = offsets[-1] // 256
        if jumps - needed > 1:
            raise ValueError("this row's Jet 3 jump table would need two dummies")
        table = [next(i for i, o in enumerate(offsets) if o >= 256 * m)
                 for m in range(1, needed + 1)] + [0xFF] * (jumps - needed)
        low = bytes(o & 0xFF for o in reversed(offsets))
        return low + bytes(reversed(table)) + bytes([len(offsets) - 1])

    # Pages --------------------------------------------------------------------------------------

    def data_page(self, tdef_page: int, rows: Sequence[bytes]) -> bytes:
        jet = self.jet
        page = bytearray(jet.page_size)
        end = jet.page_size
        for number, row in enumerate(rows):
            end -= len(row)
            page[end:end + len(row)] = row
            struct.pack_into("<H", page, jet.row_count_at + 2 + 2 * number, end)
        top = jet.row_count_at + 2 + 2 * len(rows)
        if end < top:
            raise ValueError("rows do not fit on one page")
        struct.pack_into("<BBHI", page, 0, 0x01, 0x01, end - top, tdef_page)
        struct.pack_into("<H", page, jet.row_count_at, len(rows))
        return bytes(page)

    def split_rows(self, rows: Sequence[bytes]) -> list[list[bytes]]:
        """Rows in order over as many data pages as they need."""
        room = self.jet.page_size - self.jet.row_count_at - 2
        pages: list[list[bytes]] = []
        left = 0
        for row in rows:
            if len(row) + 2 > room:
                raise ValueError("a row longer than a page")
            if not pages or len(row) + 2 > left:
                pages.append([])
                left = room
            pages[-1].append(row)
            left -= len(row) + 2
        return pages

    def tdef_page(self, table: Table, usage_map: int) -> bytes:
        jet = self.jet
        columns = table.columns
        block = bytearray(4)  # its length, set below
        if jet.wide:
            block += struct.pack("<II", 0, len(table.rows)) + bytes(20)
        else:
            block += struct.pack("<I", len(table.rows)) + bytes(4)
        block += struct.pack("<BHHHII", 0x53 if table.system else 0x4E, len(columns),
                             sum(not c.fixed for c in columns), len(columns), 0, 0)
        block += struct.pack("<II", usage_map, usage_map + 1)  # used pages, pages with room
        names = bytearray()
        fixed_at = var_number = 0
        for number, column in enumerate(columns):
            flags = 0x02 | (0x01 if column.fixed else 0)  # nullable, fixed length
            size = FIXED_SIZES.get(column.type, 0)
            if column.type is ColumnType.TEXT:
                size = column.size * (2 if jet.wide else 1)
            sort_order = 0x409 if column.type is ColumnType.TEXT else 0  # "General"
            name = column.name.encode(self.charset)
            if jet.wide:
                block += struct.pack("<BIHHHHHBBIHH", column.type, 0, number, var_number, number,
                                     sort_order, 0, flags, 0, 0, fixed_at, size)
                names += struct.pack("<H", len(name)) + name
            else:
                text_page = 932 if sort_order and self.charset == "cp932" else 0
                block += struct.pack("<BHHHHHHBHH", column.type, number, var_number, number,
                                     sort_order, text_page, 0, flags, fixed_at, size)
                names += bytes([len(name)]) + name
            if column.fixed:
                fixed_at += FIXED_SIZES[column.type]
            else:
                var_number += 1
        block += names + b"\xff\xff"  # no per-column usage maps follow
        struct.pack_into("<I", block, 0, len(block))
        if 8 + len(block) > jet.page_size:
            raise ValueError(f"the definition of {table.name} needs more than one page")
        free = b"VC" if not jet.wide else struct.pack("<H", jet.page_size - 16 - len(block))
        page = b"\x02\x01" + free + bytes(4) + block  # bytes 4-7: no next TDEF page
        return page + bytes(jet.page_size - len(page))

    def header_page(self, code_page: int) -> bytes:
        jet = self.jet
        page = bytearray(jet.page_size)
        page[0:19] = b"\x00\x01\x00\x00Standard Jet DB"
        page[0x14] = jet.version
        clear = bytearray(jet.header_mask_len)  # offsets below are page offsets minus 0x18
        sort_order = 0x411 if code_page == 932 else 0x409
        struct.pack_into("<H", clear, (0x6E if jet.wide else 0x3A) - 0x18, sort_order)
        struct.pack_into("<H", clear, 0x3C - 0x18, code_page)
        page[0x18:0x18 + len(clear)] = _rc4(HEADER_KEY, bytes(clear))
        return bytes(page)

    @staticmethod
    def usage_map(pages: Sequence[int], total: int) -> bytes:
        bitmap = bytearray((total + 7) // 8)
        for number in pages:
            bitmap[number // 8] |= 1 << (number % 8)
        return b"\x00" + struct.pack("<I", 0) + bytes(bitmap)  # type 0, from page 0

    # The file -----------------------------------------------------------------------------------

    def database(self, tables: Sequence[Table], code_page: int) -> bytes:
        created = dt.datetime(2024, 4, 1, 9, 0)
        first = CATALOG_PAGE + 1  # user tables' TDEFs follow the catalog's
        entries = [[CATALOG_PAGE, 0, "MSysObjects", 1, created, created, SYSTEM_TABLE, None]]
        entries += [[first + i, 0, table.name, 1, created, created, 0, None]
                    for i, table in enumerate(tables)]
        everything = [Table("MSysObjects", CATALOG_COLUMNS, entries, system=True), *tables]
        next_page = first + len(tables)
        layouts: list[list[list[bytes]]] = []
        owned: list[list[int]] = []
        for table in everything:
            layout = self.split_rows([self.row(table.columns, r) for r in table.rows])
            layouts.append(layout)
            owned.append(list(range(next_page, next_page + len(layout))))
            next_page += len(layout)
        maps: list[bytes] = []
        for pages in owned:
            maps += [self.usage_map(pages, next_page), self.usage_map([], next_page)]
        out = [self.header_page(code_page), self.data_page(0, maps)]
        out += [self.tdef_page(table, USAGE_MAP_PAGE << 8 | 2 * number)
                for number, table in enumerate(everything)]
        tdefs = [CATALOG_PAGE, *range(first, first + len(tables))]
        for tdef, layout in zip(tdefs, layouts, strict=True):
            out += [self.data_page(tdef, rows) for rows in layout]
        return b"".join(out)


# Access keeps its relationships in this system table; mdb-schema reports them as foreign keys.
RELATIONSHIP_COLUMNS = (
    Column("ccolumn", ColumnType.LONG), Column("grbit", ColumnType.LONG),
    Column("icolumn", ColumnType.LONG), Column("szColumn", ColumnType.TEXT, 64),
    Column("szObject", ColumnType.TEXT, 64), Column("szReferencedColumn", ColumnType.TEXT, 64),
    Column("szReferencedObject", ColumnType.TEXT, 64), Column("szRelationship", ColumnType.TEXT, 64))


def relationships(*links: tuple[str, str, str, str]) -> Table:
    """MSysRelationships holding single-column relationships (child table, child column, parent
    table, parent column)."""
    rows = [[1, 0, 0, column, child, ref, parent, f"{parent}{child}{n}"]
            for n, (child, column, parent, ref) in enumerate(links)]
    return Table("MSysRelationships", RELATIONSHIP_COLUMNS, rows, system=True)
