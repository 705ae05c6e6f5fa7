"""The administration network (DAICHO_ADMIN_NETWORKS): when it is set, the administration screens
(/manage/…, except one's own API tokens) and every use of a privileged account — administrators,
staff, and holders of DAICHO_ADMIN_NETWORK_ROLES — by session or API token work only from a
client address inside it; elsewhere the answer is 403 `network_not_allowed`.

The client address is REMOTE_ADDR, as the server saw the connection: gunicorn does not rewrite it
from X-Forwarded-For (daicho/server.py), so a header sent by a client cannot get past this."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import Forbidden
from daicho.models import Profile

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=4)
def _parsed(networks: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def _networks() -> tuple[IpNetwork, ...]:
    return _parsed(tuple(getattr(settings, "DAICHO_ADMIN_NETWORKS", None) or ()))


def restricted() -> bool:
    return bool(_networks())


def inside(ip: str) -> bool:
    """Whether `ip` may use the administration (always, when no network is set)."""
    networks = _networks()
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in n for n in networks)


def privileged(user: Any) -> bool:
    """Administrators, staff, and holders of the roles bound to the administration network."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    roles = set(getattr(settings, "DAICHO_ADMIN_NETWORK_ROLES", None) or ())
    if not roles:
        return False
    held = Profile.objects.filter(user=user).values_list("roles", flat=True).first() or []
    return bool(roles & {r for r in held if isinstance(r, str)})


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def refusal(request: HttpRequest) -> Forbidden:
    return Forbidden(_("This account or screen may be used only from the administration network "
                       "(your address: %(ip)s). Please ask the information systems section.")
                     % {"ip": client_ip(request)[:45]}, code=Code.NETWORK_NOT_ALLOWED)


def check_user(request: HttpRequest, user: Any) -> None:
    """Forbidden when `user` is privileged and the request comes from outside the network."""
    if restricted() and not inside(client_ip(request)) and privileged(user):
        raise refusal(request)


ADMIN_PREFIX = "/manage/"
OPEN_TO_ALL = ("/manage/tokens",)  # everyone's own API tokens


def is_admin_screen(path: str) -> bool:
    return path.startswith(ADMIN_PREFIX) and not path.startswith(OPEN_TO_ALL)
