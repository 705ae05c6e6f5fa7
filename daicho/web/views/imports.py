"""The import wizard: upload → sheet, header row and columns with sample rows → dry run → import.

The uploaded file waits between the steps in the files dir (import_jobs.spool_dir, shared by
every server: the next step may reach another one) under a generated name kept in the session;
nothing the browser sends is ever used as a path. Big files are imported by a background job
whose progress the page polls (/api/v1/jobs/{id})."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import Conflict, DaichoError, InvalidInput, NotFound
from daicho.i18n import join_list
from daicho.importing import ImportFileError, ParsedTable, text_of
from daicho.importing.outline import selection_of
from daicho.importing.readers import read_book
from daicho.models import ImportBatch
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import import_jobs
from daicho.services import imports as svc
from daicho.services.import_matches import key_candidates, key_matches
from daicho.web.views import import_outline as outline
from daicho.web.views.common import page
from daicho.web.widgets import type_choices

SESSION_KEY = "import_wizard"
# Files larger than this are imported by a background job with a progress bar.
BACKGROUND_BYTES = 2 * 1024 * 1024
SAMPLE_ROWS = 10
# Files up to this size are read a second time on the rows step, to show every row's cells.
GRID_BYTES = 2 * 1024 * 1024
EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt", ".mdb", ".accdb")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
# Uploads of wizards that were left half-way are deleted after this many seconds.
ABANDONED_SECONDS = 2 * 24 * 3600


# ---- the wizard's state -------------------------------------------------------------------------

def _state(request: HttpRequest) -> dict[str, Any]:
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or not TOKEN.match(str(state.get("token", ""))):
        raise NotFound()
    return state


def _save_state(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = state
    request.session.modified = True


def _spooled(state: dict[str, Any]) -> Path:
    path = import_jobs.spool_dir() / str(state["token"])
    if not path.is_file():
        raise NotFound()
    return path


def _discard(request: HttpRequest) -> None:
    """Forget the wizard's file (deleted) and state."""
    state = request.session.pop(SESSION_KEY, None)
    if isinstance(state, dict) and TOKEN.match(str(state.get("token", ""))):
        (import_jobs.spool_dir() / str(state["token"])).unlink(missing_ok=True)


def _sweep() -> None:
    """Delete the files of wizards nobody finished (the session that named them is long gone)."""
    limit = time.time() - ABANDONED_SECONDS
    for path in import_jobs.spool_dir().iterdir():
        try:
            if TOKEN.match(path.name) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _target(request: HttpRequest, state: dict[str, Any]) -> LedgerSchema | None:
    if state.get("ledger"):
        return access.screen_for(request.user, int(state["ledger"]), "import")
    access.require_ledger_creator(request.user)
    return None


def _int_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= 1_048_576 else None


# ---- step 1: upload -----------------------------------------------------------------------------

def _limits_context() -> dict[str, Any]:
    limits = svc.import_limits()
    return {"max_mb": limits.max_file_bytes // (1024 * 1024), "max_rows": limits.max_rows,
            "max_columns": limits.max_columns, "extensions": " ".join(EXTENSIONS),
            "accept": ",".join(EXTENSIONS),
            "background_mb": BACKGROUND_BYTES // (1024 * 1024)}


def _upload_page(request: HttpRequest, schema: LedgerSchema | None, *, error: str = "",
                 status: int = 200) -> HttpResponse:
    action = reverse("web:ledger_import", args=[schema.id]) if schema else \
        reverse("web:import_upload")
    return render(request, "web/import/upload.html", {
        "schema": schema, "ledger": schema.ledger if schema else None, "action": action,
        "error": error, **_limits_context()}, status=status)


@page
def upload(request: HttpRequest, ledger_id: int | None = None) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "import") if ledger_id else None
    if schema is None:
        access.require_ledger_creator(request.user)
    if request.method != "POST":
        return _upload_page(request, schema)
    file = request.FILES.get("file")
    if file is None:
        return _upload_page(request, schema, error=_("Choose a file to import."), status=400)
    filename = Path(file.name or "upload").name[:255]
    if not filename.lower().endswith(EXTENSIONS):
        return _upload_page(request, schema, status=400, error=_(
            "Files of this kind cannot be imported. Use one of: %(ext)s") % {
                "ext": " ".join(EXTENSIONS)})
    try:
        svc.check_upload_size(file.size)
    except DaichoError as exc:
        return _upload_page(request, schema, status=exc.status, error=exc.message)
    _discard(request)
    _sweep()
    path = import_jobs.save_upload(file)
    try:
        table = svc.read(path, filename=filename, opts=svc.ImportOptions())
    except DaichoError as exc:
        path.unlink(missing_ok=True)
        return _upload_page(request, schema, error=exc.message, status=exc.status)
    name = svc.proposed_name(table, filename)  # a taken name is offered as 「name(2)」
    _save_state(request, {"token": path.name, "filename": filename, "size": path.stat().st_size,
                          "ledger": schema.id if schema else None, "sheet": table.sheet,
                          "header_row": None, "name": name[:200]})
    return redirect("web:import_columns")


# ---- step 2: sheet, header row, columns ---------------------------------------------------------

def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else "×"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return join_list(_show(v) for v in value)
    return text_of(value)[:200]


def _field_for_column(schema: LedgerSchema, table: ParsedTable) -> dict[int, str]:
    """source_index → the name of the ledger field that column goes into (the service's match)."""
    return {table.columns[i].source_index: schema.by_code[code].name
            for i, code in svc.column_matches(table, schema).items() if code is not None}


def _read(state: dict[str, Any]) -> ParsedTable:
    """The table as the import will read it: the chosen sheet, header row and rows."""
    return svc.read(_spooled(state), filename=state["filename"], opts=_read_options(state))


def _read_options(state: dict[str, Any]) -> svc.ImportOptions:
    return svc.ImportOptions(sheet=state.get("sheet"), header_row=state.get("header_row"),
                             **outline.Choices.of(state).as_options())


def _grid(state: dict[str, Any], table: ParsedTable) -> list[list[Any]] | None:
    """The sheet's rows as read (every cell), for a file small enough to read again."""
    if int(state.get("size", 0)) > GRID_BYTES:
        return None
    try:
        book = read_book(_spooled(state), filename=state["filename"], sheet=table.sheet,
                         limits=svc.import_limits())
    except ImportFileError:
        return None
    return book.sheets[0].rows if book.sheets else None


def _page_from(request: HttpRequest) -> int | None:
    return _int_or_none(request.GET.get("from"))


@page
def columns(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    schema = _target(request, state)
    if request.method == "POST":
        return _choose_rows(request, state)
    if "sheet" in request.GET or "header_row" in request.GET:
        sheet = request.GET.get("sheet") or state.get("sheet")
        state["header_row"] = _int_or_none(request.GET.get("header_row")) \
            if sheet == state.get("sheet") else None
        state["sheet"] = sheet
        state.pop("columns", None)
        state.pop("rows", None)  # row choices belong to the table they were made on
        _save_state(request, state)
    context: dict[str, Any] = {"state": state, "schema": schema,
                               "ledger": schema.ledger if schema else None}
    try:
        table = _read(state)
    except DaichoError as exc:
        return render(request, "web/import/columns.html", {**context, "error": exc.message},
                      status=exc.status)
    state["sheet"] = table.sheet
    _save_state(request, state)
    chosen = {c["source_index"]: c for c in state.get("columns", [])}
    mapped = _field_for_column(schema, table) if schema else {}
    parseable = [(k, label) for k, label in type_choices() if k in svc.PARSEABLE]
    cols = []
    for k, col in enumerate(table.columns):
        choice = chosen.get(col.source_index, {})
        cols.append({
            "index": col.source_index, "letter": _letter(col.source_index), "detected": col.name,
            "name": choice.get("name") or col.name, "type": choice.get("type") or col.type,
            "detected_type": col.type, "skip": bool(choice.get("skip")),
            "field": mapped.get(col.source_index),
            "samples": [_show(v) for v in table.values[k][:SAMPLE_ROWS]],
        })
    keys = [f for f in schema.fields if schema.type_of(f).can_be_unique] if schema else []
    choices = outline.Choices.of(state)
    return render(request, "web/import/columns.html", {
        **context, "table": table, "columns": cols, "types": parseable, "key_fields": keys,
        "row_count": table.row_count, "warnings": table.warnings[:20],
        "samples_by_row": _by_row(cols, table.numbers[:SAMPLE_ROWS]),
        "outline": outline.build(table, choices, grid=_grid(state, table), show=_show,
                                 page_from=_page_from(request)),
        "choices": choices, "page_size": outline.PAGE, "page_from": _page_from(request),
        "first_row": choices.first_row or (table.numbers[0] if table.numbers else ""),
        "last_row": choices.last_row or (table.numbers[-1] if table.numbers else ""),
    })


def _choose_rows(request: HttpRequest, state: dict[str, Any]) -> HttpResponse:
    """The rows form: save what the user chose and show the step again, re-read with it. A
    choice the reader refuses (the last row before the first) is not kept."""
    if request.POST.get("reset"):
        state.pop("rows", None)
    else:
        chosen = outline.apply_post(request.POST, _read(state), outline.Choices.of(state))
        try:
            selection_of(chosen.first_row, chosen.last_row, chosen.exclude, chosen.include)
        except ImportFileError as exc:
            messages.error(request, exc.message)
        else:
            chosen.save(state)
    _save_state(request, state)
    target = reverse("web:import_columns")
    at = _int_or_none(request.POST.get("from"))
    return redirect(f"{target}?from={at}#import-outline" if at else f"{target}#import-outline")


def _by_row(cols: list[dict[str, Any]], numbers: list[int]) -> list[tuple[int, list[str]]]:
    return [(number, [c["samples"][r] for c in cols]) for r, number in enumerate(numbers)]


def _letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


# ---- step 3: dry run ----------------------------------------------------------------------------

def _options(state: dict[str, Any], *, dry_run: bool) -> svc.ImportOptions:
    return svc.ImportOptions(
        ledger=state.get("ledger"), name=None if state.get("ledger") else state.get("name"),
        sheet=state.get("sheet"), header_row=state.get("header_row"),
        mode=state.get("mode") or None, key=state.get("key") or None,
        skip_bad_rows=bool(state.get("skip_bad_rows")), dry_run=dry_run,
        columns=[svc.ColumnChoice(**c) for c in state.get("columns", [])],
        **outline.Choices.of(state).as_options())


def _choices_from_post(request: HttpRequest, table: ParsedTable,
                       new_ledger: bool) -> list[dict[str, Any]]:
    allowed = svc.PARSEABLE
    out = []
    for k, col in enumerate(table.columns):
        i = col.source_index
        skip = request.POST.get(f"skip-{i}") == "on"
        name = (request.POST.get(f"name-{i}") or "").strip()[:200] if new_ledger else ""
        type_key = request.POST.get(f"type-{i}") or col.type if new_ledger else col.type
        if type_key not in allowed:
            raise InvalidInput(_("Unknown field type."), code=Code.INVALID_TYPE)
        options: dict[str, Any] | None = None
        if type_key != col.type and type_key in ("choice", "multichoice"):
            values = dict.fromkeys(text_of(cell) for cell in table.raw[k]
                                   if cell not in (None, ""))
            options = {"choices": list(values)[:500]}
        out.append({"source_index": i, "name": name if name and name != col.name else None,
                    "type": type_key if type_key != col.type else None, "options": options,
                    "skip": skip})
    return out


def _check_page(request: HttpRequest, state: dict[str, Any], schema: LedgerSchema | None,
                report: dict[str, Any] | None, error: str = "", status: int = 200,
                duplicates: dict[str, Any] | None = None) -> HttpResponse:
    return render(request, "web/import/check.html", {
        "state": state, "schema": schema, "ledger": schema.ledger if schema else None,
        "report": report, "error": error, "duplicates": duplicates,
        "key_name": schema.by_code[state["key"]].name
        if schema is not None and state.get("key") in schema.by_code else "",
        "background": int(state.get("size", 0)) > BACKGROUND_BYTES}, status=status)


def _mode_from_post(request: HttpRequest, state: dict[str, Any]) -> None:
    mode = request.POST.get("mode") or "append"
    state["mode"] = mode if mode in ("append", "upsert") else "append"
    state["key"] = request.POST.get("key") or None if state["mode"] == "upsert" else None


def _duplicates(request: HttpRequest, state: dict[str, Any], schema: LedgerSchema,
                table: ParsedTable) -> dict[str, Any] | None:
    """For an append: the rows whose key matches a record already in the ledger, by the key
    the user chose to compare (`match_key`) or else the first unique field the file fills."""
    skipped = {c["source_index"] for c in state.get("columns", []) if c.get("skip")}
    keys = key_candidates(table, schema, skipped)
    if not keys:
        return None
    wanted = state.get("match_key")
    key = next((f for f in keys if f.code == wanted), keys[0])
    found = key_matches(user=request.user, schema=schema, table=table, key=key.code,
                        skipped=skipped)
    return {"keys": keys, "key": key, "matches": found, "rows": table.row_count}


@page
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """The dry run. From the columns step (the columns and how to import), or again from this
    page (`again`): another key to compare with the ledger, or an upsert by that key."""
    state = _state(request)
    schema = _target(request, state)
    again = request.POST.get("again")
    duplicates = None
    try:
        table = _read(state)
        if again and schema is not None:
            skipped = {c["source_index"] for c in state.get("columns", []) if c.get("skip")}
            codes = {f.code for f in key_candidates(table, schema, skipped)}
            match_key = request.POST.get("match_key")
            state["match_key"] = match_key if match_key in codes else None
            if again == "upsert" and state["match_key"]:
                state["mode"], state["key"] = "upsert", state["match_key"]
        elif not again:
            state["columns"] = _choices_from_post(request, table, schema is None)
            if schema is None:
                state["name"] = (request.POST.get("ledger_name") or state.get("name") or "")[:200]
                state["mode"], state["key"] = "create", None
            else:
                _mode_from_post(request, state)
        _save_state(request, state)
        report = svc.run_import(user=request.user, path=_spooled(state),
                                filename=state["filename"], opts=_options(state, dry_run=True))
        if schema is not None and state.get("mode") == "append":
            duplicates = _duplicates(request, state, schema, table)
    except DaichoError as exc:
        return _check_page(request, state, schema, None, exc.message, exc.status)
    return _check_page(request, state, schema, report, duplicates=duplicates)


# ---- step 4: import -----------------------------------------------------------------------------

def _done_page(request: HttpRequest, report: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "web/import/done.html", {"report": report}, status=status)


@page
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    schema = _target(request, state)
    state["skip_bad_rows"] = request.POST.get("skip_bad_rows") == "on"
    _save_state(request, state)
    path = _spooled(state)
    opts = _options(state, dry_run=False)
    if int(state.get("size", 0)) > BACKGROUND_BYTES:
        job = import_jobs.enqueue_import(user=request.user, path=path,
                                         filename=state["filename"], opts=opts)
        request.session.pop(SESSION_KEY, None)  # the job owns (and deletes) the file now
        return redirect("web:import_job", job.id)
    try:
        report = svc.run_import(user=request.user, path=path, filename=state["filename"],
                                opts=opts)
    except DaichoError as exc:
        return _check_page(request, state, schema, None, exc.message, exc.status)
    if not report["ok"]:
        return _check_page(request, state, schema, report, status=400)
    _discard(request)
    return _done_page(request, report)


@page
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    found = import_jobs.job_for(request.user, job_id, kind="import")
    if found.status in ("done", "failed"):
        report = import_jobs.job_result(request.user, found)
        return _done_page(request, report)
    return render(request, "web/import/progress.html", {
        "job": found, "poll_url": f"/api/v1/jobs/{found.id}",
        "done_url": reverse("web:import_job", args=[found.id])})


@page
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    batch_id = (request.POST.get("batch") or "")[:64]
    confirm = request.POST.get("confirm") == "1"
    try:
        done = svc.rollback_import(user=request.user, batch_id=batch_id, confirm=confirm)
    except Conflict as exc:
        if exc.code != Code.EDITED_SINCE_IMPORT:
            messages.error(request, exc.message)
            return redirect("web:home")
        return render(request, "web/import/rollback.html", {
            "batch": batch_id, "message": exc.message,
            "records": exc.details.get("records", [])[:100]}, status=409)
    except DaichoError as exc:
        messages.error(request, exc.message)
        return redirect("web:home")
    messages.success(request, _("The import was rolled back: %(trashed)d records moved to the "
                                "trash, %(reverted)d records reverted.") % done)
    ledger_id = ImportBatch.objects.filter(batch_id=batch_id).values_list(
        "ledger_id", flat=True).first()
    return redirect("web:ledger", ledger_id) if ledger_id else redirect("web:home")
