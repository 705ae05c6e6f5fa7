"""Print forms (帳票, contract §7): upload a template, print a record or a list as xlsx or pdf."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Status
from ninja.params.functions import Form, Query

from daicho import access
from daicho.api import api, schemas
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.printforms import pdf, xlsx
from daicho.services import audit
from daicho.services import print_forms as svc
from daicho.web import print_forms as printing


@api.post("/ledgers/{ledger_id}/forms", tags=["print forms"],
          response={201: schemas.FormUploaded}, exclude_unset=True)
def post_form(request: HttpRequest, ledger_id: int,
              name: str = Form("")) -> Status[dict[str, Any]]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(_("Send the file as the multipart field 「file」."), code=Code.NO_FILE)
    form = svc.upload(user=request.user, schema=schema, name=name or upload.name or "",
                      data=upload.read(xlsx.MAX_TEMPLATE_BYTES + 1))
    return Status(201, {**svc.form_json(form), "missing_fonts": pdf.missing_fonts(set(form.fonts)),
                        "pdf": pdf.converter() is not None})


@api.get("/ledgers/{ledger_id}/forms", tags=["print forms"], response=schemas.FormList,
         exclude_unset=True)
def get_forms(request: HttpRequest, ledger_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    return {"items": [svc.form_json(f) for f in svc.forms_of(request.user, schema)],
            "pdf": pdf.converter() is not None}


@api.delete("/ledgers/{ledger_id}/forms/{form_id}", tags=["print forms"], response={204: None})
def delete_form(request: HttpRequest, ledger_id: int, form_id: int) -> Status[None]:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    svc.delete(user=request.user, schema=schema, form_id=form_id)
    return Status(204, None)


def _response(printed: printing.Printed) -> HttpResponse:
    response = HttpResponse(printed.content, content_type=printed.content_type)
    ascii_name = "form." + printed.filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                       f"filename*=UTF-8''{quote(printed.filename)}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/ledgers/{ledger_id}/records/{record_id}/print", tags=["print forms"])
def print_record(request: HttpRequest, ledger_id: int, record_id: int, form: str = "",
                 format: str = "xlsx") -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    found = svc.get(request.user, schema, form)
    printed = printing.render(request.user, schema, found, fmt=format, record_id=record_id)
    audit.viewed(request, schema, record_id=record_id)
    return _response(printed)


@api.get("/ledgers/{ledger_id}/print", tags=["print forms"])
def print_list(request: HttpRequest, ledger_id: int, form: str = "", format: str = "xlsx",
               filter: list[str] = Query([]), q: str = "",
               sort: str | None = None) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    found = svc.get(request.user, schema, form)
    printed = printing.render(request.user, schema, found, fmt=format, filters=filter, search=q,
                              sort=sort)
    audit.viewed(request, schema)
    return _response(printed)
