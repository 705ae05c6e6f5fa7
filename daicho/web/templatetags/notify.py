"""The bell of the top bar: the signed-in user's unread notifications (one indexed count)."""

from __future__ import annotations

from typing import Any

from django import template

from daicho.selectors.notifications import unread_count

register = template.Library()


@register.inclusion_tag("web/notifications/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    return {"unread": unread_count(int(user.pk or 0)) if user.is_authenticated else 0,
            "authenticated": user.is_authenticated}
