"""The benchmark's own PostgreSQL server (not scripts/with-postgres.sh, which turns fsync off for
tests): initdb once into DIR/data, then start/stop it with pg_ctl. Durability settings are
PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on); only memory is sized for
this 24 GB machine. PostgreSQL refuses to run as root, so as root it runs as `postgres`."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
}


def pg_bin() -> Path | None:
    env = os.environ.get("PGBIN")
    candidates = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                         key=lambda p: int(p.split("/")[-2]))[::-1]
    for c in candidates:
        if c and (Path(c) / "initdb").exists():
            return Path(c)
    return None


class Postgres:
    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        binary = pg_bin()
        if binary is None:
            raise RuntimeError("PostgreSQL binaries not found (make system-deps)")
        self.bin = binary
        self.as_pg: list[str] = []
        if os.geteuid() == 0:
            self.as_pg = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://daicho@127.0.0.1:{self.port}/daicho"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_pg, *args], check=check, capture_output=True, text=True)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_pg:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "daicho",
                      "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        opts = " ".join([f"-p {self.port}", f"-k {self.root}"]
                        + [f"-c {k}={v}" for k, v in SETTINGS.items()])
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-w", "-o", opts, "start")
        exists = self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                           "-U", "daicho", "-d", "postgres", "-tAc",
                           "SELECT 1 FROM pg_database WHERE datname = 'daicho'").stdout.strip()
        if exists != "1":
            self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                      "-U", "daicho", "daicho")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop",
                  check=False)

    def version(self) -> str:
        out = self._run(str(self.bin / "postgres"), "--version", check=False).stdout
        return out.strip()

    def settings_report(self) -> dict[str, str]:
        names = ["fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers",
                 "work_mem", "effective_cache_size", "jit", "max_parallel_workers_per_gather",
                 "random_page_cost"]
        sql = ("SELECT name, current_setting(name) FROM pg_settings WHERE name IN ("
               + ", ".join(f"'{n}'" for n in names) + ")")
        out = self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "daicho", "-d", "daicho", "-tAF", "=", "-c", sql, check=False).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
