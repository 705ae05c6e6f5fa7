"""Running an import (contract §3.1): the checks, the file read, the mapping, cleaning and key
checks, and the write — everything in one transaction as one history batch ('import' action);
a dry run or a refused import does everything and rolls it back. Every attempt is in the access
log."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, jobs
from daicho.access import AnyUser
from daicho.db import schema as ddl
from daicho.db import search
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.fields.context import ValueContext
from daicho.importing import ParsedTable
from daicho.importing.collector import no_cycle_collection
from daicho.importing.early import EarlyRead
from daicho.models import ImportBatch, Ledger
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services import audit
from daicho.services import import_names as names
from daicho.services import ledgers as ledger_svc
from daicho.services import records as record_svc
from daicho.services.import_cleaning import MAX_REPORTED, Outcome, convert_columns, keep_rows
from daicho.services.import_keys import split_upsert, unique_checks
from daicho.services.import_mapping import (
    column_specs,
    fold_detail_lines,
    key_field,
    match_columns,
    normalize_header,
    resolve_ledger,
)
from daicho.services.import_reading import ImportOptions, Progress, read
from daicho.services.import_values import appended_values

MODES = ("create", "append", "upsert")
WRITE_BATCH = 5000


class DryRun(Exception):
    """Raised inside the transaction to undo a dry run after it did everything for real."""


def run_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions,
               progress: Progress | None = None,
               early: EarlyRead | None = None) -> dict[str, Any]:
    """Every import is in the access log: one that wrote as `import` (in its transaction), a
    dry run as `import_dry_run`, and one refused — by the checks, a bad file or bad rows — as
    `import_refused`, with the reason's code."""
    try:
        report = _checked_import(user=user, path=path, filename=filename, opts=opts,
                                 progress=progress, early=early)
    except DaichoError as exc:
        if user.is_authenticated:
            _log_unwritten(user, filename, opts, "import_refused", exc.code)
        raise
    if opts.dry_run or not report.get("ok"):
        _log_unwritten(user, filename, opts,
                       "import_dry_run" if report.get("ok") else "import_refused",
                       (report.get("error") or {}).get("code"), report)
    return report


def _log_unwritten(user: AnyUser, filename: str, opts: ImportOptions, action: str,
                   reason: str | None, report: dict[str, Any] | None = None) -> None:
    ledger = (report or {}).get("ledger") or {}
    target = ledger.get("id") or opts.ledger
    details: dict[str, Any] = {"file": filename[:200], "mode": opts.mode, "dry_run": opts.dry_run}
    if opts.ledger and not ledger:
        details["ledger"] = str(opts.ledger)[:200]
    if reason:
        details["reason"] = reason
    if report:
        details.update(created=report.get("created"), updated=report.get("updated"))
    audit.record(user=user, action=action,
                 target=f"ledger:{target}" if str(target or "").isdigit() else "",
                 details=details)


def _checked_import(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions,
                    progress: Progress | None = None,
                    early: EarlyRead | None = None) -> dict[str, Any]:
    report_progress = progress or (lambda done, total: None)
    access.require_user(user)
    mode = opts.mode or ("upsert" if opts.key else "append" if opts.ledger else "create")
    if mode not in MODES:
        raise InvalidInput(_("mode must be create, append or upsert."), code=Code.INVALID_MODE)
    if mode == "create" and opts.ledger:
        raise InvalidInput(_("Mode create makes a new ledger; leave out --ledger."),
                           code=Code.INVALID_MODE)
    if mode != "create" and not opts.ledger:
        raise InvalidInput(_("Give the ledger to import into (--ledger)."), code=Code.LEDGER_REQUIRED)
    if mode == "upsert" and not opts.key:
        raise InvalidInput(_("Mode upsert needs the key field (--key)."), code=Code.KEY_REQUIRED)
    target = resolve_ledger(user, opts.ledger) if opts.ledger else None
    if target is None:
        access.require_ledger_creator(user)  # before the file is read
    if target is None and opts.name:
        names.check_new_name(opts.name)
    if target is not None and mode == "upsert":
        key = key_field(target, str(opts.key))
        if not target.type_of(key).can_be_unique:
            raise InvalidInput(_("The field 「%(name)s」 cannot serve as a key.")
                               % {"name": key.name}, code=Code.INVALID_KEY)
        opts = dataclasses.replace(opts, key=key.code)
    from daicho.services import import_database  # it builds on this module

    with no_cycle_collection():
        if import_database.applies(filename, opts, mode):
            found = import_database.run(user=user, path=path, filename=filename, opts=opts,
                                        progress=report_progress)
            if found is not None:
                return found
        return _read_and_run(user=user, path=path, filename=filename, opts=opts, mode=mode,
                             target=target, progress=report_progress, early=early)


def _read_and_run(*, user: AnyUser, path: Path, filename: str, opts: ImportOptions, mode: str,
                  target: LedgerSchema | None, progress: Progress,
                  early: EarlyRead | None) -> dict[str, Any]:
    table = read(path, filename=filename, opts=opts,
                 progress=lambda d, t: progress(d * 40 // max(t, 1), 100), early=early)
    ctx = ValueContext(user)  # links may point only at records the importer may see
    warnings = list(table.warnings)
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result = _run(user=user, table=table, target=target, mode=mode, opts=opts, ctx=ctx,
                          warnings=warnings, filename=filename, progress=progress)
            if opts.dry_run or not result["ok"]:
                raise DryRun()
            ledger_id = (result.get("ledger") or {}).get("id")
            if target is None and ledger_id is not None:
                ledger_svc.log_created(user, Ledger.objects.get(id=ledger_id))
            audit.record(user=user, action="import", target=f"ledger:{ledger_id}",
                         details={"file": filename[:200], "mode": mode,
                                  "created": result.get("created"),
                                  "updated": result.get("updated")})
    except DryRun:
        pass  # nothing written; the attempt is logged by run_import (import_dry_run, _refused)
    progress(100, 100)
    return result


def create_from_table(*, user: AnyUser, table: ParsedTable, opts: ImportOptions,
                      ctx: ValueContext, warnings: list[dict[str, Any]], filename: str,
                      progress: Progress) -> dict[str, Any]:
    """A new ledger from an already read table, in the caller's transaction (which rolls back a
    dry run or a refused table): the report."""
    return _run(user=user, table=table, target=None, mode="create", opts=opts, ctx=ctx,
                warnings=warnings, filename=filename, progress=progress)


def _run(*, user: AnyUser, table: ParsedTable, target: LedgerSchema | None, mode: str,
         opts: ImportOptions, ctx: ValueContext, warnings: list[dict[str, Any]], filename: str,
         progress: Progress) -> dict[str, Any]:
    if target is None:
        specs = column_specs(table, opts)
        name = opts.name or names.free_default_name(table, filename, warnings)
        schema = ledger_svc.create_ledger(user=user, name=name, fields=[s for _i, s in specs],
                                          logged=False)  # logged with the import, at its end
        mapping = [(i, f.code) for (i, _s), f in zip(specs, schema.fields, strict=True)]
        inferred = True
    else:
        schema = target
        fold_detail_lines(table, schema, opts)
        mapping, more = match_columns(table, schema, opts)
        warnings.extend(more)
        warnings.extend(appended_values(user, table, schema, mapping))
        inferred = False
    outcome = Outcome()
    columns = convert_columns(table, schema, mapping, inferred, ctx, outcome, progress)
    table.release_cells()  # the cells as read are not needed any more
    numbers = table.numbers
    good = [n for n, number in enumerate(numbers) if number not in outcome.bad_rows] \
        if outcome.bad_rows else list(range(len(numbers)))
    if mode == "upsert":
        create = split_upsert(user, schema, str(opts.key), columns, numbers, good, outcome,
                              ctx)
    else:
        unique_checks(schema, columns, numbers, good, outcome, ctx)
        create = [n for n in good if numbers[n] not in outcome.bad_rows] \
            if outcome.bad_rows else good
    outcome.finish()
    ok = outcome.error_count == 0 or opts.skip_bad_rows
    if ok and outcome.error_count:
        bad = outcome.bad_rows
        warnings.append({"row": None, "message": _("%(n)d rows with errors were left out.")
                         % {"n": len(bad)}})
    batch_id = None
    if ok:
        if len(create) < len(numbers):
            columns = keep_rows(columns, create)
        outcome.created = len(create)
        del create, good
        fresh_ledger = target is None
        if fresh_ledger:
            # A new table is filled first and indexed afterwards, by a background job once the
            # import has committed (jobs.search_index): its gram index and the field indexes
            # are the larger part of an import's work, and until they exist search reads the
            # search keys and pages scan the table — slower, never different. Unique indexes
            # stay: they guard the data.
            ddl.suspend_indexes(schema.ledger, schema.fields)
            search.suspend_index(schema.ledger)
        batch_id = _write(user, schema, columns, outcome, ctx, progress)
        del columns
        if fresh_ledger:
            jobs.enqueue(kind_name="search_index", params={"ledger": schema.id}, user=None)
        elif outcome.created:
            ddl.analyze(schema.ledger)
        _remember(user, schema, table, mapping, mode, created=target is None,
                  outcome=outcome, batch_id=batch_id, filename=filename)
    # The fields as the importer sees them (a field added since, or hidden from them, is not
    # theirs to learn from the report).
    fresh = access.grant_for(user, load_schema(schema.id) or schema).schema("import")
    return _report(table=table, schema=fresh, outcome=outcome, dry_run=opts.dry_run, ok=ok,
                   warnings=warnings, batch_id=batch_id if not opts.dry_run else None)


def _write(user: AnyUser, schema: LedgerSchema, columns: dict[str, list[Any]], outcome: Outcome,
           ctx: ValueContext, progress: Progress) -> str:
    batch_id = record_svc.new_batch_id()
    total = outcome.created + len(outcome.updates) or 1
    if outcome.created:
        record_svc.import_columns(
            user=user, schema=schema, columns=columns, ctx=ctx, batch_id=batch_id,
            progress=lambda done, _count: progress(60 + 40 * done // total, 100))
    done = outcome.created
    for start in range(0, len(outcome.updates), WRITE_BATCH):
        updates = outcome.updates[start:start + WRITE_BATCH]
        record_svc.import_rows(user=user, schema=schema, items=[], updates=updates, ctx=ctx,
                               batch_id=batch_id)
        done += len(updates)
        progress(60 + 40 * done // total, 100)
    return batch_id


def _remember(user: AnyUser, schema: LedgerSchema, table: ParsedTable,
              mapping: list[tuple[int, str]], mode: str, *, created: bool, outcome: Outcome,
              batch_id: str, filename: str) -> None:
    """Save the column mapping on the ledger so next year's file imports without questions."""
    ledger = Ledger.objects.select_for_update().get(id=schema.id)
    saved = dict(ledger.settings.get("import", {}).get("columns", {}))
    for i, code in mapping:
        saved[normalize_header(table.columns[i].name)] = code
    ledger.settings = {**ledger.settings, "import": {
        "columns": saved, "sheet": table.sheet, "header_row": table.header_row,
        "file": filename[:255]}}
    if created:
        ledger.settings["migrated_from"] = {"file": filename[:255], "format": table.format,
                                            "at": timezone.now().isoformat()}
    ledger.save(update_fields=["settings"])
    ImportBatch.objects.create(
        ledger_id=schema.id, batch_id=batch_id, user_id=user.pk if user.is_authenticated else None,
        file_name=filename[:255], mode=mode, created_ledger=created,
        created=outcome.created, updated=len(outcome.updates), unchanged=outcome.unchanged,
        report={"header_row": table.header_row, "sheet": table.sheet})


def _sheets(table: ParsedTable) -> list[dict[str, Any]]:
    """The report's `sheets`: every sheet and what was found on it; the one read as imported."""
    out = []
    for info in table.survey:
        entry = info.as_dict()
        if info.read:
            entry.update(table=bool(table.columns), header_row=table.header_row,
                         columns=len(table.columns), records=table.row_count)
        out.append(entry)
    return out


def _report(*, table: ParsedTable, schema: LedgerSchema | None, outcome: Outcome, dry_run: bool,
            ok: bool, warnings: list[dict[str, Any]], batch_id: str | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "ok": ok,
        "dry_run": dry_run,
        "ledger": {"id": schema.id, "name": schema.ledger.name} if schema else None,
        "created": outcome.created if ok else 0,
        "updated": len(outcome.updates) if ok else 0,
        "unchanged": outcome.unchanged if ok else 0,
        "fields": [{"code": f.code, "name": f.name, "type": f.type}
                   for f in (schema.fields if schema else [])],
        "header_row": table.header_row,
        "sheet": table.sheet,
        "sheets": _sheets(table),
        "encoding": table.encoding,
        "errors": outcome.errors,
        "error_count": outcome.error_count,
        "skipped_rows": len(outcome.bad_rows),
        "warnings": warnings[:MAX_REPORTED],
        "text_columns": [r.as_dict() for r in table.text_reasons],
        "outline": table.row_outline.summary(),
        "batch_id": batch_id,
    }
    if not ok:
        report["error"] = {"code": Code.INVALID_ROWS, "message": _(
            "%(n)d values cannot be stored; nothing was imported. Fix them, or import with "
            "--skip-bad-rows to leave those rows out.") % {"n": outcome.error_count}}
    return report
