"""Names typed where the engine takes a reference: 「山田 太郎」 in a user column, 「総務課」 in a
department column, a record's title in a link column become the login, the department code and
the record id that the record services (and the API) take.

The web UI's grid, paste, bulk edit and record form resolve their texts here before they call
a service, so the API keeps its contract (ids, logins and codes only). What the engine already
takes (a login, a code, a record id, also written 「#12」) passes unchanged. Otherwise the text
is compared Japanese-aware (width, case, kana, blanks folded as the search box does): one exact
name wins, else one name that contains the text; none or several is refused at the field with
a message, and nothing is saved. Linked records are searched through the permission gate, so a
title can pick only a record the writer may see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.error_codes import Code
from daicho.errors import FieldValueError, InvalidInput, NotFound
from daicho.fields.context import ValueContext
from daicho.models import Field, Org
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.web.names import display_field, name_key, title_text
from daicho.web.widgets import widget_for

SEARCHED = 200  # linked records read per typed title


def pick(key: str, candidates: list[tuple[str, str]], *, complete: bool = True) -> list[str]:
    """The values whose name is `key` exactly, else those whose name contains it (none or
    several when it does not name one). `complete`: the candidates are all there are, so one
    partial match is the only one."""
    exact = [value for value, name in candidates if name == key]
    if exact:
        return exact
    partial = [value for value, name in candidates if key in name]
    if len(partial) == 1 and not complete:
        return partial * 2  # the one seen so far may not be the only one
    return partial


class Resolver:
    """Resolves the texts of one request, reading each directory at most once."""

    def __init__(self, user: AnyUser, schema: LedgerSchema) -> None:
        self.user = user
        self.schema = schema
        self._people: list[tuple[str, str, str]] | None = None  # login, key of name, key of login
        self._orgs: list[tuple[str, str, str]] | None = None

    def values(self, values: Any) -> tuple[Any, dict[str, str]]:
        """`values` with every typed name replaced by what it names, and the refusals by code."""
        if not isinstance(values, dict):
            return values, {}
        out, errors = dict(values), {}
        for code, value in values.items():
            f = self.schema.by_code.get(code) if isinstance(code, str) else None
            if f is None or not widget_for(f).names or not isinstance(value, str):
                continue
            try:
                out[code] = self.value(f, value)
            except FieldValueError as exc:
                errors[code] = exc.message
        return out, errors

    def value(self, f: Field, text: str) -> str:
        text = text.strip()
        kind = widget_for(f).names
        if not text:
            return text
        if kind == "user":
            return self._user(text)
        if kind == "org":
            return self._org(text)
        return self._record(f, text)

    def _user(self, text: str) -> str:
        if self._people is None:
            rows = get_user_model().objects.filter(is_active=True) \
                .values_list("username", "profile__name")
            self._people = [(login, name_key(name or ""), login.lower()) for login, name in rows]
        if any(login == text for login, _n, _l in self._people):
            return text
        key = name_key(text)
        found = pick(key, [(login, name) for login, name, _l in self._people]) or \
            pick(key.lower(), [(login, low) for login, _n, low in self._people])
        if len(found) == 1:
            return found[0]
        if found:
            raise FieldValueError(_("%(n)d users match this name. Pick one from the "
                                    "suggestions.") % {"n": len(found)})
        raise FieldValueError(_("No user has this name or login. Pick one from the suggestions."))

    def _org(self, text: str) -> str:
        if self._orgs is None:
            rows = Org.objects.filter(abolished_on=None).values_list("code", "name")
            self._orgs = [(code, name_key(name), code.lower()) for code, name in rows]
        if any(code == text for code, _n, _c in self._orgs):
            return text
        key = name_key(text)
        found = pick(key, [(code, name) for code, name, _c in self._orgs]) or \
            pick(key.lower(), [(code, low) for code, _n, low in self._orgs])
        if len(found) == 1:
            return found[0]
        if found:
            raise FieldValueError(_("%(n)d departments match this name. Pick one from the "
                                    "suggestions.") % {"n": len(found)})
        raise FieldValueError(_("No department has this name or code. Pick one from the "
                                "suggestions."))

    def _record(self, f: Field, text: str) -> str:
        digits = text[1:] if text.startswith(("#", "＃")) else text
        if digits.isascii() and digits.isdigit():
            return digits  # an id: the field type checks that it exists and may be linked
        not_found = FieldValueError(_("No record of the linked ledger has this title. Pick one "
                                      "from the suggestions or give its id."))
        try:
            target = access.ledger_for(self.user, f.options.get("ledger"), "view")
        except NotFound:
            raise not_found from None
        shown = display_field(f, target)
        if shown is None:
            raise not_found
        ctx = ValueContext()
        try:
            page = sel.list_records(self.user, target, search=text, limit=SEARCHED, ctx=ctx)
        except InvalidInput:
            raise not_found from None
        records = sel.records_json(target, page.rows, ctx)
        candidates = [(str(r["id"]), name_key(title_text(shown, r["values"].get(shown.code))))
                      for r in records]
        found = pick(name_key(text), candidates, complete=page.next_cursor is None)
        if len(found) == 1:
            return found[0]
        if found:
            raise FieldValueError(_("More than one record of the linked ledger has this "
                                    "title. Pick one from the suggestions."))
        raise not_found


def batch_problems(resolver: Resolver, create: Any, update: Any) -> list[dict[str, Any]]:
    """Resolve the values of a grid batch in place; the refusals in the shape the record
    services use for a bulk request (op, index, fields)."""
    problems: list[dict[str, Any]] = []
    for op, items in (("create", create), ("update", update)):
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "values" not in item:
                continue
            item["values"], errors = resolver.values(item.get("values"))
            if errors:
                problem: dict[str, Any] = {"op": op, "index": i, "fields": errors}
                if op == "update":
                    problem["id"] = item.get("id")
                problems.append(problem)
    return problems


def refuse(problems: list[dict[str, Any]]) -> None:
    if problems:
        raise InvalidInput(_("Nothing was saved: some items are not valid."),
                           code=Code.INVALID_VALUES, details={"items": problems})
