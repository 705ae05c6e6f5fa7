"""The user's own account screen: change one's password, and set up, renew the recovery codes of,
or turn off two-step sign-in (turning off only when the settings do not require it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho.errors import DaichoError
from daicho.services import passwords, signin, twofactor
from daicho.web.views.auth import enrol_page, recovery_codes_page
from daicho.web.views.common import page


def _account_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user: Any = request.user
    response = render(request, "web/account.html", {
        "enrolled": twofactor.enrolled(user), "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "local_password": user.has_usable_password(), **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@page
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@page
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    data = request.POST
    if data.get("new", "") != data.get("new2", ""):
        return _account_page(request, status=400, password_error=_(
            "The two new passwords are not the same."))
    try:
        passwords.change_own(user=request.user, old=data.get("old", ""), new=data.get("new", ""),
                             request=request)
    except DaichoError as exc:
        return _account_page(request, status=exc.status, password_error=exc.message)
    user: Any = request.user
    update_session_auth_hash(request, user)  # this session stays signed in
    messages.success(request, _("Your password was changed."))
    return redirect("web:account")


@page
def twofactor_enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.enrolled(user):
        return redirect("web:account")
    if request.method == "POST":
        codes = twofactor.confirm(user=user, code=request.POST.get("code", ""), request=request)
        if codes is not None:
            return recovery_codes_page(request, codes, next_url="/account/")
    return enrol_page(request, user, form_action="web:account_2fa_enrol",
                      wrong=request.method == "POST", required=False)


def _code_ok(request: HttpRequest) -> bool:
    """A current code (or recovery code) of the signed-in user; wrong ones count for the lockout
    as at sign-in, so a borrowed session cannot guess its way to turning the second step off."""
    login = request.user.get_username()
    if signin.locked_until(login, request) is not None:
        signin.refused(login, request)
        return False
    if twofactor.verify(user=request.user, code=request.POST.get("code", ""), request=request):
        return True
    signin.failed(login, request, step="2fa")
    twofactor.failed(user=request.user, request=request)
    return False


@page
@require_POST
def twofactor_recovery(request: HttpRequest) -> HttpResponse:
    if not _code_ok(request):
        return _account_page(request, status=400, twofactor_error=_("The code is not right."))
    codes = twofactor.new_recovery_codes(user=request.user, request=request)
    return recovery_codes_page(request, codes, next_url="/account/")


@page
@require_POST
def twofactor_off(request: HttpRequest) -> HttpResponse:
    if twofactor.required_for(request.user):
        return _account_page(request, status=403, twofactor_error=_(
            "Your account must use two-step sign-in; an administrator can reset it if you lost "
            "your phone."))
    if not _code_ok(request):
        return _account_page(request, status=400, twofactor_error=_("The code is not right."))
    twofactor.reset(user=request.user, by=request.user, request=request)
    messages.success(request, _("Two-step sign-in was turned off."))
    return redirect("web:account")
