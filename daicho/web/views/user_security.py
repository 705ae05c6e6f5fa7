"""On a user's administration page: set their password, unlock their sign-in, reset their
two-step sign-in (a lost phone). For admins and system administrators, as the page itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho.errors import DaichoError, NotFound
from daicho.services import passwords, signin, twofactor
from daicho.web.views.common import admin_page


def context(user: Any) -> dict[str, Any]:
    """What the user page shows about signing in."""
    return {"locks": signin.locks_of(user.get_username()),
            "twofactor_enrolled": twofactor.enrolled(user),
            "twofactor_required": twofactor.required_for(user),
            "local_password": user.has_usable_password()}


def _user(login: str) -> Any:
    user = get_user_model().objects.filter(username=login).first()
    if user is None:
        raise NotFound()
    return user


@admin_page
@require_POST
def password(request: HttpRequest, login: str) -> HttpResponse:
    from daicho.web.views.directory import user_page

    user = _user(login)
    if request.POST.get("password", "") != request.POST.get("password2", ""):
        return user_page(request, user, status=400, error_for="security",
                         error=_("The two passwords are not the same."))
    try:
        passwords.set_password(login=login, password=request.POST.get("password", ""),
                               by=request.user)
    except DaichoError as exc:
        return user_page(request, user, status=exc.status, error_for="security",
                         error=exc.message)
    messages.success(request, _("The password of %(login)s was set.") % {"login": login})
    return redirect("web:user_edit", login)


@admin_page
@require_POST
def unlock(request: HttpRequest, login: str) -> HttpResponse:
    _user(login)
    signin.unlock(login=login, by=request.user)
    messages.success(request, _("%(login)s may sign in again from every address.")
                     % {"login": login})
    return redirect("web:user_edit", login)


@admin_page
@require_POST
def twofactor_reset(request: HttpRequest, login: str) -> HttpResponse:
    user = _user(login)
    twofactor.reset(user=user, by=request.user, request=request)
    messages.success(request, _("The two-step sign-in of %(login)s was reset.") % {"login": login})
    return redirect("web:user_edit", login)
