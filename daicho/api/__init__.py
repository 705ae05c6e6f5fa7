"""The HTTP API under /api/v1 (contract §4): thin endpoints over services and selectors."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth
from pydantic import ConfigDict

from daicho import networks
from daicho.api.docs import LocalSwagger
from daicho.db import transient
from daicho.error_codes import Code
from daicho.errors import (
    DaichoError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooLarge,
    Unavailable,
)
from daicho.requestdata import read_body, unknown_keys_error
from daicho.services.accounts import user_for_token

log = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class JsonParser(Parser):
    """JSON bodies through daicho.requestdata: an object, bounded nesting, valid text; anything
    else is a 400 in the one error shape."""

    def parse_body(self, request: HttpRequest) -> Any:
        return read_body(request)


class Body(Schema):
    """A JSON body: keys it does not name are refused (400 unknown_keys), never ignored."""

    model_config = ConfigDict(extra="forbid")


class Utf8Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = user_for_token(token)
        if found is None:
            return None
        user, record = found
        networks.check_user(request, user)  # a privileged token only from DAICHO_ADMIN_NETWORKS
        if record.read_only and request.method not in SAFE_METHODS:
            raise Forbidden(_("This API token is read-only."), code=Code.READ_ONLY_TOKEN)
        request.user = user
        return user


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="daicho API",
    version="1",
    description="台帳 (daicho) — ledgers, fields, records, history. See docs/api.md.",
    parser=JsonParser(),
    renderer=Utf8Renderer(),
    auth=[TokenAuth(), Session()],
    urls_namespace="api",
    docs=LocalSwagger(),
)


def answered(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    """The answer of a hot endpoint (a page of records, one record, a write of one), rendered as
    it is. Its response schema still describes it in openapi.json, but ninja's check of each
    answer against the schema (pydantic, about 2 ms for a page of 50 records: 4.7 → 6.5 ms a
    request in bench_floor.py) is left out on the paths the engine's bars time;
    tests/api/test_openapi_types.py checks real answers of these endpoints against their
    schemas instead."""
    return api.create_response(request, data, status=status)


def error_response(error: DaichoError) -> JsonResponse:
    response = JsonResponse(error.as_dict(), status=error.status,
                            json_dumps_params={"ensure_ascii": False})
    if isinstance(error, Unavailable):
        response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(DaichoError)
def _daicho_error(request: HttpRequest, exc: DaichoError) -> HttpResponse:
    return error_response(exc)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    unknown = [str(err["loc"][-1]) for err in exc.errors
               if err.get("type") == "extra_forbidden" and err.get("loc")]
    if unknown and len(unknown) == len(exc.errors):
        return error_response(unknown_keys_error(sorted(unknown)))
    problems = []
    for err in exc.errors[:20]:
        loc = [str(p) for p in err.get("loc", ())]
        problems.append({"at": ".".join(loc), "message": str(err.get("msg", ""))[:200]})
    return error_response(InvalidInput(_("The request is not valid."), code=Code.INVALID_REQUEST,
                                       details={"problems": problems}))


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(NotAuthenticated())


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(NotFound())


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja wraps any failure of the body parser into this one: answer with the reader's own
        # error (daicho.requestdata), as the web pages do.
        if isinstance(exc.__cause__, DaichoError):
            return error_response(exc.__cause__)
        return error_response(InvalidInput(_("The body is not valid JSON."), code=Code.INVALID_JSON))
    if exc.status_code == 401:
        return error_response(NotAuthenticated())
    if exc.status_code == 403:
        # Session auth without a CSRF token ends here.
        return error_response(Forbidden(_("The CSRF token is missing or wrong; reload the page."),
                                        code=Code.CSRF_FAILED))
    return error_response(DaichoError(str(exc.message)[:200], status=exc.status_code,
                                      code=Code.HTTP_ERROR))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(TooLarge(_("The request body is too large (at most %(n)d bytes).")
                                   % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}))


@api.exception_handler(DatabaseError)
def _database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    if transient.is_transient(exc):
        log.warning("database unavailable in %s %s: %s (answered 503)", request.method,
                    request.path, exc)
        return error_response(Unavailable())
    return _server_error(request, exc)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a stack trace or SQL in a response: log it, answer with the one shape.
    log.exception("unhandled error in %s %s", request.method, request.path)
    return JsonResponse({"error": {"code": Code.SERVER_ERROR,
                                   "message": _("Something went wrong on the server.")}},
                        status=500, json_dumps_params={"ensure_ascii": False})


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(NotFound())


from daicho.api import (  # noqa: E402, F401  (routes)
    accounts,
    audit,
    comments,
    directory,
    imports,
    ledgers,
    lookups,
    notifications,
    print_forms,
    process,
    records,
    webhooks,
)
