"""JSON text as it enters daicho from a request, parsed in one place.

Every JSON a client sends goes through `parse_json`: the API's body parser, the web's JSON
endpoints (grid save) and JSON carried in form fields (saved view widths, import column
choices). So the same rules hold on every surface: UTF-8 only, bounded nesting, and no lone
surrogate (`"\\ud800"`). JSON may escape a surrogate that is not half of a pair; Python decodes it
into a `str` that no database and no UTF-8 response can hold, so it is refused here, with a 400,
before anything is written. Form fields and query strings cannot carry one: Django decodes them
with replacement characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput, TooLarge

# Only an escape can put a surrogate into the parsed value (strict UTF-8 refuses encoded ones),
# so bodies without such an escape skip the walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def _lone_surrogate_at(value: Any, path: str) -> str | None:
    """Where in the parsed value a text holds a lone surrogate (a key counts as text too)."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            if _SURROGATE.search(key):
                return path or "(key)"
            found = _lone_surrogate_at(item, at)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def has_lone_surrogate(value: Any) -> bool:
    return _lone_surrogate_at(value, "") is not None


def refuse_lone_surrogates(value: Any, path: str = "") -> None:
    found = _lone_surrogate_at(value, path)
    if found is not None:
        at = _SURROGATE.sub("\ufffd", found)[:200]
        raise InvalidInput(
            _("The data contains a character that is not valid text (a lone surrogate such as "
              "\\ud800). Please send the text again as UTF-8."),
            code=Code.INVALID_TEXT, details={"at": at})


def parse_json(raw: bytes | str) -> Any:
    """The value of a JSON text from a client; InvalidInput (400) for anything else."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(_("The body must be UTF-8 JSON."), code=Code.INVALID_JSON) from None
    else:
        text = raw
    if not _depth_ok(text, settings.DAICHO["MAX_JSON_DEPTH"]):
        raise InvalidInput(_("The JSON is nested too deeply."), code=Code.INVALID_JSON)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The body is not valid JSON."), code=Code.INVALID_JSON) from None
    if _SURROGATE_ESCAPE.search(text):
        refuse_lone_surrogates(value)
    return value


def parse_json_object(raw: bytes | str) -> dict[str, Any]:
    """A request body: a JSON object (`{…}`), never a list, text, number or null."""
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise InvalidInput(_("The body must be a JSON object ({…}), not %(kind)s.")
                           % {"kind": json_kind(value)}, code=Code.INVALID_BODY)
    return value


def read_body(request: HttpRequest) -> dict[str, Any]:
    """A request's JSON object body ({} when empty), for the API and the pages' own scripts
    alike: too large, not UTF-8, nested too deeply, not JSON, not an object, or holding a lone
    surrogate is a 4xx in the one error shape."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(_("The request body is too large (at most %(n)d bytes).")
                       % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}) from None
    return parse_json_object(raw) if raw else {}


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def refuse_unknown_keys(value: dict[str, Any], allowed: Iterable[str], *, at: str = "") -> None:
    """A misspelt key (`valuez`) is an error, never silently ignored."""
    unknown = sorted(str(key)[:64] for key in set(value) - set(allowed))
    if unknown:
        raise unknown_keys_error(unknown, at=at)


def unknown_keys_error(keys: list[str], *, at: str = "") -> InvalidInput:
    details: dict[str, Any] = {"keys": keys[:50]}
    if at:
        details["at"] = at
    return InvalidInput(_("Unknown keys: %(keys)s. Check their spelling.")
                        % {"keys": ", ".join(keys[:50])[:500]},
                        code=Code.UNKNOWN_KEYS, details=details)


MAX_ID = 2**62


def whole_id(value: Any) -> int | None:
    """An id as a client gives it: a JSON integer, or its digits as text (forms, pasted cells,
    full-width digits included). None for anything else — 1.5, 1.0, true, "1e3", "+1" — so
    a value is never rounded or coerced into some other record's id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    else:
        return None
    return number if 0 < number < MAX_ID else None
