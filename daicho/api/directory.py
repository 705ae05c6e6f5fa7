"""Departments, users and roles (contract §5): anyone signed in may list them; admins and
system administrators (システム管理者) change them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status

from daicho import access
from daicho.api import Body, api, schemas
from daicho.error_codes import Code
from daicho.errors import Forbidden, InvalidInput, NotFound
from daicho.models import Profile
from daicho.selectors import orgs as org_sel
from daicho.services import accounts, assignments, ledger_creators, orgs


class OrgIn(Body):
    code: Any = None
    name: Any = None
    parent_code: Any = None
    valid_from: Any = None


class OrgChangeIn(Body):
    name: Any = None
    parent_code: Any = None
    abolished: Any = False
    valid_from: Any = None


class UserChangeIn(Body):
    name: Any = None
    org: Any = None
    extra_orgs: Any = None
    roles: Any = None
    active: Any = None
    valid_from: Any = None


class UserIn(Body):
    login: Any = None
    name: Any = ""
    org: Any = None
    roles: Any = None
    password: Any = None
    email: Any = None


def _require_admin(request: HttpRequest) -> None:
    access.require_user(request.user)
    if not access.administers_directory(request.user):
        raise Forbidden()


@api.get("/orgs", tags=["directory"], response=schemas.OrgList, exclude_unset=True)
def get_orgs(request: HttpRequest, as_of: str | None = None) -> dict[str, Any]:
    """Today's departments; `as_of=YYYY-MM-DD`: the tree on that day (scheduled changes
    included for a later day), each with valid_from and valid_to."""
    access.require_user(request.user)
    return {"items": orgs.orgs_json(as_of=as_of)}


@api.post("/orgs", tags=["directory"], response={201: schemas.OrgOut}, exclude_unset=True)
def post_org(request: HttpRequest, body: OrgIn) -> Status[dict[str, Any]]:
    _require_admin(request)
    org = orgs.create_org(code=body.code, name=body.name, parent_code=body.parent_code,
                          valid_from=body.valid_from, by=request.user)
    out: dict[str, Any] = {"code": org.code, "name": org.name, "parent_code": org.parent_code}
    if body.valid_from is not None:
        out.update(valid_from=org.valid_from.isoformat(), scheduled=org.scheduled)
    return Status(201, out)


@api.patch("/orgs/{code}", tags=["directory"],
           response=schemas.OrgChanged | schemas.OrgAbolished, exclude_unset=True)
def patch_org(request: HttpRequest, code: str, body: OrgChangeIn) -> dict[str, Any]:
    """Rename, move or (`"abolished": true`) abolish a department from valid_from (today)."""
    _require_admin(request)
    given = body.model_dump(exclude_unset=True)
    if not isinstance(body.abolished, bool):
        raise InvalidInput(_("abolished must be true or false."), code=Code.INVALID_ABOLISHED,
                           details={"at": "abolished"})
    state = orgs.change_org(code=code, name=given.get("name"),
                            parent_code=given.get("parent_code", orgs.KEEP),
                            abolish=body.abolished is True, valid_from=body.valid_from,
                            by=request.user)
    if state is None:
        return {"code": code, "abolished": True,
                "valid_from": (orgs.parse_day(body.valid_from) or timezone.localdate()).isoformat()}
    return {**state.as_json(), "abolished": False, "scheduled": state.scheduled}


@api.get("/orgs/{code}/history", tags=["directory"], response=schemas.OrgList,
         exclude_unset=True)
def get_org_history(request: HttpRequest, code: str) -> dict[str, Any]:
    """Every state of one department, oldest first; scheduled ones say so."""
    access.require_user(request.user)
    states = org_sel.history(code)
    if not states:
        raise NotFound(code=Code.UNKNOWN_ORG)
    return {"items": [{**s.as_json(), "scheduled": s.scheduled} for s in states]}


@api.get("/roles", tags=["directory"], response=schemas.RoleList, exclude_unset=True)
def get_roles(request: HttpRequest) -> dict[str, Any]:
    """The role names in use, システム管理者 and 台帳管理者 first, with how many hold each."""
    access.require_user(request.user)
    return {"items": [{"name": name, "users": len(logins)}
                      for name, logins in org_sel.roles_in_use()]}


def _user_json(user: Any, profile: Profile | None) -> dict[str, Any]:
    return {"login": user.username, "name": profile.name if profile else "",
            "org": profile.org.code if profile and profile.org else None,
            "roles": list(profile.roles) if profile else [], "admin": bool(user.is_superuser)}


@api.get("/users", tags=["directory"], response=schemas.UserList, exclude_unset=True)
def get_users(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    profiles = {p.user_id: p for p in Profile.objects.select_related("org")}
    return {"items": [_user_json(u, profiles.get(u.id))
                      for u in get_user_model().objects.filter(is_active=True).order_by("username")]}


@api.post("/users", tags=["directory"], response={201: schemas.UserCreated}, exclude_unset=True)
def post_user(request: HttpRequest, body: UserIn) -> Status[dict[str, Any]]:
    _require_admin(request)
    user = accounts.create_user(login=body.login, name=body.name, org=body.org, roles=body.roles,
                                password=body.password, by=request.user, email=body.email)
    return Status(201, {**_user_json(user, Profile.objects.select_related("org").get(user=user)),
                        "email": user.email})


def _user_detail(user: Any) -> dict[str, Any]:
    return {**_user_json(user, Profile.objects.select_related("org").filter(user=user).first()),
            "active": user.is_active, "email": user.email,
            "extra_orgs": [o.code for o in org_sel.extra_orgs_of(user.pk)],
            "org_history": [{"org": m.org.code, "name": m.org.name, "primary": m.primary,
                             "valid_from": m.valid_from.isoformat(),
                             "valid_to": m.valid_to.isoformat() if m.valid_to else None}
                            for m in org_sel.memberships_of(user.pk)]}


@api.get("/users/{login}", tags=["directory"], response=schemas.UserDetail, exclude_unset=True)
def get_user(request: HttpRequest, login: str) -> dict[str, Any]:
    """One user with their extra departments and department history (admins, or themselves)."""
    access.require_user(request.user)
    if login != request.user.get_username():
        _require_admin(request)
    user = get_user_model().objects.filter(username=login).first()
    if user is None:
        raise NotFound(code=Code.UNKNOWN_USER)
    return _user_detail(user)


@api.patch("/users/{login}", tags=["directory"], response=schemas.UserDetail, exclude_unset=True)
def patch_user(request: HttpRequest, login: str, body: UserChangeIn) -> dict[str, Any]:
    """Change name, roles, active, and the primary (`org`) and extra departments from
    valid_from (today): a later date schedules the move."""
    _require_admin(request)
    user = assignments.update_user(login=login, changes=body.model_dump(exclude_unset=True),
                                   by=request.user)
    return _user_detail(user)


class LedgerCreatorsIn(Body):
    subjects: Any = None


@api.get("/ledger-creators", tags=["directory"], response=schemas.SubjectList, exclude_unset=True)
def get_ledger_creators(request: HttpRequest) -> dict[str, Any]:
    """Who may create ledgers besides administrators (docs/permissions.md)."""
    _require_admin(request)
    return {"subjects": access.ledger_creator_subjects()}


@api.put("/ledger-creators", tags=["directory"], response=schemas.SubjectList, exclude_unset=True)
def put_ledger_creators(request: HttpRequest, body: LedgerCreatorsIn) -> dict[str, Any]:
    return {"subjects": ledger_creators.set_ledger_creators(user=request.user,
                                                            subjects=body.subjects)}
