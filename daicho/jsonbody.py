"""Reading a JSON request body: one reader for the API and the web pages' own scripts, so both
refuse the same bodies (too large, not UTF-8, nested too deeply, not JSON) in the one error
shape."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _

from daicho.errors import InvalidInput, TooLarge


def _depth_ok(text: str, limit: int) -> bool:
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def read_json(request: HttpRequest) -> Any:
    """The body's JSON value ({} for an empty body)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(_("The request body is too large (at most %(n)d bytes).")
                       % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}) from None
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("The body must be UTF-8 JSON."), code="invalid_json") from None
    if not _depth_ok(text, settings.DAICHO["MAX_JSON_DEPTH"]):
        raise InvalidInput(_("The JSON is nested too deeply."), code="invalid_json")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The body is not valid JSON."), code="invalid_json") from None
