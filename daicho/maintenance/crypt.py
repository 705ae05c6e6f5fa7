"""Encrypted backups (`daicho backup --encrypt`, `daicho restore`): AES-256-GCM in chunks.

A backup can be gigabytes, so it is encrypted as a stream in memory of one chunk: the STREAM
construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as `age` and Tink use it. The file is

    header   MAGIC, kind (1 passphrase, 2 key file), scrypt log2(n), r, p, salt (16),
             nonce prefix (7)
    chunks   AES-GCM(key, nonce = prefix ‖ counter (4, big-endian) ‖ last (1), chunk,
             associated data = header); every chunk but the last holds exactly CHUNK bytes

Each chunk is authenticated before a byte of it is used; the counter in the nonce refuses
reordered or dropped chunks, the `last` flag a file cut short, and the header as associated data
a changed header. The key is derived with scrypt from a passphrase, or with HKDF-SHA256 from the
contents of a key file (random bytes the city keeps apart from the backups).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import InvalidInput

MAGIC = b"DAICHO-ENC-1\n"
PASSPHRASE, KEY_FILE = 1, 2
CHUNK = 1024 * 1024
TAG = 16
# scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB of memory and about 0.1 s, once per backup.
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
MIN_PASSPHRASE = 12
MIN_KEY_FILE = 32
_HEADER = struct.Struct(f">{len(MAGIC)}sBBBB16s7s")


@dataclass(frozen=True)
class Secret:
    """What the key is derived from: a passphrase, or the contents of a key file."""

    kind: int
    material: bytes

    @classmethod
    def passphrase(cls, text: str) -> Secret:
        if len(text) < MIN_PASSPHRASE:
            raise InvalidInput(_("The passphrase must be at least %(n)d characters long.")
                               % {"n": MIN_PASSPHRASE}, code=Code.WEAK_PASSPHRASE)
        return cls(PASSPHRASE, text.encode())

    @classmethod
    def key_file(cls, path: Path) -> Secret:
        try:
            material = path.read_bytes().strip()
        except OSError:
            raise InvalidInput(_("The key file %(file)s cannot be read.") % {"file": path},
                               code=Code.INVALID_KEY_FILE) from None
        if len(material) < MIN_KEY_FILE:
            raise InvalidInput(_("The key file must hold at least %(n)d bytes of random data "
                                 "(for example, made with: openssl rand -base64 48).")
                               % {"n": MIN_KEY_FILE}, code=Code.INVALID_KEY_FILE)
        return cls(KEY_FILE, material)

    def derive(self, salt: bytes, log_n: int, r: int, p: int) -> bytes:
        if self.kind == PASSPHRASE:
            return Scrypt(salt=salt, length=32, n=2 ** log_n, r=r, p=p).derive(self.material)
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                    info=b"daicho backup").derive(self.material)


def _damaged() -> InvalidInput:
    return InvalidInput(_("The encrypted backup was altered or is damaged; nothing was "
                          "restored."), code=Code.CORRUPT_BACKUP)


def _wrong_secret(kind: int) -> InvalidInput:
    if kind == PASSPHRASE:
        return InvalidInput(_("The passphrase is wrong, or the backup file was altered. Nothing "
                              "was restored."), code=Code.WRONG_SECRET)
    return InvalidInput(_("The key file does not match this backup, or the backup file was "
                          "altered. Nothing was restored."), code=Code.WRONG_SECRET)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


class EncryptingWriter:
    """A write-only file object; close() writes the last chunk (it does not close `raw`)."""

    def __init__(self, raw: IO[bytes], secret: Secret) -> None:
        salt, self.prefix = os.urandom(16), os.urandom(7)
        self.header = _HEADER.pack(MAGIC, secret.kind, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, salt,
                                   self.prefix)
        self.aead = AESGCM(secret.derive(salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P))
        self.raw = raw
        self.raw.write(self.header)
        self.buffer = bytearray()
        self.counter = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep one chunk back: it may be the last
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()
        self.raw.flush()

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self.prefix + struct.pack(">IB", self.counter, int(last))
        self.raw.write(self.aead.encrypt(nonce, chunk, self.header))
        self.counter += 1


class DecryptingReader:
    """A read-only file object over an encrypted backup: each chunk is authenticated before any
    of it is handed on; a file cut short is an error at its end, never a quiet EOF."""

    def __init__(self, raw: IO[bytes], secret: Secret) -> None:
        self.raw = raw
        self.header = raw.read(_HEADER.size)
        if len(self.header) != _HEADER.size:
            raise _damaged()
        magic, kind, log_n, r, p, salt, self.prefix = _HEADER.unpack(self.header)
        if magic != MAGIC or kind not in (PASSPHRASE, KEY_FILE) or not 10 <= log_n <= 22 \
                or not 1 <= r <= 32 or not 1 <= p <= 16:
            raise _damaged()
        if kind != secret.kind:
            raise InvalidInput(
                _("This backup was encrypted with a passphrase: give --passphrase-stdin.")
                if kind == PASSPHRASE else
                _("This backup was encrypted with a key file: give --key-file."),
                code=Code.WRONG_SECRET)
        self.kind = kind
        self.aead = AESGCM(secret.derive(salt, log_n, r, p))
        self.counter = 0
        self.pending = raw.read(CHUNK + TAG)
        self.plain = b""
        self.finished = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.plain) < size):
            self._open_next()
        if size < 0:
            size = len(self.plain)
        out, self.plain = self.plain[:size], self.plain[size:]
        return out

    def _open_next(self) -> None:
        sealed = self.pending
        if len(sealed) < TAG:
            raise _damaged()
        following = self.raw.read(CHUNK + TAG) if len(sealed) == CHUNK + TAG else b""
        last = not following
        nonce = self.prefix + struct.pack(">IB", self.counter, int(last))
        try:
            self.plain += self.aead.decrypt(nonce, sealed, self.header)
        except InvalidTag:
            raise (_wrong_secret(self.kind) if self.counter == 0 else _damaged()) from None
        self.counter += 1
        self.pending = following
        self.finished = last

    def close(self) -> None:
        self.raw.close()
