"""Display names for what a page shows by reference: the logins, department codes and linked
record ids in values become people's names, department names and the linked records' titles.
One query per kind (per linked ledger) per page, never one per cell.

Link titles are read for the viewer through the permission gate: a record, a ledger or a
display field the viewer may not see gives no title (the cell shows the id, as before), and a
sensitive ledger's titles are shown only on its own pages, which log the view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from daicho import access
from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.fields.context import ValueContext
from daicho.models import Field, Org
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, is_sensitive
from daicho.textnorm import search_key


def name_key(text: str) -> str:
    """search_key without blanks: 「山田太郎」 finds 「山田　太郎」, 「ﾔﾏﾀﾞ」 finds 「やまだ」."""
    return "".join(search_key(text).split())


def display_field(link: Field, target: LedgerSchema) -> Field | None:
    """The field of the linked ledger whose value names a record of it in `link`'s cells: the
    link's option display_field, or else the ledger's first field that can name a record (the
    same for everyone). None when the viewer may not see that field (a hidden field is absent
    from their schema): then the cells show ids rather than some other field."""
    from daicho.web.grid import title_field

    code = link.options.get("display_field") if isinstance(link.options, dict) else None
    if not code or code not in target.full.by_code:  # none chosen, or deleted since
        first = title_field(target.full)
        code = first.code if first is not None else None
    return target.by_code.get(code) if code else None


def title_text(f: Field, value: Any) -> str:
    """A value as one line of text, as a title in a cell or a picker shows it."""
    from daicho.web.widgets import widget_for

    if value is None or value == "" or value == []:
        return ""
    try:
        text = widget_for(f).text_of(f, value)
    except (TypeError, ValueError, KeyError, AttributeError):
        text = str(value)
    return text.replace("\n", " ").strip()


class Names:
    def __init__(self, viewer: AnyUser | None = None) -> None:
        # Who looks at the page: link titles are read through the gate for them (None: no
        # titles at all, links show their ids).
        self._viewer = viewer
        self._users: dict[str, str] = {}
        self._orgs: dict[str, str] = {}
        self._targets: dict[Any, LedgerSchema | None] = {}
        self._links: dict[tuple[int, str], dict[int, str | None]] = {}

    def load(self, logins: Iterable[str | None] = (), codes: Iterable[str | None] = ()) -> Names:
        wanted_users = {login for login in logins if login and login not in self._users}
        if wanted_users:
            for login, name in get_user_model().objects.filter(username__in=wanted_users) \
                    .values_list("username", "profile__name"):
                self._users[login] = name or login
        wanted_orgs = {code for code in codes if code and code not in self._orgs}
        if wanted_orgs:
            for code, name in Org.objects.filter(code__in=wanted_orgs).values_list("code", "name"):
                self._orgs[code] = name
        return self

    def load_values(self, fields: Iterable[Field], values: Iterable[dict[str, Any]],
                    logins: Iterable[str | None] = ()) -> Names:
        """Collect what the widgets of `fields` will look up in these records' values."""
        from daicho.web.widgets import widget_for

        users: set[str | None] = set(logins)
        orgs: set[str | None] = set()
        kinds = [(f, widget_for(f).names) for f in fields]
        links: dict[str, tuple[Field, set[Any]]] = {}
        for record_values in values:
            for f, kind in kinds:
                if kind == "user":
                    users.add(record_values.get(f.code))
                elif kind == "org":
                    orgs.add(record_values.get(f.code))
                elif kind == "link":
                    links.setdefault(f.code, (f, set()))[1].add(record_values.get(f.code))
        for f, ids in links.values():
            self.load_links(f, ids)
        return self.load(users, orgs)

    def user(self, login: str | None) -> str:
        if not login:
            return ""
        self.load([login])
        return self._users.get(login, login)

    def has_user(self, login: str | None) -> bool:
        return bool(login) and self.load([login])._users.get(str(login)) is not None

    def org(self, code: str | None) -> str:
        if not code:
            return ""
        self.load(codes=[code])
        return self._orgs.get(code, code)

    def has_org(self, code: str | None) -> bool:
        return bool(code) and self.load(codes=[code])._orgs.get(str(code)) is not None

    # -- links ----------------------------------------------------------------------------------

    def target(self, ledger_id: Any) -> LedgerSchema | None:
        """The linked ledger as the viewer may see it, or None (not visible, sensitive)."""
        if ledger_id not in self._targets:
            found = None
            if self._viewer is not None and isinstance(ledger_id, int):
                try:
                    found = access.ledger_for(self._viewer, ledger_id, "view")
                except NotFound:
                    found = None
                if found is not None and is_sensitive(found.ledger):
                    found = None
            self._targets[ledger_id] = found
        return self._targets[ledger_id]

    def load_links(self, link: Field, ids: Iterable[Any]) -> None:
        cache = self._links.setdefault((link.ledger_id, link.code), {})
        wanted = {int(i) for i in ids if isinstance(i, int) and not isinstance(i, bool)
                  and 0 < i < 2**62 and int(i) not in cache}
        if not wanted:
            return
        cache.update(dict.fromkeys(wanted))
        target = self.target(link.options.get("ledger"))
        shown = display_field(link, target) if target is not None else None
        if target is None or shown is None or self._viewer is None:
            return
        ctx = ValueContext()
        found = sel.get_rows(self._viewer, target, wanted)
        records = sel.records_json(target, list(found.values()), ctx)
        for record in records:
            cache[record["id"]] = title_text(shown, record["values"].get(shown.code)) or None

    def link(self, link: Field, record_id: Any) -> str | None:
        """The title of the linked record, or None when the viewer may not see one."""
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            return None
        self.load_links(link, [record_id])
        return self._links[(link.ledger_id, link.code)].get(record_id)
