"""Accounts (contract §10): one's own password; for administrators, a user's password, sign-in
locks and two-step sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, update_session_auth_hash
from django.http import HttpRequest
from ninja import Schema

from daicho.api import api, schemas
from daicho.api.directory import _require_admin
from daicho.error_codes import Code
from daicho.errors import NotFound
from daicho.services import passwords, signin, twofactor


class PasswordChangeIn(Schema):
    old: Any = None
    new: Any = None


class PasswordSetIn(Schema):
    new: Any = None


@api.post("/me/password", tags=["accounts"], response=schemas.PasswordChanged, exclude_unset=True)
def post_my_password(request: HttpRequest, body: PasswordChangeIn) -> dict[str, Any]:
    """Change one's own password: `{"old", "new"}`. A wrong old password counts as a failed
    sign-in from this address; the new one must pass the password policy."""
    passwords.change_own(user=request.user, old=body.old, new=body.new, request=request)
    if request.session.session_key:
        user: Any = request.user
        update_session_auth_hash(request, user)  # this session stays signed in
    return {"changed": True}


def _user(login: str) -> Any:
    user = get_user_model().objects.filter(username=login).first()
    if user is None:
        raise NotFound(code=Code.UNKNOWN_USER)
    return user


@api.post("/users/{login}/password", tags=["accounts"], response=schemas.UserPasswordChanged,
          exclude_unset=True)
def post_user_password(request: HttpRequest, login: str, body: PasswordSetIn) -> dict[str, Any]:
    """Set a user's password (administrators); it clears the user's sign-in locks."""
    _require_admin(request)
    passwords.set_password(login=_user(login).get_username(), password=body.new, by=request.user)
    return {"login": login, "changed": True}


@api.get("/users/{login}/signin", tags=["accounts"], response=schemas.SignInState,
         exclude_unset=True)
def get_user_signin(request: HttpRequest, login: str) -> dict[str, Any]:
    """The user's sign-in state: locks per address, two-step sign-in (administrators)."""
    _require_admin(request)
    user = _user(login)
    return {"login": login, "two_factor": twofactor.enrolled(user),
            "two_factor_required": twofactor.required_for(user),
            "locks": [{"ip": lock.ip, "failures": lock.failures, "locked": lock.locked,
                       "locked_until": lock.locked_until.isoformat() if lock.locked_until else None}
                      for lock in signin.locks_of(login)]}


@api.post("/users/{login}/unlock", tags=["accounts"], response=schemas.Unlocked,
          exclude_unset=True)
def post_user_unlock(request: HttpRequest, login: str) -> dict[str, Any]:
    """Clear every sign-in lock and failure count of the user (administrators)."""
    _require_admin(request)
    return {"login": login, "unlocked": signin.unlock(login=_user(login).get_username(),
                                                      by=request.user)}


@api.post("/users/{login}/2fa/reset", tags=["accounts"], response=schemas.TwoFactorReset,
          exclude_unset=True)
def post_user_2fa_reset(request: HttpRequest, login: str) -> dict[str, Any]:
    """Remove the user's authenticator and recovery codes (administrators)."""
    _require_admin(request)
    return {"login": login, "reset": twofactor.reset(user=_user(login), by=request.user,
                                                     request=request)}
