"""What every page view shares: sign-in required, the engine's errors turned into pages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from daicho import access
from daicho.errors import DaichoError, Forbidden, NotAuthenticated, NotFound
from daicho.requestdata import read_body, refuse_unknown_keys

View = TypeVar("View", bound=Callable[..., HttpResponse])


def page(view: View) -> View:
    """A page for signed-in people. What they may not see answers 404, as in the API; what they
    may see but not use (a right they lack, access.screen_for) the 403 page saying why."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except Forbidden as exc:
            # Refused only on a ledger the person may view (access.screen_for): linking back
            # to it reveals nothing.
            return render(request, "403.html", {"message": exc.message,
                                                "ledger_id": kwargs.get("ledger_id")},
                          status=403)
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


def json_body(request: HttpRequest, allowed: Iterable[str]) -> dict[str, Any]:
    """The body of a page script's JSON request, read as the API reads one
    (daicho.requestdata): an object with only the keys `allowed`."""
    body = read_body(request)
    refuse_unknown_keys(body, allowed)
    return body
