"""Yes/no, choice and multi-choice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.db import dialect
from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import MAX_IN_VALUES, FieldType, check_text, reject_unknown
from daicho.importing import yesno
from daicho.importing.yesno import NO_WORDS as NO_WORDS
from daicho.importing.yesno import YES_WORDS as YES_WORDS

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

MAX_CHOICES = 500


class YesNoType(FieldType):
    key = "yesno"
    in_formulas = "yesno"
    import_kind = "yesno"
    export_kind = "yesno"
    label = gettext_lazy("Yes / no")
    storage = "bool"
    operators = frozenset({"eq", "ne", "empty", "notempty"})
    can_be_unique = False

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        return [("true", _("Yes")), ("false", _("No"))]

    # The one yes/no vocabulary (YES_WORDS, NO_WORDS): the API, the web forms and filters, and
    # the importer (which reads it from daicho.importing.yesno, without Django) all ask these.
    meaning = staticmethod(yesno.meaning)
    shows_as_yes_no = staticmethod(yesno.shows_as_yes_no)

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            if not value.strip():
                return None
            found = self.meaning(value)
            if found is not None:
                return found
        raise FieldValueError(_("Enter yes or no (true / false, はい / いいえ, ○ / ×, 有り / 無し)."))

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return None if raw is None else bool(raw)

    def cursor_key(self, raw: Any) -> Any:
        # SQLite returns 0/1, PostgreSQL True/False: carry an int so both read it back alike.
        return None if raw is None else int(bool(raw))

    def cursor_param(self, key: Any) -> Any:
        return None if key is None else self.to_param(bool(key))

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return ""


def _clean_choices(options: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(options, {"choices"})
    choices = options.get("choices", [])
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        raise InvalidInput(_("choices must be a list of at most %(n)d texts.") % {"n": MAX_CHOICES})
    seen: list[str] = []
    for choice in choices:
        if not isinstance(choice, str) or not choice.strip():
            raise InvalidInput(_("Each choice must be a non-empty text."))
        try:
            check_text(choice.strip(), multiline=False, max_length=200)
        except FieldValueError as exc:
            raise InvalidInput(exc.message) from None
        if choice.strip() not in seen:
            seen.append(choice.strip())
    return {"choices": seen}


def _new_choices(field: Field, texts: Iterable[str]) -> list[str]:
    known = set(field.options.get("choices", []))
    return [t for t in dict.fromkeys(t.strip() for t in texts) if t and t not in known]


class ChoiceType(FieldType):
    key = "choice"
    in_formulas = "text"
    import_kind = "choice"
    export_kind = "text"
    label = gettext_lazy("Choice (one)")
    operators = frozenset({"eq", "ne", "in", "empty", "notempty", "contains", "startswith"})
    searchable = True

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        return _clean_choices(options)

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        return [(c, c) for c in field.options.get("choices", [])]

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            value = str(value) if isinstance(value, int | float) and not isinstance(value, bool) \
                else None
            if value is None:
                raise FieldValueError(_("Choose one of the choices."))
        text = value.strip()
        if not text:
            return None
        if text not in field.options.get("choices", []):
            raise FieldValueError(_("「%(value)s」 is not one of the choices.") % {"value": text[:50]})
        return text

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return raw or ""

    def added_choices(self, field: Field, texts: Iterable[str]) -> list[str]:
        return _new_choices(field, texts)


class MultiChoiceType(FieldType):
    """Stored as a JSON list in a text column; filters match whole elements."""

    key = "multichoice"
    in_formulas = "list"
    import_kind = "multichoice"
    export_kind = "multichoice"
    label = gettext_lazy("Choice (several)")
    operators = frozenset({"contains", "in", "empty", "notempty"})
    searchable = True
    sortable = False
    indexed = False
    can_be_unique = False
    groupable = False

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        return _clean_choices(options)

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        return [(c, c) for c in field.options.get("choices", [])]

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = [v for v in value.replace("、", ",").split(",")]
        if not isinstance(value, list) or len(value) > MAX_CHOICES:
            raise FieldValueError(_("Give a list of choices."))
        choices = field.options.get("choices", [])
        picked = set()
        for item in value:
            if not isinstance(item, str):
                raise FieldValueError(_("Give a list of choices."))
            if item.strip() and item.strip() not in choices:
                raise FieldValueError(_("「%(value)s」 is not one of the choices.")
                                      % {"value": item.strip()[:50]})
            if item.strip():
                picked.add(item.strip())
        ordered = [c for c in choices if c in picked]
        return json.dumps(ordered, ensure_ascii=False) if ordered else None

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return json.loads(raw) if raw else None

    def added_choices(self, field: Field, texts: Iterable[str]) -> list[str]:
        return _new_choices(field, texts)

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return " ".join(json.loads(raw)) if raw else ""

    def filter_sql(self, field: Field, column: str, op: str, text: str,
                   ctx: ValueContext) -> tuple[str, list[Any]]:
        if op in ("empty", "notempty"):
            return super().filter_sql(field, column, op, text, ctx)
        items = [t.strip() for t in text.split(",")] if op == "in" else [text.strip()]
        if not items or len(items) > MAX_IN_VALUES:
            raise FieldValueError(_("Give between 1 and %(n)d values.") % {"n": MAX_IN_VALUES})
        clauses = [dialect.like(column)] * len(items)
        params = [f"%{dialect.like_escape(json.dumps(i, ensure_ascii=False))}%" for i in items]
        return "(" + " OR ".join(clauses) + ")", params
