"""What happened to records, told to the modules that react to it (notifications, webhooks,
mail), inside the writer's transaction.

Every record writer records history through one function (`record_history.write_history`, and for
an import `record_insert.import_columns`); that function also calls `emit` with one `RecordEvent` per
history entry. A listener runs in the same transaction as the change: what it writes (a
notification row, a mail in the outbox, a webhook delivery) commits or rolls back with the
change, and anything that leaves the process (SMTP, HTTP) is done by a job after commit.

Writers of other kinds of event (a process action, a comment) call `emit` themselves, in their
own transaction, with the action `status` or `comment` and the details in `extra`.

Listeners register with `listen` at start-up (`DaichoConfig.ready`). A listener gets the whole
sequence of one write (a bulk change or an import gives many events in one call), so it can
look up its rules once and decide per record or as one digest; it must be cheap when the ledger
has nothing to react with."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from daicho.selectors.ledgers import LedgerSchema

# create update delete restore import revert (the history actions), status, comment
ACTIONS = ("create", "update", "delete", "restore", "import", "revert", "status", "comment")


NO_CHANGES: Mapping[str, Any] = MappingProxyType({})


class RecordEvent(NamedTuple):
    """One thing that happened to one record.

    `changes` is the history entry's {code: {"old", "new"}} (JSON forms; empty for delete,
    restore and import). `extra` carries what the action adds: for `status` {"from", "to",
    "action", "comment", "waiting": [user ids now expected to act]}; for `comment`
    {"comment_id", "text", "mentions": [user ids]}.

    A named tuple, not a dataclass: an import makes one per record, and a frozen dataclass
    costs five times as much to make (0.19 s of a 100,000-row import's 3.1 s)."""

    action: str
    ledger_id: int
    record_id: int
    revision: int
    user_id: int | None
    changes: Mapping[str, Any] = NO_CHANGES
    batch_id: str = ""
    extra: Mapping[str, Any] = NO_CHANGES


Listener = Callable[["LedgerSchema", Sequence[RecordEvent]], None]

_listeners: list[Listener] = []


def listen(fn: Listener) -> Listener:
    """Register a listener (idempotent); usable as a decorator."""
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def emit(schema: LedgerSchema, events: Sequence[RecordEvent]) -> None:
    """Tell every listener, in the caller's transaction."""
    if events:
        for fn in _listeners:
            fn(schema, events)
