"""The record page's comments: write, edit and delete one's own (services.comments), and the
`@` type-ahead (users who may view the record). Refusals come back to the record page with the
reason, and the text typed is kept for the box (nothing typed is lost)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import DaichoError, NotFound
from daicho.selectors import comments as sel
from daicho.services import audit
from daicho.services import comments as svc
from daicho.web.views.common import page

DRAFT = "comment_draft"


def draft_key(ledger_id: int, record_id: int) -> str:
    return f"{DRAFT}:{ledger_id}:{record_id}"


def _back(ledger_id: int, record_id: int, anchor: str = "comments") -> HttpResponse:
    return redirect(reverse("web:record", args=[ledger_id, record_id]) + "#" + anchor)


def _told(request: HttpRequest, skipped: list[dict[str, str]]) -> None:
    """Say which `@` names were not mentioned, and why."""
    for item in skipped:
        if item["reason"] == "ambiguous":
            messages.warning(request, _("%(name)s was not notified: several users have this "
                                        "name. Please mention them by login.")
                             % {"name": item["text"]})
        else:
            messages.warning(request, _("%(name)s was not notified: this user cannot see "
                                        "this record.") % {"name": item["text"]})


@page
@require_POST
def comment_add(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    text = request.POST.get("text", "")
    try:
        comment, skipped = svc.add_comment(user=request.user, schema=schema,
                                           record_id=record_id, text=text)
    except NotFound:
        raise
    except DaichoError as exc:
        request.session[draft_key(ledger_id, record_id)] = text[:svc.MAX_LENGTH * 2]
        messages.error(request, exc.message)
        return _back(ledger_id, record_id, "comment-text")
    _told(request, skipped)
    return _back(ledger_id, record_id, f"comment-{comment.id}")


@page
@require_POST
def comment_edit(request: HttpRequest, ledger_id: int, record_id: int,
                 comment_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    try:
        _comment, skipped = svc.edit_comment(user=request.user, schema=schema,
                                             record_id=record_id, comment_id=comment_id,
                                             text=request.POST.get("text", ""))
    except NotFound:
        raise
    except DaichoError as exc:
        messages.error(request, exc.message)
        return _back(ledger_id, record_id, f"comment-{comment_id}")
    _told(request, skipped)
    messages.success(request, _("The comment was changed. The earlier text is kept in the "
                                "history."))
    return _back(ledger_id, record_id, f"comment-{comment_id}")


@page
@require_POST
def comment_delete(request: HttpRequest, ledger_id: int, record_id: int,
                   comment_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    try:
        svc.delete_comment(user=request.user, schema=schema, record_id=record_id,
                           comment_id=comment_id)
    except NotFound:
        raise
    except DaichoError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The comment was deleted. Its text is kept in the "
                                    "history."))
    return _back(ledger_id, record_id)


@page
def mention_candidates(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    """{"items": [{"value": login, "label": name, "detail": login}]} for js/comments.js."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    found = sel.mentionable(request.user, schema, record_id, str(request.GET.get("q", "")))
    audit.not_shown(schema)  # names of users, nothing of the record
    return JsonResponse({"items": [{"value": login, "label": name, "detail": login}
                                   for login, name in found]})
