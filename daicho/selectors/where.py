"""The WHERE of a gated read: live or trashed, the gate's record predicate, the filters and
the search, as SQL over the ledger table `t` with %s parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db.dialect import live, q, trashed
from daicho.db.search import search_condition
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors.conditions import parse_filter
from daicho.selectors.ledgers import LedgerSchema


def where_clause(user: AnyUser, schema: LedgerSchema, *, filters: Sequence[str] = (),
                 search: str = "", ctx: ValueContext, alias: str = "t",
                 deleted: bool = False, use_index: bool = True,
                 sort_column: str | None = None) -> tuple[str, list[Any]]:
    if len(filters) > 50:
        raise InvalidInput(_("Too many filters (at most 50)."), code=Code.INVALID_FILTER)
    clauses = [live(alias) if not deleted else trashed(alias)]
    params: list[Any] = []
    perm_sql, perm_params = access.record_predicate(user, schema, alias)
    if perm_sql:
        clauses.append(f"({perm_sql})")
        params += perm_params
    for spec in filters:
        sql, p = parse_filter(schema, spec, ctx, alias, use_index, sort_column)
        clauses.append(f"({sql})")
        params += p
    if search:
        if len(search) > 1000:
            raise InvalidInput(_("The search text is too long."), code=Code.INVALID_SEARCH)
        if schema.hidden:
            sql, p = _visible_text_condition(schema, search, alias)
        else:
            sql, p = search_condition(schema.ledger, search, alias)
        if sql:
            clauses.append(sql)
            params += p
    return " AND ".join(clauses), params


def _visible_text_condition(schema: LedgerSchema, search: str,
                            alias: str) -> tuple[str, list[Any]]:
    """Search for a user with hidden fields. The precomputed search key and its gram index hold
    the hidden text too, so they are not used: every term must occur (plain substring, LIKE) in
    one of the visible searchable text columns. This loses width folding (and case folding on
    PostgreSQL) for these users, and reveals nothing."""
    columns = [f"{alias}.{q(f.column)}" for f, ftype in schema.searchable
               if ftype.storage == "text"]
    terms = search.split()
    if not terms:
        return "", []
    if not columns:
        return "1=0", []
    clauses: list[str] = []
    params: list[Any] = []
    for term in terms[:20]:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(" + " OR ".join(f"{c} LIKE %s ESCAPE '\\'" for c in columns) + ")")
        params += [pattern] * len(columns)
    return " AND ".join(clauses), params
