"""Requests that leave the server (webhook deliveries), safe against server-side request forgery.

A URL may point only at public addresses, unless DAICHO_WEBHOOK_ALLOWED_NETWORKS covers the
address. The host name is resolved and every address it resolves to is checked when a hook is
saved (`check_url`) and again for each request (`post`), and the request connects to the very
address that was checked, so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot redirect it. Redirects are never followed; a request has a deadline as a
whole (a receiver that answers one byte at a time is cut off), and at most `MAX_RESPONSE_BYTES`
of the answer are read."""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_URL_LENGTH = 2000
CONNECT_SECONDS = 5.0
DEADLINE_SECONDS = 15.0  # the whole request: connect, send, headers and body of the answer
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None when no answer came
    body: bytes
    error: str  # why it failed without an answer ("" when an answer came)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@functools.lru_cache(maxsize=4)
def _parsed(networks: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def _allowed_networks() -> tuple[IpNetwork, ...]:
    return _parsed(tuple(getattr(settings, "DAICHO_WEBHOOK_ALLOWED_NETWORKS", None) or ()))


def address_allowed(text: str) -> bool:
    """Whether a request may go to this address: a public one, or one the allowed networks
    cover (loopback, private, link-local, shared, reserved and multicast addresses are not
    public)."""
    try:
        address: IpAddress = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in n for n in _allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def _bad_url(message: str) -> InvalidInput:
    return InvalidInput(message, code=Code.INVALID_WEBHOOK_URL)


def parse_url(url: object) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL without user name or password; 400
    `invalid_webhook_url` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise _bad_url(_("Please enter the webhook URL (http:// or https://)."))
    url = url.strip()
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise _bad_url(_("The webhook URL is too long or contains spaces or control characters."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _bad_url(_("A webhook URL must begin with http:// or https://."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _bad_url(_("The port number in the webhook URL is not valid.")) from None
    if not parts.hostname:
        raise _bad_url(_("The webhook URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise _bad_url(_("A webhook URL may not contain a user name or password; the signature "
                         "with the secret proves who is sending."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(url: object) -> Target:
    """The URL with every address its host resolves to, each checked (`address_allowed`).
    400 `webhook_host_unresolvable` when the name does not resolve, 400
    `webhook_address_not_allowed` when one of its addresses is not allowed."""
    scheme, host, port, path = parse_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InvalidInput(_("The host name %(host)s of the webhook URL could not be resolved.")
                           % {"host": host[:100]}, code=Code.WEBHOOK_HOST_UNRESOLVABLE) from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in found))
    refused = [a for a in addresses if not address_allowed(a)]
    if refused or not addresses:
        raise InvalidInput(
            _("The webhook URL points to an address inside the network (%(address)s: loopback, "
              "private or link-local). Such addresses may be used only when the administrator "
              "allows them in DAICHO_WEBHOOK_ALLOWED_NETWORKS.")
            % {"address": (refused or [host])[0][:60]},
            code=Code.WEBHOOK_ADDRESS_NOT_ALLOWED, details={"address": (refused or [host])[0][:60]})
    return Target(scheme, host, port, path, addresses)


check_url = resolve  # saving a hook checks exactly what a delivery checks


class _Pinned(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=CONNECT_SECONDS)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is verified for the host name."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=CONNECT_SECONDS, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _cut(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    """Wake a request blocked on its socket (closing it from another thread would not)."""
    fired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` after checking its addresses again; never raises for what the
    receiver or the network does."""
    try:
        target = resolve(url)
    except InvalidInput as exc:
        return Outcome(None, b"", exc.message)
    error = ""
    for address in target.addresses:
        outcome = _post_to(target, address, body, headers)
        if outcome.status is not None:
            return outcome
        error = outcome.error
    return Outcome(None, b"", error)


def _post_to(target: Target, address: str, body: bytes, headers: dict[str, str]) -> Outcome:
    kind = _PinnedTls if target.scheme == "https" else _Pinned
    conn = kind(target.host, target.port, address)
    # The deadline closes the socket from outside: per-operation timeouts alone would let a
    # receiver that sends a byte every few seconds hold the worker for ever.
    fired = threading.Event()
    timer = threading.Timer(DEADLINE_SECONDS, _cut, (conn, fired))
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(MAX_RESPONSE_BYTES)
        return Outcome(response.status, data, "")
    except ssl.SSLError as exc:
        return Outcome(None, b"", _("TLS error: %(reason)s") % {"reason": str(exc)[:150]})
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if fired.is_set():
            return Outcome(None, b"", _("No answer within %(n)d seconds.")
                           % {"n": int(DEADLINE_SECONDS)})
        return Outcome(None, b"", _("Could not connect: %(reason)s")
                       % {"reason": (str(exc) or type(exc).__name__)[:150]})
    finally:
        timer.cancel()
        conn.close()
