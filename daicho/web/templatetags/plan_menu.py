"""The 計画 (plan) menu of the top bar: the plan pages the signed-in user may open."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from daicho.web.views.plan import sections

register = template.Library()


@register.inclusion_tag("web/plan/menu.html", takes_context=True)
def plan_menu(context: dict[str, Any]) -> dict[str, Any]:
    request: HttpRequest = context["request"]
    return {"sections": sections(request.user), "current": context.get("tab")
            if context.get("tabs") else None}
