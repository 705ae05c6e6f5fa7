"""Process management (contract §8): the definition, the actions on a record, delegation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from pydantic import Field

from daicho import access
from daicho.api import Body, api, schemas
from daicho.services import process as svc
from daicho.services import process_design


class ActionIn(Body):
    action: Any = None
    revision: Any = None
    comment: Any = None


class ProcessIn(Body):
    enabled: Any = None
    statuses: Any = None
    initial: Any = None
    actions: Any = None


class DelegationIn(Body):
    delegate: Any = None
    starts: Any = Field(None, alias="from")  # `from` is a Python keyword
    until: Any = None


@api.get("/ledgers/{ledger_id}/process", tags=["process"], response=schemas.ProcessOut,
         exclude_unset=True)
def get_process(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return process_design.process_json(schema.ledger)


@api.put("/ledgers/{ledger_id}/process", tags=["process"], response=schemas.ProcessOut,
         exclude_unset=True)
def put_process(request: HttpRequest, ledger_id: int, body: ProcessIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return process_design.set_process(user=request.user, schema=schema,
                                      body=body.model_dump(exclude_unset=True))


@api.get("/ledgers/{ledger_id}/records/{record_id}/actions", tags=["process"],
         response=schemas.OffersOut, exclude_unset=True, by_alias=True)
def list_actions(request: HttpRequest, ledger_id: int, record_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    return svc.offers_json(user=request.user, schema=schema, record_id=record_id)


@api.post("/ledgers/{ledger_id}/records/{record_id}/actions", tags=["process"],
          response=schemas.RecordOut, exclude_unset=True)
def take_action(request: HttpRequest, ledger_id: int, record_id: int,
                body: ActionIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    return svc.take_action(user=request.user, schema=schema, record_id=record_id,
                           action=body.action, revision=body.revision, comment=body.comment)


@api.get("/me/delegation", tags=["process"], response=schemas.DelegationOut, exclude_unset=True,
         by_alias=True)
def get_delegation(request: HttpRequest) -> dict[str, Any]:
    return svc.delegation_json(request.user)


@api.put("/me/delegation", tags=["process"], response=schemas.DelegationOut, exclude_unset=True,
         by_alias=True)
def put_delegation(request: HttpRequest, body: DelegationIn) -> dict[str, Any]:
    return svc.set_delegation(user=request.user, delegate=body.delegate, starts=body.starts,
                              ends=body.until)
