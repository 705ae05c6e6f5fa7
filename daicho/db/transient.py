"""Database conditions that pass: the database is busy or locked, or a connection cannot be made
for the moment. A request that meets one is answered 503 with Retry-After (the transaction was
rolled back, nothing was written, the client may send it again); anything else is a real error."""

from __future__ import annotations

import sqlite3

# SQLite primary result codes: BUSY, LOCKED, CANTOPEN (the extended codes keep them in the low byte).
_SQLITE_CODES = {5, 6, 14}
# PostgreSQL SQLSTATEs: connection exceptions (08…), too many connections (53300), serialization
# failure, deadlock, lock not available, shutting down or starting up (57P01–57P03).
_PG_STATES = ("08", "53300", "40001", "40P01", "55P03", "57P01", "57P02", "57P03")
RETRY_AFTER_SECONDS = 2


def is_transient(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 5:  # Django wraps the driver's error (its __cause__)
        if isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None:
                return (code & 0xFF) in _SQLITE_CODES
            return "locked" in str(exc) or "unable to open" in str(exc)
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str):
            return state.startswith(_PG_STATES)
        if type(exc).__module__.startswith("psycopg") and "connection" in str(exc).lower():
            return True  # psycopg.OperationalError without a SQLSTATE: the server is not there
        exc, seen = exc.__cause__, seen + 1
    return False
