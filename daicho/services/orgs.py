"""The writers for departments (部・課・係): create, rename, move and abolish one on a date,
import a tree from CSV, apply the changes whose date has come, cancel a scheduled one.

Effective dating: every state of a department is kept as an OrgVersion [valid_from, valid_to), so
the tree as of any date can be shown (daicho.selectors.orgs). A change dated today or earlier is
written at once (Org is always today's state); one dated later is stored as an OrgChange and
applied on or after its date: by the job worker's check (`apply_when_due`, every ten minutes),
before any department write, and by `daicho org import` and `daicho org apply`. Reads apply
nothing. A department's history is written in date order: a change may not be dated
before the latest recorded state of its department. Records keep the department's id through
every change."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho import jobs
from daicho.error_codes import Code
from daicho.errors import Conflict, InvalidInput, NotFound
from daicho.models import Org, OrgChange, OrgVersion
from daicho.selectors import orgs as sel
from daicho.selectors.orgs import OrgState
from daicho.services import audit

HEADER = ["code", "name", "parent_code", "valid_from"]
MAX_ROWS = 20_000


def _check_code(code: Any) -> str:
    if not isinstance(code, str) or not 1 <= len(code) <= 64 or not code.isprintable() or \
            code != code.strip():
        raise InvalidInput(_("A department code is 1 to 64 printable characters."),
                           code=Code.INVALID_ORG)
    return code


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200 or not name.isprintable():
        raise InvalidInput(_("A department name is 1 to 200 printable characters."),
                           code=Code.INVALID_ORG)
    return name.strip()


def parse_day(value: Any, *, at: str = "valid_from") -> dt.date | None:
    """A date from the API or a form: None, a date, or YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(_("%(name)s is a date YYYY-MM-DD.") % {"name": at}, code=Code.INVALID_DATE,
                       details={"at": at})


def _unknown(code: str) -> InvalidInput:
    return InvalidInput(_("There is no department with code 「%(code)s」.") % {"code": code[:64]},
                        code=Code.UNKNOWN_ORG)


def _abolished(code: str) -> InvalidInput:
    return InvalidInput(_("The department 「%(code)s」 has been abolished.") % {"code": code[:64]},
                        code=Code.ABOLISHED_ORG)


# -- one department -------------------------------------------------------------------------------

def create_org(*, code: Any, name: Any, parent_code: Any = None, valid_from: Any = None,
               by: Any = None) -> OrgState:
    """A new department from `valid_from` (today); a later date schedules it."""
    code, name = _check_code(code), _check_name(name)
    today = timezone.localdate()
    on = parse_day(valid_from) or today
    parent_code = str(parent_code) if parent_code else None
    with transaction.atomic():
        apply_due_changes(today=today)
        if Org.objects.filter(code=code).exists() or \
                OrgChange.objects.filter(code=code, applied_at=None).exists():
            raise Conflict(_("The department code 「%(code)s」 is already used.") % {"code": code},
                           code=Code.DUPLICATE_ORG)
        if parent_code and not Org.objects.filter(code=parent_code).exists() and \
                not OrgChange.objects.filter(code=parent_code, applied_at=None).exists():
            raise _unknown(parent_code)
        if on > today:
            OrgChange.objects.create(code=code, name=name, parent_code=parent_code or "",
                                     valid_from=on)
            _check_schedule()
        else:
            parent = _live_parent(parent_code)
            _create(code=code, name=name, parent=parent, on=on)
        audit.record(user=by, action="org_create", target=f"org:{code}",
                     details={"valid_from": on.isoformat()})
    return OrgState(code, name, parent_code, on, None, scheduled=on > today)


KEEP: Any = object()  # change_org: leave the parent as it is


def change_org(*, code: Any, name: Any = None, parent_code: Any = KEEP, abolish: bool = False,
               valid_from: Any = None, by: Any = None) -> OrgState | None:
    """Rename, move (parent_code None: to the top) or abolish a department from `valid_from`
    (today); a later date schedules the change. Returns the new state (None when abolished)."""
    today = timezone.localdate()
    on = parse_day(valid_from) or today
    code = str(code)
    with transaction.atomic():
        apply_due_changes(today=today)
        chain = sel.timeline().get(code)
        if not chain:
            raise NotFound(_("There is no department with code 「%(code)s」.") % {"code": code[:64]},
                           code=Code.UNKNOWN_ORG)
        current = next((s for s in chain if s.valid_on(on)), None)
        if current is None:
            raise InvalidInput(_("The department 「%(code)s」 does not exist on %(date)s.")
                               % {"code": code, "date": on.isoformat()}, code=Code.ORG_NOT_IN_FORCE)
        later = chain[-1].valid_from if chain[-1].scheduled else None
        if later is not None and later > on:
            raise Conflict(_("The department 「%(code)s」 has a change scheduled for %(date)s: "
                             "cancel it first, or date this change on or after that day.")
                           % {"code": code, "date": later.isoformat()}, code=Code.ORG_CHANGE_SCHEDULED)
        new_name = current.name if name is None else _check_name(name)
        new_parent = current.parent_code if parent_code is KEEP else \
            (str(parent_code) if parent_code else None)
        if new_parent == code:
            raise InvalidInput(_("Department 「%(code)s」 would be below itself.") % {"code": code},
                               code=Code.ORG_CYCLE)
        if on > today:
            OrgChange.objects.filter(code=code, applied_at=None, valid_from=on).delete()
            OrgChange.objects.create(code=code, name=new_name, parent_code=new_parent or "",
                                     valid_from=on, abolish=abolish)
            _check_schedule()
        else:
            org = Org.objects.get(code=code)
            if abolish:
                _abolish(org, on=on)
            else:
                _set_state(org, name=new_name, parent=_live_parent(new_parent), on=on)
                _check_tree()
            _check_schedule()  # what is scheduled must still hold together on its day
        audit.record(user=by, action="org_abolish" if abolish else "org_change",
                     target=f"org:{code}", details={
                         "name": new_name, "parent_code": new_parent,
                         "valid_from": on.isoformat()})
    return None if abolish else OrgState(code, new_name, new_parent, on, None,
                                         scheduled=on > today)


def cancel_change(*, change_id: int, by: Any = None) -> OrgChange:
    """Call off a scheduled change (refused when a later one builds on it)."""
    with transaction.atomic():
        change = OrgChange.objects.filter(id=change_id, applied_at=None).first()
        if change is None:
            raise NotFound()
        change.delete()
        _check_schedule()
        audit.record(user=by, action="org_change_cancel", target=f"org:{change.code}",
                     details={"valid_from": change.valid_from.isoformat()})
    return change


def orgs_json(*, as_of: Any = None) -> list[dict[str, Any]]:
    """Today's departments in the contract's shape; with `as_of`, the tree on that date (past or
    scheduled) with each department's valid_from and valid_to."""
    day = parse_day(as_of, at="as_of")
    if day is not None:
        return [s.as_json() for s in sel.tree_on(day)]
    codes = dict(Org.objects.values_list("id", "code"))
    return [{"code": code, "name": name, "parent_code": codes.get(parent_id)}
            for code, name, parent_id in Org.objects.filter(abolished_on=None).order_by("code")
            .values_list("code", "name", "parent_id")]


# -- versions -------------------------------------------------------------------------------------

def _live_parent(code: str | None) -> Org | None:
    if not code:
        return None
    parent = Org.objects.filter(code=code).first()
    if parent is None:
        raise _unknown(code)
    if parent.abolished_on is not None:
        raise _abolished(code)
    return parent


def _create(*, code: str, name: str, parent: Org | None, on: dt.date) -> Org:
    org = Org.objects.create(code=code, name=name, parent=parent)
    OrgVersion.objects.create(org=org, code=code, name=name, parent=parent, valid_from=on)
    return org


def _versions(org: Org) -> list[OrgVersion]:
    versions = list(OrgVersion.objects.filter(org=org).order_by("valid_from", "id"))
    if not versions and org.abolished_on is None:
        # Created without a version (straight through the ORM): unchanged since its creation.
        versions = [OrgVersion.objects.create(
            org=org, code=org.code, name=org.name, parent_id=org.parent_id,
            valid_from=timezone.localdate(org.created_at))]
    return versions


def _too_early(org: Org, latest: dt.date) -> InvalidInput:
    return InvalidInput(_("The department 「%(code)s」 has changes recorded from %(date)s: a "
                          "change to it may not be dated earlier.")
                        % {"code": org.code, "date": latest.isoformat()}, code=Code.ORG_DATE_ORDER)


def _set_state(org: Org, *, name: str, parent: Org | None, on: dt.date) -> bool:
    """Make `org` named `name` under `parent` from `on`; False when it already is."""
    parent_id = parent.id if parent else None
    versions = _versions(org)
    covering = next((v for v in versions if v.valid_from <= on and
                     (v.valid_to is None or on < v.valid_to)), None)
    if covering is not None and (covering.name, covering.parent_id) == (name, parent_id):
        return False  # already so on that day (say, a history file loaded again)
    if versions and on < versions[0].valid_from:
        return _record_earlier(versions[0], name=name, parent_id=parent_id, on=on)
    latest = versions[-1] if versions else None
    recorded_to = latest.valid_to or latest.valid_from if latest else org.abolished_on
    if recorded_to is not None and on < recorded_to:
        raise _too_early(org, recorded_to)
    if latest is not None and latest.valid_to is None and latest.valid_from == on:
        latest.name, latest.parent_id = name, parent_id
        latest.save(update_fields=["name", "parent"])
    else:
        if latest is not None and latest.valid_to is None:
            latest.valid_to = on
            latest.save(update_fields=["valid_to"])
        OrgVersion.objects.create(org=org, code=org.code, name=name, parent=parent, valid_from=on)
    org.name, org.parent, org.abolished_on = name, parent, None
    org.save(update_fields=["name", "parent", "abolished_on"])
    return True


def _record_earlier(first: OrgVersion, *, name: str, parent_id: int | None, on: dt.date) -> bool:
    """A state from before anything recorded (the city's tree file dated years back, loaded after
    the department was created here): history grows backwards, nothing after it changes."""
    if (first.name, first.parent_id) == (name, parent_id):
        first.valid_from = on
        first.save(update_fields=["valid_from"])
        return False
    OrgVersion.objects.create(org=first.org, code=first.code, name=name, parent_id=parent_id,
                              valid_from=on, valid_to=first.valid_from)
    return True


def _abolish(org: Org, *, on: dt.date) -> None:
    versions = _versions(org)
    if not versions or versions[-1].valid_to is not None or org.abolished_on is not None:
        raise _abolished(org.code)
    latest = versions[-1]
    if on < latest.valid_from:
        raise _too_early(org, latest.valid_from)
    live_children = Org.objects.filter(parent=org, abolished_on=None).order_by("code")
    child = live_children.values_list("code", flat=True).first()
    if child is not None:
        raise InvalidInput(_("Move or abolish the departments under 「%(code)s」 first (such as "
                             "「%(child)s」).") % {"code": org.code, "child": child},
                           code=Code.ORG_HAS_CHILDREN)
    if latest.valid_from == on:
        latest.delete()  # it never took effect; the one before already ends that day
    else:
        latest.valid_to = on
        latest.save(update_fields=["valid_to"])
    org.abolished_on = on
    org.save(update_fields=["abolished_on"])


def _check_tree() -> None:
    """Today's tree: no cycles, no live department under an abolished one."""
    orphan = Org.objects.filter(abolished_on=None, parent__abolished_on__isnull=False) \
        .values_list("code", "parent__code").first()
    if orphan is not None:
        raise InvalidInput(_("「%(code)s」 cannot be under 「%(parent)s」: it has been abolished.")
                           % {"code": orphan[0], "parent": orphan[1]}, code=Code.ABOLISHED_ORG)
    parent = dict(Org.objects.values_list("id", "parent_id"))
    code = dict(Org.objects.values_list("id", "code"))
    for start in parent:
        seen = {start}
        up: int | None = parent[start]
        while up is not None:
            if up in seen:
                raise InvalidInput(_("Department 「%(code)s」 would be below itself.")
                                   % {"code": code[start]}, code=Code.ORG_CYCLE)
            seen.add(up)
            up = parent.get(up)


def _check_schedule() -> None:
    """The tree on the date of every scheduled change must hold together: each department's
    parent exists that day and nothing is below itself."""
    changes = sel.pending_changes()
    chains = sel.timeline(changes)
    for day in sorted({c.valid_from for c in changes}):
        problem = sel.tree_problem(sel.tree_on(day, chains))
        if problem is None:
            continue
        kind, code, parent = problem
        if kind == "cycle":
            raise InvalidInput(_("On %(date)s department 「%(code)s」 would be below itself.")
                               % {"date": day.isoformat(), "code": code}, code=Code.ORG_CYCLE)
        raise InvalidInput(_("On %(date)s department 「%(code)s」 would be under 「%(parent)s」, "
                             "which does not exist that day.")
                           % {"date": day.isoformat(), "code": code, "parent": parent},
                           code=Code.ORG_MISSING_PARENT)


# -- the CSV import and the scheduled changes -----------------------------------------------------

def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(_("The file is neither UTF-8 nor cp932 (Shift_JIS)."),
                           code=Code.INVALID_ENCODING)
    return [row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)]


def import_orgs(path: Path, *, today: dt.date | None = None) -> dict[str, Any]:
    """All or nothing: every row is checked before anything is written."""
    today = today or timezone.localdate()
    rows = _read_csv(path)
    if not rows or [c.strip() for c in rows[0]] not in (HEADER, HEADER[:3]):
        raise InvalidInput(_("The header must be code,name,parent_code,valid_from."),
                           code=Code.INVALID_HEADER)
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(_("At most %(n)d departments per file.") % {"n": MAX_ROWS},
                           code=Code.TOO_MANY_ROWS)
    now_rows: list[tuple[str, str, str, dt.date]] = []
    later: list[tuple[str, str, str, dt.date]] = []
    for number, row in enumerate(body, start=2):
        cells = [c.strip() for c in row] + [""] * 4
        try:
            code, name = _check_code(cells[0]), _check_name(cells[1])
            valid_from = dt.date.fromisoformat(cells[3]) if cells[3] else None
        except ValueError:
            raise InvalidInput(_("Row %(row)d: valid_from is a date YYYY-MM-DD.") % {"row": number},
                               code=Code.INVALID_ORG, details={"row": number}) from None
        except InvalidInput as exc:
            raise InvalidInput(_("Row %(row)d: %(message)s") % {"row": number,
                                                                 "message": exc.message},
                               code=Code.INVALID_ORG, details={"row": number}) from None
        if valid_from is not None and valid_from > today:
            later.append((code, name, cells[2], valid_from))
        else:
            now_rows.append((code, name, cells[2], valid_from or today))
    with transaction.atomic():
        created, updated = _apply(now_rows)
        OrgChange.objects.bulk_create([
            OrgChange(code=c, name=n, parent_code=p, valid_from=d) for c, n, p, d in later])
        _check_schedule()
        applied = apply_due_changes(today=today)
        audit.record(user=None, action="org_import", target=f"file:{path.name}"[:200],
                     details={"created": created, "updated": updated, "scheduled": len(later)})
    return {"created": created, "updated": updated, "scheduled": len(later),
            "applied_scheduled": applied}


def _apply(rows: list[tuple[str, str, str, dt.date]]) -> tuple[int, int]:
    """Create or change departments, each from its row's date; parents are linked once every
    row's department exists (a parent may come later in the file)."""
    existing = {o.code: o for o in Org.objects.all()}
    created: set[str] = set()
    for code, name, _parent, on in rows:
        if code not in existing:
            existing[code] = _create(code=code, name=name, parent=None, on=on)
            created.add(code)
    updated: set[str] = set()
    for code, name, parent_code, on in rows:
        parent = existing.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            raise _unknown(parent_code)
        if _set_state(existing[code], name=name, parent=parent, on=on) and code not in created:
            updated.add(code)
    _check_tree()
    return len(created), len(updated)


APPLY_CHECK_SECONDS = 600


@jobs.every(APPLY_CHECK_SECONDS)
def apply_when_due() -> None:
    """The daily step of the calendar, checked by the job worker every ten minutes: a new day
    applies what became due (scheduled department changes and dated moves of people); within a
    day, a change that is due and still waiting (scheduled by another process) is applied."""
    today = timezone.localdate()
    if _applied_on.get("day") == today and not OrgChange.objects.filter(
            applied_at=None, valid_from__lte=today).exists():
        return
    apply_due_changes(today=today)
    _applied_on["day"] = today


_applied_on: dict[str, dt.date] = {}


def apply_due_changes(*, today: dt.date | None = None) -> int:
    """Apply the scheduled department changes whose day has come, and move the users whose
    scheduled primary department has come into it. Returns how many department changes."""
    from daicho.services.assignments import sync_primary

    today = today or timezone.localdate()
    due = list(OrgChange.objects.filter(applied_at=None, valid_from__lte=today)
               .order_by("valid_from", "id"))
    with transaction.atomic():
        for change in due:
            org = Org.objects.filter(code=change.code).first()
            if change.abolish:
                if org is not None and org.abolished_on is None:
                    _abolish(org, on=change.valid_from)
            else:
                _apply([(change.code, change.name, change.parent_code, change.valid_from)])
        if due:
            OrgChange.objects.filter(id__in=[c.id for c in due]).update(applied_at=timezone.now())
        sync_primary(today=today)
    return len(due)
