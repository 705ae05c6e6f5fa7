"""The details of an access-log entry as a person reads them: labelled in their language, values
spelled out (yes/no, the import mode, counts), not the stored JSON (which the CSV keeps)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from daicho.i18n import join_list

MAX_TEXT = 300
LABELS = {
    "path": gettext_lazy("Page"),
    "query": gettext_lazy("Conditions"),
    "record": gettext_lazy("Record"),
    "file": gettext_lazy("File"),
    "format": gettext_lazy("Format"),
    "rows": gettext_lazy("Rows"),
    "filters": gettext_lazy("Filters"),
    "q": gettext_lazy("Search"),
    "mode": gettext_lazy("Import mode"),
    "dry_run": gettext_lazy("Dry run"),
    "reason": gettext_lazy("Reason"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "batch": gettext_lazy("Import batch"),
    "trashed": gettext_lazy("Moved to the trash"),
    "reverted": gettext_lazy("Reverted"),
    "edited_since": gettext_lazy("Edited since the import"),
    "ledger": gettext_lazy("Ledger"),
    "name": gettext_lazy("Name"),
    "fields": gettext_lazy("Fields"),
    "rules": gettext_lazy("Rules"),
    "sensitive": gettext_lazy("Sensitive"),
    "org": gettext_lazy("Department"),
    "orgs": gettext_lazy("Departments"),
    "roles": gettext_lazy("Roles"),
    "admin": gettext_lazy("Administrator"),
    "active": gettext_lazy("Active"),
    "parent_code": gettext_lazy("Parent department"),
    "valid_from": gettext_lazy("From"),
    "scheduled": gettext_lazy("Scheduled"),
    "read_only": gettext_lazy("Read-only"),
    "expires_at": gettext_lazy("Valid until"),
    "through_seq": gettext_lazy("Deleted through entry"),
    "deleted": gettext_lazy("Deleted"),
    "days": gettext_lazy("Days kept"),
    "since": gettext_lazy("From"),
    "until": gettext_lazy("Until"),
    "user": gettext_lazy("User"),
    "action": gettext_lazy("Action"),
    "layout": gettext_lazy("Layout"),
    "encoding": gettext_lazy("Encoding"),
    "for": gettext_lazy("For"),
    "replaced_count": gettext_lazy("Characters replaced"),
}
MODES = {"create": gettext_lazy("new ledger"), "append": gettext_lazy("append"),
         "upsert": gettext_lazy("update or add")}


def describe(details: Any) -> str:
    """「Label: value、Label: value」 for the access-log screen (the stored keys, translated)."""
    if not isinstance(details, dict) or not details:
        return ""
    parts = [f"{LABELS.get(key, key)}: {_value(key, value)}"
             for key, value in sorted(details.items(), key=lambda kv: _order(kv[0]))
             if value not in (None, "", [], {}) and key != "hash"]
    text = join_list(parts)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _order(key: str) -> tuple[int, str]:
    keys = list(LABELS)
    return (keys.index(key) if key in keys else len(keys), key)


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "mode" and value in MODES:
        return str(MODES[value])
    if key == "rules" and isinstance(value, list):
        return ngettext("%(n)d rule", "%(n)d rules", len(value)) % {"n": len(value)}
    if isinstance(value, list):
        return join_list(_value(key, v) for v in value[:20])
    if isinstance(value, dict):
        return "(" + join_list(f"{LABELS.get(k, k)}: {_value(k, v)}"
                               for k, v in value.items()) + ")"
    return str(value)
