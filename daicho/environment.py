"""Reads the environment described in contract §2 into plain values.

Kept free of Django imports so the CLI can resolve the data dir before Django starts.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlparse


@dataclass(frozen=True)
class DatabaseConfig:
    vendor: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""


# The data dir holds personal data: only the account daicho runs as may read it.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077


def data_dir() -> Path:
    path = Path(os.environ.get("DAICHO_DATA_DIR", "./var")).resolve()
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIR_MODE)
    return path


def files_dir() -> Path:
    """DAICHO_FILES_DIR: attachments, uploads waiting for an import and the generated secret
    key — what every server of one installation must share besides the database, so several
    servers on several hosts point it at one shared folder (docs/scale.md). Default: the data
    dir."""
    raw = os.environ.get("DAICHO_FILES_DIR", "").strip()
    if not raw:
        return data_dir()
    path = Path(raw).resolve()
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIR_MODE)
    return path


def temp_dir() -> Path:
    """DATA_DIR/tmp: uploads being received and every temporary file daicho makes, so that a
    copy of a ledger never lands in the machine's shared /tmp (`daicho check` reports
    leftovers of a killed process)."""
    path = data_dir() / "tmp"
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        path.chmod(PRIVATE_DIR_MODE)
    return path


def private_open(path: Path) -> BinaryIO:
    """A new file opened for writing with mode 0600, whatever the process's umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)  # an existing file keeps its mode through O_CREAT
    return os.fdopen(fd, "wb")


def private_process() -> None:
    """Called first by the `daicho` command and the WSGI entry point: every file and folder the
    process creates is its owner's alone whatever the umask it was started with (the SQLite
    database, its -wal and -shm, attachments, backups), and temporary files go to temp_dir()."""
    os.umask(PRIVATE_UMASK)
    try:
        tempfile.tempdir = str(temp_dir())
    except OSError:  # a data dir that cannot be written; the command will say so itself
        pass


def database() -> DatabaseConfig:
    url = os.environ.get("DAICHO_DATABASE_URL", "").strip()
    if not url:
        return DatabaseConfig("sqlite", str(data_dir() / "daicho.sqlite3"))
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/or/absolute/path
        path = unquote(url[len("sqlite://") :])
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:] if path.startswith("/./") else path
        return DatabaseConfig("sqlite", str(Path(path).resolve()))
    if parsed.scheme in ("postgres", "postgresql"):
        query = parse_qs(parsed.query)
        host = parsed.hostname or query.get("host", [""])[0]
        return DatabaseConfig(
            "postgresql",
            name=unquote(parsed.path.lstrip("/")) or "daicho",
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            host=host,
            port=str(parsed.port or query.get("port", [""])[0] or ""),
        )
    raise ValueError(f"DAICHO_DATABASE_URL: unsupported scheme {parsed.scheme!r}")


def secret_key() -> str:
    """DAICHO_SECRET_KEY, else the key generated once into the files dir: servers that share
    that folder (or the variable) accept each other's session cookies."""
    env = os.environ.get("DAICHO_SECRET_KEY")
    if env:
        return env
    path = files_dir() / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        except FileExistsError:  # another process wrote it meanwhile
            fd = -1
        if fd >= 0:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def allowed_hosts() -> list[str]:
    raw = os.environ.get("DAICHO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    return [h.strip() for h in raw.split(",") if h.strip()]


def _names(variable: str, default: str = "") -> list[str]:
    raw = os.environ.get(variable, default)
    return [n.strip() for n in raw.replace("、", ",").split(",") if n.strip()]


def two_factor() -> dict[str, object]:
    """DAICHO_2FA_ROLES (role names, comma-separated) and DAICHO_2FA_ADMINS (1: administrators):
    who must sign in with a second factor (daicho.services.twofactor)."""
    admins = os.environ.get("DAICHO_2FA_ADMINS", "").strip().lower()
    if admins not in ("", "0", "1", "yes", "no", "true", "false"):
        raise ValueError(f"DAICHO_2FA_ADMINS: 1 or 0, not {admins[:20]!r}")
    return {"admins": admins in ("1", "yes", "true"), "roles": _names("DAICHO_2FA_ROLES")}


def _networks(variable: str) -> list[str]:
    import ipaddress

    found = []
    for text in _names(variable):
        try:
            found.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ValueError(f"{variable}: {text[:60]!r} is not a network "
                             "such as 10.1.0.0/16") from None
    return found


def webhook_allowed_networks() -> list[str]:
    """DAICHO_WEBHOOK_ALLOWED_NETWORKS: comma-separated CIDRs that webhook URLs may point into
    although they are loopback, private or link-local addresses (empty: public addresses only;
    daicho.outbound)."""
    return _networks("DAICHO_WEBHOOK_ALLOWED_NETWORKS")


def admin_networks() -> list[str]:
    """DAICHO_ADMIN_NETWORKS: comma-separated CIDRs (empty: no restriction) from which the
    administration screens and privileged accounts may be used (daicho.networks)."""
    return _networks("DAICHO_ADMIN_NETWORKS")


def proxy_protocol_from() -> list[str]:
    """DAICHO_PROXY_PROTOCOL_FROM: comma-separated addresses or CIDRs of the load balancers in
    front of `daicho serve` that send the PROXY protocol header (HAProxy `send-proxy`, nginx
    `proxy_protocol on`): a connection from one of them may name the client's address, which
    then is the request's address (sign-in lockouts, the access log, DAICHO_ADMIN_NETWORKS).
    Empty: off, and a PROXY header is refused (docs/scale.md)."""
    return _networks("DAICHO_PROXY_PROTOCOL_FROM")


def admin_network_roles() -> list[str]:
    """DAICHO_ADMIN_NETWORK_ROLES: the roles whose holders, beside administrators, are bound to
    DAICHO_ADMIN_NETWORKS (default システム管理者)."""
    return _names("DAICHO_ADMIN_NETWORK_ROLES", "システム管理者")


def audit_retention_days() -> int | None:
    """DAICHO_AUDIT_RETENTION_DAYS: days the access log keeps an entry (`daicho audit prune`);
    unset, empty or "keep": forever."""
    raw = os.environ.get("DAICHO_AUDIT_RETENTION_DAYS", "").strip()
    if raw.lower() in ("", "keep"):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"DAICHO_AUDIT_RETENTION_DAYS: a number of days (1 or more) or keep, "
                         f"not {raw[:40]!r}")
    return int(raw)


def lock_timeout() -> float:
    """DAICHO_DB_LOCK_TIMEOUT: seconds a request waits for a database lock another writer holds
    (SQLite's busy timeout, PostgreSQL's lock_timeout) before it gives up with 503; default 30."""
    raw = os.environ.get("DAICHO_DB_LOCK_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        raise ValueError(f"DAICHO_DB_LOCK_TIMEOUT: not a number of seconds: {raw!r}") from None
    return min(max(value, 0.1), 600.0)


def audit_anchor_dir() -> Path | None:
    """DAICHO_AUDIT_ANCHOR_DIR: the folder the access log's chain head is appended to each day
    and on `daicho audit anchor` (unset: no file anchors). It belongs outside the data dir, on
    storage the database's administrators cannot rewrite."""
    raw = os.environ.get("DAICHO_AUDIT_ANCHOR_DIR", "").strip()
    return Path(raw).resolve() if raw else None


def audit_anchor_syslog() -> bool:
    """DAICHO_AUDIT_ANCHOR_SYSLOG=1: the chain head also goes to the system log (/dev/log)."""
    return os.environ.get("DAICHO_AUDIT_ANCHOR_SYSLOG", "").strip().lower() in ("1", "true", "yes")
