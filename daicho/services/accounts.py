"""Users and API tokens. Tokens are random, shown once, and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.errors import Conflict, InvalidInput
from daicho.models import ApiToken, Org, Profile
from daicho.services import audit

TOKEN_PREFIX = "dc_"
LOGIN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_roles(roles: Any) -> list[str]:
    if roles is None:
        return []
    if not isinstance(roles, list) or len(roles) > 50 or not all(
            isinstance(r, str) and 1 <= len(r) <= 150 for r in roles):
        raise InvalidInput(_("roles is a list of role names (at most 150 characters each)."),
                           code="invalid_roles")
    return sorted(set(roles))


def create_user(*, login: Any, name: Any = "", org: Any = None, admin: bool = False,
                password: Any = None, roles: Any = None, by: Any = None) -> User:
    """`by` is the acting user, for the access log (None: the command line or the system)."""
    if not isinstance(login, str) or not 1 <= len(login) <= 150 or not set(login) <= LOGIN_CHARS:
        raise InvalidInput(_("A login is 1 to 150 ASCII letters, digits and . _ - @."),
                           code="invalid_login")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise InvalidInput(_("The name is too long."), code="invalid_name")
    role_names = clean_roles(roles)
    if password is not None and not isinstance(password, str):
        raise InvalidInput(_("The password must be text."), code="weak_password")
    org_obj = None
    if org:
        org_obj = Org.objects.filter(code=org).first()
        if org_obj is None:
            raise InvalidInput(_("There is no department with code 「%(code)s」.")
                               % {"code": str(org)[:64]}, code="unknown_org")
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=login).exists():
            raise Conflict(_("The login 「%(login)s」 is already used.") % {"login": login},
                           code="duplicate_login")
        user = user_model(username=login, is_staff=admin, is_superuser=admin)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, name=name or "", org=org_obj, roles=role_names)
        audit.record(user=by, action="user_create", target=f"user:{login}",
                     details={"org": org_obj.code if org_obj else None, "roles": role_names,
                              "admin": admin})
    return user


def create_token(*, user: User, label: str = "", read_only: bool = False) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, label=label[:200], prefix=token[:10],
                            key_hash=hash_token(token), read_only=read_only)
    return token


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        # Logged at most once a minute per token: the same throttle as last_used_at.
        ApiToken.objects.filter(id=record.id).update(last_used_at=now)
        audit.record(user=record.user, action="token_use", target=f"token:{record.prefix}")
    return record.user, record


def revoke_token(*, token_id: int, user: User) -> None:
    if ApiToken.objects.filter(id=token_id, user=user, revoked_at=None).update(
            revoked_at=timezone.now()):
        audit.record(user=user, action="token_revoke", target=f"token:{token_id}")
