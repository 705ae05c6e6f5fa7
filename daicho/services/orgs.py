"""The writers for departments (部・課・係): create one, import a tree from CSV, apply the changes
whose date has come.

Effective dating: an imported row dated in the future is stored as an OrgChange and applied to the
live tree on or after its date (by the next `daicho org import`, `daicho org apply`, or any
`GET /api/v1/orgs`). The live tree is the only one kept: showing the tree as of a past date is not
implemented yet."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.errors import Conflict, InvalidInput
from daicho.models import Org, OrgChange
from daicho.services import audit

HEADER = ["code", "name", "parent_code", "valid_from"]
MAX_ROWS = 20_000


def _check_code(code: Any) -> str:
    if not isinstance(code, str) or not 1 <= len(code) <= 64 or not code.isprintable() or \
            code != code.strip():
        raise InvalidInput(_("A department code is 1 to 64 printable characters."),
                           code="invalid_org")
    return code


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200 or not name.isprintable():
        raise InvalidInput(_("A department name is 1 to 200 printable characters."),
                           code="invalid_org")
    return name.strip()


def create_org(*, code: Any, name: Any, parent_code: Any = None, by: Any = None) -> Org:
    code, name = _check_code(code), _check_name(name)
    parent = None
    if parent_code:
        parent = Org.objects.filter(code=parent_code).first()
        if parent is None:
            raise InvalidInput(_("There is no department with code 「%(code)s」.")
                               % {"code": str(parent_code)[:64]}, code="unknown_org")
    with transaction.atomic():
        if Org.objects.filter(code=code).exists():
            raise Conflict(_("The department code 「%(code)s」 is already used.") % {"code": code},
                           code="duplicate_org")
        org = Org.objects.create(code=code, name=name, parent=parent)
        audit.record(user=by, action="org_create", target=f"org:{code}")
        return org


def orgs_json() -> list[dict[str, Any]]:
    apply_due_changes()
    codes = dict(Org.objects.values_list("id", "code"))
    return [{"code": code, "name": name, "parent_code": codes.get(parent_id)}
            for code, name, parent_id in Org.objects.order_by("code")
            .values_list("code", "name", "parent_id")]


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
                           code="invalid_encoding")
    return [row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)]


def import_orgs(path: Path, *, today: dt.date | None = None) -> dict[str, Any]:
    """All or nothing: every row is checked before anything is written."""
    today = today or timezone.localdate()
    rows = _read_csv(path)
    if not rows or [c.strip() for c in rows[0]] not in (HEADER, HEADER[:3]):
        raise InvalidInput(_("The header must be code,name,parent_code,valid_from."),
                           code="invalid_header")
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(_("At most %(n)d departments per file.") % {"n": MAX_ROWS},
                           code="too_many_rows")
    now_rows: list[tuple[str, str, str]] = []
    later: list[tuple[str, str, str, dt.date]] = []
    for number, row in enumerate(body, start=2):
        cells = [c.strip() for c in row] + [""] * 4
        try:
            code, name = _check_code(cells[0]), _check_name(cells[1])
            valid_from = dt.date.fromisoformat(cells[3]) if cells[3] else None
        except ValueError:
            raise InvalidInput(_("Row %(row)d: valid_from is a date YYYY-MM-DD.") % {"row": number},
                               code="invalid_org", details={"row": number}) from None
        except InvalidInput as exc:
            raise InvalidInput(_("Row %(row)d: %(message)s") % {"row": number,
                                                                 "message": exc.message},
                               code="invalid_org", details={"row": number}) from None
        if valid_from is not None and valid_from > today:
            later.append((code, name, cells[2], valid_from))
        else:
            now_rows.append((code, name, cells[2]))
    with transaction.atomic():
        created, updated = _apply(now_rows)
        OrgChange.objects.bulk_create([
            OrgChange(code=c, name=n, parent_code=p, valid_from=d) for c, n, p, d in later])
        applied = apply_due_changes(today=today)
        audit.record(user=None, action="org_import", target=f"file:{path.name}"[:200],
                     details={"created": created, "updated": updated, "scheduled": len(later)})
    return {"created": created, "updated": updated, "scheduled": len(later),
            "applied_scheduled": applied}


def _apply(rows: list[tuple[str, str, str]]) -> tuple[int, int]:
    """Create or update departments, then link parents (a parent may come later in the file)."""
    existing = {o.code: o for o in Org.objects.all()}
    created = updated = 0
    for code, name, _parent in rows:
        org = existing.get(code)
        if org is None:
            existing[code] = Org.objects.create(code=code, name=name)
            created += 1
        elif org.name != name:
            org.name = name
            org.save(update_fields=["name"])
            updated += 1
    for code, _name, parent_code in rows:
        org = existing[code]
        parent = existing.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            raise InvalidInput(_("There is no department with code 「%(code)s」.")
                               % {"code": parent_code[:64]}, code="unknown_org")
        if (parent.id if parent else None) != org.parent_id:
            org.parent = parent
            org.save(update_fields=["parent"])
    _check_acyclic()
    return created, updated


def _check_acyclic() -> None:
    parent = dict(Org.objects.values_list("id", "parent_id"))
    code = dict(Org.objects.values_list("id", "code"))
    for start in parent:
        seen = {start}
        up: int | None = parent[start]
        while up is not None:
            if up in seen:
                raise InvalidInput(_("Department 「%(code)s」 would be below itself.")
                                   % {"code": code[start]}, code="org_cycle")
            seen.add(up)
            up = parent.get(up)


def apply_due_changes(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    due = list(OrgChange.objects.filter(applied_at=None, valid_from__lte=today)
               .order_by("valid_from", "id"))
    if not due:
        return 0
    with transaction.atomic():
        for change in due:
            _apply([(change.code, change.name, change.parent_code)])
        OrgChange.objects.filter(id__in=[c.id for c in due]).update(applied_at=timezone.now())
    return len(due)
