"""Text-like types: text, textarea, email, url, autonumber."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import TEXTUAL, FieldType, check_text, reject_unknown

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field


def _max_length_option(options: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(options, {"max_length"})
    limit = settings.DAICHO["MAX_TEXT_LENGTH"]
    value = options.get("max_length")
    if value is None:
        return {}
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
        raise InvalidInput(_("max_length must be a whole number from 1 to %(n)d.") % {"n": limit})
    return {"max_length": value}


@functools.cache
def _default_max_length() -> int:
    return int(settings.DAICHO["MAX_TEXT_LENGTH"])


_TEXTS = frozenset({str, type(None)})
# The characters check_text refuses (tabs and line breaks only outside multi-line fields).
_CONTROL = re.compile(r"[\x00-\x1f]")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise FieldValueError(_("Enter text."))
    return str(value)


class TextType(FieldType):
    key = "text"
    in_formulas = "text"
    import_kind: ClassVar[str | None] = "text"
    export_kind = "text"
    label = gettext_lazy("Text (one line)")
    operators = TEXTUAL
    searchable = True
    multiline = False

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        return _max_length_option(options)

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        text = _as_text(value)
        if not text.strip():
            return None
        limit = field.options.get("max_length") or _default_max_length()
        if len(text) <= limit and (text.isprintable() or not _CONTROL.search(text)):
            return text  # what check_text would return, without its loop over characters
        return check_text(text, multiline=self.multiline, max_length=limit)

    def clean_column(self, field: Field, values: list[Any], ctx: ValueContext) -> list[Any] | None:
        if type(self).clean is not TextType.clean or not set(map(type, values)) <= _TEXTS:
            return None
        # Each distinct text once: ledgers repeat theirs (名称, 所管課), and an import's texts
        # have their hashes already.
        distinct = dict.fromkeys(values)
        distinct.pop(None, None)
        texts = list(distinct)
        limit = field.options.get("max_length") or _default_max_length()
        if texts and max(map(len, texts)) > limit:
            return None
        joined = "".join(texts)
        if not joined.isprintable() and _CONTROL.search(joined):
            return None
        if not all(map(str.strip, texts)):  # a blank text is stored as empty
            return None
        return values

    def filter_value(self, field: Field, text: str, ctx: ValueContext) -> Any:
        return text

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return raw or ""

    def search_texts(self, field: Field, values: list[Any], ctx: ValueContext) -> list[str]:
        # A text is its own search text: an import's column needs no call per value.
        if type(self).search_text is not TextType.search_text:
            return super().search_texts(field, values, ctx)
        return [v or "" for v in values]


class TextareaType(TextType):
    key = "textarea"
    export_kind = "textarea"  # wraps in xlsx, so every line shows
    label = gettext_lazy("Text (several lines)")
    operators = frozenset({"eq", "ne", "contains", "startswith", "empty", "notempty"})
    multiline = True
    indexed = False
    can_be_unique = False
    groupable = False


EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


class EmailType(TextType):
    key = "email"
    import_kind = "email"
    label = gettext_lazy("Email address")

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        return FieldType.clean_options(self, options, ctx)

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        text = _as_text(value).strip()
        if not text:
            return None
        if len(text) > 254 or not EMAIL_RE.match(text):
            raise FieldValueError(_("Enter a valid email address."))
        return text


URL_RE = re.compile(r"^https?://[^\s<>\"']{1,2000}$", re.IGNORECASE)


class UrlType(TextType):
    key = "url"
    import_kind = "url"
    label = gettext_lazy("Link (URL)")

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        return FieldType.clean_options(self, options, ctx)

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        text = _as_text(value).strip()
        if not text:
            return None
        # Only http(s): a javascript: or data: URL in a ledger would be a stored XSS.
        if not URL_RE.match(text):
            raise FieldValueError(_("Enter a URL starting with http:// or https://."))
        return text


class AutonumberType(TextType):
    """A number the ledger hands out on creation, formatted like K-0001; read-only."""

    key = "autonumber"
    import_kind = None  # the number is the ledger's to give: a file's cell is kept as text
    label = gettext_lazy("Automatic number")
    writable = False

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        reject_unknown(options, {"prefix", "digits"})
        prefix = options.get("prefix", "")
        digits = options.get("digits", 4)
        if not isinstance(prefix, str) or len(prefix) > 20:
            raise InvalidInput(_("prefix must be text of at most 20 characters."))
        check_text(prefix, multiline=False, max_length=20)
        if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 12:
            raise InvalidInput(_("digits must be a whole number from 1 to 12."))
        return {"prefix": prefix, "digits": digits}

    def format(self, field: Field, number: int) -> str:
        return f"{field.options.get('prefix', '')}{number:0{field.options.get('digits', 4)}d}"

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        # Only reached through imports and type changes: keep what was there.
        if value is None:
            return None
        text = _as_text(value).strip()
        return check_text(text, multiline=False, max_length=100) if text else None
