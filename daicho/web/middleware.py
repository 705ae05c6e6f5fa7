"""Security headers for every response (pages, API, static files)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

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
