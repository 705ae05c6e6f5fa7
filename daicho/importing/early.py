"""Reading a file on a thread while the rest of the program starts.

calamine parses a workbook without holding the GIL, so `daicho import` hands the file to an
EarlyRead before Django is set up: the zip scan and the parse (most of a big workbook's
reading) run on the second core while the main thread imports Django and loads the apps. The
scan comes first on that thread, as before any parse: most of its time is zlib inflating the
parts, which lets go of the GIL (daicho.importing.zipcheck inflates a kept part in one call for
that reason), so it no longer holds Django's start back. The importer takes the result with
`book()` and builds the table (header detection, type inference) as usual; a file the thread
could not read or refused is read again by the importer, which refuses it."""

from __future__ import annotations

import threading
from pathlib import Path

from daicho.importing.collector import no_cycle_collection
from daicho.importing.errors import Limits
from daicho.importing.readers import RawBook, read_book


class EarlyRead:
    def __init__(self, path: Path, *, filename: str | None, sheet: str | None,
                 encoding: str | None, limits: Limits) -> None:
        self.path, self.sheet, self.encoding, self.limits = path, sheet, encoding, limits
        self.filename = filename
        self._book: RawBook | None = None
        self._thread = threading.Thread(target=self._read, name="daicho-early-read", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with no_cycle_collection():
                self._book = read_book(self.path, filename=self.filename, sheet=self.sheet,
                                       encoding=self.encoding, limits=self.limits)
        except Exception:  # read again, and refused, by the caller (book())
            pass

    def matches(self, path: Path, *, filename: str | None, sheet: str | None,
                encoding: str | None, limits: Limits) -> bool:
        """Whether this read is the one asked for now (else it is dropped and read afresh)."""
        return (path, filename, sheet, encoding, limits) == (
            self.path, self.filename, self.sheet, self.encoding, self.limits)

    def book(self) -> RawBook | None:
        """The book, once; None when the read failed — the caller then reads the file itself,
        so the refusal is worded in the language active there (this thread ran before the
        command had chosen one) and raised where it is expected."""
        self._thread.join()
        book, self._book = self._book, None  # the grid is the caller's now
        return book
