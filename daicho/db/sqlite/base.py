"""Django's SQLite backend with two additions for a server of several processes and threads:
every connection opens after the process's lock keeper (`keeper.hold`, why: see there), and a
connection that cannot be opened because the database is busy is tried again a few times before
the request gives up (then the API answers 503, see daicho.db.transient)."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

from daicho.db import transient
from daicho.db.sqlite import keeper

log = logging.getLogger("daicho.db")
OPEN_ATTEMPTS = 4


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                if not self.is_in_memory_db():
                    keeper.hold(str(self.settings_dict["NAME"]))
                return super().get_new_connection(conn_params)
            except sqlite3.Error as exc:
                if attempt == OPEN_ATTEMPTS or not transient.is_transient(exc):
                    raise
                log.warning("opening the database failed (%s), attempt %d of %d; trying again",
                            exc, attempt, OPEN_ATTEMPTS)
                time.sleep(0.05 * 2 ** attempt)
        raise AssertionError("unreachable")
