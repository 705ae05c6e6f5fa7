"""Per-request caches for values that refer to other rows (users, departments, records)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from daicho.models import Ledger, Org


class ValueContext:
    """Resolves login ↔ user id and department code ↔ id with one query per batch, not per value."""

    def __init__(self, user: Any = None) -> None:
        # Who writes the values: a link may point only at records this user may see (None: the
        # system itself — the demo loader, maintenance — which sees everything).
        self.user = user
        self.link_targets: dict[int, Any] = {}  # ledger id → the user's schema of it, or None
        self._login_by_id: dict[int, str] = {}
        self._id_by_login: dict[str, int | None] = {}
        self._org_code_by_id: dict[int, str] = {}
        self._org_id_by_code: dict[str, int | None] = {}
        self._org_name_by_id: dict[int, str] = {}
        self._user_name_by_id: dict[int, str] = {}
        self._ledger_tables: dict[int, str | None] = {}
        # A subtable's refused rows by field code, for the error's details (records.clean_values).
        self.row_errors: dict[str, list[dict[str, Any]]] = {}

    # users ---------------------------------------------------------------------------------------
    def preload_users(self, ids: Iterable[int | None]) -> None:
        missing = {int(i) for i in ids if i is not None and int(i) not in self._login_by_id}
        if not missing:
            return
        user_model = get_user_model()
        for uid, login, name in user_model.objects.filter(id__in=missing).values_list(
            "id", "username", "profile__name"
        ):
            self._login_by_id[uid] = login
            self._user_name_by_id[uid] = name or login

    def login(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        self.preload_users([user_id])
        return self._login_by_id.get(int(user_id))

    def user_name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        self.preload_users([user_id])
        return self._user_name_by_id.get(int(user_id))

    def user_id(self, login: str) -> int | None:
        if login not in self._id_by_login:
            user_model = get_user_model()
            row = user_model.objects.filter(username=login, is_active=True).values_list(
                "id", flat=True
            ).first()
            self._id_by_login[login] = row
            if row is not None:
                self._login_by_id[row] = login
        return self._id_by_login[login]

    # departments --------------------------------------------------------------------------------
    def preload_orgs(self, ids: Iterable[int | None]) -> None:
        missing = {int(i) for i in ids if i is not None and int(i) not in self._org_code_by_id}
        if not missing:
            return
        for oid, code, name in Org.objects.filter(id__in=missing).values_list("id", "code", "name"):
            self._org_code_by_id[oid] = code
            self._org_name_by_id[oid] = name

    def org_code(self, org_id: int | None) -> str | None:
        if org_id is None:
            return None
        self.preload_orgs([org_id])
        return self._org_code_by_id.get(int(org_id))

    def org_name(self, org_id: int | None) -> str | None:
        if org_id is None:
            return None
        self.preload_orgs([org_id])
        return self._org_name_by_id.get(int(org_id))

    def org_id(self, code: str) -> int | None:
        if code not in self._org_id_by_code:
            row = Org.objects.filter(code=code).values_list("id", "name").first()
            self._org_id_by_code[code] = row[0] if row else None
            if row:
                self._org_code_by_id[row[0]] = code
                self._org_name_by_id[row[0]] = row[1]
        return self._org_id_by_code[code]

    # linked records -----------------------------------------------------------------------------
    def ledger_table(self, ledger_id: int) -> str | None:
        """The table of a ledger that link values point at; None if there is no such ledger."""
        if ledger_id not in self._ledger_tables:
            self._ledger_tables[ledger_id] = Ledger.objects.filter(id=ledger_id).values_list(
                "table_name", flat=True).first()
        return self._ledger_tables[ledger_id]
