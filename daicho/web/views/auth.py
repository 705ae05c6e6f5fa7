"""Sign in and out with Django's own views (session cookie, CSRF, password hashers), saying
when a login is locked and answering 429 to an address that keeps failing
(daicho.services.signin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from daicho.services import signin


class LockAwareAuthenticationForm(AuthenticationForm):
    locked = False

    def clean(self) -> dict[str, Any]:
        login = str(self.cleaned_data.get("username") or "")
        if login and signin.is_locked(login):
            self.locked = True
            signin.note(login, self.request, ok=False)
            raise forms.ValidationError(
                _("This login is locked after repeated failed sign-ins. Try again in 15 "
                  "minutes, or ask an administrator."), code="locked")
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = LockAwareAuthenticationForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if signin.is_throttled(signin.client_ip(request)):
            return HttpResponse(_("Too many failed sign-ins from this address. Please wait a few "
                                  "minutes and try again."), status=429,
                                content_type="text/plain; charset=utf-8")
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"
