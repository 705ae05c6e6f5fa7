"""Django's SQLite backend with three additions for a server of several processes and threads:
every connection opens after the process's lock keeper (`keeper.hold`, why: see there), and
in a server process, whose own thread checkpoints, with SQLite's automatic checkpoint only as a
backstop (`keeper.autocheckpoint_pages`); a
connection that cannot be opened because the database is busy is tried again a few times before
the request gives up (then the API answers 503, see daicho.db.transient); and the threads of a
process take turns for the write lock in a queue of their own (`writers`, why: see there)."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

from daicho.db import transient
from daicho.db.sqlite import keeper, writers

log = logging.getLogger("daicho.db")
OPEN_ATTEMPTS = 4


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                if not self.is_in_memory_db():
                    keeper.hold(str(self.settings_dict["NAME"]))
                conn = super().get_new_connection(conn_params)
                pages = keeper.autocheckpoint_pages()
                if pages is not None:  # a thread of the process checkpoints, not the commits
                    conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
                return conn
            except sqlite3.Error as exc:
                if attempt == OPEN_ATTEMPTS or not transient.is_transient(exc):
                    raise
                log.warning("opening the database failed (%s), attempt %d of %d; trying again",
                            exc, attempt, OPEN_ATTEMPTS)
                time.sleep(0.05 * 2 ** attempt)
        raise AssertionError("unreachable")

    # -- the process's queue for the write lock (daicho.db.sqlite.writers) ------------------------

    _turn: Any = None  # the writers' lock this connection holds, during a transaction

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        turn = writers.turn_for(str(self.settings_dict["NAME"]))
        writers.wait_for_turn(turn, float(self.settings_dict["OPTIONS"].get("timeout", 5)))
        self._turn = turn
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
