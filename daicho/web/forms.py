"""The record form: rows to render (one per field, through its widget) and what a POST changed.

Every input carries the text it was loaded with (o_CODE); only fields whose submitted text
differs are sent to update_record, with the revision the page was loaded at (rev). That is what
lets the service merge a stale form with other people's edits to other fields, and what the
conflict view rebuilds when the same field was changed by someone else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.fields import REGISTRY
from daicho.models import Field
from daicho.selectors import form_layout as layout
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import files
from daicho.web.names import Names
from daicho.web.widgets import Widget, widget_for


def input_name(f: Field) -> str:
    return f"v_{f.code}"


@dataclass
class Theirs:
    html: SafeString
    text: str


@dataclass
class FormRow:
    field: Field
    widget: Widget
    text: str
    orig: str
    display: SafeString
    writable: bool
    locked: bool = False  # a field rule makes it read-only for this person
    error: str = ""
    theirs: Theirs | None = None
    resolution: str = "mine"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    help: str = ""  # from the form layout (daicho.services.form_layout)
    span: int = 6  # of the form grid's six tracks

    @property
    def described_by(self) -> str:
        """The ids that describe the input, for aria-describedby: help text, error, conflict."""
        ids = [f"{self.id}-help"] if self.help else []
        if self.error:
            ids.append(f"{self.id}-error")
        elif self.theirs:
            ids.append(f"{self.id}-theirs")
        return " ".join(ids)

    @property
    def name(self) -> str:
        return input_name(self.field)

    @property
    def id(self) -> str:
        return f"f-{self.field.code}"

    @property
    def texts(self) -> list[str]:
        return self.text.split("\n") if self.text else []

    @property
    def choices(self) -> list[str]:
        return list(self.field.options.get("choices", []))

    @property
    def template(self) -> str:
        return self.widget.template if self.editable else "web/widgets/readonly.html"

    @property
    def editable(self) -> bool:
        return self.writable and not self.locked


def form_rows(schema: LedgerSchema, values: dict[str, Any], names: Names, *,
              texts: dict[str, str] | None = None, origs: dict[str, str] | None = None,
              errors: dict[str, str] | None = None, theirs: dict[str, Theirs] | None = None,
              resolutions: dict[str, str] | None = None) -> list[FormRow]:
    rows = []
    for f in schema.fields:
        w = widget_for(f)
        value = values.get(f.code)
        loaded = w.text_of(f, value)
        text = (texts or {}).get(f.code, loaded)
        extra = w.form_extra(f, value, names)
        if w.names:
            # The input shows the name; the login, code or id it stands for rides along, so
            # an unchanged or picked name is never looked up again (names need not be unique).
            label = w.label(f, text, names)
            extra.update(label=text if label is None else label,
                         picked="" if label is None else text)
        rows.append(FormRow(
            field=f, widget=w,
            text=text,
            orig=(origs or {}).get(f.code, loaded),
            display=w.show(f, value, names),
            writable=REGISTRY[f.type].writable if f.type in REGISTRY else False,
            locked=f.code in schema.read_only,
            error=(errors or {}).get(f.code, ""),
            theirs=(theirs or {}).get(f.code),
            resolution=(resolutions or {}).get(f.code, "mine"),
            extra=extra,
        ))
    return rows


@dataclass
class FormSection:
    title: str
    columns: int
    rows: list[FormRow]


def form_sections(schema: LedgerSchema, rows: list[FormRow]) -> list[FormSection]:
    """The rows grouped and sized as the ledger's form layout says."""
    by_code = {r.field.code: r for r in rows}
    out = []
    for section in layout.sections(schema):
        placed = []
        for item in section.items:
            row = by_code[item.field.code]
            row.help, row.span = item.help, item.span
            placed.append(row)
        out.append(FormSection(section.title, section.columns, placed))
    return out


@dataclass
class Submission:
    texts: dict[str, str]
    origs: dict[str, str]
    resolutions: dict[str, str]
    revision: int | None
    upload_errors: dict[str, str]

    def changed(self, schema: LedgerSchema) -> dict[str, Any]:
        """Values of the fields the person changed, minus conflicts resolved as 'theirs'."""
        out = {}
        for code, text in self.texts.items():
            if text != self.origs.get(code, "") and self.resolutions.get(code) != "theirs":
                f = schema.by_code[code]
                out[code] = widget_for(f).to_service(f, text)
        return out


def changed_values(user: AnyUser, schema: LedgerSchema, sub: Submission) -> dict[str, Any]:
    """The changed values, with names typed for people, departments and linked records
    replaced by what they name (daicho.web.resolve); a name that names none or several is
    refused at its field."""
    from daicho.web.resolve import Resolver

    values: dict[str, Any]
    values, errors = Resolver(user, schema).values(sub.changed(schema))
    if errors:
        raise InvalidInput(_("Some values are not valid."), code=Code.INVALID_VALUES,
                           details={"fields": errors})
    return values


def _save_uploads(request: HttpRequest, user: AnyUser, schema: LedgerSchema,
                  data: QueryDict) -> dict[str, str]:
    """Store newly chosen files first, so a failed save keeps them (as __kept ids) for the retry."""
    errors: dict[str, str] = {}
    for f in schema.fields:
        if not widget_for(f).takes_uploads:
            continue
        name = input_name(f)
        for upload in request.FILES.getlist(name + "__upload"):
            try:
                saved = files.save_upload(user=user, schema=schema, field_code=f.code,
                                          name=upload.name or "file", stream=upload,
                                          content_type=upload.content_type or "")
            except DaichoError as exc:
                errors[f.code] = exc.message
                continue
            data.appendlist(name + "__kept", str(saved.id))
    return errors


def read_submission(request: HttpRequest, schema: LedgerSchema) -> Submission:
    data = request.POST.copy()
    upload_errors = _save_uploads(request, request.user, schema, data)
    texts, origs, resolutions = {}, {}, {}
    for f in schema.fields:
        if f.type in REGISTRY and not REGISTRY[f.type].writable:
            continue
        w = widget_for(f)
        name = input_name(f)
        texts[f.code] = w.submitted(f, data, name)
        origs[f.code] = data.get(f"o_{f.code}", "").replace("\r\n", "\n")
        resolutions[f.code] = data.get(f"r_{f.code}", "mine")
    try:
        revision: int | None = int(data.get("rev", ""))
    except ValueError:
        revision = None
    return Submission(texts, origs, resolutions, revision, upload_errors)
