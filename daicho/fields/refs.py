"""Types that point at other rows: a user, a department, a record of another ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daicho.errors import FieldValueError, InvalidInput
from daicho.fields.base import FieldType, check_text, reject_unknown
from daicho.requestdata import whole_id

if TYPE_CHECKING:
    from daicho.fields.context import ValueContext
    from daicho.models import Field, Ledger

REF_OPERATORS = frozenset({"eq", "ne", "in", "empty", "notempty"})


class LinkGate:
    """What a link field asks the gate, which sits above the field types: whether the writer
    may view a ledger, and whether a record exists there for them. DaichoConfig.ready binds
    it (`bind`) to daicho.access and daicho.selectors.records, so this package imports
    neither."""

    may_view: Callable[[Any, Ledger], bool] | None = None
    record_exists: Callable[[int, int, ValueContext], bool] | None = None

    @classmethod
    def bind(cls, *, may_view: Callable[[Any, Ledger], bool],
             record_exists: Callable[[int, int, ValueContext], bool]) -> None:
        cls.may_view, cls.record_exists = may_view, record_exists

    @classmethod
    def viewable(cls, user: Any, ledger: Ledger) -> bool:
        if cls.may_view is None:
            raise RuntimeError("link fields need the gate (DaichoConfig.ready binds it)")
        return cls.may_view(user, ledger)

    @classmethod
    def exists(cls, ledger_id: int, record_id: int, ctx: ValueContext) -> bool:
        if cls.record_exists is None:
            raise RuntimeError("link fields need the gate (DaichoConfig.ready binds it)")
        return cls.record_exists(ledger_id, record_id, ctx)


class UserType(FieldType):
    """Stored as the user's id so a renamed person stays the same person; JSON is the login."""

    key = "user"
    import_kind = None  # the cell's text is a login: clean() looks it up
    export_kind = "text"
    label = gettext_lazy("User")
    storage = "int"
    operators = REF_OPERATORS
    can_be_unique = False

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        """Active users by name (a filter names them by login)."""
        # here, not above: daicho.importing imports the field types without Django set up
        from django.contrib.auth import get_user_model

        found = (get_user_model().objects.filter(is_active=True).order_by("username")
                 .values_list("username", "profile__name"))
        return [(login, f"{name}（{login}）" if name else login) for login, name in found]

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or len(value) > 150:
            raise FieldValueError(_("Give the login of a user."))
        check_text(value, multiline=False, max_length=150)  # a NUL never reaches the query
        user_id = ctx.user_id(value.strip())
        if user_id is None:
            raise FieldValueError(_("There is no user 「%(login)s」.") % {"login": value.strip()[:50]})
        return user_id

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return ctx.login(raw)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return ctx.user_name(raw)


class OrgType(FieldType):
    """Stored as the department's id; JSON is its code."""

    key = "org"
    import_kind = None  # the cell's text is a department code: clean() looks it up
    export_kind = "text"
    label = gettext_lazy("Department")
    storage = "int"
    operators = REF_OPERATORS
    can_be_unique = False

    def condition_values(self, field: Field) -> list[tuple[str, str]] | None:
        """Today's departments by name (a filter names them by code)."""
        # here, not above: daicho.importing imports the field types without Django set up
        from daicho.models import Org

        found = Org.objects.filter(abolished_on=None).order_by("code").values_list("code", "name")
        return [(code, f"{name}（{code}）") for code, name in found]

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or len(value) > 64:
            raise FieldValueError(_("Give the code of a department."))
        check_text(value, multiline=False, max_length=64)  # a NUL never reaches the query
        org_id = ctx.org_id(value.strip())
        if org_id is None:
            raise FieldValueError(_("There is no department with code 「%(code)s」.")
                                  % {"code": value.strip()[:50]})
        return org_id

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return ctx.org_code(raw)

    def export_value(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return ctx.org_name(raw)


class LinkType(FieldType):
    """A record of another ledger (options.ledger); JSON is the linked record's id."""

    key = "link"
    import_kind = None  # the cell's text is a record id: clean() checks it
    export_kind = "link"
    label = gettext_lazy("Link to a record")
    storage = "int"
    operators = REF_OPERATORS
    can_be_unique = False

    def clean_options(self, options: dict[str, Any], ctx: ValueContext) -> dict[str, Any]:
        # here, not above: daicho.importing imports the field types without Django set up
        from daicho.models import Field, Ledger

        reject_unknown(options, {"ledger", "display_field"})
        target = options.get("ledger")
        found = Ledger.objects.filter(id=target).first() if isinstance(target, int) and \
            not isinstance(target, bool) and 0 < target < 2**62 else None
        # A ledger the writer (ctx.user) may not view answers exactly as one that does not exist.
        if found is None or (ctx.user is not None and ctx.user.is_authenticated
                             and not LinkGate.viewable(ctx.user, found)):
            raise InvalidInput(_("options.ledger must be the id of an existing ledger."))
        out: dict[str, Any] = {"ledger": target}
        # The field of the linked ledger that names its records in cells and pickers (the web
        # UI's; the API's value stays the id). Absent: the linked ledger's first text field.
        shown = options.get("display_field")
        if shown not in (None, ""):
            if not isinstance(shown, str) or not Field.objects.filter(
                    ledger_id=found.id, code=shown, deleted_at=None).exists():
                raise InvalidInput(_("options.display_field must be the code of a field of the "
                                     "linked ledger."))
            out["display_field"] = shown
        return out

    def clean(self, field: Field, value: Any, ctx: ValueContext) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        # A JSON integer, or its digits as text (forms, pasted cells); never 1.5 (stored as 1
        # it would point at another record), true or "1e3".
        record_id = whole_id(value)
        if record_id is None:
            raise FieldValueError(_("Give the id of a record (a whole number)."))
        if not LinkGate.exists(int(field.options["ledger"]), record_id, ctx):
            raise FieldValueError(_("Record %(id)d does not exist in the linked ledger.")
                                  % {"id": record_id})
        return record_id

    def to_json(self, field: Field, raw: Any, ctx: ValueContext) -> Any:
        return None if raw is None else int(raw)
