"""A ledger's notification rules (contract §9): validated, stored whole in the ledger's settings.

The document is `{"rules": [RULE], "digest_over": N}`. It lives in `Ledger.settings`, which is
loaded with the ledger, so the listener (daicho.services.notifications) finds out that a ledger
has no rule without a query. `digest_over` is the ledger's choice for writes that touch many
records at once (bulk changes, imports): up to N records, one notification per record; more,
one digest notification per recipient, counting only the records that recipient may see."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.fields.temporal import DateTimeType, DateType
from daicho.models import Ledger, LedgerEvent
from daicho.selectors.conditions import parse_filter
from daicho.selectors.ledgers import LedgerSchema
from daicho.services import audit
from daicho.services.permissions import clean_subject

ON = ("create", "update", "status", "comment", "date")
RULE_KEYS = {"on", "to", "field", "days_before", "filter", "mail"}
MAX_RULES = 100
MAX_DAYS_BEFORE = 366
DIGEST_OVER = 20  # the default: more records than this in one write give one digest
MAX_DIGEST_OVER = 1_000_000
SETTINGS_KEY = "notifications"


@dataclass(frozen=True)
class Rules:
    rules: list[dict[str, Any]]
    digest_over: int

    def as_json(self) -> dict[str, Any]:
        return {"rules": self.rules, "digest_over": self.digest_over}


def rules_of(ledger: Ledger) -> Rules:
    """The ledger's rules as stored (no query: they are loaded with the ledger)."""
    found = ledger.settings.get(SETTINGS_KEY) if isinstance(ledger.settings, dict) else None
    if not isinstance(found, dict):
        return Rules([], DIGEST_OVER)
    rules = [r for r in found.get("rules") or [] if isinstance(r, dict)]
    over = found.get("digest_over")
    return Rules(rules, over if isinstance(over, int) else DIGEST_OVER)


def rule_key(rule: dict[str, Any]) -> str:
    """What identifies a date rule for "exactly once": its recipients, field, days and filter
    (not its place in the list, nor the mail flag)."""
    ident = {k: rule.get(k) for k in ("to", "field", "days_before", "filter")}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()[:32]


def _bad(at: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_NOTIFICATION_RULES, details={"at": at})


def _subject(spec: Any, at: str, schema: LedgerSchema) -> dict[str, Any]:
    if isinstance(spec, dict) and set(spec) == {"creator"}:
        if spec["creator"] is not True:
            raise _bad(at, _("Write the creator as {\"creator\": true}."))
        return {"creator": True}
    if isinstance(spec, dict) and set(spec) == {"field"}:
        code = spec["field"]
        f = schema.by_code.get(code) if isinstance(code, str) else None
        if f is None or not isinstance(schema.type_of(f), UserType | OrgType):
            raise _bad(f"{at}.field", _("{\"field\": CODE} names a user or department field of "
                                        "this ledger."))
        return {"field": code}
    try:
        return clean_subject(spec, at)
    except InvalidInput as exc:
        raise _bad(str(exc.details.get("at", at)), exc.message + " " + _(
            "A notification may also go to {\"field\": CODE} or {\"creator\": true}.")) from None


def _field(rule: dict[str, Any], at: str, schema: LedgerSchema) -> str | None:
    code = rule.get("field")
    on = rule["on"]
    if on == "date":
        f = schema.by_code.get(code) if isinstance(code, str) else None
        if f is None or not isinstance(schema.type_of(f), DateType | DateTimeType):
            raise _bad(f"{at}.field", _("A date rule names the date field of this ledger it "
                                        "reminds of (field)."))
        return str(code)
    if code is None:
        return None
    if on != "update":
        raise _bad(f"{at}.field", _("Only update and date rules name a field."))
    if not isinstance(code, str) or code not in schema.by_code:
        raise _bad(f"{at}.field", _("There is no field 「%(code)s」 in this ledger.")
                   % {"code": str(code)[:64]})
    return code


def _clean_rule(rule: Any, at: str, schema: LedgerSchema) -> dict[str, Any]:
    if not isinstance(rule, dict) or not {"on", "to"} <= set(rule) or not set(rule) <= RULE_KEYS:
        raise _bad(at, _("A rule has on and to, and may have field, days_before, filter and "
                         "mail."))
    if rule["on"] not in ON:
        raise _bad(f"{at}.on", _("on is one of: %(on)s") % {"on": " ".join(ON)})
    out: dict[str, Any] = {"on": rule["on"], "to": _subject(rule["to"], f"{at}.to", schema)}
    code = _field(rule, at, schema)
    if code is not None:
        out["field"] = code
    days = rule.get("days_before")
    if rule["on"] == "date":
        days = 0 if days is None else days
        if not isinstance(days, int) or isinstance(days, bool) or \
                not 0 <= days <= MAX_DAYS_BEFORE:
            raise _bad(f"{at}.days_before", _("days_before is a whole number of days from 0 "
                                              "to %(n)d.") % {"n": MAX_DAYS_BEFORE})
        out["days_before"] = days
    elif days is not None:
        raise _bad(f"{at}.days_before", _("Only date rules have days_before."))
    if rule.get("filter") is not None:
        if not isinstance(rule["filter"], str):
            raise _bad(f"{at}.filter", _("Write a filter as CODE:OP:VALUE."))
        try:
            parse_filter(schema, rule["filter"], ValueContext())
        except InvalidInput as exc:
            raise _bad(f"{at}.filter", exc.message) from None
        out["filter"] = rule["filter"]
    mail = rule.get("mail", False)
    if not isinstance(mail, bool):
        raise _bad(f"{at}.mail", _("mail must be true or false."))
    out["mail"] = mail
    return out


def clean_document(schema: LedgerSchema, rules: Any, digest_over: Any) -> Rules:
    """The document in its stored form, or 400 naming the first problem (details.at)."""
    if not isinstance(rules, list):
        raise _bad("rules", _("rules must be a list."))
    if len(rules) > MAX_RULES:
        raise _bad("rules", _("At most %(n)d rules.") % {"n": MAX_RULES})
    over = DIGEST_OVER if digest_over is None else digest_over
    if not isinstance(over, int) or isinstance(over, bool) or not 1 <= over <= MAX_DIGEST_OVER:
        raise _bad("digest_over", _("digest_over is a whole number from 1 to %(n)d.")
                   % {"n": MAX_DIGEST_OVER})
    return Rules([_clean_rule(r, f"rules[{i}]", schema) for i, r in enumerate(rules)], over)


def set_rules(*, user: AnyUser, schema: LedgerSchema, rules: Any,
              digest_over: Any = None) -> Rules:
    """Replace the ledger's notification rules as a whole (managers)."""
    access.require(user, schema, "manage")
    document = clean_document(schema.full, rules, digest_over)
    with transaction.atomic():
        # The settings as they are now (other writers keep theirs there too), locked.
        stored = Ledger.objects.select_for_update().values_list(
            "settings", flat=True).get(id=schema.id)
        settings_ = dict(stored) if isinstance(stored, dict) else {}
        settings_[SETTINGS_KEY] = document.as_json()
        Ledger.objects.filter(id=schema.id).update(settings=settings_)
        schema.ledger.settings = settings_
        LedgerEvent.objects.create(ledger_id=schema.id, user_id=user.pk,
                                   action="notifications",
                                   details={"rules": len(document.rules)})
        audit.record(user=user, action="notification_rules", target=f"ledger:{schema.id}",
                     details=document.as_json())
    return document
