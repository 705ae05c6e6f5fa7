"""Anchors of the access log: its chain head written outside the database.

Whoever can write the database can rewrite the whole chain and its head consistently; the chain
alone cannot show that. An anchor is the head at one moment (seq, hash, time) written where the
database's writers cannot reach: a file in DAICHO_AUDIT_ANCHOR_DIR (a folder on another disk or
share, writable by daicho, which only appends) and/or a line to the system log
(DAICHO_AUDIT_ANCHOR_SYSLOG=1, for a log server that keeps its own copy). Any rewrite or cut of
the chain at or before an anchored entry then shows: `daicho audit verify --anchors DIR`.
Entries written after the newest anchor are covered by the next one (daily, by the job thread
of each server, and on `daicho audit anchor`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import socket
from pathlib import Path
from typing import Any

from django.utils import timezone

from daicho import environment, jobs
from daicho.models import AuditEvent, AuditHead
from daicho.services.audit import CHECKPOINT_ID, GENESIS, HEAD_ID

ANCHOR_EVERY = dt.timedelta(days=1)
FILE_GLOB = "daicho-audit-anchors-*.jsonl"
log = logging.getLogger("daicho.audit.anchor")


def head() -> dict[str, Any]:
    """The chain head now: the last entry's seq, hash and time."""
    found = AuditHead.objects.filter(id=HEAD_ID).first()
    seq, digest = (found.seq, found.hash or GENESIS) if found else (0, GENESIS)
    event = AuditEvent.objects.filter(seq=seq).values("at").first() if seq else None
    return {"seq": seq, "hash": digest,
            "at": event["at"].isoformat() if event else None}


def anchor(*, directory: Path | None = None, syslog: bool | None = None) -> dict[str, Any]:
    """Write the chain head to the configured places; returns it with where it went."""
    folder = directory if directory is not None else environment.audit_anchor_dir()
    to_syslog = environment.audit_anchor_syslog() if syslog is None else syslog
    entry = {**head(), "anchored_at": timezone.now().isoformat(), "host": socket.gethostname()}
    written: list[str] = []
    if folder is not None:
        written.append(str(_append(folder, entry)))
    if to_syslog:
        _syslog(entry)
        written.append("syslog")
    return {**entry, "written_to": written}


def _append(folder: Path, entry: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"daicho-audit-anchors-{timezone.localdate():%Y-%m}.jsonl"
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, environment.PRIVATE_FILE_MODE)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def _syslog(entry: dict[str, Any]) -> None:
    handler = logging.handlers.SysLogHandler(address="/dev/log")
    try:
        handler.handle(logging.makeLogRecord({
            "name": "daicho", "levelno": logging.INFO, "levelname": "INFO",
            "msg": "daicho audit anchor seq=%s hash=%s at=%s",
            "args": (entry["seq"], entry["hash"], entry["at"])}))
    finally:
        handler.close()


def read_anchors(folder: Path) -> list[dict[str, Any]]:
    """Every anchor in the folder's files; a line that is not an anchor is reported as such."""
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob(FILE_GLOB)):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                seq, digest = int(item["seq"]), str(item["hash"])
            except (ValueError, TypeError, KeyError):
                found.append({"file": path.name, "line": number, "bad": True})
                continue
            found.append({"file": path.name, "line": number, "seq": seq, "hash": digest})
    return found


def check(folder: Path) -> dict[str, Any]:
    """Compare the chain with every anchor: the entry an anchor names must still be there with
    the same hash (`anchor_mismatch` when it was rewritten), or have been pruned through the
    retention checkpoint; a chain that ends before an anchored entry was cut
    (`anchor_truncated`)."""
    anchors = read_anchors(folder)
    problems: list[dict[str, Any]] = []
    current = AuditHead.objects.filter(id=HEAD_ID).first()
    head_seq = current.seq if current else 0
    checkpoint = AuditHead.objects.filter(id=CHECKPOINT_ID).first()
    pruned_through = checkpoint.seq if checkpoint else 0
    wanted = {a["seq"] for a in anchors if not a.get("bad")}
    hashes = dict(AuditEvent.objects.filter(seq__in=wanted).values_list("seq", "hash"))
    for a in anchors:
        if a.get("bad"):
            problems.append({"seq": None, "problem": "anchor_unreadable",
                             "file": a["file"], "line": a["line"]})
            continue
        seq, digest = a["seq"], a["hash"]
        if seq == 0:
            continue  # anchored while the log was empty
        if seq > head_seq:
            problems.append({"seq": seq, "problem": "anchor_truncated", "file": a["file"]})
        elif seq in hashes:
            if hashes[seq] != digest:
                problems.append({"seq": seq, "problem": "anchor_mismatch", "file": a["file"]})
        elif seq == pruned_through:
            if checkpoint is None or checkpoint.hash != digest:
                problems.append({"seq": seq, "problem": "anchor_mismatch", "file": a["file"]})
        elif seq > pruned_through:
            problems.append({"seq": seq, "problem": "anchor_missing", "file": a["file"]})
    return {"ok": not problems, "anchors": len(anchors), "problems": problems[:100]}


ANCHOR_CHECK_SECONDS = 3600


@jobs.every(ANCHOR_CHECK_SECONDS)
def _check() -> None:
    """The job worker's hourly look (a failing anchor is tried again in an hour)."""
    anchor_if_due()  # the access log's chain head, written outside once a day


def anchor_if_due() -> dict[str, Any] | None:
    """The job thread's daily anchor: written when anchoring is configured and the newest anchor
    in the folder (or, with syslog only, of this process) is a day old."""
    folder = environment.audit_anchor_dir()
    if folder is None and not environment.audit_anchor_syslog():
        return None
    last = _last_anchored(folder)
    if last is not None and timezone.now() - last < ANCHOR_EVERY:
        return None
    result = anchor()
    _state["last"] = timezone.now()
    return result


_state: dict[str, dt.datetime] = {}


def _last_anchored(folder: Path | None) -> dt.datetime | None:
    if folder is None or not folder.is_dir():
        return _state.get("last")
    newest: dt.datetime | None = None
    for path in sorted(folder.glob(FILE_GLOB))[-1:]:
        for line in path.read_text(errors="replace").splitlines()[-1:]:
            try:
                newest = dt.datetime.fromisoformat(json.loads(line)["anchored_at"])
            except (ValueError, TypeError, KeyError):
                newest = None
    return newest
