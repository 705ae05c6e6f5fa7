"""The sensitive ledgers a request read, noted while it is served.

Logging a read must not depend on each view remembering a call. The gate (access.ledger_for)
reports every ledger it opens for `view` to opened(); while a request is served
(daicho.services.audit.SensitiveReadsMiddleware) the sensitive ones are collected here, and
when the request has answered a read (GET or HEAD, status below 400) the middleware writes one
access-log entry per sensitive ledger. A view may make its entry more precise
(audit.viewed: the record or file shown); a page that opened a ledger without showing any of
its data says so with not_shown(). Noting costs no query and writes nothing; this module sits
below the gate so that the gate need not import the services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from daicho.selectors.ledgers import LedgerSchema, is_sensitive


@dataclass
class Read:
    user: Any
    action: str = "view_list"
    details: dict[str, Any] | None = None


# ledger id → the read, while a request is served through the middleware (else None)
READS: ContextVar[dict[int, Read] | None] = ContextVar("daicho_sensitive_reads", default=None)


def opened(user: Any, schema: LedgerSchema, right: str) -> LedgerSchema:
    """The gate's report of a ledger granted to `user` (returned as it is). Costs no query."""
    reads = READS.get()
    if reads is not None and right == "view" and schema.id not in reads \
            and is_sensitive(schema.ledger):
        reads[schema.id] = Read(user)
    return schema


def not_shown(schema: LedgerSchema) -> None:
    """The page opened this ledger without showing any of its records (e.g. to leave a
    sensitive ledger out of a summary): no entry for it."""
    reads = READS.get()
    if reads is not None:
        reads.pop(schema.id, None)
