"""Records, history, bulk and aggregation (contract §4.2, §4.3)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status
from ninja.params.functions import Form, Query

from daicho import access
from daicho.api import Body, answered, api, schemas
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.selectors import crosstab as crosstabs
from daicho.selectors import records as sel
from daicho.selectors import related as related_sel
from daicho.services import audit, exports, files
from daicho.services import records as svc


class RecordIn(Body):
    values: Any = None


class RecordPatch(Body):
    revision: Any = None
    values: Any = None


class RevertIn(Body):
    to_revision: Any = None


class BulkIn(Body):
    create: list[Any] = []
    update: list[Any] = []


@api.get("/ledgers/{ledger_id}/records", tags=["records"], response=schemas.RecordPage,
         exclude_unset=True)
def list_records(request: HttpRequest, ledger_id: int, q: str = "",
                 filter: list[str] = Query([]), sort: str | None = None,
                 limit: int = 50, cursor: str | None = None,
                 trash: bool = False) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    ctx = ValueContext()
    page = sel.list_records(request.user, schema, filters=filter, search=q, sort=sort,
                            limit=limit, cursor=cursor, ctx=ctx, deleted=trash)
    audit.viewed(request, schema)
    return answered(request, {"items": sel.records_json(schema, page.rows, ctx),
                              "next_cursor": page.next_cursor, "total": page.total})


@api.post("/ledgers/{ledger_id}/records", tags=["records"], response={201: schemas.RecordOut},
          exclude_unset=True)
def create_record(request: HttpRequest, ledger_id: int,
                  body: RecordIn) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "add")
    values = body.values if body.values is not None else {}
    return answered(request, svc.create_record(user=request.user, schema=schema, values=values),
                    status=201)


@api.post("/ledgers/{ledger_id}/records/bulk", tags=["records"], response=schemas.BulkOut,
          exclude_unset=True)
def bulk(request: HttpRequest, ledger_id: int, body: BulkIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, *svc.bulk_rights(body.create, body.update))
    return svc.bulk(user=request.user, schema=schema, create=body.create, update=body.update)


@api.get("/ledgers/{ledger_id}/records/{record_id}", tags=["records"], response=schemas.RecordOut,
         exclude_unset=True)
def get_record(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    ctx = ValueContext()
    found = sel.records_json(schema, [sel.get_row(request.user, schema, record_id)], ctx)[0]
    audit.viewed(request, schema, record_id=record_id)
    return answered(request, found)


@api.patch("/ledgers/{ledger_id}/records/{record_id}", tags=["records"],
           response=schemas.RecordOut, exclude_unset=True)
def patch_record(request: HttpRequest, ledger_id: int, record_id: int,
                 body: RecordPatch) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "edit")
    values = body.values if body.values is not None else {}
    return answered(request, svc.update_record(user=request.user, schema=schema,
                                               record_id=record_id, revision=body.revision,
                                               values=values))


@api.delete("/ledgers/{ledger_id}/records/{record_id}", tags=["records"], response={204: None})
def delete_record(request: HttpRequest, ledger_id: int, record_id: int,
                  revision: int | None = None) -> Status[None]:
    schema = access.ledger_for(request.user, ledger_id, "delete")
    svc.delete_record(user=request.user, schema=schema, record_id=record_id, revision=revision)
    return Status(204, None)


@api.post("/ledgers/{ledger_id}/records/{record_id}/restore", tags=["records"],
          response=schemas.RecordOut, exclude_unset=True)
def restore_record(request: HttpRequest, ledger_id: int, record_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "delete")
    return svc.restore_record(user=request.user, schema=schema, record_id=record_id)


@api.get("/ledgers/{ledger_id}/records/{record_id}/history", tags=["records"],
         response=schemas.HistoryList, exclude_unset=True)
def record_history(request: HttpRequest, ledger_id: int, record_id: int) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    items = svc.history(user=request.user, schema=schema, record_id=record_id)
    audit.viewed(request, schema, record_id=record_id)
    return {"items": items}


@api.get("/ledgers/{ledger_id}/records/{record_id}/related", tags=["records"],
         response=schemas.RelatedList, exclude_unset=True)
def related_records(request: HttpRequest, ledger_id: int, record_id: int, limit: int = 10,
                    ledger: int | None = None, field: str | None = None,
                    cursor: str | None = None) -> dict[str, Any]:
    """Records of other ledgers whose link fields point at this one (contract §7): per ledger
    and link field, the total and the newest `limit`; `ledger`, `field` and `cursor` page one
    group."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    groups = related_sel.related(request.user, schema, record_id, limit=limit, ledger=ledger,
                                 field=field, cursor=cursor)
    audit.viewed(request, schema, record_id=record_id)
    return {"items": [g.to_json() for g in groups]}


@api.post("/ledgers/{ledger_id}/records/{record_id}/revert", tags=["records"],
          response=schemas.RecordOut, exclude_unset=True)
def revert_record(request: HttpRequest, ledger_id: int, record_id: int,
                  body: RevertIn) -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "edit")
    return svc.revert_record(user=request.user, schema=schema, record_id=record_id,
                             to_revision=body.to_revision)


@api.get("/ledgers/{ledger_id}/aggregate", tags=["records"], response=schemas.GroupList,
         exclude_unset=True)
def aggregate(request: HttpRequest, ledger_id: int, group_by: str | None = None,
              metric: str = "count", filter: list[str] = Query([]),
              q: str = "") -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    groups = sel.aggregate(request.user, schema, group_by=group_by, metric=metric,
                           filters=filter, search=q)
    audit.viewed(request, schema)
    return {"groups": groups}


@api.get("/ledgers/{ledger_id}/crosstab", tags=["records"], response=schemas.CrossTabOut,
         exclude_unset=True)
def crosstab(request: HttpRequest, ledger_id: int, rows: str = "", columns: str = "",
             metric: str = "count", filter: list[str] = Query([]),
             q: str = "") -> dict[str, Any]:
    schema = access.ledger_for(request.user, ledger_id, "view")
    table = crosstabs.crosstab(request.user, schema, rows=rows, columns=columns, metric=metric,
                               filters=filter, search=q)
    audit.viewed(request, schema)
    return table.to_json()


@api.post("/ledgers/{ledger_id}/files", tags=["files"], response={201: schemas.FileOut},
          exclude_unset=True)
def upload_file(request: HttpRequest, ledger_id: int,
                field: str = Form(...)) -> Status[dict[str, Any]]:
    schema = access.ledger_for(request.user, ledger_id, "edit")
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(_("Send the file as the multipart field 「file」."), code=Code.NO_FILE)
    saved = files.save_upload(user=request.user, schema=schema, field_code=field,
                              name=upload.name or "file", stream=upload,
                              content_type=upload.content_type or "")
    return Status(201, {"id": saved.id, "name": saved.name, "size": saved.size})


@api.get("/ledgers/{ledger_id}/files/{file_id}", tags=["files"])
def download_file(request: HttpRequest, ledger_id: int, file_id: int) -> FileResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    found = files.attachment_for(request.user, schema, file_id)
    audit.viewed(request, schema, file_id=found.id)
    response = FileResponse(files.storage_path(found.storage_name).open("rb"),
                            as_attachment=True, filename=found.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/ledgers/{ledger_id}/export", tags=["records"])
def export(request: HttpRequest, ledger_id: int, format: str = "xlsx",
           encoding: str = "utf-8-sig", filter: list[str] = Query([]),
           q: str = "", replace: bool = False, detail: str = "record") -> FileResponse:
    schema = access.ledger_for(request.user, ledger_id, "export")
    handle = tempfile.NamedTemporaryFile(prefix="daicho-export-", suffix=f".{format}")
    try:
        exports.export_ledger(user=request.user, schema=schema, fmt=format, path=Path(handle.name),
                              encoding=encoding, replace=replace, filters=filter, search=q,
                              detail=detail)
        stream = Path(handle.name).open("rb")
    finally:
        handle.close()  # the open stream keeps the data readable after the name is gone
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(stream, as_attachment=True,
                            filename=f"{schema.ledger.name}-{stamp}.{format}",
                            content_type=exports.CONTENT_TYPES[format])
    response["X-Content-Type-Options"] = "nosniff"
    return response
