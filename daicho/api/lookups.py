"""Copy lookups of a record: whether the master changed since the copy, and fetching again
(contract §7's `lookup` with daicho's `copy` option; docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from daicho import access
from daicho.api import Body, api, schemas
from daicho.services import lookup_copies


class RefreshIn(Body):
    fields: Any = None


@api.get("/ledgers/{ledger_id}/records/{record_id}/lookups", tags=["records"],
         response=schemas.CopyStateList, exclude_unset=True)
def copy_state(request: HttpRequest, ledger_id: int, record_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    return {"items": lookup_copies.state(user=request.user, schema=schema, record_id=record_id)}


@api.post("/ledgers/{ledger_id}/records/{record_id}/lookups/refresh", tags=["records"],
          response=schemas.RecordOut, exclude_unset=True)
def refresh(request: HttpRequest, ledger_id: int, record_id: int,
            body: RefreshIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "edit")
    return lookup_copies.refresh(user=request.user, schema=schema, record_id=record_id,
                                 fields=body.fields)
