"""The CLI's early read (daicho.importing.early): the zip scan and the parse on a thread."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from pathlib import Path

from daicho.importing import Limits
from daicho.importing.collector import no_cycle_collection
from daicho.importing.early import EarlyRead
from daicho.importing.readers import read_book

MakeXlsx = Callable[..., Path]


def test_collector_stays_off_until_the_last_holder_is_done() -> None:
    """The early read's thread may finish while the import on the main thread still holds its
    table: the collector must not come back on under the import."""
    assert gc.isenabled()
    entered, leave = threading.Event(), threading.Event()

    def thread() -> None:
        with no_cycle_collection():
            entered.set()
            leave.wait(10)

    worker = threading.Thread(target=thread)
    worker.start()
    try:
        entered.wait(10)
        with no_cycle_collection():
            leave.set()
            worker.join(10)
            assert not worker.is_alive()
            assert not gc.isenabled()  # the thread is done, the import is not
        assert gc.isenabled()
    finally:
        leave.set()
        worker.join(10)
        gc.enable()


def test_early_read_gives_the_book_read_book_gives(make_xlsx: MakeXlsx) -> None:
    path = make_xlsx({"一覧": [["名称", "金額"], ["本庁舎", 100], ["支所", 200]],
                      "メモ": [["備考"]]})
    early = EarlyRead(path, filename=path.name, sheet=None, encoding=None, limits=Limits())
    book = early.book()
    assert book is not None
    expected = read_book(path, filename=path.name, limits=Limits())
    assert (book.sheet_names, [s.rows for s in book.sheets]) == (
        expected.sheet_names, [s.rows for s in expected.sheets])
    assert early.book() is None  # handed over once


def test_a_file_the_scan_refuses_is_left_to_the_importer(make_xlsx: MakeXlsx, rezip: Callable[..., Path],
                                                         tmp_path: Path) -> None:
    base = make_xlsx([["名称"], ["本庁舎"]])
    unsafe = rezip(base, tmp_path / "unsafe.xlsx", {
        "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "b">]><w/>'})
    early = EarlyRead(unsafe, filename=unsafe.name, sheet=None, encoding=None, limits=Limits())
    assert early.book() is None
