"""Departments and users (contract §5): anyone signed in may list them; admins create them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Schema, Status

from daicho import access
from daicho.api import api
from daicho.errors import Forbidden
from daicho.models import Profile
from daicho.services import accounts, orgs


class OrgIn(Schema):
    code: Any = None
    name: Any = None
    parent_code: Any = None


class UserIn(Schema):
    login: Any = None
    name: Any = ""
    org: Any = None
    roles: Any = None
    password: Any = None


def _require_admin(request: HttpRequest) -> None:
    access.require_user(request.user)
    if not access.is_admin(request.user):
        raise Forbidden()


@api.get("/orgs", tags=["directory"])
def get_orgs(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return {"items": orgs.orgs_json()}


@api.post("/orgs", tags=["directory"], response={201: dict[str, Any]})
def post_org(request: HttpRequest, body: OrgIn) -> Status[dict[str, Any]]:
    _require_admin(request)
    org = orgs.create_org(code=body.code, name=body.name, parent_code=body.parent_code,
                          by=request.user)
    return Status(201, {"code": org.code, "name": org.name,
                        "parent_code": org.parent.code if org.parent else None})


def _user_json(user: Any, profile: Profile | None) -> dict[str, Any]:
    return {"login": user.username, "name": profile.name if profile else "",
            "org": profile.org.code if profile and profile.org else None,
            "roles": list(profile.roles) if profile else [], "admin": bool(user.is_superuser)}


@api.get("/users", tags=["directory"])
def get_users(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    profiles = {p.user_id: p for p in Profile.objects.select_related("org")}
    return {"items": [_user_json(u, profiles.get(u.id))
                      for u in get_user_model().objects.filter(is_active=True).order_by("username")]}


@api.post("/users", tags=["directory"], response={201: dict[str, Any]})
def post_user(request: HttpRequest, body: UserIn) -> Status[dict[str, Any]]:
    _require_admin(request)
    user = accounts.create_user(login=body.login, name=body.name, org=body.org, roles=body.roles,
                                password=body.password, by=request.user)
    return Status(201, _user_json(user, Profile.objects.select_related("org").get(user=user)))
