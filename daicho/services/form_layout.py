"""The record form's layout (sections, columns, widths, help texts): its one writer. The reader is
daicho.selectors.form_layout.

The layout lives in `Ledger.settings["form"]` as `{"fields": {CODE: ENTRY}}`, so it needs no
column of its own and the API's field JSON keeps its contract keys. An ENTRY is
`{"help": TEXT?, "width": "full"|"half"|"third"?, "section": {"title": TEXT, "columns": 1|2|3}?}`.
A section starts at the field whose entry has one and runs, in the fields' own order, up to the
next; so reordering fields in the designer also moves them between sections, and nothing needs
to be kept in step with the field list. Entries of deleted fields are ignored, not removed: a
restored field comes back where it was.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput, NotFound
from daicho.fields.base import check_text
from daicho.models import Ledger, LedgerEvent
from daicho.selectors.form_layout import COLUMNS, WIDTHS
from daicho.selectors.ledgers import LedgerSchema

MAX_HELP = 500
MAX_TITLE = 100


def _text(value: Any, what: str, max_length: int, *, multiline: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("%(what)s must be text.") % {"what": what}, code=Code.INVALID_LAYOUT)
    try:
        return check_text(value.strip(), multiline=multiline, max_length=max_length)
    except FieldValueError as exc:
        raise InvalidInput(f"{what}: {exc.message}", code=Code.INVALID_LAYOUT) from None


def clean_entry(spec: Any) -> dict[str, Any]:
    """One field's layout as a form or a client sends it → the stored entry (empty: no entry)."""
    if not isinstance(spec, dict):
        raise InvalidInput(_("The form layout must be an object."), code=Code.INVALID_LAYOUT)
    unknown = set(spec) - {"help", "width", "section"}
    if unknown:
        raise InvalidInput(_("Unknown form layout settings: %(keys)s")
                           % {"keys": ", ".join(sorted(unknown))}, code=Code.INVALID_LAYOUT)
    entry: dict[str, Any] = {}
    help_text = _text(spec.get("help"), _("The help text"), MAX_HELP, multiline=True)
    if help_text:
        entry["help"] = help_text
    width = spec.get("width") or ""
    if width not in ("", *WIDTHS):
        raise InvalidInput(_("The width must be the full width, a half or a third."),
                           code=Code.INVALID_LAYOUT)
    if width:
        entry["width"] = width
    section = spec.get("section")
    if section is not None:
        if not isinstance(section, dict) or set(section) - {"title", "columns"}:
            raise InvalidInput(_("A section has a heading and a number of columns."),
                               code=Code.INVALID_LAYOUT)
        title = _text(section.get("title"), _("The section heading"), MAX_TITLE, multiline=False)
        if not title:
            raise InvalidInput(_("Give the section a heading."), code=Code.INVALID_LAYOUT)
        columns = section.get("columns", 1)
        if isinstance(columns, bool) or columns not in COLUMNS:
            raise InvalidInput(_("A section has one, two or three columns."),
                               code=Code.INVALID_LAYOUT)
        entry["section"] = {"title": title, "columns": columns}
    return entry


def set_field_layout(*, user: AnyUser, schema: LedgerSchema, code: str, spec: Any) -> None:
    """Save where one field goes on the record form (and whether a section starts at it)."""
    access.require(user, schema, "manage")
    if code not in schema.by_code:
        raise NotFound()
    entry = clean_entry(spec)
    with transaction.atomic():
        # Locked and re-read: other writers change other keys of the same settings meanwhile.
        ledger = Ledger.objects.select_for_update().get(id=schema.id)
        settings_ = dict(ledger.settings) if isinstance(ledger.settings, dict) else {}
        form = dict(settings_.get("form") or {})
        entries = dict(form.get("fields") or {})
        old = entries.get(code, {})
        if entry:
            entries[code] = entry
        else:
            entries.pop(code, None)
        form["fields"] = entries
        settings_["form"] = form
        ledger.settings = settings_
        ledger.save(update_fields=["settings"])
        schema.ledger.settings = settings_
        LedgerEvent.objects.create(
            ledger=ledger, user_id=int(user.pk) if user.pk is not None else None,
            action="form_layout", details={"field": code, "old": old, "new": entry})
