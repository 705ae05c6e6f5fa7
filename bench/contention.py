"""How busy the machine was while a figure was measured: CPU used by the benchmark's own
processes (this client, the servers, PostgreSQL) and by everything else. On a 2-core machine a
busy neighbour inflates latencies, so every figure carries this next to it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _procs() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, cpu ticks incl. reaped children, cmdline) for every readable process."""
    out: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime + stime + the CPU of children it has reaped (short-lived workers, such as
        # PostgreSQL's parallel workers, count for the parent that started them).
        ticks = sum(int(x) for x in fields[11:15])
        out[int(entry.name)] = (int(fields[1]), ticks, cmd)
    return out


def _busy_ticks() -> int:
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts[:8]) - idle


class Monitor:
    """Ours = this process and its descendants, plus processes whose command line mentions one
    of `markers` (e.g. the PostgreSQL data dir; its backends are the postmaster's children)."""

    def __init__(self, markers: list[str] | None = None) -> None:
        self.markers = markers or []
        self.start()

    def _ours(self, procs: dict[int, tuple[int, int, str]]) -> set[int]:
        roots = {os.getpid()} | {pid for pid, (_pp, _t, cmd) in procs.items()
                                 if any(m in cmd for m in self.markers)}
        ours = set(roots)
        changed = True
        while changed:
            changed = False
            for pid, (ppid, _t, _c) in procs.items():
                if ppid in ours and pid not in ours:
                    ours.add(pid)
                    changed = True
        return ours

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.busy0 = _busy_ticks()
        procs = _procs()
        self.ours0 = {pid: procs[pid][1] for pid in self._ours(procs)}

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        busy = _busy_ticks() - self.busy0
        procs = _procs()
        ours = 0
        for pid in self._ours(procs):
            ours += procs[pid][1] - self.ours0.get(pid, 0)
        capacity = wall * TICK * CORES
        others = max(0, busy - ours)
        return {
            "seconds": round(wall, 1),
            "cpu_ours_pct": round(100 * ours / capacity, 1) if capacity else None,
            "cpu_others_pct": round(100 * others / capacity, 1) if capacity else None,
            "loadavg_1m": float(Path("/proc/loadavg").read_text().split()[0]),
        }
