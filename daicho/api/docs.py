"""The API's documentation page (Swagger UI) from django-ninja's own vendored files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    """django-ninja serves its page from a CDN unless "ninja" is an installed app, and an
    installed app is imported by every `daicho` command (0.1 s of CPU a run for ninja, pydantic
    and django.test). Its template and files are found through settings.TEMPLATES and
    STATICFILES_DIRS instead, so the page never leaves the closed network."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            # The session is one of the API's ways in, and it needs the CSRF token.
            "add_csrf": True,
        })
