"""Users and API tokens. Tokens are random, shown once, and stored only as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daicho.db import plain
from daicho.error_codes import Code
from daicho.errors import Conflict, Forbidden, InvalidInput
from daicho.models import ApiToken, Org, Profile
from daicho.services import audit, passwords

log = logging.getLogger(__name__)
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
                           code=Code.INVALID_ROLES)
    return sorted(set(roles))


def clean_email(email: Any) -> str:
    """A user's mail address for notifications ("" for none)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if email is None or email == "":
        return ""
    if not isinstance(email, str) or len(email) > 254:
        raise InvalidInput(_("Write a mail address such as taro@city.example.jp."),
                           code=Code.INVALID_EMAIL, details={"at": "email"})
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Write a mail address such as taro@city.example.jp."),
                           code=Code.INVALID_EMAIL, details={"at": "email"}) from None
    return email


def create_user(*, login: Any, name: Any = "", org: Any = None, admin: bool = False,
                password: Any = None, roles: Any = None, by: Any = None,
                email: Any = None) -> User:
    """`by` is the acting user, for the access log (None: the command line or the system)."""
    if not isinstance(login, str) or not 1 <= len(login) <= 150 or not set(login) <= LOGIN_CHARS:
        raise InvalidInput(_("A login is 1 to 150 ASCII letters, digits and . _ - @."),
                           code=Code.INVALID_LOGIN)
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise InvalidInput(_("The name is too long."), code=Code.INVALID_NAME)
    role_names = clean_roles(roles)
    address = clean_email(email)
    if password is not None and not isinstance(password, str):
        raise InvalidInput(_("The password must be text."), code=Code.WEAK_PASSWORD)
    org_obj = None
    if org:
        org_obj = Org.objects.filter(code=org).first()
        if org_obj is None:
            raise InvalidInput(_("There is no department with code 「%(code)s」.")
                               % {"code": str(org)[:64]}, code=Code.UNKNOWN_ORG)
        if org_obj.abolished_on is not None:
            raise InvalidInput(_("The department 「%(code)s」 has been abolished.")
                               % {"code": org_obj.code}, code=Code.ABOLISHED_ORG)
    from daicho.services import assignments  # it builds on this module

    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=login).exists():
            raise Conflict(_("The login 「%(login)s」 is already used.") % {"login": login},
                           code=Code.DUPLICATE_LOGIN)
        user = user_model(username=login, is_staff=admin, is_superuser=admin, email=address)
        if password:
            user.set_password(passwords.check_policy(password, login=login, name=name or ""))
        else:
            user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, name=name or "", org=org_obj, roles=role_names)
        assignments.record_joined(user=user, org=org_obj)
        audit.record(user=by, action="user_create", target=f"user:{login}",
                     details={"org": org_obj.code if org_obj else None, "roles": role_names,
                              "admin": admin})
    return user


def expiry_from_day(day_text: str) -> dt.datetime:
    """A token valid "until" a day works through that whole day (the server's time zone,
    Asia/Tokyo)."""
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        raise InvalidInput(_("Write the expiry date as YYYY-MM-DD."),
                           code=Code.INVALID_EXPIRY) from None
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def create_token(*, user: User, label: str = "", read_only: bool = False,
                 expires_at: dt.datetime | None = None, by: Any = None) -> str:
    """A new token for `user`: read-only (GET only) or read-write, expiring at `expires_at`
    (None: never). `by` is the acting user, for the access log (None: the command line)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("The expiry date must be in the future."), code=Code.INVALID_EXPIRY)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=user, label=label[:200], prefix=token[:10],
                                key_hash=hash_token(token), read_only=read_only,
                                expires_at=expires_at)
        audit.record(user=by, action="token_create", target=f"token:{token[:10]}",
                     details={"for": user.get_username(), "read_only": read_only,
                              "expires_at": expires_at.isoformat() if expires_at else None})
    return token


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    # Every API request runs this: read with a plain cursor (daicho.db.plain), not the ORM.
    found = plain.fetch(ApiToken, "key_hash = %s", [hash_token(token)])
    record = found[0] if found else None
    if record is None or record.revoked_at is not None:
        return None
    users = plain.fetch(User, "id = %s", [record.user_id])
    if not users or not users[0].is_active:
        return None
    record.user = users[0]
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


@dataclass(frozen=True)
class DirectoryEntry:
    """What the city's directory (LDAP / Active Directory) says about a user as they sign in."""

    login: str
    name: str = ""  # "" keeps the name daicho has
    org: str | None = None  # a department code
    decides_org: bool = False  # False: the department stays as set in daicho
    roles: frozenset[str] = frozenset()
    # The role names the directory decides (those its group map can give); others are kept.
    decided_roles: frozenset[str] = frozenset()
    admin: bool | None = None  # None: the directory does not decide who is an admin


def sync_directory_user(entry: DirectoryEntry, *, source: str = "ldap") -> User:
    """Create or update the user a directory has just vouched for, in one transaction, through
    the same writers as any other user change (create_user, assignments.update_user), which
    write the access log; nothing is written when nothing changed.

    A local account (one with a password of its own) is never taken over by a directory entry of
    the same login, and a deactivated user stays out: both raise Forbidden."""
    from daicho.services import assignments  # it builds on this module

    org_obj = None
    if entry.decides_org and entry.org:
        org_obj = Org.objects.filter(code=entry.org, abolished_on=None).first()
        if org_obj is None:
            # Signing in without the department shows less, never more; the admin sees why here.
            log.warning("%s: %s gives department %r, which daicho does not have", source,
                        entry.login, entry.org)
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(username=entry.login).first()
        if user is None:
            return create_user(login=entry.login, name=entry.name[:200],
                               org=org_obj.code if org_obj else None, roles=sorted(entry.roles),
                               admin=bool(entry.admin))
        if user.has_usable_password():
            raise Forbidden(_("「%(login)s」 is a local account with its own password.")
                            % {"login": entry.login}, code=Code.LOCAL_ACCOUNT)
        if not user.is_active:
            raise Forbidden(_("The user 「%(login)s」 is deactivated.") % {"login": entry.login},
                            code=Code.INACTIVE_USER)
        profile, _created = Profile.objects.get_or_create(user=user)
        changes: dict[str, Any] = {}
        if entry.name and entry.name[:200] != profile.name:
            changes["name"] = entry.name[:200]
        if entry.decides_org and profile.org_id != (org_obj.id if org_obj else None):
            changes["org"] = org_obj.code if org_obj else None
        roles = sorted((set(profile.roles) - entry.decided_roles) | entry.roles)
        if set(roles) != set(profile.roles):
            changes["roles"] = roles
        if changes:
            assignments.update_user(login=entry.login, changes=changes, by=None)
        if entry.admin is not None and entry.admin != user.is_superuser:
            user.is_superuser = user.is_staff = entry.admin
            user.save(update_fields=["is_superuser", "is_staff"])
            audit.record(user=None, action="user_update", target=f"user:{entry.login}",
                         details={"admin": entry.admin})
    return user
