"""Attachments. The column holds a JSON list of {id, name, size}; bytes live in the data dir."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import FieldType, reject_unknown

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field

MAX_FILES_PER_VALUE = 100


class FileType(FieldType):
    key = "file"
    import_kind = None  # a file's cell cannot hold an attachment: its text is cleaned
    export_kind = "multichoice"  # the file names, one per line
    label = gettext_lazy("Attachment")
    operators = frozenset({"empty", "notempty", "contains"})
    sortable = False
    indexed = False
    can_be_unique = False
    groupable = False
    searchable = True

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        reject_unknown(options, {"max_bytes"})
        limit = settings.DAICHO["MAX_FILE_BYTES"]
        max_bytes = options.get("max_bytes", limit)
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or \
                not 1 <= max_bytes <= limit:
            raise InvalidInput(_("max_bytes must be a whole number from 1 to %(n)d.") % {"n": limit})
        return {"max_bytes": max_bytes}

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        # here, not above: daicho.importing imports the field types without Django set up
        from daicho.models import Attachment

        if value is None or value == []:
            return None
        if not isinstance(value, list) or len(value) > MAX_FILES_PER_VALUE:
            raise FieldValueError(_("Give a list of uploaded files."))
        ids: list[int] = []
        for item in value:
            raw = item.get("id") if isinstance(item, dict) else item
            if not isinstance(raw, int) or isinstance(raw, bool):
                raise FieldValueError(_("Give a list of uploaded files."))
            ids.append(raw)
        found = {a.id: a for a in Attachment.objects.filter(
            id__in=ids, ledger_id=field.ledger_id, field_code=field.code)}
        if len(found) != len(set(ids)):
            raise FieldValueError(_("A file in the list was not uploaded to this field."))
        return json.dumps([{"id": found[i].id, "name": found[i].name, "size": found[i].size}
                           for i in dict.fromkeys(ids)], ensure_ascii=False)

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return json.loads(raw) if raw else None

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return [item["name"] for item in json.loads(raw)] if raw else None

    def search_text(self, field: Field, raw: Any, ctx: ValueContext) -> str:
        return " ".join(item["name"] for item in json.loads(raw)) if raw else ""

    def convert(self, field: Field, old_value: Any, ctx: ValueContext) -> Any:
        if old_value is None:
            return None
        raise FieldValueError(_("Values of other types cannot become attachments."))
