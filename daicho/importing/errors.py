"""The one exception the importer raises for a file it cannot or will not read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from daicho.error_codes import Code

# Codes that mean "too big" map to HTTP 413; every other code is a 400.
TOO_LARGE_CODES = frozenset({Code.TOO_LARGE, Code.ZIP_BOMB})


class ImportFileError(Exception):
    """A refused file. `code` is stable snake_case for programs, `message` for people (in the
    active language, Japanese by default).

    Codes (docs/api.md, "Error codes"): empty_file, unsupported_format, wrong_file_type,
    corrupt_file, password_protected, invalid_encoding, too_large, zip_bomb, unsafe_file,
    sheet_not_found, header_row_invalid, no_table, mdbtools_missing, mdbtools_failed,
    invalid_row_choice."""

    def __init__(self, code: Code, message: str, *, details: dict[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.details = details or {}
        super().__init__(message)

    @property
    def status(self) -> int:
        return 413 if self.code in TOO_LARGE_CODES else 400

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Limits:
    """Hostile-input limits. The defaults accept anything Excel itself can save.

    max_cells counts the rectangle a sheet spans (what the reader must hold in memory), not just
    the filled cells, because a file with one cell at A1 and one at XFD1048576 costs as much."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_cells: int = 50_000_000
    max_columns: int = 16_384
    max_rows: int = 1_048_576
    max_cell_chars: int = 1_000_000
    # Sum of the uncompressed sizes of a zip (xlsx/ods) and the largest ratio one member may have.
    max_uncompressed_bytes: int = 4 * 1024 * 1024 * 1024
    max_compression_ratio: int = 200
    # Seconds an external tool (mdbtools) may run.
    tool_timeout: float = 300.0

    @classmethod
    def configured(cls, daicho_settings: Mapping[str, Any] | None) -> Limits:
        """The limits of settings.DAICHO["IMPORT_LIMITS"] (the defaults for what it leaves out)."""
        return cls(**((daicho_settings or {}).get("IMPORT_LIMITS") or {}))
