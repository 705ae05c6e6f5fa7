"""Display names for the logins and department codes a page shows: one query each per page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from daicho.models import Field, Org


class Names:
    def __init__(self) -> None:
        self._users: dict[str, str] = {}
        self._orgs: dict[str, str] = {}

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
        kinds = [(f.code, widget_for(f).names) for f in fields]
        for record_values in values:
            for code, kind in kinds:
                if kind == "user":
                    users.add(record_values.get(code))
                elif kind == "org":
                    orgs.add(record_values.get(code))
        return self.load(users, orgs)

    def user(self, login: str | None) -> str:
        if not login:
            return ""
        self.load([login])
        return self._users.get(login, login)

    def org(self, code: str | None) -> str:
        if not code:
            return ""
        self.load(codes=[code])
        return self._orgs.get(code, code)
