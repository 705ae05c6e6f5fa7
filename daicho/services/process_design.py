"""The writer of a ledger's process definition (contract §8, `PUT …/process`): strict
validation, a new version for every changed definition, and the records put in the initial
status when a process is enabled on a ledger that has records.

Versions are never changed: a record keeps following the version it started with
(`process_version` in its row), so a redesign does not strand the records already in flight."""

from __future__ import annotations

from collections import deque
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import check_text
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.models import Field, Ledger, LedgerEvent, ProcessVersion
from daicho.selectors import conditions
from daicho.selectors.ledgers import STATUS_CODE, STATUS_COLUMN, VERSION_COLUMN, LedgerSchema
from daicho.selectors.process import MODES, stored_definition
from daicho.services import audit
from daicho.services.permissions import clean_subject

MAX_STATUSES = 50
MAX_ACTIONS = 200
MAX_APPROVERS = 100
ACTION_KEYS = {"name", "from", "to", "by", "condition", "mode", "count", "comment_required"}
BODY_KEYS = {"enabled", "statuses", "initial", "actions"}


def _bad(at: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_PROCESS, details={"at": at})


def _name(value: Any, at: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(at, _("%(what)s must be a name of 1 to 100 characters.") % {"what": what})
    try:
        return check_text(value.strip(), multiline=False, max_length=100)
    except FieldValueError as exc:
        raise _bad(at, f"{what}: {exc.message}") from None


def _by(value: Any, at: str, schema: LedgerSchema) -> dict[str, Any]:
    if isinstance(value, dict) and set(value) == {"field"}:
        code = value["field"]
        f = schema.full.by_code.get(code) if isinstance(code, str) else None
        if f is None or not isinstance(schema.full.type_of(f), UserType | OrgType):
            raise _bad(f"{at}.field", _("「%(code)s」 is not a user or department field of this "
                                        "ledger.") % {"code": str(code)[:64]})
        return {"field": code}
    if isinstance(value, dict) and value in ({"creator": True}, {"superior": True}):
        return dict(value)
    try:
        return clean_subject(value, at)
    except InvalidInput as exc:
        if isinstance(value, dict) and value and set(value) <= {"everyone", "user", "role", "org",
                                                                "include_children"}:
            raise _bad(str(exc.details.get("at", at)), exc.message) from None  # a wrong name or code
        raise _bad(at, _("Who may take an action is a subject ({\"everyone\": true}, "
                         "{\"org\": CODE}, {\"user\": LOGIN}, {\"role\": NAME}), "
                         "{\"field\": CODE}, {\"creator\": true} or {\"superior\": true}.")) from None


def _action(value: Any, at: str, statuses: list[str], schema: LedgerSchema) -> dict[str, Any]:
    if not isinstance(value, dict) or not {"name", "from", "to", "by"} <= set(value):
        raise _bad(at, _("Each action is an object with name, from, to and by."))
    unknown = sorted(set(value) - ACTION_KEYS)
    if unknown:
        raise _bad(at, _("Unknown keys in an action: %(keys)s") % {"keys": ", ".join(unknown)[:200]})
    name = _name(value["name"], f"{at}.name", _("The action name"))
    out: dict[str, Any] = {"name": name}
    for key in ("from", "to"):
        status = value[key]
        if status not in statuses:
            message = (_("The action 「%(name)s」 starts from 「%(status)s」, which is not one of "
                         "the statuses.") if key == "from" else
                       _("The action 「%(name)s」 leads to 「%(status)s」, which is not one of the "
                         "statuses."))
            raise _bad(f"{at}.{key}", message % {"name": name, "status": str(status)[:100]})
        out[key] = status
    out["by"] = _by(value["by"], f"{at}.by", schema)
    condition = value.get("condition")
    if condition not in (None, ""):
        if not isinstance(condition, str):
            raise _bad(f"{at}.condition", _("A condition is written CODE:OP:VALUE."))
        try:
            conditions.parse_filter(schema.full, condition, ValueContext())
        except InvalidInput as exc:
            raise _bad(f"{at}.condition", _("The condition of the action 「%(name)s」: "
                                            "%(message)s") % {"name": name,
                                                             "message": exc.message}) from None
        out["condition"] = condition
    mode = value.get("mode", "any")
    if mode not in MODES:
        raise _bad(f"{at}.mode", _("mode is one of: %(modes)s") % {"modes": " ".join(MODES)})
    if mode == "one" and not _names_one_person(out["by"], schema):
        raise _bad(f"{at}.by", _("With mode one, by names a single person: a user, the creator "
                                 "or a user field."))
    if mode != "any":
        out["mode"] = mode
    count = value.get("count")
    if mode == "n_of_m":
        if not isinstance(count, int) or isinstance(count, bool) or \
                not 1 <= count <= MAX_APPROVERS:
            raise _bad(f"{at}.count", _("With mode n_of_m, count is the number of approvers "
                                        "needed (1 to %(n)d).") % {"n": MAX_APPROVERS})
        out["count"] = count
    elif count is not None:
        raise _bad(f"{at}.count", _("count is given only with mode n_of_m."))
    required = value.get("comment_required", False)
    if not isinstance(required, bool):
        raise _bad(f"{at}.comment_required", _("comment_required must be true or false."))
    if required:
        out["comment_required"] = True
    return out


def _names_one_person(by: dict[str, Any], schema: LedgerSchema) -> bool:
    if "user" in by or by.get("creator") is True:
        return True
    f = schema.full.by_code.get(by.get("field", ""))
    return f is not None and isinstance(schema.full.type_of(f), UserType)


def clean_process(schema: LedgerSchema, body: Any) -> dict[str, Any]:
    """The definition in its stored form, or 400 `invalid_process` with the first problem."""
    if not isinstance(body, dict):
        raise _bad("", _("The process must be an object."))
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise _bad("", _("Unknown keys: %(keys)s") % {"keys": ", ".join(map(str, unknown))[:200]})
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad("enabled", _("enabled must be true or false."))
    raw = body.get("statuses")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STATUSES:
        raise _bad("statuses", _("statuses is a list of 1 to %(n)d names.") % {"n": MAX_STATUSES})
    statuses: list[str] = []
    for i, value in enumerate(raw):
        name = _name(value, f"statuses[{i}]", _("A status"))
        if name in statuses:
            raise _bad(f"statuses[{i}]", _("The status 「%(name)s」 appears twice.")
                       % {"name": name})
        statuses.append(name)
    initial = body.get("initial")
    if initial not in statuses:
        raise _bad("initial", _("The initial status must be one of the statuses."))
    raw_actions = body.get("actions", [])
    if not isinstance(raw_actions, list) or len(raw_actions) > MAX_ACTIONS:
        raise _bad("actions", _("actions is a list of at most %(n)d actions.") % {"n": MAX_ACTIONS})
    actions: list[dict[str, Any]] = []
    for i, value in enumerate(raw_actions):
        action = _action(value, f"actions[{i}]", statuses, schema)
        if any(a["name"] == action["name"] and a["from"] == action["from"] for a in actions):
            raise _bad(f"actions[{i}]", _("The action 「%(name)s」 from 「%(status)s」 appears "
                                          "twice.") % {"name": action["name"],
                                                       "status": action["from"]})
        actions.append(action)
    unreachable = _unreachable(statuses, str(initial), actions)
    if unreachable:
        raise _bad("actions", _("These statuses cannot be reached from the initial status "
                                "「%(initial)s」 by any action: %(names)s")
                   % {"initial": initial, "names": "、".join(f"「{s}」" for s in unreachable)})
    return {"enabled": enabled, "statuses": statuses, "initial": initial, "actions": actions}


def _unreachable(statuses: list[str], initial: str, actions: list[dict[str, Any]]) -> list[str]:
    seen, queue = {initial}, deque([initial])
    while queue:
        here = queue.popleft()
        for a in actions:
            if a["from"] == here and a["to"] not in seen:
                seen.add(a["to"])
                queue.append(a["to"])
    return [s for s in statuses if s not in seen]


def _shape(process: dict[str, Any]) -> dict[str, Any]:
    return {k: process[k] for k in ("statuses", "initial", "actions")}


def process_json(ledger: Ledger) -> dict[str, Any]:
    """`GET …/process`: the definition as last saved (a ledger without one: disabled, empty)."""
    stored = stored_definition(ledger)
    if stored is None:
        return {"enabled": False, "statuses": [], "initial": None, "actions": [], "version": 0}
    return {"enabled": stored.get("enabled") is True, **_shape(stored),
            "version": stored.get("version", 0)}


def set_process(*, user: AnyUser, schema: LedgerSchema, body: Any) -> dict[str, Any]:
    """Replace the ledger's process (`manage`). A changed definition becomes a new version;
    enabling it puts every record that has no status yet in the initial status."""
    access.require(user, schema, "manage")
    cleaned = clean_process(schema, body)
    if cleaned["enabled"] and Field.objects.filter(ledger_id=schema.id, code=STATUS_CODE).exists():
        raise _bad("enabled", _("This ledger has a field whose code is 「status」, the name a "
                                "process gives its status in filters and rules. A process "
                                "cannot be enabled on it; please make a new field for the "
                                "state and remove that one first."))
    with transaction.atomic():
        ledger = Ledger.objects.select_for_update().get(id=schema.id)
        stored = stored_definition(ledger)
        version = int(stored.get("version", 0)) if stored else 0
        if stored is None or _shape(stored) != _shape(cleaned):
            version += 1
            ProcessVersion.objects.create(ledger=ledger, version=version,
                                          definition={**_shape(cleaned), "version": version},
                                          created_by_id=user.pk if user.is_authenticated else None)
        saved = {**cleaned, "version": version}
        if cleaned["enabled"]:
            ddl.add_process_columns(ledger)
            with connection.cursor() as cur:
                cur.execute(f"UPDATE {q(schema.table)} SET {STATUS_COLUMN} = %s,"
                            f" {VERSION_COLUMN} = %s WHERE {STATUS_COLUMN} IS NULL",
                            [cleaned["initial"], version])
        ledger.settings = {**(ledger.settings if isinstance(ledger.settings, dict) else {}),
                           "process": saved}
        ledger.save(update_fields=["settings", "updated_at"])
        uid = user.pk if user.is_authenticated else None
        LedgerEvent.objects.create(ledger=ledger, user_id=uid, action="process",
                                   details={"version": version, "enabled": cleaned["enabled"]})
        audit.record(user=user, action="process", target=f"ledger:{schema.id}",
                     details={"version": version, "enabled": cleaned["enabled"]})
    schema.ledger.settings = ledger.settings
    return process_json(ledger)
