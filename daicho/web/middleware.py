"""Security headers for every response (pages, API, static files); a passing database condition
answered 503 on pages (the API answers it in its own error shape)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import patch_cache_control

from daicho.db import transient
from daicho.errors import Unavailable

log = logging.getLogger(__name__)

# No inline script or style anywhere: every script and stylesheet is a file served by the app,
# data for scripts travels in data- attributes or <script type="application/json"> blocks.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # Records, API answers and exports may hold personal data: no browser or proxy keeps a
        # copy (a shared PC's cache, the back button after signing out). Static files are the
        # same for everyone and keep WhiteNoise's caching.
        if not request.path.startswith(settings.STATIC_URL) and \
                "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True)
        if request.is_secure():
            # Behind a TLS proxy (X-Forwarded-Proto) cookies must never travel over plain HTTP.
            for morsel in response.cookies.values():
                morsel["secure"] = True
            response.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Lets bench/bench_ui.py read the server-side time of each page.
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


class DatabaseBusyMiddleware:
    """A page that meets a passing database condition (busy, locked, no connection for the
    moment) answers 503 with Retry-After and says so, instead of a bare 500; the log says what
    happened. Anything else goes on to Django's 500 handling."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DatabaseError) or not transient.is_transient(exc):
            return None
        log.warning("database unavailable in %s %s: %s (answered 503)", request.method,
                    request.path, exc)
        response = HttpResponse(loader.render_to_string("503.html", request=request), status=503)
        response["Retry-After"] = str(Unavailable.retry_after)
        return response


class AdminNetworkMiddleware:
    """DAICHO_ADMIN_NETWORKS (daicho.networks): from outside it, the administration screens and
    every page or API call of a privileged account's session answer 403. API tokens are checked
    where the API authenticates them (daicho.api)."""

    EXEMPT = ("/login/", "/logout/", "/static/", "/i18n/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from daicho import networks

        if networks.restricted() and not request.path.startswith(self.EXEMPT) \
                and not networks.inside(networks.client_ip(request)) \
                and (networks.is_admin_screen(request.path) or networks.privileged(request.user)):
            return self._refused(request, networks.refusal(request))
        return self.get_response(request)

    @staticmethod
    def _refused(request: HttpRequest, error: Any) -> HttpResponse:
        from django.http import JsonResponse
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=error.status,
                                json_dumps_params={"ensure_ascii": False})
        return render(request, "web/network_refused.html", {"message": error.message},
                      status=error.status)
