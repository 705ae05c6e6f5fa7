"""`{% record_comments %}`: the comments panel of the record page (web/record/_comments.html),
read through the gate for the person looking; the record view itself needs no change."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from daicho.selectors import comments as sel
from daicho.services.comments import MAX_LENGTH
from daicho.web.comments import shown
from daicho.web.views.comments import draft_key

register = template.Library()


@register.inclusion_tag("web/record/_comments.html", takes_context=True)
def record_comments(context: Any) -> dict[str, Any]:
    request: HttpRequest = context["request"]
    schema, record = context.get("schema"), context.get("record")
    if schema is None or not record:
        return {"shown": False}
    comments = sel.record_comments(request.user, schema, record["id"])
    return {"shown": True, "ledger": schema.ledger, "record": record,
            "comments": shown(request.user, comments), "max_length": MAX_LENGTH,
            "draft": request.session.pop(draft_key(schema.id, record["id"]), ""),
            "csrf_token": context.get("csrf_token")}
