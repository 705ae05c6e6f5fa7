"""The writer for a user's place in the city: name, roles, active flag, primary department and
extra departments (兼務).

Departments are dated OrgMemberships [valid_from, valid_to). The primary department is one at a
time; its rows are its history. Setting it (or the extra departments) from a day replaces what was
recorded from that day on, so a move dated later is scheduled, and one dated earlier corrects the
record. The gate (daicho.access) reads the memberships valid today; Profile.org is today's primary
department for everything else, kept in step here and, for moves dated later, by
`apply_due_changes` (`daicho org apply`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound
from daicho.models import Org, OrgMembership, Profile
from daicho.services import audit
from daicho.services.accounts import clean_roles
from daicho.services.orgs import parse_day

CHANGEABLE = ("name", "org", "extra_orgs", "roles", "active", "valid_from")


def record_joined(*, user: Any, org: Org | None) -> None:
    """A new user's first primary department, from the day they were created."""
    if org is not None:
        OrgMembership.objects.create(user=user, org=org, primary=True,
                                     valid_from=timezone.localdate(user.date_joined))


def update_user(*, login: Any, changes: dict[str, Any], by: Any = None) -> Any:
    """Change what `changes` names (any of CHANGEABLE); departments from `valid_from` (today).
    One transaction, one access-log entry."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidInput(_("Unknown key: %(key)s") % {"key": unknown[0][:50]},
                           code=Code.INVALID_KEY, details={"at": unknown[0][:50]})
    today = timezone.localdate()
    on = parse_day(changes.get("valid_from")) or today
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(username=str(login)).first()
        if user is None:
            raise NotFound(_("There is no user 「%(login)s」.") % {"login": str(login)[:50]},
                           code=Code.UNKNOWN_USER)
        profile, _created = Profile.objects.get_or_create(user=user)
        done: dict[str, Any] = {}
        if "name" in changes:
            profile.name = _check_name(changes["name"])
            done["name"] = profile.name
        if "roles" in changes:
            profile.roles = clean_roles(changes["roles"])
            done["roles"] = profile.roles
        if "active" in changes:
            done["active"] = _set_active(user, changes["active"], by)
        if "org" in changes:
            org = _org(changes["org"]) if changes["org"] else None
            _set_primary(user, org, on)
            profile.org_id = _primary_on(user, today)
            done["org"] = org.code if org else None
        if "extra_orgs" in changes:
            codes = changes["extra_orgs"]
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes) or \
                    len(codes) > 100:
                raise InvalidInput(_("extra_orgs is a list of department codes."),
                                   code=Code.INVALID_ORGS, details={"at": "extra_orgs"})
            primary = _primary_on(user, on)
            wanted = {o.id: o for o in (_org(c) for c in codes) if o.id != primary}
            _set_extras(user, wanted, on)
            done["extra_orgs"] = sorted(o.code for o in wanted.values())
        profile.save()
        if done:
            done["valid_from"] = on.isoformat()
            audit.record(user=by, action="user_update", target=f"user:{user.get_username()}",
                         details=done)
    return user


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInput(_("The name is too long."), code=Code.INVALID_NAME)
    return name.strip()


def _set_active(user: Any, active: Any, by: Any) -> bool:
    if not isinstance(active, bool):
        raise InvalidInput(_("active must be true or false."), code=Code.INVALID_ACTIVE,
                           details={"at": "active"})
    if not active and by is not None and getattr(by, "pk", None) == user.pk:
        raise InvalidInput(_("You cannot deactivate your own account."), code=Code.SELF_DEACTIVATE)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    return active


def _org(code: Any) -> Org:
    org = Org.objects.filter(code=str(code)).first()
    if org is None:
        raise InvalidInput(_("There is no department with code 「%(code)s」.")
                           % {"code": str(code)[:64]}, code=Code.UNKNOWN_ORG)
    if org.abolished_on is not None:
        raise InvalidInput(_("The department 「%(code)s」 has been abolished.")
                           % {"code": org.code}, code=Code.ABOLISHED_ORG)
    return org


def _on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def _primary_on(user: Any, day: dt.date) -> int | None:
    return OrgMembership.objects.filter(_on(day), user=user, primary=True) \
        .values_list("org_id", flat=True).first()


def _set_primary(user: Any, org: Org | None, on: dt.date) -> None:
    """From `on`, the primary department is `org` (None: none); what was recorded from `on` on
    is replaced."""
    periods = OrgMembership.objects.filter(user=user, primary=True)
    periods.filter(valid_from__gte=on).delete()
    periods.filter(valid_from__lt=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on)) \
        .update(valid_to=on)
    if org is None:
        return
    # Back to the department held just before: the same period goes on (a move called off).
    previous = periods.filter(valid_to=on, org=org).first()
    if previous is not None:
        previous.valid_to = None
        previous.save(update_fields=["valid_to"])
    else:
        OrgMembership.objects.create(user=user, org=org, primary=True, valid_from=on)


def _set_extras(user: Any, wanted: dict[int, Org], on: dt.date) -> None:
    """From `on`, the extra departments are exactly `wanted`."""
    held = OrgMembership.objects.filter(user=user, primary=False) \
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
    kept: set[int] = set()
    for m in held:
        if m.org_id not in wanted or m.org_id in kept:
            if m.valid_from >= on:
                m.delete()  # it never took effect
            else:
                m.valid_to = on
                m.save(update_fields=["valid_to"])
        else:
            kept.add(m.org_id)
            if m.valid_from > on or m.valid_to is not None:
                m.valid_from, m.valid_to = min(m.valid_from, on), None
                m.save(update_fields=["valid_from", "valid_to"])
    OrgMembership.objects.bulk_create([
        OrgMembership(user=user, org=org, primary=False, valid_from=on)
        for oid, org in wanted.items() if oid not in kept])


def sync_primary(*, today: dt.date) -> int:
    """Set Profile.org to the primary department valid `today` where a dated move has come (or
    the last one ended without a next). Returns how many profiles changed."""
    current = OrgMembership.objects.filter(_on(today), primary=True)
    wanted = Subquery(current.filter(user_id=OuterRef("user_id")).values("org_id")[:1])
    moved = Profile.objects.filter(user_id__in=current.values("user_id")).annotate(wanted=wanted) \
        .filter(Q(org__isnull=True) | ~Q(org_id=F("wanted"))).values_list("id", "wanted")
    changed = 0
    for profile_id, org_id in list(moved):
        changed += Profile.objects.filter(id=profile_id).update(org_id=org_id)
    ever = OrgMembership.objects.filter(primary=True).values("user_id")
    changed += Profile.objects.exclude(org=None).filter(user_id__in=ever) \
        .exclude(user_id__in=current.values("user_id")).update(org=None)
    return changed
