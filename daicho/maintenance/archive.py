"""The backup archive: one gzip-compressed tar file.

Layout:
    manifest.json              first, so a restore can refuse a wrong archive before reading on
    database/<dump>            the SQLite file or a `pg_dump -Fc` dump
    attachments/ab/abcdef…     the attachment bytes, under the same paths as in the data dir

The manifest lists every other member with its size and SHA-256; a restore verifies all of them
before it touches the target.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.maintenance import crypt

FORMAT = "daicho-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# Attachment bytes are mostly PDFs and images that do not shrink; level 6 keeps the database
# part small without spending minutes on them.
COMPRESS_LEVEL = 6
MAX_MANIFEST_BYTES = 256 * 1024 * 1024

# Member names come from an archive that may be hostile: only these shapes are accepted, so no
# name can climb out of the staging folder.
MEMBER_RE = re.compile(r"^(database/[a-z0-9_]+\.[a-z0-9]+|attachments/([A-Za-z0-9_-]{2})/"
                       r"([A-Za-z0-9_-]{2}[A-Za-z0-9._-]{0,62}))$")


def attachment_member(storage_name: str) -> str:
    return f"attachments/{storage_name[:2]}/{storage_name}"


def is_safe_member(name: str) -> bool:
    match = MEMBER_RE.match(name)
    if match is None:
        return False
    # attachments/<first two characters of the name>/<name>
    return match.group(2) is None or match.group(3).startswith(match.group(2))


def corrupt(reason: str, **details: Any) -> DaichoError:
    return InvalidInput(_("The backup file is damaged or incomplete: %(reason)s")
                        % {"reason": reason}, code=Code.CORRUPT_BACKUP, details=details)


@dataclass(frozen=True)
class Member:
    size: int
    sha256: str


def sha256_file(path: Path) -> Member:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Member(size, digest.hexdigest())


class HashingReader(io.RawIOBase):
    """Hashes what tarfile reads from a file, so attachment bytes are read only once."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class ArchiveWriter:
    """Writes the members of one archive in order; the caller owns the file object."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.tar = tarfile.open(fileobj=fileobj, mode="w:gz", compresslevel=COMPRESS_LEVEL,
                                format=tarfile.PAX_FORMAT)

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(time.time())
        info.mode = 0o600
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_file(self, name: str, path: Path) -> Member:
        """Adds the file as it is now; returns the size and hash of exactly what was written."""
        with path.open("rb") as fh:
            size = path.stat().st_size
            reader = HashingReader(fh)
            self.tar.addfile(self._info(name, size), reader)
        return Member(reader.size, reader.digest.hexdigest())

    def close(self) -> None:
        self.tar.close()


def _valid_files(files: Any) -> bool:
    if not isinstance(files, dict):
        return False
    for name, entry in files.items():
        if not is_safe_member(name) or not isinstance(entry, dict) or \
                set(entry) != {"size", "sha256"}:
            return False
        size, digest = entry["size"], entry["sha256"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or \
                not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            return False
    return True


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()


class ArchiveReader:
    """Reads an archive front to back once (a gzip stream cannot seek cheaply)."""

    def __init__(self, path: Path, secret: crypt.Secret | None = None) -> None:
        try:
            raw: IO[bytes] = path.open("rb")
        except FileNotFoundError:
            raise InvalidInput(_("There is no file %(file)s.") % {"file": str(path)},
                               code=Code.NOT_FOUND) from None
        except OSError as exc:
            raise corrupt(str(exc)) from None
        try:
            if raw.read(len(crypt.MAGIC)) == crypt.MAGIC:
                if secret is None:
                    raise InvalidInput(_("This backup is encrypted. Give the passphrase with "
                                         "--passphrase-stdin or the key with --key-file."),
                                       code=Code.ENCRYPTED_BACKUP)
                raw.seek(0)
                raw = crypt.DecryptingReader(raw, secret)  # type: ignore[assignment]
            else:
                raw.seek(0)
            self.tar = tarfile.open(fileobj=raw, mode="r|gz")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raw.close()
            raise corrupt(str(exc)) from None
        except BaseException:
            raw.close()
            raise
        self.raw = raw

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.tar.close()
        self.raw.close()

    def _next(self) -> tarfile.TarInfo | None:
        try:
            return self.tar.next()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise corrupt(str(exc)) from None

    def manifest(self) -> dict[str, Any]:
        info = self._next()
        if info is None or info.name != MANIFEST or not info.isfile() or \
                info.size > MAX_MANIFEST_BYTES:
            raise corrupt(_("it does not begin with a daicho manifest"))
        try:
            data = json.loads(self._read_all(info))
        except ValueError:
            raise corrupt(_("the manifest is not valid JSON")) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or \
                not _valid_files(data.get("files")):
            raise corrupt(_("it does not begin with a daicho manifest"))
        return data

    def _read_all(self, info: tarfile.TarInfo) -> bytes:
        handle = self.tar.extractfile(info)
        assert handle is not None
        return b"".join(iter(lambda: self._read_chunk(handle), b""))

    @staticmethod
    def _read_chunk(handle: IO[bytes]) -> bytes:
        # Only errors of reading the archive mean damage; a full disk while writing is not.
        try:
            return handle.read(CHUNK)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise corrupt(str(exc)) from None

    def extract_verified(self, files: dict[str, Any], into: Path) -> None:
        """Extracts every remaining member into `into`, each checked against the manifest."""
        seen: set[str] = set()
        while (info := self._next()) is not None:
            name = info.name
            if name in seen or name not in files or not info.isfile() or \
                    not is_safe_member(name):
                raise corrupt(_("unexpected member %(name)s") % {"name": name[:200]})
            seen.add(name)
            self._extract_one(info, Member(**files[name]), into / name)
        missing = sorted(set(files) - seen)
        if missing:
            raise corrupt(_("members are missing"), missing=missing[:20])

    def _extract_one(self, info: tarfile.TarInfo, expected: Member, target: Path) -> None:
        handle = self.tar.extractfile(info)
        assert handle is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with target.open("wb") as out:
            while chunk := self._read_chunk(handle):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != expected.size or digest.hexdigest() != expected.sha256:
            raise corrupt(_("the checksum of %(name)s does not match") % {"name": info.name},
                          member=info.name)
