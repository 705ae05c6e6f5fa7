"""The threads of one process take turns for SQLite's write lock in a queue of their own.

Why: every transaction starts `BEGIN IMMEDIATE` and so waits for the database's one write lock.
SQLite's busy handler does not queue a waiter: it sleeps 1, 2, 5, 10, … up to 100 ms and tries
again, so under contention the lock is often free while every waiter sleeps, and a late waiter
may overtake one that has waited long.

A process-wide lock per database file is taken before `BEGIN IMMEDIATE` and released at the
commit or rollback: the threads of one process wait for each other in Python, where a release
wakes the next waiter at once, and only one of them at a time meets the busy handler, waiting
for other processes. Waiting here counts against the same DAICHO_DB_LOCK_TIMEOUT; past it the
transaction fails as a busy database does (503, daicho.db.transient). An in-memory database
(tests) has one connection and needs no turns.

Keyed by process id: a lock must not cross fork() (a child would inherit it held)."""

from __future__ import annotations

import os
import sqlite3
import threading

from django.db import OperationalError

_guard = threading.Lock()
_turns: dict[tuple[int, str], threading.Lock] = {}


def turn_for(path: str) -> threading.Lock:
    key = (os.getpid(), path)
    found = _turns.get(key)
    if found is None:
        with _guard:
            found = _turns.setdefault(key, threading.Lock())
    return found


def wait_for_turn(turn: threading.Lock, timeout: float) -> None:
    if not turn.acquire(timeout=timeout):
        raise OperationalError("database is locked") from sqlite3.OperationalError(
            "database is locked (waited for another thread of this process to commit)")
