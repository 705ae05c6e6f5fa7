"""A real OpenLDAP slapd for tests/permissions/test_ldap.py: configured from slapd.conf in a
temporary directory, listening on a free loopback port (plain LDAP with StartTLS, from a test CA
made here with openssl), loaded with city.ldif through ldapadd, stopped by `stop()`.

Each pytest-xdist worker starts its own: the directory is per worker and the port is free."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
SLAPD = Path("/usr/sbin/slapd")
BASE = "dc=city,dc=example"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
SERVICE_DN = f"cn=daicho,ou=services,{BASE}"
SERVICE_PASSWORD = "service-secret"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "admin-secret"
DEBIAN_PACKAGES = "slapd ldap-utils openssl"


class SlapdUnavailable(RuntimeError):
    pass


def group(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def person(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


@dataclass
class Slapd:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def modify(self, ldif: str) -> None:
        """Change the directory as its administrator would (ldapmodify, LDIF change records)."""
        _run(["ldapmodify", "-x", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
             stdin=ldif)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _run(args: list[str], stdin: str = "", cwd: Path | None = None) -> None:
    proc = subprocess.run(args, input=stdin.encode(), capture_output=True, cwd=cwd, timeout=60,
                          check=False)
    if proc.returncode != 0:
        raise SlapdUnavailable(f"{' '.join(args[:2])} failed ({proc.returncode}): "
                               f"{(proc.stderr or proc.stdout).decode(errors='replace')[-2000:]}")


def _missing() -> list[str]:
    found = [] if SLAPD.exists() else [str(SLAPD)]
    return found + [tool for tool in ("ldapadd", "ldapmodify", "openssl") if not shutil.which(tool)]


def _certificates(directory: Path) -> None:
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
          "-subj", "/CN=daicho test CA", "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=directory)
    _run(["openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
          "-subj", "/CN=127.0.0.1"], cwd=directory)
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n"
                                          "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
         cwd=directory)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: stop slapd if the test process dies without stopping it."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(directory: Path) -> Slapd:
    """Raises SlapdUnavailable, saying what is missing or what slapd said."""
    missing = _missing()
    if missing:
        raise SlapdUnavailable(
            f"the LDAP tests need a real OpenLDAP server; missing: {', '.join(missing)}. "
            f"Install the Debian packages {DEBIAN_PACKAGES} (scripts/system-deps.sh does).")
    _certificates(directory)
    tls = "\n".join([f"TLSCACertificateFile {directory}/ca.pem",
                     f"TLSCertificateFile {directory}/server.pem",
                     f"TLSCertificateKeyFile {directory}/server.key"])
    conf = directory / "slapd.conf"
    conf.write_text(Template((HERE / "slapd.conf").read_text()).substitute(dir=directory, tls=tls))
    (directory / "data").mkdir()
    log = directory / "slapd.log"
    for _attempt in range(3):  # another process may take the free port before slapd does
        port = _free_port()
        with log.open("wb") as out:
            # -d 0: stay in the foreground, so that terminate() stops it.
            process = subprocess.Popen([str(SLAPD), "-f", str(conf), "-h",
                                        f"ldap://127.0.0.1:{port}/", "-d", "0"],
                                       stdout=out, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        while process.poll() is None and not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None and _listening(port):
            server = Slapd(directory, port, process)
            try:
                _run(["ldapadd", "-x", "-H", server.uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD,
                      "-f", str(HERE / "city.ldif")])
            except SlapdUnavailable:
                server.stop()
                raise
            return server
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    raise SlapdUnavailable(f"slapd did not start: {log.read_text(errors='replace')[-2000:]}")
