"""A ledger's webhooks and their delivery log (contract §9), for its managers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Schema

from daicho import access
from daicho.api import Body, api, schemas
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.selectors import webhooks as log
from daicho.selectors.webhooks import delivery_json
from daicho.services import webhooks as svc


class HooksIn(Body):
    hooks: Any = None


class DeliveriesQuery(Schema):
    status: str | None = None
    hook: int | None = None
    before: int | None = None


@api.get("/ledgers/{ledger_id}/webhooks", tags=["webhooks"], response=schemas.HookList,
         exclude_unset=True)
def get_webhooks(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return {"hooks": svc.list_hooks(schema)}


@api.put("/ledgers/{ledger_id}/webhooks", tags=["webhooks"], response=schemas.HookList,
         exclude_unset=True)
def put_webhooks(request: HttpRequest, ledger_id: int, body: HooksIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return {"hooks": svc.set_hooks(user=request.user, schema=schema, hooks=body.hooks)}


@api.get("/ledgers/{ledger_id}/webhooks/deliveries", tags=["webhooks"],
         response=schemas.DeliveryPage, exclude_unset=True)
def get_deliveries(request: HttpRequest, ledger_id: int,
                   params: Query[DeliveriesQuery]) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    if params.status and params.status not in log.STATUSES:
        raise InvalidInput(_("Unknown status; use one of %(statuses)s.")
                           % {"statuses": ", ".join(log.STATUSES)}, code=Code.INVALID_STATUS)
    return log.deliveries(access.grant_of(request.user, schema), status=params.status,
                          hook=params.hook, before=params.before)


@api.post("/ledgers/{ledger_id}/webhooks/deliveries/{delivery_id}/retry", tags=["webhooks"],
          response=schemas.DeliveryOut, exclude_unset=True)
def retry_delivery(request: HttpRequest, ledger_id: int, delivery_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    delivery = svc.retry(user=request.user, schema=schema, delivery_id=delivery_id)
    return delivery_json(delivery, {h["id"]: h["url"] for h in svc.list_hooks(schema)})
