"""Signing in and out: Django's login view (session cookie, CSRF, password hashers) for the
password, then — for users with an authenticator, or who must have one — a second step asking for
its 6-digit code or a recovery code, or enrolment right after the password. The sign-in is
complete only then (daicho.services.signin counts failures of both steps per login and address;
an address that keeps failing gets 429)."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from daicho import networks
from daicho.errors import DaichoError
from daicho.services import passwords, signin, twofactor

PENDING = "daicho_signin"  # the session key of a sign-in waiting for its second step
PENDING_FOR = 5 * 60  # seconds the second step may take


class LockAwareAuthenticationForm(AuthenticationForm):
    locked_message = ""

    def clean(self) -> dict[str, Any]:
        login = str(self.cleaned_data.get("username") or "")
        until = signin.locked_until(login, self.request) if login else None
        if until is not None:
            self.locked_message = passwords.locked_message(until)
            signin.refused(login, self.request)
            raise forms.ValidationError(self.locked_message, code="locked")
        return super().clean()


def _throttled(request: HttpRequest) -> HttpResponse | None:
    if signin.is_throttled(signin.client_ip(request)):
        return HttpResponse(_("Too many failed sign-ins from this address. Please wait a few "
                              "minutes and try again."), status=429,
                            content_type="text/plain; charset=utf-8")
    return None


def _next_url(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return "/"


def _complete(request: HttpRequest, user: Any, backend: str) -> None:
    request.session.pop(PENDING, None)
    auth_login(request, user, backend)
    signin.succeeded(user.get_username(), request)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = LockAwareAuthenticationForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _throttled(request) or super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        request = self.request
        try:
            networks.check_user(request, user)
        except DaichoError as exc:
            return render(request, self.template_name, {"form": form, "network_error": exc.message,
                                                        "next": self.get_redirect_url()},
                          status=exc.status)
        enrolled = twofactor.enrolled(user)
        if not enrolled and not twofactor.required_for(user):
            signin.succeeded(user.get_username(), request)
            return super().form_valid(form)
        request.session[PENDING] = {"uid": user.pk, "backend": user.backend, "at": time.time(),
                                    "next": self.get_redirect_url()}
        return redirect("web:login_code" if enrolled else "web:login_enrol")


def _pending(request: HttpRequest) -> tuple[Any, str, str] | None:
    """The user whose password was right a moment ago in this session, their backend and where
    they were going."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_FOR:
        request.session.pop(PENDING, None)
        return None
    uid = data.get("uid")
    if not isinstance(uid, int):
        return None
    user = get_user_model().objects.filter(pk=uid, is_active=True).first()
    if user is None:
        return None
    return user, str(data.get("backend")), _next_url(request, str(data.get("next") or ""))


def _start_again(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING, None)
    return redirect("web:login")


@never_cache
@csrf_protect
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the authenticator's code or a recovery code."""
    pending = _pending(request)
    if pending is None:
        return _start_again(request)
    user, backend, next_url = pending
    context: dict[str, Any] = {"person": user}
    if request.method == "POST":
        blocked = _throttled(request)
        if blocked is not None:
            return blocked
        until = signin.locked_until(user.get_username(), request)
        if until is not None:
            signin.refused(user.get_username(), request)
            request.session.pop(PENDING, None)
            return render(request, "web/login.html", {
                "form": LockAwareAuthenticationForm(request), "locked_error":
                passwords.locked_message(until)}, status=429)
        if twofactor.verify(user=user, code=request.POST.get("code", ""), request=request):
            _complete(request, user, backend)
            return HttpResponseRedirect(next_url)
        signin.failed(user.get_username(), request, step="2fa")
        twofactor.failed(user=user, request=request)
        context["error"] = _("The code is not right. Enter the 6-digit code your app shows now, "
                             "or one of your recovery codes.")
        return render(request, "web/login_code.html", context, status=400)
    return render(request, "web/login_code.html", context)


@never_cache
@csrf_protect
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Enrolment right after the password, for a user who must use a second factor and has no
    authenticator yet."""
    pending = _pending(request)
    if pending is None:
        return _start_again(request)
    user, backend, next_url = pending
    if twofactor.enrolled(user):
        return redirect("web:login_code")
    if request.method == "POST":
        codes = twofactor.confirm(user=user, code=request.POST.get("code", ""), request=request)
        if codes is not None:
            _complete(request, user, backend)
            return recovery_codes_page(request, codes, next_url=next_url)
    return enrol_page(request, user, form_action="web:login_enrol",
                      wrong=request.method == "POST", required=True)


def enrol_page(request: HttpRequest, user: Any, *, form_action: str, wrong: bool,
               required: bool) -> HttpResponse:
    secret = twofactor.pending_secret(user)
    uri = twofactor.provisioning_uri(user, secret)
    response = render(request, "web/twofactor_enrol.html", {
        "person": user, "secret": secret, "grouped": " ".join(
            secret[i:i + 4] for i in range(0, len(secret), 4)),
        "qr": twofactor.qr_svg(uri), "action": form_action, "required": required,
        "error": _("The code is not right. Check that the time of your phone is correct and "
                   "enter the code the app shows now.") if wrong else ""},
        status=400 if wrong else 200)
    response["Cache-Control"] = "no-store"
    return response


def recovery_codes_page(request: HttpRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    response = render(request, "web/twofactor_codes.html", {"codes": codes, "next": next_url})
    response["Cache-Control"] = "no-store"  # shown once; never kept in a cache
    return response


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"

