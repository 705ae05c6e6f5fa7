"""Ledgers and fields (contract §4.1)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema, Status

from daicho import access
from daicho.api import Body, api, schemas
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.selectors.ledgers import LedgerSchema, field_json, ledger_json
from daicho.services import audit, designs, permissions
from daicho.services import ledgers as svc


class FieldIn(Body):
    name: Any = None
    type: Any = None
    code: Any = None
    required: Any = False
    unique: Any = False
    options: Any = None


class LedgerIn(Body):
    name: Any = None
    description: Any = ""
    fields: list[dict[str, Any]] = []
    template: Any = None


class LedgerPatch(Body):
    name: Any = None
    description: Any = None
    sensitive: Any = None
    migrated_from: Any = None
    folder: Any = None
    template: Any = None


class FieldPatch(Body):
    name: Any = None
    type: Any = None
    options: Any = None
    required: Any = None
    unique: Any = None
    position: Any = None
    confirm: bool = False


class FieldOrder(Body):
    codes: list[str]


class RulesIn(Body):
    rules: Any = None


def _present(schema: Schema) -> dict[str, Any]:
    return {k: v for k, v in schema.model_dump(exclude_unset=True).items()}


@api.get("/ledgers", tags=["ledgers"], response=schemas.LedgerList, exclude_unset=True)
def get_ledgers(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return {"items": access.ledger_list(request.user)}


def _ledger_json(request: HttpRequest, schema: LedgerSchema) -> dict[str, Any]:
    data = ledger_json(schema)
    if not access.sees_all_records(request.user, schema.ledger):
        data["record_count"] = None
    return data


@api.post("/ledgers", tags=["ledgers"], response={201: schemas.LedgerOut}, exclude_unset=True)
def post_ledger(request: HttpRequest, body: LedgerIn) -> Status[dict[str, Any]]:
    access.require_user(request.user)
    if body.template is None:
        schema = svc.create_ledger(user=request.user, name=body.name,
                                   description=body.description, fields=body.fields)
        return Status(201, ledger_json(schema))
    if body.fields:
        raise InvalidInput(_("Give either fields or a template, not both."),
                           code=Code.INVALID_TEMPLATE)
    design = designs.template_design(request.user, body.template)
    given = body.model_fields_set
    schema, notes = designs.create_from_design(
        user=request.user, design=design, name=body.name,
        description=body.description if "description" in given else None)
    return Status(201, {**ledger_json(schema), "notes": notes})


@api.get("/ledgers/{ledger_id}", tags=["ledgers"], response=schemas.LedgerOut, exclude_unset=True)
def get_ledger(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    audit.not_shown(schema)  # the definition, no record: not a read for the access log
    return _ledger_json(request, schema)


@api.patch("/ledgers/{ledger_id}", tags=["ledgers"], response=schemas.LedgerOut, exclude_unset=True)
def patch_ledger(request: HttpRequest, ledger_id: int, body: LedgerPatch) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    patch = _present(body)
    if "template" in patch:
        designs.set_template(user=request.user, schema=schema, value=patch.pop("template"))
        if not patch:
            return ledger_json(access.ledger_for(request.user, ledger_id, "manage"))
    flagged = "sensitive" in patch
    migrated = "migrated_from" in patch
    # Checked before anything is saved, so a bad flag leaves the name alone too.
    sensitive = permissions.clean_sensitive(patch.pop("sensitive")) if flagged else False
    origin = svc.clean_migrated_from(patch.pop("migrated_from")) if migrated else None
    if patch or not (flagged or migrated):
        schema = svc.update_ledger(user=request.user, schema=schema, patch=patch)
    if flagged:
        permissions.set_sensitive(user=request.user, schema=schema, sensitive=sensitive)
    if migrated:
        svc.set_migrated_from(user=request.user, schema=schema, origin=origin)
    return ledger_json(schema)


@api.post("/ledgers/{ledger_id}/fields", tags=["fields"], response={201: schemas.FieldOut},
          exclude_unset=True)
def post_field(request: HttpRequest, ledger_id: int, body: FieldIn) -> Status[dict[str, Any]]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return Status(201, field_json(svc.add_field(user=request.user, schema=schema, spec=_present(body))))


@api.put("/ledgers/{ledger_id}/fields/order", tags=["fields"], response=schemas.LedgerOut,
         exclude_unset=True)
def put_field_order(request: HttpRequest, ledger_id: int, body: FieldOrder) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    svc.reorder_fields(user=request.user, schema=schema, codes=body.codes)
    return ledger_json(access.ledger_for(request.user, ledger_id, "manage"))


@api.patch("/ledgers/{ledger_id}/fields/{code}", tags=["fields"], response=schemas.FieldOut,
           exclude_unset=True)
def patch_field(request: HttpRequest, ledger_id: int, code: str,
                body: FieldPatch) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return field_json(svc.update_field(user=request.user, schema=schema, code=code,
                                       patch=_present(body)))


@api.delete("/ledgers/{ledger_id}/fields/{code}", tags=["fields"], response={204: None})
def delete_field(request: HttpRequest, ledger_id: int, code: str) -> Status[None]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    svc.delete_field(user=request.user, schema=schema, code=code)
    return Status(204, None)


@api.post("/ledgers/{ledger_id}/fields/{code}/restore", tags=["fields"], response=schemas.FieldOut,
          exclude_unset=True)
def restore_field(request: HttpRequest, ledger_id: int, code: str) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return field_json(svc.restore_field(user=request.user, schema=schema, code=code))


@api.get("/ledgers/{ledger_id}/permissions", tags=["permissions"], response=schemas.RulesOut,
         exclude_unset=True)
def get_permissions(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return {"rules": schema.ledger.rules}


@api.put("/ledgers/{ledger_id}/permissions", tags=["permissions"], response=schemas.RulesOut,
         exclude_unset=True)
def put_permissions(request: HttpRequest, ledger_id: int, body: RulesIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return {"rules": permissions.set_rules(user=request.user, schema=schema, rules=body.rules)}


class DesignIn(Body):
    design: Any = None
    name: Any = None
    description: Any = None


@api.get("/ledgers/{ledger_id}/design", tags=["ledgers"])
def get_design(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    """The ledger's design as a file to share: fields, permissions, views, process (no
    records). Its managers."""
    schema = access.ledger_for(request.user, ledger_id, "manage")
    return designs.export_design(user=request.user, schema=schema)


@api.post("/ledger-designs", tags=["ledgers"], response={201: schemas.LedgerOut}, exclude_unset=True)
def post_design(request: HttpRequest, body: DesignIn) -> Status[dict[str, Any]]:
    """A new ledger from a design file (`GET …/design` of this or another installation)."""
    access.require_user(request.user)
    schema, notes = designs.create_from_design(user=request.user, design=body.design,
                                               name=body.name, description=body.description)
    return Status(201, {**ledger_json(schema), "notes": notes})


@api.get("/templates", tags=["ledgers"], response=schemas.TemplateList, exclude_unset=True)
def get_templates(request: HttpRequest) -> dict[str, Any]:
    """The ledgers marked as templates, for whoever may create ledgers."""
    access.require_user(request.user)
    return {"items": [{"id": lg.id, "name": lg.name, "description": lg.description}
                      for lg in designs.templates(request.user)]}
