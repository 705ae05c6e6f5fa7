"""The writer for a ledger's permission rules (contract §5): strict validation, whole-set replace.

The rules are stored in their API shape on `Ledger.rules`; daicho.access reads them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import RIGHTS, AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType
from daicho.models import Ledger, LedgerEvent, Org, Profile
from daicho.selectors.conditions import parse_filter
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit

MAX_RULES = 200
RULE_KEYS = {"subject", "rights", "records", "fields"}


def _bad(at: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_RULES, details={"at": at})


def _name(value: Any, at: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 150:
        raise _bad(at, _("Write a non-empty name of at most 150 characters."))
    return value


def clean_subject(spec: Any, at: str) -> dict[str, Any]:
    if not isinstance(spec, dict) or len(spec) == 0:
        raise _bad(at, _("A subject is {\"everyone\": true}, {\"org\": CODE, \"include_children\": "
                         "BOOL}, {\"user\": LOGIN} or {\"role\": NAME}."))
    keys = set(spec)
    if keys == {"everyone"} and spec["everyone"] is True:
        return {"everyone": True}
    if keys == {"user"}:
        login = _name(spec["user"], f"{at}.user")
        if not get_user_model().objects.filter(username=login).exists():
            raise _bad(f"{at}.user", _("There is no user 「%(login)s」.") % {"login": login})
        return {"user": login}
    if keys == {"role"}:
        return {"role": _name(spec["role"], f"{at}.role")}
    if keys in ({"org"}, {"org", "include_children"}):
        code = _name(spec["org"], f"{at}.org")
        if not Org.objects.filter(code=code).exists():
            raise _bad(f"{at}.org", _("There is no department with code 「%(code)s」.")
                       % {"code": code[:64]})
        children = spec.get("include_children", False)
        if not isinstance(children, bool):
            raise _bad(f"{at}.include_children", _("include_children must be true or false."))
        return {"org": code, "include_children": children}
    return clean_subject(None, at)


def _rights(value: Any, at: str) -> list[str]:
    if not isinstance(value, list) or not value or \
            not all(isinstance(r, str) and r in RIGHTS for r in value):
        raise _bad(at, _("rights is a non-empty list of: %(rights)s") % {"rights": " ".join(RIGHTS)})
    return [r for r in RIGHTS if r in value]


def _records(value: Any, at: str, schema: LedgerSchema) -> dict[str, Any]:
    if isinstance(value, dict) and len(value) == 1:
        if value.get("creator") is True:
            return {"creator": True}
        if "field_is_my_org" in value:
            code = value["field_is_my_org"]
            f = schema.by_code.get(code) if isinstance(code, str) else None
            if f is None or not isinstance(schema.type_of(f), OrgType):
                raise _bad(f"{at}.field_is_my_org", _("field_is_my_org names a department field "
                                                      "of this ledger."))
            return {"field_is_my_org": code}
        if "filter" in value and isinstance(value["filter"], str):
            try:
                parse_filter(schema, value["filter"], ValueContext())
            except InvalidInput as exc:
                raise _bad(f"{at}.filter", exc.message) from None
            return {"filter": value["filter"]}
    raise _bad(at, _("records is {\"creator\": true}, {\"field_is_my_org\": CODE} or "
                     "{\"filter\": \"CODE:OP:VALUE\"}."))


def _fields(value: Any, at: str, schema: LedgerSchema) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(at, _("fields maps field codes to \"hidden\" or \"read\"."))
    out: dict[str, str] = {}
    for code, level in value.items():
        if code not in schema.by_code:
            raise _bad(f"{at}.{str(code)[:64]}", _("There is no field 「%(code)s」 in this ledger.")
                       % {"code": str(code)[:64]})
        if level not in ("hidden", "read"):
            raise _bad(f"{at}.{code}", _("fields maps field codes to \"hidden\" or \"read\"."))
        out[code] = level
    return out


def clean_rules(schema: LedgerSchema, rules: Any) -> list[dict[str, Any]]:
    """The rules in their stored form, or InvalidInput naming the first problem (details.at)."""
    if not isinstance(rules, list):
        raise _bad("rules", _("rules must be a list."))
    if len(rules) > MAX_RULES:
        raise _bad("rules", _("At most %(n)d rules.") % {"n": MAX_RULES})
    cleaned = []
    for i, rule in enumerate(rules):
        at = f"rules[{i}]"
        if not isinstance(rule, dict) or not {"subject", "rights"} <= set(rule) or \
                not set(rule) <= RULE_KEYS:
            raise _bad(at, _("A rule has subject and rights, and may have records and fields."))
        out: dict[str, Any] = {"subject": clean_subject(rule["subject"], f"{at}.subject"),
                               "rights": _rights(rule["rights"], f"{at}.rights")}
        if rule.get("records") is not None:
            out["records"] = _records(rule["records"], f"{at}.records", schema)
        if rule.get("fields"):
            out["fields"] = _fields(rule["fields"], f"{at}.fields", schema)
        cleaned.append(out)
    return cleaned


def set_rules(*, user: AnyUser, schema: LedgerSchema, rules: Any) -> list[dict[str, Any]]:
    """Replace the ledger's rules as a whole; takes effect with the next query."""
    access.require(user, schema, "manage")
    cleaned = clean_rules(schema.full, rules)
    with transaction.atomic():
        Ledger.objects.filter(id=schema.id).update(rules=cleaned)
        schema.ledger.rules = cleaned
        LedgerEvent.objects.create(ledger_id=schema.id, user_id=user.pk, action="permissions",
                                   details={"rules": len(cleaned)})
        audit.record(user=user, action="permissions", target=f"ledger:{schema.id}",
                     details={"rules": cleaned})
    return cleaned


def clean_sensitive(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(_("sensitive must be true or false."), code=Code.INVALID_SENSITIVE,
                           details={"at": "sensitive"})
    return value


def set_sensitive(*, user: AnyUser, schema: LedgerSchema, sensitive: Any) -> bool:
    """Mark the ledger sensitive (every view of a record or list is logged) or not."""
    access.require(user, schema, "manage")
    wanted = clean_sensitive(sensitive)
    with transaction.atomic():
        ledger = Ledger.objects.select_for_update().get(id=schema.id)
        settings = dict(ledger.settings) if isinstance(ledger.settings, dict) else {}
        current: object = settings.get("sensitive", False)
        if current is wanted:
            schema.ledger.settings = settings
            return wanted
        if wanted:
            settings["sensitive"] = True
        else:
            settings.pop("sensitive", None)
        ledger.settings = settings
        ledger.save(update_fields=["settings"])
        schema.ledger.settings = settings
        LedgerEvent.objects.create(ledger_id=schema.id, user_id=user.pk, action="sensitive",
                                   details={"sensitive": wanted})
        audit.record(user=user, action="sensitive", target=f"ledger:{schema.id}",
                     details={"sensitive": wanted})
    return wanted


def default_rules(user: AnyUser) -> list[dict[str, Any]]:
    """A new ledger: its creator's department (and below) may view, add and edit; the creator
    holds every right. Without a department, the creator alone."""
    if not user.is_authenticated:
        return []
    rules: list[dict[str, Any]] = []
    org_code = Profile.objects.filter(user_id=user.pk).values_list("org__code", flat=True).first()
    if org_code:
        rules.append({"subject": {"org": org_code, "include_children": True},
                      "rights": ["view", "add", "edit"]})
    rules.append({"subject": {"user": user.get_username()}, "rights": list(RIGHTS)})
    return rules
