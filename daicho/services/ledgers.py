"""The writers for ledgers and their fields (部品): create, add, rename, reorder, retype, delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import access, jobs
from daicho.access import AnyUser
from daicho.db import batch, dialect, search
from daicho.db import schema as ddl
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import Conflict, FieldValueError, InvalidInput
from daicho.fields import field_type, type_for
from daicho.fields.base import check_text
from daicho.fields.context import ValueContext
from daicho.models import Field, Job, Ledger, LedgerEvent
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema, folder_of, load_schema
from daicho.services import audit, formulas, lookups
from daicho.services.permissions import default_rules
from daicho.services.record_values import record_search_key

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED = set(ddl.SYSTEM_COLUMNS) | {"values", "revision"}
FIELD_KEYS = {"name", "type", "code", "required", "unique", "options"}
BATCH = 2000


def _uid(user: AnyUser) -> int | None:
    return int(user.pk) if user.is_authenticated and user.pk is not None else None


def _clean_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("%(what)s is required.") % {"what": what}, code=Code.INVALID_NAME)
    try:
        return check_text(value.strip(), multiline=False, max_length=200)
    except FieldValueError as exc:
        raise InvalidInput(f"{what}: {exc.message}", code=Code.INVALID_NAME) from None


def _clean_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("description must be text."), code=Code.INVALID_DESCRIPTION)
    try:
        return check_text(value, multiline=True, max_length=10_000)
    except FieldValueError as exc:
        raise InvalidInput(exc.message, code=Code.INVALID_DESCRIPTION) from None


def _clean_folder(value: Any) -> str:
    """A ledger's folder on the home page (「土木課の台帳」): one line of text, "" for none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("folder must be text."), code=Code.INVALID_FOLDER,
                           details={"at": "folder"})
    try:
        return check_text(value.strip(), multiline=False, max_length=100)
    except FieldValueError as exc:
        raise InvalidInput(exc.message, code=Code.INVALID_FOLDER, details={"at": "folder"}) from None


def _bool(spec: dict[str, Any], key: str, default: bool = False) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(_("%(key)s must be true or false.") % {"key": key}, code=Code.INVALID_FIELD)
    return value


def _generate_code(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    base = slug if slug and CODE_RE.match(slug) and slug not in RESERVED else "field"
    base = base[:56]
    if base != "field" and base not in taken:
        return base
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _taken(ledger_id: int, *, besides: int | None = None) -> tuple[set[str], set[str]]:
    """The codes and names another field of the ledger holds: read from the ledger itself, not
    from the caller's schema, which leaves out the fields a rule hides from them. Every code
    stays reserved after its field is deleted (restore brings the field back under it); names
    are those of the live fields."""
    codes: set[str] = set()
    names: set[str] = set()
    for field_id, code, name, deleted_at in Field.objects.filter(ledger_id=ledger_id).values_list(
            "id", "code", "name", "deleted_at"):
        if field_id != besides:
            codes.add(code)
            if deleted_at is None:
                names.add(name)
    return codes, names


# One message whatever the field that holds the name or code: visible, hidden from the caller
# by a field rule, or deleted. Telling them apart would tell a manager what a rule hides.
def _name_taken(name: str) -> InvalidInput:
    return InvalidInput(_("The field name 「%(name)s」 cannot be used. Please choose another name.")
                        % {"name": name}, code=Code.DUPLICATE_FIELD_NAME)


def _code_taken(code: str) -> InvalidInput:
    return InvalidInput(_("The field code 「%(code)s」 cannot be used. Please choose another code.")
                        % {"code": code}, code=Code.DUPLICATE_FIELD_CODE)


def _clean_field_spec(spec: Any, taken_codes: set[str], taken_names: set[str],
                      ctx: ValueContext) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise InvalidInput(_("Each field must be an object."), code=Code.INVALID_FIELD)
    unknown = set(spec) - FIELD_KEYS
    if unknown:
        raise InvalidInput(_("Unknown keys in a field: %(keys)s")
                           % {"keys": ", ".join(sorted(map(str, unknown)))[:200]},
                           code=Code.INVALID_FIELD)
    name = _clean_name(spec.get("name"), _("The field name"))
    if name in taken_names:
        raise _name_taken(name)
    if not isinstance(spec.get("type"), str):
        raise InvalidInput(_("Give each field a type."), code=Code.INVALID_FIELD)
    ftype = field_type(spec["type"])
    code = spec.get("code")
    if code is None:
        code = _generate_code(name, taken_codes)
    elif not isinstance(code, str) or not CODE_RE.match(code) or code in RESERVED:
        raise InvalidInput(
            _("A field code is lower-case ASCII letters, digits and _, starting with a letter."),
            code=Code.INVALID_FIELD_CODE, details={"code": str(code)[:64]},
        )
    if code in taken_codes:
        raise _code_taken(code)
    options = spec.get("options") or {}
    if not isinstance(options, dict):
        raise InvalidInput(_("options must be an object."), code=Code.INVALID_OPTIONS)
    options = ftype.clean_options(options, ctx)
    unique = _bool(spec, "unique")
    if unique and not ftype.can_be_unique:
        raise InvalidInput(_("This field type cannot be unique."), code=Code.INVALID_FIELD)
    taken_codes.add(code)
    taken_names.add(name)
    return {"name": name, "type": ftype.key, "code": code, "required": _bool(spec, "required"),
            "unique": unique, "options": options}


def _field_row(ledger: Ledger, spec: dict[str, Any], position: int) -> Field:
    f = Field.objects.create(ledger=ledger, position=position, column="", **spec)
    f.column = f"f_{f.id}"
    f.save(update_fields=["column"])
    return f


def _add_field_row(ledger: Ledger, spec: dict[str, Any], position: int) -> Field:
    f = _field_row(ledger, spec, position)
    ddl.add_column(ledger, f)
    return f


def create_ledger(*, user: AnyUser, name: Any, description: Any = "",
                  fields: Any = (), logged: bool = True) -> LedgerSchema:
    """`logged=False`: the caller writes the access-log entry itself, at the end of its own
    transaction (an import: the log's lock is not held while the rows are written)."""
    access.require_ledger_creator(user)  # 403 ledger_create_not_allowed
    ctx = ValueContext(user)  # a link may name only a ledger the user may view
    clean_name = _clean_name(name, _("The ledger name"))
    if not isinstance(fields, list | tuple):
        raise InvalidInput(_("fields must be a list."), code=Code.INVALID_FIELD)
    if len(fields) > settings.DAICHO["MAX_FIELDS_PER_LEDGER"]:
        raise InvalidInput(_("A ledger has at most %(n)d fields.")
                           % {"n": settings.DAICHO["MAX_FIELDS_PER_LEDGER"]}, code=Code.TOO_MANY_FIELDS)
    codes: set[str] = set()
    names: set[str] = set()
    specs = [_clean_field_spec(s, codes, names, ctx) for s in fields]
    lookups.check_fields([Field(**s) for s in specs])
    formulas.check_fields([Field(**s) for s in specs])
    with transaction.atomic():
        if Ledger.objects.filter(name=clean_name).exists():
            raise Conflict(_("A ledger named 「%(name)s」 already exists.") % {"name": clean_name},
                           code=Code.DUPLICATE_LEDGER_NAME)
        ledger = Ledger.objects.create(name=clean_name, description=_clean_description(description),
                                       created_by_id=_uid(user), rules=default_rules(user))
        ledger.table_name = f"ledger_{ledger.id}"
        ledger.save(update_fields=["table_name"])
        ddl.create_ledger_table(ledger, [_field_row(ledger, spec, position)
                                         for position, spec in enumerate(specs)])
        LedgerEvent.objects.create(ledger=ledger, user_id=_uid(user), action="create",
                                   details={"fields": [s["code"] for s in specs]})
        if logged:
            log_created(user, ledger)
    schema = load_schema(ledger.id)
    assert schema is not None
    return schema


def log_created(user: AnyUser, ledger: Ledger) -> None:
    audit.record(user=user, action="ledger_create", target=f"ledger:{ledger.id}",
                 details={"name": ledger.name, "fields": ledger.fields.count()})


def update_ledger(*, user: AnyUser, schema: LedgerSchema, patch: dict[str, Any]) -> LedgerSchema:
    access.require(user, schema, "manage")
    ledger = schema.ledger
    with transaction.atomic():
        if "name" in patch:
            new_name = _clean_name(patch["name"], _("The ledger name"))
            if Ledger.objects.filter(name=new_name).exclude(id=ledger.id).exists():
                raise Conflict(_("A ledger named 「%(name)s」 already exists.") % {"name": new_name},
                               code=Code.DUPLICATE_LEDGER_NAME)
            ledger.name = new_name
        if "description" in patch:
            ledger.description = _clean_description(patch["description"])
        changed: list[str] = [k for k in ("name", "description") if k in patch]
        if "folder" in patch:
            folder = _clean_folder(patch["folder"])
            # The settings as they are now (other writers keep theirs there too), locked.
            settings_ = Ledger.objects.select_for_update().values_list(
                "settings", flat=True).get(id=ledger.id)
            settings_ = dict(settings_) if isinstance(settings_, dict) else {}
            if folder:
                settings_["folder"] = folder
            else:
                settings_.pop("folder", None)
            ledger.settings = settings_
            changed.append("settings")
        # Only what changed: the row also holds the record count, the rules and the settings,
        # which other writers change at the same time.
        ledger.save(update_fields=[*changed, "updated_at"])
        LedgerEvent.objects.create(ledger=ledger, user_id=_uid(user), action="update",
                                   details={k: v for k, v in (("name", ledger.name),
                                                              ("folder", folder_of(ledger)))
                                            if k in patch})
    result = load_schema(ledger.id)
    assert result is not None
    return access.grant_for(user, result).schema("manage")  # as the manager sees it


def clean_migrated_from(value: Any) -> dict[str, Any] | None:
    """`migrated_from` as a PATCH gives it: a note on the file or system the ledger replaced
    (text, up to 200 characters), or null to clear the mark."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidInput(_("migrated_from must be a note of up to 200 characters on what the "
                             "ledger replaced, or null."), code=Code.INVALID_MIGRATED_FROM,
                           details={"at": "migrated_from"})
    return {"note": value.strip()}


def set_migrated_from(*, user: AnyUser, schema: LedgerSchema,
                      origin: dict[str, Any] | None) -> None:
    """Mark the ledger as migrated from an Excel/Access file or another system (or clear the
    mark). An import that creates a ledger sets the mark itself."""
    access.require(user, schema, "manage")
    with transaction.atomic():
        ledger = Ledger.objects.select_for_update().get(id=schema.id)
        settings_ = dict(ledger.settings) if isinstance(ledger.settings, dict) else {}
        if origin is None:
            settings_.pop("migrated_from", None)
        else:
            settings_["migrated_from"] = origin
        ledger.settings = settings_
        ledger.save(update_fields=["settings"])
        schema.ledger.settings = settings_
        LedgerEvent.objects.create(ledger=ledger, user_id=_uid(user), action="migrated_from",
                                   details={"migrated_from": origin})


def add_field(*, user: AnyUser, schema: LedgerSchema, spec: Any) -> Field:
    access.require(user, schema, "manage")
    ctx = ValueContext(user)  # a link may name only a ledger the user may view
    if len(schema.fields) >= settings.DAICHO["MAX_FIELDS_PER_LEDGER"]:
        raise InvalidInput(_("A ledger has at most %(n)d fields.")
                           % {"n": settings.DAICHO["MAX_FIELDS_PER_LEDGER"]}, code=Code.TOO_MANY_FIELDS)
    codes, names = _taken(schema.id)
    codes |= set(schema.pseudo)  # `status` while the ledger has a process (contract §8)
    clean = _clean_field_spec(spec, codes, names, ctx)
    lookups.check_fields([*schema.full.fields, Field(**clean)], schema.id)
    formulas.check_fields([*schema.full.fields, Field(**clean)])
    try:
        with transaction.atomic():
            position = max((f.position for f in schema.fields), default=-1) + 1
            f = _add_field_row(schema.ledger, clean, position)
            LedgerEvent.objects.create(ledger=schema.ledger, user_id=_uid(user),
                                       action="add_field", details={"code": f.code, "type": f.type})
            if field_type(f.type).derived:
                lookups.fill_ledger(schema, f)
            if field_type(f.type).computed or field_type(f.type).derived:
                formulas.recompute_later(schema, user, fields=[f.code])
    except IntegrityError:  # another request added the code between the check and the insert
        raise _code_taken(clean["code"]) from None
    return f


def _scan(schema: LedgerSchema, f: Field) -> list[tuple[int, Any]]:
    """(record id, raw value) of every record, trashed ones included, for checks and moves."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, {q(f.column)} FROM {q(schema.table)} ORDER BY id")
        return list(cur.fetchall())


def _recheck(schema: LedgerSchema, old: Field, new: Field, ctx: ValueContext,
             converting: bool) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]]:
    """Convert every stored value to the new definition; list what cannot be converted."""
    old_type, new_type = field_type(old.type), field_type(new.type)
    converted: list[tuple[int, Any]] = []
    failures: list[dict[str, Any]] = []
    for rid, raw in _scan(schema, old):
        if raw is None:
            continue
        value = old_type.to_json(old, raw, ctx)
        try:
            stored = new_type.convert(new, value, ctx) if converting else \
                new_type.clean(new, value, ctx)
        except FieldValueError as exc:
            failures.append({"record_id": rid, "value": value, "message": exc.message})
            continue
        converted.append((rid, stored))
    return converted, failures


def _refuse(failures: list[dict[str, Any]], message: str) -> Conflict:
    return Conflict(message, code=Code.VALUES_NOT_CONVERTIBLE,
                    details={"count": len(failures), "unconvertible": failures[:100]})


def _check_required(schema: LedgerSchema, f: Field) -> None:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)} t "
                    f"WHERE t.{q(f.column)} IS NULL AND {dialect.live()}")
        empty = int(cur.fetchone()[0])
    if empty:
        raise Conflict(_("%(n)d records have no value in this field; fill them in first.")
                       % {"n": empty}, code=Code.REQUIRED_HAS_EMPTY, details={"count": empty})


def _check_unique_possible(schema: LedgerSchema, f: Field, ctx: ValueContext) -> None:
    col = q(f.column)
    with connection.cursor() as cur:
        cur.execute(f"SELECT t.{col}, COUNT(*) FROM {q(schema.table)} t "
                    f"WHERE t.{col} IS NOT NULL AND {dialect.live()} GROUP BY t.{col} "
                    "HAVING COUNT(*) > 1 LIMIT 100")
        dups = cur.fetchall()
    if dups:
        ftype = field_type(f.type)
        raise Conflict(_("Some values appear more than once; the field cannot be unique."),
                       code=Code.UNIQUE_HAS_DUPLICATES,
                       details={"duplicates": [{"value": ftype.to_json(f, v, ctx), "count": n}
                                               for v, n in dups]})


def reindex_search(schema: LedgerSchema) -> None:
    """Recompute every record's search key in the caller's transaction (after a change to which
    fields are searchable, on a ledger of up to REKEY_NOW records: rekey_later)."""
    last: int | None = 0
    while last is not None:
        last = _rekey_chunk(schema.id, last)


# Records: a ledger up to this size gets its search keys again in the transaction that changed
# which fields are searchable; a bigger one from the `search_rekey` job, a chunk per transaction.
# On SQLite, 100,000 records took 16.8 s in the request that deleted a field, holding the write
# lock, and 1,000,000 would take minutes.
REKEY_NOW = 5_000
REKEY_JOB = "search_rekey"


def rekey_later(schema: LedgerSchema, user: AnyUser) -> None:
    """The search keys of every record again, after a field that counts for search was deleted,
    restored or retyped: at once on a small ledger, else by a job queued in the caller's
    transaction. Until the job has passed a record, search reads its key as it was: the
    deleted field's texts still match it, the restored field's do not yet."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {q(schema.table)} "
                    f"LIMIT {REKEY_NOW + 1}) t")
        small = int(cur.fetchone()[0]) <= REKEY_NOW
    if small:
        reindex_search(schema)
    elif not Job.objects.filter(kind=REKEY_JOB, status="queued",
                                params__ledger=schema.id).exists():
        jobs.enqueue(kind_name=REKEY_JOB, params={"ledger": schema.id}, user=user)


def rekey_pending(schema: LedgerSchema) -> bool:
    """Whether a `search_rekey` job of the ledger is still to finish (the designer says so)."""
    return Job.objects.filter(kind=REKEY_JOB, status__in=("queued", "running"),
                              params__ledger=schema.id).exists()


def _rekey_chunk(ledger_id: int, after: int) -> int | None:
    """Write the search keys of the BATCH records after id `after` that changed (the ledger's
    definition as it is now), locked as a writer locks them, so that no writer's newer values
    are keyed from older ones. Returns the last id read; None when there was none."""
    fresh = load_schema(ledger_id)
    if fresh is None:
        return None
    lock = "" if dialect.is_sqlite() else " FOR UPDATE"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sel.select_list(fresh)} FROM {q(fresh.table)} t "
                    f"WHERE t.id > %s ORDER BY t.id LIMIT {BATCH}{lock}", [after])
        rows = sel.to_rows(fresh, cur.fetchall())
    if not rows:
        return None
    ctx = ValueContext()
    changes = []
    for row in rows:
        key = record_search_key(fresh, row.raw, ctx)
        if key != row.search_key:
            changes.append((row.id, key, row.search_key))
    if changes:
        # PostgreSQL: one statement for the chunk, so the search table's statement-level
        # trigger runs once for it, not once a record.
        columns, values = [("search_key", "TEXT")], [[rid, key] for rid, key, _old in changes]
        if not batch.update_columns(fresh.table, columns, values):
            batch.update_rows(fresh.table, [], [], columns, values)
        search.index_records(fresh.ledger, changes)
    return int(rows[-1].id)


@jobs.kind(REKEY_JOB, retry=True)
def _rekey_job(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
    ledger_id = int(job.params["ledger"])
    schema = load_schema(ledger_id)
    if schema is None:
        return {"ok": True, "records": 0}
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {q(schema.table)}")
        total = int(cur.fetchone()[0])
    last: int | None = 0
    done = 0
    while last is not None:
        with transaction.atomic():
            after = last
            last = _rekey_chunk(ledger_id, after)
        if last is not None:
            done += BATCH
            progress(min(done, total), max(total, 1))
    return {"ok": True, "records": total}


def update_field(*, user: AnyUser, schema: LedgerSchema, code: str, patch: Any) -> Field:
    access.require(user, schema, "manage")
    if not isinstance(patch, dict):
        raise InvalidInput(_("Send an object."), code=Code.INVALID_FIELD)
    unknown = set(patch) - {"name", "options", "type", "required", "unique", "position", "confirm"}
    if unknown:
        raise InvalidInput(_("Unknown keys: %(keys)s")
                           % {"keys": ", ".join(sorted(map(str, unknown)))[:200]},
                           code=Code.INVALID_FIELD)
    ctx = ValueContext(user)  # a link may name only a ledger the user may view
    f = schema.field(code, pseudo=False)
    old = Field.objects.get(id=f.id)
    confirm = patch.get("confirm", False) is True
    details: dict[str, Any] = {"code": code}
    with transaction.atomic():
        if "name" in patch:
            name = _clean_name(patch["name"], _("The field name"))
            if name in _taken(schema.id, besides=f.id)[1]:
                raise _name_taken(name)
            details["name"] = {"old": f.name, "new": name}
            f.name = name
        new_type_key = patch.get("type", f.type)
        if not isinstance(new_type_key, str):
            raise InvalidInput(_("type must be text."), code=Code.INVALID_FIELD)
        new_type = field_type(new_type_key)
        retyping = new_type.key != f.type
        if "options" in patch or retyping:
            options = patch.get("options", {} if retyping else f.options)
            if not isinstance(options, dict):
                raise InvalidInput(_("options must be an object."), code=Code.INVALID_OPTIONS)
            f.options = new_type.clean_options(options, ctx)
            f.type = new_type.key
            if new_type.derived:  # its column is the looked-up field's: known from here on
                lookups.check_fields([f if o.code == code else o for o in schema.full.fields],
                                     schema.id)
        # A formula whose result changed keeps its values in a column of the new kind.
        retyping = retyping or type_for(f).sql_type() != type_for(old).sql_type()
        if retyping:
            if f.unique and not new_type.can_be_unique:
                f.unique = False
            converted, failures = _recheck(schema, old, f, ctx, converting=True)
            if failures and not confirm:
                raise _refuse(failures, _("Some values cannot be converted to the new type. "
                                          "Send confirm: true to change it anyway; the old "
                                          "values stay recoverable."))
            _move_to_new_column(schema, old, f, converted)
            details["type"] = {"old": old.type, "new": f.type, "unconverted": len(failures),
                               "old_column": old.column}
        elif "options" in patch and f.options != old.options and not new_type.computed \
                and not new_type.derived:
            _converted, failures = _recheck(schema, old, f, ctx, converting=False)
            if failures:
                raise _refuse(failures, _("Some stored values do not fit the new options; "
                                          "change those records first."))
            details["options"] = {"old": old.options, "new": f.options}
        if "required" in patch:
            f.required = _bool(patch, "required")
            if f.required and not old.required:
                _check_required(schema, f)
        if "unique" in patch:
            f.unique = _bool(patch, "unique")
            if f.unique and not new_type.can_be_unique:
                raise InvalidInput(_("This field type cannot be unique."), code=Code.INVALID_FIELD)
            if f.unique and not old.unique:
                _check_unique_possible(schema, f, ctx)
        if "position" in patch:
            order = [o.code for o in schema.fields if o.code != code]
            pos = patch["position"]
            if not isinstance(pos, int) or isinstance(pos, bool):
                raise InvalidInput(_("position must be a whole number."), code=Code.INVALID_FIELD)
            order.insert(max(0, min(pos, len(order))), code)
            _set_order(schema, order)
            f.position = order.index(code)
        lookups.check_fields([f if o.code == code else o for o in schema.full.fields], schema.id)
        formulas.check_fields([f if o.code == code else o for o in schema.full.fields])
        f.save()
        ddl.sync_indexes(schema.ledger, f)
        LedgerEvent.objects.create(ledger=schema.ledger, user_id=_uid(user),
                                   action="update_field", details=details)
        if new_type.derived and (retyping or f.options != old.options):
            lookups.fill_ledger(schema, f)
        if retyping:  # every formula using it may give something else now
            formulas.recompute_later(schema, user)
        elif (new_type.computed or new_type.derived) and f.options != old.options:
            formulas.recompute_later(schema, user, fields=[code])
        if retyping and (field_type(old.type).searchable or new_type.searchable):
            rekey_later(schema, user)
    return f


def _move_to_new_column(schema: LedgerSchema, old: Field, f: Field,
                        converted: list[tuple[int, Any]]) -> None:
    """Retype without a table rebuild and without loss: new column, old one kept and listed."""
    n = len(old.retired_columns) + 1
    f.retired_columns = [*old.retired_columns,
                         {"column": old.column, "type": old.type, "options": old.options,
                          "retired_at": timezone.now().isoformat()}]
    f.column = f"f_{f.id}_{n}"
    ddl.drop_field_indexes(schema.ledger, old.column)
    ftype = type_for(f)
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {q(schema.table)} ADD COLUMN {q(f.column)} {ftype.sql_type()}")
        for start in range(0, len(converted), BATCH):
            chunk = converted[start:start + BATCH]
            cur.executemany(f"UPDATE {q(schema.table)} SET {q(f.column)} = %s WHERE id = %s",
                            [(ftype.to_param(v), rid) for rid, v in chunk])


def _set_order(schema: LedgerSchema, codes: list[str]) -> None:
    for position, code in enumerate(codes):
        Field.objects.filter(id=schema.by_code[code].id).update(position=position)


def reorder_fields(*, user: AnyUser, schema: LedgerSchema, codes: Any) -> None:
    access.require(user, schema, "manage")
    if not isinstance(codes, list) or sorted(map(str, codes)) != sorted(schema.by_code):
        raise InvalidInput(_("Give every field code of the ledger exactly once."),
                           code=Code.INVALID_ORDER)
    with transaction.atomic():
        _set_order(schema, codes)
        LedgerEvent.objects.create(ledger=schema.ledger, user_id=_uid(user), action="reorder",
                                   details={"codes": codes})


def delete_field(*, user: AnyUser, schema: LedgerSchema, code: str) -> None:
    """Hide a field; its column and values stay in the table and can be brought back."""
    access.require(user, schema, "manage")
    f = schema.field(code, pseudo=False)
    lookups.check_fields([o for o in schema.full.fields if o.code != code], schema.id)
    formulas.check_fields([o for o in schema.full.fields if o.code != code])
    with transaction.atomic():
        f.deleted_at = timezone.now()
        f.save(update_fields=["deleted_at"])
        ddl.sync_indexes(schema.ledger, f)
        LedgerEvent.objects.create(ledger=schema.ledger, user_id=_uid(user), action="delete_field",
                                   details={"code": code, "column": f.column})
        if field_type(f.type).searchable:
            rekey_later(schema, user)


def restore_field(*, user: AnyUser, schema: LedgerSchema, code: str) -> Field:
    access.require(user, schema, "manage")
    with transaction.atomic():
        f = (Field.objects.filter(ledger_id=schema.id, code=code).exclude(deleted_at=None)
             .order_by("-deleted_at").first())
        if f is None:
            raise InvalidInput(_("There is no deleted field 「%(code)s」.") % {"code": code[:64]},
                               code=Code.UNKNOWN_FIELD)
        names = _taken(schema.id, besides=f.id)[1]
        if Field.objects.filter(ledger_id=schema.id, code=code, deleted_at=None).exists():
            raise _code_taken(code)
        lookups.check_fields([*schema.full.fields, f], schema.id)
        formulas.check_fields([*schema.full.fields, f])
        if f.name in names:
            raise _name_taken(f.name)
        f.deleted_at = None
        f.save(update_fields=["deleted_at"])
        ddl.sync_indexes(schema.ledger, f)
        LedgerEvent.objects.create(ledger=schema.ledger, user_id=_uid(user),
                                   action="restore_field", details={"code": code})
        if field_type(f.type).searchable:
            rekey_later(schema, user)
        if field_type(f.type).derived:
            lookups.fill_ledger(schema, f)
        if field_type(f.type).computed or field_type(f.type).derived:
            formulas.recompute_later(schema, user, fields=[code])
    return f


__all__ = ["add_field", "create_ledger", "delete_field", "rekey_pending", "reorder_fields",
           "restore_field", "update_field", "update_ledger"]
