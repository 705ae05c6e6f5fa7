"""Administration: users (admins only) and API tokens (everyone their own; admins all)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho.errors import DaichoError, NotFound
from daicho.services import accounts
from daicho.web import people
from daicho.web.views.common import admin_page, page


def _users_page(request: HttpRequest, *, status: int = 200, **extra: object) -> HttpResponse:
    return render(request, "web/manage/users.html", {
        "users": people.user_list(), "orgs": people.all_orgs(), **extra}, status=status)


@admin_page
def users(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _users_page(request)
    data = request.POST
    if data.get("password", "") != data.get("password2", ""):
        return _users_page(request, status=400, form=data,
                           create_error=_("The two passwords are not the same."))
    try:
        user = accounts.create_user(login=data.get("login", "").strip(), name=data.get("name", ""),
                                    org=data.get("org") or None,
                                    # Only an admin makes admins (a system administrator cannot).
                                    admin=data.get("admin") == "on" and request.user.is_superuser,
                                    password=data.get("password") or None, by=request.user)
    except DaichoError as exc:
        return _users_page(request, status=exc.status, form=data, create_error=exc.message)
    messages.success(request, _("The user %(login)s was created.") % {"login": user.get_username()})
    return redirect("web:users")


def _tokens_page(request: HttpRequest, *, status: int = 200, **extra: object) -> HttpResponse:
    everyone = request.user.is_staff
    response = render(request, "web/manage/tokens.html", {
        "tokens": people.tokens_for(request.user, everyone=everyone), "everyone": everyone,
        "now": timezone.now(), "today": timezone.localdate(),
        "logins": [u.get_username() for u in people.user_list()] if everyone else [], **extra,
    }, status=status)
    # A new token is on this page exactly once: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@page
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    owner: Any = request.user
    login = request.POST.get("login", "")
    if request.user.is_staff and login and login != request.user.get_username():
        found = get_user_model().objects.filter(username=login, is_active=True).first()
        if found is None:
            return _tokens_page(request, status=400,
                                create_error=_("There is no user 「%(login)s」.") % {"login": login})
        owner = found
    expires = request.POST.get("expires", "").strip()
    try:
        expires_at = accounts.expiry_from_day(expires) if expires else None
        token = accounts.create_token(user=owner, label=request.POST.get("label", "").strip(),
                                      read_only=request.POST.get("scope") != "read_write",
                                      expires_at=expires_at, by=request.user)
    except DaichoError as exc:
        return _tokens_page(request, status=exc.status, create_error=exc.message,
                            form=request.POST)
    return _tokens_page(request, new_token=token, new_token_owner=owner.get_username())


@page
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    found = people.token_for(request.user, token_id, everyone=request.user.is_staff)
    if found.revoked_at is not None:
        raise NotFound()
    accounts.revoke_token(token_id=found.id, user=found.user)
    messages.success(request, _("The token %(prefix)s… was revoked.") % {"prefix": found.prefix})
    return redirect("web:tokens")
