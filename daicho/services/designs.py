"""A ledger's design — its fields and the parts around them (permissions, views, process) —
as one JSON document: copied into a new ledger from a template (contract §7 `template`), and
exported to a file and imported, so that cities can share their ledgers' designs.

The fields are this module's; each other part registers itself (`register`) with how to export
it and how to apply it to a new ledger: permissions here, the saved views from the web app, the
process from its own module. A design never holds records.

Which ledgers may serve as a template: one its managers marked as a template (any user who may
create ledgers may use it, without seeing its records), or one the caller manages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.models import Ledger
from daicho.selectors.ledgers import LedgerSchema, load_schema
from daicho.services import audit, permissions
from daicho.services import ledgers as ledger_svc

FORMAT = "daicho-ledger-design"
VERSION = 1
FIELD_KEYS = ("code", "name", "type", "required", "unique", "options")
MAX_DESIGN_BYTES = 2_000_000


@dataclass(frozen=True)
class Part:
    """One part of a design besides the fields. `export` gives its JSON (None: nothing to
    copy); `apply` sets it on a new ledger the user just created and returns notes on what it
    could not carry over (a department that does not exist here), in Japanese."""

    key: str
    export: Callable[[LedgerSchema], Any]
    apply: Callable[[AnyUser, LedgerSchema, Any], list[str]]


_parts: dict[str, Part] = {}


def register(part: Part) -> None:
    _parts[part.key] = part


def is_template(ledger: Ledger) -> bool:
    return bool((ledger.settings or {}).get("template"))


def templates(user: AnyUser) -> list[Ledger]:
    """The ledgers marked as templates, by name (any ledger creator may use them; a ledger they
    manage serves too, by its id)."""
    if not access.can_create_ledger(user):
        return []
    return list(Ledger.objects.filter(settings__template=True).order_by("name"))


def _field_spec(schema: LedgerSchema, code: str) -> dict[str, Any]:
    f = schema.by_code[code]
    spec: dict[str, Any] = {"code": f.code, "name": f.name, "type": f.type, "required": f.required,
            "unique": f.unique, "options": dict(f.options or {})}
    target = spec["options"].get("ledger") if f.type == "link" else None
    if target is not None:
        found = Ledger.objects.filter(id=target).values_list("name", flat=True).first()
        if found is not None:
            spec["link_to"] = found  # resolved by name where the id means another ledger
    return spec


def design_of(schema: LedgerSchema) -> dict[str, Any]:
    """The whole design of a ledger (every field, whoever asks: callers check the right)."""
    full = schema.full
    design: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "name": full.ledger.name,
        "description": full.ledger.description,
        "fields": [_field_spec(full, f.code) for f in full.fields]}
    for part in _parts.values():
        value = part.export(full)
        if value is not None:
            design[part.key] = value
    return design


def export_design(*, user: AnyUser, schema: LedgerSchema) -> dict[str, Any]:
    access.require(user, schema, "manage")
    audit.record(user=user, action="design_export", target=f"ledger:{schema.id}", details={})
    return design_of(schema)


def set_template(*, user: AnyUser, schema: LedgerSchema, value: Any) -> bool:
    """Mark or unmark a ledger as a template (its managers)."""
    access.require(user, schema, "manage")
    if not isinstance(value, bool):
        raise InvalidInput(_("template must be true or false."), code=Code.INVALID_TEMPLATE)
    with transaction.atomic():
        settings_ = Ledger.objects.select_for_update().values_list(
            "settings", flat=True).get(id=schema.id)
        settings_ = dict(settings_) if isinstance(settings_, dict) else {}
        if value:
            settings_["template"] = True
        else:
            settings_.pop("template", None)
        Ledger.objects.filter(id=schema.id).update(settings=settings_)
        schema.ledger.settings = settings_
        audit.record(user=user, action="ledger_template", target=f"ledger:{schema.id}",
                     details={"template": value})
    return value


def template_design(user: AnyUser, template_id: Any) -> dict[str, Any]:
    """The design of ledger `template_id` if `user` may use it as a template; NotFound else."""
    try:
        lid = int(template_id)
    except (TypeError, ValueError):
        raise InvalidInput(_("template is the id of a ledger."), code=Code.INVALID_TEMPLATE) from None
    schema = load_schema(lid) if 0 < lid < 2**62 else None
    if schema is None:
        raise NotFound()
    if not is_template(schema.ledger):
        access.require(user, access.grant_for(user, schema).full, "manage")
    return design_of(schema)


def _bad(message: str, at: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_DESIGN, details={"at": at})


def _fields(user: AnyUser, design: dict[str, Any]) -> list[dict[str, Any]]:
    fields = design.get("fields")
    if not isinstance(fields, list):
        raise _bad(_("A design has a list of fields."), "fields")
    out = []
    for i, spec in enumerate(fields):
        if not isinstance(spec, dict):
            raise _bad(_("Each field of a design is an object."), f"fields[{i}]")
        clean = {k: spec[k] for k in FIELD_KEYS if k in spec}
        link_to = spec.get("link_to")
        if spec.get("type") == "link" and isinstance(link_to, str):
            clean["options"] = dict(clean.get("options") or {})
            clean["options"]["ledger"] = _link_target(user, link_to, f"fields[{i}]")
        out.append(clean)
    return out


def _link_target(user: AnyUser, name: str, at: str) -> int:
    """The ledger a link of the design points at here: the ledger of that name (ids differ
    between installations), if the user may see it."""
    found = Ledger.objects.filter(name=name).first()
    if found is not None and access.has_right(user, found, "view"):
        return int(found.id)
    raise _bad(_("The link field points at the ledger 「%(name)s」, which does not exist here or "
                 "which you may not see. Create or import that ledger first.") % {"name": name[:200]},
               at)


def create_from_design(*, user: AnyUser, design: Any, name: Any = None,
                       description: Any = None) -> tuple[LedgerSchema, list[str]]:
    """A new ledger (no records) with the fields and parts of `design`; the notes say what could
    not be carried over. All or nothing."""
    access.require_ledger_creator(user)
    if not isinstance(design, dict) or design.get("format") != FORMAT:
        raise _bad(_("This is not a daicho ledger design."), "format")
    if design.get("version") != VERSION:
        raise _bad(_("This design was made by another version of daicho (version %(v)s).")
                   % {"v": str(design.get("version"))[:20]}, "version")
    unknown = set(design) - {"format", "version", "name", "description", "fields", *_parts}
    if unknown:
        raise _bad(_("Unknown keys in the design: %(keys)s")
                   % {"keys": ", ".join(sorted(map(str, unknown)))[:200]}, "design")
    fields = _fields(user, design)
    notes: list[str] = []
    with transaction.atomic():
        schema = ledger_svc.create_ledger(
            user=user, name=name if name not in (None, "") else design.get("name"),
            description=description if description is not None else design.get("description", ""),
            fields=fields)
        for key, part in _parts.items():
            if design.get(key) is not None:
                # read again before each part: an earlier one (the process) adds pseudo fields
                current = load_schema(schema.id) or schema
                notes += part.apply(user, access.grant_for(user, current).full, design[key])
    found = load_schema(schema.id)
    assert found is not None
    return found, notes


# -- the permissions part ------------------------------------------------------------------------

def _export_rules(schema: LedgerSchema) -> Any:
    return {"rules": list(schema.ledger.rules or [])}


def _apply_rules(user: AnyUser, schema: LedgerSchema, value: Any) -> list[str]:
    """The template's rules, less those whose subject does not exist here (noted), plus every
    right for the user who made the ledger, so they can always manage what they made."""
    rules = value.get("rules") if isinstance(value, dict) else None
    if not isinstance(rules, list):
        raise _bad(_("permissions holds a list of rules."), "permissions.rules")
    kept: list[Any] = []
    notes: list[str] = []
    for i, rule in enumerate(rules):
        try:
            permissions.clean_rules(schema, [rule])
        except InvalidInput as exc:
            notes.append(_("Permission rule %(n)d was not copied: %(reason)s")
                         % {"n": i + 1, "reason": exc.message})
            continue
        kept.append(rule)
    me = {"subject": {"user": user.get_username()}, "rights": list(access.RIGHTS)}
    if me not in kept:
        kept.append(me)
    permissions.set_rules(user=user, schema=schema, rules=kept)
    return notes


register(Part("permissions", _export_rules, _apply_rules))


# -- the process part ----------------------------------------------------------------------------

def _export_process(schema: LedgerSchema) -> Any:
    from daicho.services import process_design

    found = process_design.process_json(schema.ledger)
    if not found.get("version"):
        return None
    return {k: found[k] for k in ("enabled", "statuses", "initial", "actions")}


def _apply_process(user: AnyUser, schema: LedgerSchema, value: Any) -> list[str]:
    """The template's process as version 1 of the new ledger's; one that does not fit here (an
    assignee who does not exist here) is noted and left out, the ledger made without it."""
    from daicho.services import process_design

    try:
        with transaction.atomic():
            process_design.set_process(user=user, schema=schema, body=value)
    except InvalidInput as exc:
        return [_("The process was not copied: %(reason)s") % {"reason": exc.message}]
    return []


register(Part("process", _export_process, _apply_process))


# -- the notifications part ----------------------------------------------------------------------

def _export_notifications(schema: LedgerSchema) -> Any:
    from daicho.services import notification_rules

    found = notification_rules.rules_of(schema.ledger)
    return found.as_json() if found.rules else None


def _apply_notifications(user: AnyUser, schema: LedgerSchema, value: Any) -> list[str]:
    """The template's notification rules, less those whose recipients do not exist here."""
    from daicho.services import notification_rules

    if not isinstance(value, dict) or not isinstance(value.get("rules"), list):
        raise _bad(_("notifications holds a list of rules."), "notifications.rules")
    kept: list[Any] = []
    notes: list[str] = []
    for i, rule in enumerate(value["rules"]):
        try:
            notification_rules.clean_document(schema, [rule], value.get("digest_over"))
        except InvalidInput as exc:
            notes.append(_("Notification rule %(n)d was not copied: %(reason)s")
                         % {"n": i + 1, "reason": exc.message})
            continue
        kept.append(rule)
    notification_rules.set_rules(user=user, schema=schema, rules=kept,
                                 digest_over=value.get("digest_over"))
    return notes


register(Part("notifications", _export_notifications, _apply_notifications))
