"""Undoing a whole import (POST /api/v1/imports/{batch}/rollback): what it created is trashed,
what it updated reverted, in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import Conflict, NotFound
from daicho.fields.context import ValueContext
from daicho.models import History, ImportBatch
from daicho.services import audit
from daicho.services import records as record_svc
from daicho.services.import_cleaning import MAX_REPORTED


def rollback_import(*, user: AnyUser, batch_id: str, confirm: bool = False) -> dict[str, Any]:
    """Undo a whole import: trash what it created, revert what it updated.

    Records edited after the import are listed and left alone unless `confirm` is given; even
    then their later edits stay in the history."""
    batch = ImportBatch.objects.filter(batch_id=batch_id).first()
    if batch is None:
        raise NotFound()
    schema = access.ledger_for(user, batch.ledger_id, "import")
    if batch.rolled_back_at is not None:
        raise Conflict(_("This import was already rolled back."), code=Code.ALREADY_ROLLED_BACK)
    entries = list(History.objects.filter(ledger_id=schema.id, batch_id=batch_id)
                   .values_list("record_id", "revision"))
    ctx = ValueContext()
    with transaction.atomic():
        edited: list[int] = []
        rows = {r.id: r for r in record_svc._rows_by_id(user, schema, [rid for rid, _r in entries])}
        for rid, revision in entries:
            row = rows.get(rid)
            if row is not None and (row.revision != revision or row.deleted):
                edited.append(rid)
        if edited and not confirm:
            raise Conflict(_("%(n)d records were changed after the import. Roll back anyway?")
                           % {"n": len(edited)}, code=Code.EDITED_SINCE_IMPORT,
                           details={"records": edited[:MAX_REPORTED], "count": len(edited)})
        live = [(rid, revision) for rid, revision in entries
                if (row := rows.get(rid)) is not None and not row.deleted]
        trash = [rid for rid, revision in live if revision == 1]
        revert = [(rid, revision - 1) for rid, revision in live if revision != 1]
        record_svc.undo_import(user=user, schema=schema, trash=trash, revert=revert, ctx=ctx)
        trashed, reverted = len(trash), len(revert)
        batch.rolled_back_at = timezone.now()
        batch.save(update_fields=["rolled_back_at"])
        audit.record(user=user, action="import_rollback", target=f"ledger:{schema.id}",
                     details={"batch": batch_id, "trashed": trashed, "reverted": reverted,
                              "edited_since": len(edited)})
    return {"trashed": trashed, "reverted": reverted, "edited_since": len(edited)}
