"""What every page view shares: sign-in required, the engine's errors turned into pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from daicho import access
from daicho.errors import DaichoError, InvalidInput, NotAuthenticated, NotFound
from daicho.jsonbody import read_json

View = TypeVar("View", bound=Callable[..., HttpResponse])


def page(view: View) -> View:
    """A page for signed-in people. Forbidden and missing both answer 404, as in the API."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())

    return cast(View, wrapper)


def admin_page(view: View) -> View:
    """A page for those who manage users and departments: admins and system administrators."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.administers_directory(request.user):
            raise NotFound()
        return view(request, *args, **kwargs)

    return page(cast(View, wrapper))


def json_endpoint(view: View) -> View:
    """A JSON endpoint for the page's own script: errors in the API's one shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return error_json(NotAuthenticated())
        try:
            return view(request, *args, **kwargs)
        except DaichoError as exc:
            return error_json(exc)

    return cast(View, wrapper)


def error_json(error: DaichoError, **extra: Any) -> JsonResponse:
    return JsonResponse({**error.as_dict(), **extra}, status=error.status,
                        json_dumps_params={"ensure_ascii": False})


def json_body(request: HttpRequest) -> dict[str, Any]:
    """A JSON object body, read as the API reads one (daicho.jsonbody)."""
    body = read_json(request)
    if not isinstance(body, dict):
        raise InvalidInput(_("The body is not valid JSON."), code="invalid_json")
    return body
