"""Print forms (帳票) of a ledger: a manager uploads an xlsx template, anyone who may view the
ledger lists them (contract §7). Filling and PDF: daicho.printforms, drawn for the reader by
daicho.web.print_forms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound, TooLarge
from daicho.models import PrintForm
from daicho.printforms import xlsx
from daicho.selectors import details
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit

MAX_FORMS_PER_LEDGER = 100
STATUS_KEYS = ("status", "ステータス")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Give the form a name."), code=Code.INVALID_NAME)
    if len(value.strip()) > 200:
        raise InvalidInput(_("A form name is at most 200 characters."), code=Code.INVALID_NAME)
    return value.strip()


def known_key(schema: LedgerSchema, key: str) -> bool:
    """A placeholder names a field of the ledger (code or name), a special value or, with a
    process, the record's status."""
    return xlsx.special(key) is not None or key in schema.by_code or \
        any(f.name == key for f in schema.fields) or key in status_keys(schema)


def _known_detail(user: AnyUser, schema: LedgerSchema, key: str) -> bool:
    """`{{SOURCE.FIELD}}` names a detail source of the ledger and a field of its lines."""
    parts = details.split(key)
    if parts is None:
        return False
    src = details.source(user, schema, parts[0])
    return src is not None and src.field(parts[1]) is not None


def status_keys(schema: LedgerSchema) -> tuple[str, ...]:
    """The placeholders of the process status, {{status}} and {{ステータス}} (with a process)."""
    return STATUS_KEYS if schema.process is not None else ()


def upload(*, user: AnyUser, schema: LedgerSchema, name: Any, data: bytes) -> PrintForm:
    access.require(user, schema, "manage")
    clean = _name(name)
    if len(data) > xlsx.MAX_TEMPLATE_BYTES:
        raise TooLarge(_("A form template is at most %(n)d MB.")
                       % {"n": xlsx.MAX_TEMPLATE_BYTES // 1_000_000})
    try:
        template = xlsx.load(data)
    except xlsx.TemplateError as exc:
        raise InvalidInput(str(exc), code=Code.INVALID_FORM) from None
    full = schema.full
    unknown = [k for k in template.placeholders
               if not known_key(full, k) and not _known_detail(user, full, k)]
    if unknown:
        raise InvalidInput(
            _("These placeholders name no field of the ledger: %(keys)s")
            % {"keys": "、".join("{{" + k + "}}" for k in unknown)[:500]},
            code=Code.INVALID_FORM, details={"unknown": unknown[:50]})
    with transaction.atomic():
        if PrintForm.objects.filter(ledger_id=schema.id).count() >= MAX_FORMS_PER_LEDGER:
            raise InvalidInput(_("This ledger has too many print forms."), code=Code.TOO_MANY_FORMS)
        form = PrintForm.objects.create(ledger_id=schema.id, name=clean, content=data,
                                        placeholders=template.placeholders,
                                        fonts=sorted(template.fonts), created_by_id=user.pk)
        audit.record(user=user, action="print_form", target=f"ledger:{schema.id}",
                     details={"name": clean, "form": form.id})
    return form


def forms_of(user: AnyUser, schema: LedgerSchema) -> list[PrintForm]:
    access.require(user, schema, "view")
    return list(PrintForm.objects.filter(ledger_id=schema.id).defer("content"))


def get(user: AnyUser, schema: LedgerSchema, form_id: Any) -> PrintForm:
    access.require(user, schema, "view")
    try:
        fid = int(form_id)
    except (TypeError, ValueError):
        raise InvalidInput(_("form is the id of a print form."), code=Code.INVALID_FORM) from None
    found = PrintForm.objects.filter(ledger_id=schema.id, id=fid).first()
    if found is None:
        raise NotFound()
    return found


def delete(*, user: AnyUser, schema: LedgerSchema, form_id: Any) -> None:
    access.require(user, schema, "manage")
    form = get(user, schema, form_id)
    with transaction.atomic():
        form.delete()
        audit.record(user=user, action="print_form_delete", target=f"ledger:{schema.id}",
                     details={"name": form.name})


def form_json(form: PrintForm) -> dict[str, Any]:
    return {"id": form.id, "name": form.name, "placeholders": form.placeholders}
