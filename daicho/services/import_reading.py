"""An import's options and its file read into a table (daicho.importing), within the configured
limits; a file the reader refuses becomes a DaichoError with the reader's code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import DaichoError, TooLarge
from daicho.importing import ImportFileError, Limits, ParsedTable, read_table
from daicho.importing.early import EarlyRead

Progress = Callable[[int, int], None]


@dataclass
class ColumnChoice:
    """The wizard's say about one column of the file: keep or skip it, its name and type."""

    source_index: int
    name: str | None = None
    type: str | None = None
    options: dict[str, Any] | None = None
    skip: bool = False


@dataclass
class ImportOptions:
    ledger: str | int | None = None
    name: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    key: str | None = None
    mode: str | None = None
    skip_bad_rows: bool = False
    dry_run: bool = False
    columns: list[ColumnChoice] = field(default_factory=list)
    # Which rows are records (1-based sheet rows; see importing/outline.py, RowSelection)
    first_row: int | None = None
    last_row: int | None = None
    exclude_rows: frozenset[int] = frozenset()
    include_rows: frozenset[int] = frozenset()


def _file_error(exc: ImportFileError) -> DaichoError:
    return DaichoError(exc.message, code=exc.code, status=exc.status, details=exc.details)


def import_limits() -> Limits:
    return Limits.configured(settings.DAICHO)


def check_upload_size(size: int | None) -> None:
    """Refuse a file larger than the import limit (the API and the wizard both ask here)."""
    limit = import_limits().max_file_bytes
    if (size or 0) > limit:
        raise TooLarge(_("The file is larger than %(n)d MB.") % {"n": limit // (1024 * 1024)},
                       code=Code.TOO_LARGE)


def read(path: Path, *, filename: str, opts: ImportOptions,
         progress: Progress | None = None, early: EarlyRead | None = None) -> ParsedTable:
    """The file's table; `early` is a read of it already under way (the CLI starts one before
    Django is set up), used when it was started with the same file, options and limits."""
    limits = import_limits()
    try:
        book = early.book() if early is not None and early.matches(
            path, filename=filename, sheet=opts.sheet, encoding=opts.encoding,
            limits=limits) else None
        return read_table(path, filename=filename, sheet=opts.sheet, header_row=opts.header_row,
                          encoding=opts.encoding, limits=limits, progress=progress, book=book,
                          first_row=opts.first_row, last_row=opts.last_row,
                          exclude_rows=frozenset(opts.exclude_rows),
                          include_rows=frozenset(opts.include_rows))
    except ImportFileError as exc:
        raise _file_error(exc) from None
