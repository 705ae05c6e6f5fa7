"""The registry of field types (部品). Look types up here; never branch on a type key elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.fields.base import FieldType
from daicho.fields.choice import ChoiceType, MultiChoiceType, YesNoType
from daicho.fields.files import FileType
from daicho.fields.formula import FormulaType
from daicho.fields.lookup import LookupType
from daicho.fields.number import NumberType
from daicho.fields.refs import LinkType, OrgType, UserType
from daicho.fields.subtable import SubtableType
from daicho.fields.temporal import DateTimeType, DateType
from daicho.fields.text import AutonumberType, EmailType, TextareaType, TextType, UrlType

if TYPE_CHECKING:
    from daicho.models import Field

REGISTRY: dict[str, FieldType] = {
    t.key: t
    for t in (
        TextType(), TextareaType(), NumberType(), DateType(), DateTimeType(), YesNoType(),
        ChoiceType(), MultiChoiceType(), EmailType(), UrlType(), UserType(), OrgType(),
        LinkType(), FileType(), AutonumberType(), FormulaType(), SubtableType(), LookupType(),
    )
}


def field_type(key: str) -> FieldType:
    try:
        return REGISTRY[key]
    except KeyError:
        raise InvalidInput(
            _("Unknown field type 「%(type)s」.") % {"type": str(key)[:50]},
            code=Code.UNKNOWN_FIELD_TYPE,
            details={"type": str(key)[:50], "allowed": sorted(REGISTRY)},
        ) from None


def type_for(f: Field) -> FieldType:
    """The type of field `f` as it applies to it (FieldType.for_field): ask this, not the
    registry, for its column and capabilities."""
    return field_type(f.type).for_field(f)


__all__ = ["REGISTRY", "FieldType", "field_type", "type_for"]
