"""Imports (contract §4.3) and background jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja.params.functions import Form

from daicho import access, jobs
from daicho.api import Body, api, schemas
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.requestdata import parse_json, refuse_unknown_keys
from daicho.services import import_jobs
from daicho.services.imports import (
    ColumnChoice,
    ImportOptions,
    check_upload_size,
    rollback_import,
    run_import,
)

MULTIPART_OVERHEAD = 1_000_000


class RollbackIn(Body):
    confirm: bool = False


def _report_response(report: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(report, status=status, json_dumps_params={"ensure_ascii": False})


_COLUMN_KEYS = ("source_index", "name", "type", "options", "skip")


def _columns(raw: str | None) -> list[ColumnChoice]:
    if not raw:
        return []
    items = parse_json(raw)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInput(_("columns must be a JSON list of column choices."),
                           code=Code.INVALID_COLUMNS)
    for index, item in enumerate(items):
        refuse_unknown_keys(item, _COLUMN_KEYS, at=f"columns[{index}]")
    try:
        return [ColumnChoice(**item) for item in items][:20_000]
    except TypeError:
        raise InvalidInput(_("columns must be a JSON list of column choices."),
                           code=Code.INVALID_COLUMNS) from None


def _rows(raw: str | None, name: str) -> frozenset[int]:
    """A list of 1-based sheet rows: JSON (`[12, 13]`) or comma-separated (`12,13`). The
    numbers themselves are checked by the importer (importing/outline.py, selection_of)."""
    if raw is None or not raw.strip():
        return frozenset()
    text = raw.strip()
    items: Any = parse_json(text) if text.startswith("[") else [
        int(part) if part.strip().isdigit() else part for part in text.split(",")]
    if not isinstance(items, list) or not all(type(r) is int and r >= 1 for r in items):
        raise InvalidInput(
            _("%(name)s must be a list of row numbers (whole numbers from 1).") % {"name": name},
            code=Code.INVALID_ROW_CHOICE, details={"field": name})
    return frozenset(items)


@api.post("/imports", tags=["imports"])
def post_import(request: HttpRequest, ledger: str | None = Form(None), name: str | None = Form(None),
                sheet: str | None = Form(None), header_row: int | None = Form(None),
                encoding: str | None = Form(None), key: str | None = Form(None),
                mode: str | None = Form(None), skip_bad_rows: bool = Form(False),
                dry_run: bool = Form(False), columns: str | None = Form(None),
                background: bool = Form(False), first_row: int | None = Form(None),
                last_row: int | None = Form(None), exclude_rows: str | None = Form(None),
                include_rows: str | None = Form(None)) -> JsonResponse:
    access.require_user(request.user)
    # The whole request first (the form fields around the file take well under 1 MB), so a
    # huge body is refused before it is read; then the file itself.
    check_upload_size(int(request.META.get("CONTENT_LENGTH") or 0) - MULTIPART_OVERHEAD)
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(_("Send the file as the multipart field 「file」."), code=Code.NO_FILE)
    check_upload_size(upload.size)
    opts = ImportOptions(ledger=ledger, name=name, sheet=sheet, header_row=header_row,
                         encoding=encoding, key=key, mode=mode, skip_bad_rows=skip_bad_rows,
                         dry_run=dry_run, columns=_columns(columns), first_row=first_row,
                         last_row=last_row, exclude_rows=_rows(exclude_rows, "exclude_rows"),
                         include_rows=_rows(include_rows, "include_rows"))
    filename = Path(upload.name or "upload").name
    if background:
        path = import_jobs.save_upload(upload)
        job = import_jobs.enqueue_import(user=request.user, path=path, filename=filename, opts=opts)
        return _report_response({"job": jobs.job_json(job)}, 202)
    with import_jobs.received(upload) as path:
        try:
            report = run_import(user=request.user, path=path, filename=filename, opts=opts)
        except DaichoError as exc:
            return _report_response({"ok": False, **exc.as_dict()}, exc.status)
    return _report_response(report, 200 if report["ok"] else 400)


@api.get("/jobs/{job_id}", tags=["imports"], response=schemas.JobOut, exclude_unset=True)
def get_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return import_jobs.job_json(request.user, import_jobs.job_for(request.user, job_id))


@api.post("/imports/{batch_id}/rollback", tags=["imports"], response=schemas.RollbackOut,
          exclude_unset=True)
def rollback(request: HttpRequest, batch_id: str, body: RollbackIn) -> dict[str, Any]:
    return rollback_import(user=request.user, batch_id=batch_id, confirm=body.confirm)
