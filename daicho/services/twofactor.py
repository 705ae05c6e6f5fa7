"""Two-factor sign-in with TOTP (RFC 6238: the authenticator apps) and one-time recovery codes.

Who must use it: administrators when DAICHO_2FA_ADMINS is on, and holders of the roles in
DAICHO_2FA_ROLES (settings.DAICHO_2FA); anyone else may enrol on their account screen. A code is
accepted once (`TwoFactor.last_step`), one step either side of now; recovery codes are kept only
as SHA-256 hashes and each works once. Every change is in the access log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from daicho.models import Profile, RecoveryCode, TwoFactor
from daicho.services import audit

ISSUER = "daicho"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to mistake


def required_for(user: Any) -> bool:
    """Whether the settings make this user use a second factor."""
    conf = getattr(settings, "DAICHO_2FA", {}) or {}
    if conf.get("admins") and (user.is_superuser or user.is_staff):
        return True
    roles = set(conf.get("roles") or ())
    if not roles:
        return False
    held = Profile.objects.filter(user=user).values_list("roles", flat=True).first() or []
    return bool(roles & {r for r in held if isinstance(r, str)})


def enrolled(user: Any) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def pending_secret(user: Any) -> str:
    """The secret of an enrolment under way (made now if there is none): the user adds it to
    their app and confirms it with a first code. An enrolled user keeps theirs until reset."""
    with transaction.atomic():
        found = TwoFactor.objects.select_for_update().filter(user=user).first()
        if found is not None and found.confirmed_at is not None:
            raise ValueError("already enrolled")
        if found is None:
            found = TwoFactor.objects.create(user=user, secret=pyotp.random_base32())
        return found.secret


def provisioning_uri(user: Any, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, made here (no network)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def _step_of(secret: str, code: str, at: float) -> int | None:
    """The time step whose code `code` is, looking one step either side of `at`."""
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = at + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def _clean_code(code: Any) -> str:
    """The code as typed, without spaces, hyphens and anything that cannot be in one."""
    text = str(code or "")[:100].lower()
    return "".join(c for c in text if c.isascii() and c.isalnum())[:40]


def confirm(*, user: Any, code: Any, request: Any = None) -> list[str] | None:
    """Finish an enrolment with the first code from the app: the new recovery codes, or None
    when the code is wrong."""
    digits = _clean_code(code)
    with transaction.atomic():
        found = TwoFactor.objects.select_for_update().filter(user=user,
                                                             confirmed_at=None).first()
        if found is None or not digits.isdigit():
            return None
        step = _step_of(found.secret, digits, time.time())
        if step is None:
            return None
        found.confirmed_at, found.last_step = timezone.now(), step
        found.save(update_fields=["confirmed_at", "last_step"])
        codes = _new_recovery_codes(user)
        audit.record(user=user, action="2fa_enrol", target=f"user:{user.get_username()}",
                     request=request, details={"login": user.get_username()})
    return codes


def verify(*, user: Any, code: Any, request: Any = None) -> bool:
    """The second step of a sign-in: a current code from the app (each accepted once) or an
    unused recovery code (used up by this)."""
    cleaned = _clean_code(code)
    if not cleaned:
        return False
    with transaction.atomic():
        found = TwoFactor.objects.select_for_update().filter(
            user=user, confirmed_at__isnull=False).first()
        if found is None:
            return False
        if cleaned.isdigit() and len(cleaned) == 6:
            step = _step_of(found.secret, cleaned, time.time())
            if step is None or step <= found.last_step:
                return False
            found.last_step = step
            found.save(update_fields=["last_step"])
            return True
        used = RecoveryCode.objects.filter(user=user, used_at=None,
                                           code_hash=_hash(cleaned)).update(used_at=timezone.now())
        if used:
            left = RecoveryCode.objects.filter(user=user, used_at=None).count()
            audit.record(user=user, action="2fa_recovery_used",
                         target=f"user:{user.get_username()}", request=request,
                         details={"login": user.get_username(), "codes_left": left})
        return bool(used)


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def new_recovery_codes(*, user: Any, request: Any = None) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(user=user, action="2fa_recovery_codes", target=f"user:{user.get_username()}",
                     request=request, details={"login": user.get_username()})
    return codes


def _new_recovery_codes(user: Any) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _c in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        RecoveryCode.objects.create(user=user, code_hash=_hash(raw))
    return codes


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def reset(*, user: Any, by: Any, request: Any = None) -> bool:
    """Remove the user's authenticator and recovery codes (a lost phone; an administrator, or
    the user themselves when not required to use it). They enrol again at their next sign-in
    if they must. Returns whether there was anything to remove."""
    with transaction.atomic():
        had, _counts = TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit.record(user=by, action="2fa_reset", target=f"user:{user.get_username()}",
                     request=request, details={"login": user.get_username(), "had": bool(had)})
    return bool(had)


def failed(*, user: Any, request: Any = None) -> None:
    audit.record(user=None, action="2fa_failed", target=f"login:{user.get_username()}",
                 request=request, details={"login": user.get_username()})
