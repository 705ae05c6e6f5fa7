"""The details of an access-log entry as a person reads them: labelled in their language, values
spelled out (yes/no, the import mode, counts), not the stored JSON (which the CSV keeps)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext, pgettext, pgettext_lazy

from daicho.i18n import join_list

MAX_TEXT = 300
LABELS = {
    "path": pgettext_lazy("access log detail", "Page"),
    "query": pgettext_lazy("access log detail", "Conditions"),
    "record": pgettext_lazy("access log detail", "Record"),
    "file": pgettext_lazy("access log detail", "File"),
    "format": pgettext_lazy("access log detail", "Format"),
    "rows": pgettext_lazy("access log detail", "Rows"),
    "filters": pgettext_lazy("access log detail", "Filters"),
    "q": pgettext_lazy("access log detail", "Search"),
    "mode": pgettext_lazy("access log detail", "Import mode"),
    "dry_run": pgettext_lazy("access log detail", "Dry run"),
    "reason": pgettext_lazy("access log detail", "Reason"),
    "created": pgettext_lazy("access log detail", "Created"),
    "updated": pgettext_lazy("access log detail", "Updated"),
    "batch": pgettext_lazy("access log detail", "Import batch"),
    "trashed": pgettext_lazy("access log detail", "Moved to the trash"),
    "reverted": pgettext_lazy("access log detail", "Reverted"),
    "edited_since": pgettext_lazy("access log detail", "Edited since the import"),
    "ledger": pgettext_lazy("access log detail", "Ledger"),
    "name": pgettext_lazy("access log detail", "Name"),
    "fields": pgettext_lazy("access log detail", "Fields"),
    "rules": pgettext_lazy("access log detail", "Rules"),
    "sensitive": pgettext_lazy("access log detail", "Sensitive"),
    "org": pgettext_lazy("access log detail", "Department"),
    "orgs": pgettext_lazy("access log detail", "Departments"),
    "roles": pgettext_lazy("access log detail", "Roles"),
    "admin": pgettext_lazy("access log detail", "Administrator"),
    "active": pgettext_lazy("access log detail", "Active"),
    "parent_code": pgettext_lazy("access log detail", "Parent department"),
    "valid_from": pgettext_lazy("access log detail", "From"),
    "scheduled": pgettext_lazy("access log detail", "Scheduled"),
    "read_only": pgettext_lazy("access log detail", "Read-only"),
    "expires_at": pgettext_lazy("access log detail", "Valid until"),
    "through_seq": pgettext_lazy("access log detail", "Deleted through entry"),
    "deleted": pgettext_lazy("access log detail", "Deleted"),
    "days": pgettext_lazy("access log detail", "Days kept"),
    "since": pgettext_lazy("access log detail", "From"),
    "until": pgettext_lazy("access log detail", "Until"),
    "user": pgettext_lazy("access log detail", "User"),
    "action": pgettext_lazy("access log detail", "Action"),
    "layout": pgettext_lazy("access log detail", "Layout"),
    "encoding": pgettext_lazy("access log detail", "Encoding"),
    "for": pgettext_lazy("access log detail", "For"),
    "replaced_count": pgettext_lazy("access log detail", "Characters replaced"),
    "hooks": pgettext_lazy("access log detail", "Webhooks"),
    "delivery": pgettext_lazy("access log detail", "Delivery"),
    "failures": pgettext_lazy("access log detail", "Failed deliveries in a row"),
    "message": pgettext_lazy("access log detail", "Message"),
}
MODES = {"create": pgettext_lazy("access log detail", "new ledger"),
         "append": pgettext_lazy("access log detail", "append"),
         "upsert": pgettext_lazy("access log detail", "update or add")}


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
        return pgettext("access log detail", "yes") if value else pgettext("access log detail", "no")
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
