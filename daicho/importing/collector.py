"""The cyclic garbage collector switched off while an import holds its table."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off while an import holds its table: a million small
    objects (cells, columns, SQL parameters) and no reference cycles among them. Left on, it
    rescans all of them again and again as more are made, which costs more than making them
    (0.4 s of a 100,000-row import's writing alone).

    The switch is the whole process's, and the early read's thread holds it while the import
    on the main thread does too: it is counted, so the collector comes back on (if it was on)
    only when the last holder is done, not when the thread finishes first."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


_lock = threading.Lock()
_holders = 0
_was_enabled = False
