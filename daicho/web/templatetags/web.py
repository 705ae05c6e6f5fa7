"""Template helpers of the web UI."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from daicho import access

register = template.Library()


@register.inclusion_tag("web/parts/ledger_menu.html", takes_context=True)
def ledger_menu(context: dict[str, Any]) -> dict[str, Any]:
    request: HttpRequest = context["request"]
    current = context.get("ledger")
    return {"ledgers": access.ledger_list(request.user),
            "current_id": getattr(current, "id", None),
            "can_create": access.can_create_ledger(request.user)}


@register.simple_tag(takes_context=True)
def ledger_rights(context: dict[str, Any], ledger: Any) -> dict[str, bool]:
    """The gate's flags for the ledger's tabs and buttons: `{% ledger_rights ledger as can %}`
    then `{% if can.manage %}` — only what the user can use is shown (access.screen_rights)."""
    return access.screen_rights(context["request"].user, ledger)


@register.simple_tag(takes_context=True)
def ledger_boards(context: dict[str, Any], ledger: Any) -> dict[str, bool]:
    """Which boards the ledger offers this person: a calendar needs a date field they may
    see, a kanban a field of fixed values (daicho.web.boards)."""
    from daicho.web import boards

    schema = context.get("schema")
    if schema is None or getattr(schema, "id", None) != ledger.id:
        schema = access.load_grant(context["request"].user, ledger.id).schema("view")
    return {kind: bool(boards.sources(schema, kind)) for kind in boards.KINDS}


@register.simple_tag(takes_context=True)
def display_name(context: dict[str, Any]) -> str:
    user = context["request"].user
    profile = getattr(user, "profile", None)
    return (getattr(profile, "name", "") or user.get_username()) if user.is_authenticated else ""


@register.filter
def system_admin(user: Any) -> bool:
    """Whether the access log and "what can a user see?" are theirs to open."""
    return access.is_system_admin(user)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
