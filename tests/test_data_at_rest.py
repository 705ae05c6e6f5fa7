"""Data at rest (issue 12): the data dir and every file daicho writes are its owner's alone
whatever the umask, `daicho check` reports loose modes and leftover uploads, uploads are
received into the data dir's own temp folder, and backups can be encrypted.

Every `daicho` process here is started with the usual umask 022."""

from __future__ import annotations

import io
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, free_port, json_call, running_server
from tests.test_maintenance import _new_env

UMASK = 0o022
PASSPHRASE = "川の流れのように静かな朝"


def daicho(env: dict[str, str], *args: str, stdin: str = "") -> CliResult:
    exe = Path(sys.executable).parent / "daicho"
    proc = subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=300, check=False, umask=UMASK)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for key, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                  f"{value}\r\n".encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
    out.write(content)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _upload(base: str, token: str, path: str, fields: dict[str, str], name: str,
            content: bytes) -> int:
    import urllib.error
    import urllib.request

    body, content_type = _multipart(fields, name, content)
    req = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _check(env: dict[str, str]) -> CliResult:
    return daicho(env, "check", "--json")


def test_files_are_private_whatever_the_umask(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = Path(cli_env["DAICHO_DATA_DIR"])
    assert daicho(cli_env, "init", "--json").code == 0
    token = daicho(cli_env, "token", "create", "admin").out.strip()
    old = os.umask(UMASK)  # the server inherits it
    try:
        with running_server(cli_env) as base:
            status, led = json_call(base, token, "POST", "/api/v1/ledgers", {
                "name": "添付台帳", "fields": [{"name": "名称", "type": "text", "code": "name"},
                                             {"name": "添付", "type": "file", "code": "files"}]})
            assert status == 201, led
            # Larger than FILE_UPLOAD_MAX_MEMORY_SIZE: received through a temporary file.
            assert _upload(base, token, f"/api/v1/ledgers/{led['id']}/files", {"field": "files"},
                           "図面.pdf", os.urandom(3 * 1024 * 1024)) == 201
    finally:
        os.umask(old)
    backup = tmp_path / "backup.tar.gz"
    assert daicho(cli_env, "backup", str(backup)).code == 0
    assert _mode(backup) == 0o600
    assert _mode(data) == 0o700
    written = list(data.rglob("*"))
    assert any(p.parent.parent.name == "attachments" for p in written)
    for path in written:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(_mode(path)))
    assert list((data / "tmp").iterdir()) == []  # the upload's temporary copy is gone
    assert _check(cli_env).json == {"ok": True, "problems": []}
    # Loosened by hand: reported, exit 1, in Japanese.
    (data / "secret_key").chmod(0o644)
    data.chmod(0o755)
    result = _check(cli_env)
    assert result.code == 1
    loose = {p["path"]: p for p in result.json["problems"] if p["code"] == "loose_mode"}
    assert set(loose) == {str(data), str(data / "secret_key")}
    assert loose[str(data / "secret_key")]["mode"] == "0644"
    assert "ほかのユーザーも読み取れる" in loose[str(data)]["message"]
    assert "chmod 700" in loose[str(data)]["message"]
    text = daicho(cli_env, "check")
    assert text.code == 1 and "chmod 600" in text.out


@contextmanager
def _server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`daicho serve` in a session of its own, so that the test can kill it like a crash."""
    import urllib.request

    port = free_port()
    exe = Path(sys.executable).parent / "daicho"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, umask=UMASK)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def test_a_killed_upload_leaves_its_copy_only_in_the_data_dir(cli_env: dict[str, str]) -> None:
    data = Path(cli_env["DAICHO_DATA_DIR"])
    assert daicho(cli_env, "init").code == 0
    token = daicho(cli_env, "token", "create", "admin").out.strip()
    csv = "名称,金額\n" + "".join(f"財産{i},{i}\n" for i in range(300_000))
    body, content_type = _multipart({"name": "大きな台帳"}, "大きな台帳.csv", csv.encode())
    with _server(cli_env) as (base, proc):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall((f"POST /api/v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode())
            conn.sendall(body[: len(body) * 3 // 4])  # the rest never comes: killed meanwhile
            deadline = time.monotonic() + 60
            received: list[Path] = []
            while not received and time.monotonic() < deadline:
                received = [p for p in (data / "tmp").iterdir() if p.stat().st_size > 0]
                time.sleep(0.05)
            assert received, "the upload was not received into DATA_DIR/tmp"
            os.killpg(proc.pid, signal.SIGKILL)
    assert _mode(data / "tmp") == 0o700
    leftover = received[0]
    assert _mode(leftover) == 0o600
    # Fresh, it may belong to a running import; a day later it is reported.
    assert not [p for p in _check(cli_env).json["problems"] if p["code"] == "temp_leftover"]
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(leftover, (two_days_ago, two_days_ago))
    result = _check(cli_env)
    assert result.code == 1
    found = [p for p in result.json["problems"] if p["code"] == "temp_leftover"]
    assert [p["path"] for p in found] == [str(leftover)]
    assert "一時コピー" in found[0]["message"]


def _restore_env(tmp_path: Path, name: str) -> dict[str, str]:
    return _new_env(tmp_path / name)


def _no_data(env: dict[str, str]) -> bool:
    """Nothing was restored: `daicho check` of the target sees no user (no tables or none)."""
    listed = daicho(env, "token", "create", "admin", "--json")
    return listed.code == 1


def test_encrypted_backup_and_restore(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert daicho(cli_env, "init").code == 0
    assert daicho(cli_env, "user", "create", "suzuki", "--name", "鈴木").code == 0
    backup = tmp_path / "backup.enc"
    short = daicho(cli_env, "backup", str(backup), "--encrypt", "--passphrase-stdin", "--json",
                   stdin="short\n")
    assert short.code == 1 and short.json["error"]["code"] == "weak_passphrase"
    no_secret = daicho(cli_env, "backup", str(backup), "--encrypt", "--json")
    assert no_secret.code == 1 and no_secret.json["error"]["code"] == "no_secret"
    made = daicho(cli_env, "backup", str(backup), "--encrypt", "--passphrase-stdin", "--json",
                  stdin=PASSPHRASE + "\n")
    assert made.code == 0 and made.json["encrypted"] is True, made.err
    raw = backup.read_bytes()
    assert raw.startswith(b"DAICHO-ENC-1\n") and b"manifest" not in raw
    assert _mode(backup) == 0o600
    # Without the passphrase, with a wrong one, or with a key file: refused, nothing written.
    target = _restore_env(tmp_path, "target")
    for args, stdin, code in [
            ((), "", "encrypted_backup"),
            (("--passphrase-stdin",), "間違ったパスフレーズです\n", "wrong_secret"),
            (("--key-file", str(_key_file(tmp_path))), "", "wrong_secret")]:
        refused = daicho(target, "restore", str(backup), *args, "--json", stdin=stdin)
        assert refused.code == 1 and refused.json["error"]["code"] == code, refused.out
    wrong = daicho(target, "restore", str(backup), "--passphrase-stdin",
                   stdin="間違ったパスフレーズです\n")
    assert "パスフレーズが違うか" in wrong.err and "何も復元していません" in wrong.err
    assert _no_data(target)
    # A changed byte anywhere after the header is caught.
    tampered = tmp_path / "tampered.enc"
    tampered.write_bytes(raw[:-40] + bytes([raw[-40] ^ 1]) + raw[-39:])
    refused = daicho(target, "restore", str(tampered), "--passphrase-stdin", "--json",
                     stdin=PASSPHRASE + "\n")
    assert refused.code == 1 and refused.json["error"]["code"] in ("wrong_secret",
                                                                  "corrupt_backup")
    assert _no_data(target)
    restored = daicho(target, "restore", str(backup), "--passphrase-stdin", "--json",
                      stdin=PASSPHRASE + "\n")
    assert restored.code == 0, restored.out + restored.err
    assert restored.json["counts"]["users"] == 2
    assert daicho(target, "check", "--json").json == {"ok": True, "problems": []}
    assert daicho(target, "token", "create", "suzuki").code == 0


def _key_file(tmp_path: Path) -> Path:
    path = tmp_path / "backup.key"
    if not path.exists():
        path.write_bytes(os.urandom(48).hex().encode())
    return path


def test_encrypted_backup_with_a_key_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert daicho(cli_env, "init").code == 0
    key = _key_file(tmp_path)
    backup = tmp_path / "backup.enc"
    assert daicho(cli_env, "backup", str(backup), "--encrypt", "--key-file", str(key)).code == 0
    target = _restore_env(tmp_path, "target")
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(48).hex().encode())
    wrong = daicho(target, "restore", str(backup), "--key-file", str(other), "--json")
    assert wrong.code == 1 and wrong.json["error"]["code"] == "wrong_secret"
    with_passphrase = daicho(target, "restore", str(backup), "--passphrase-stdin", "--json",
                             stdin=PASSPHRASE + "\n")
    assert with_passphrase.json["error"]["code"] == "wrong_secret"
    assert "--key-file" in with_passphrase.json["error"]["message"]
    short = tmp_path / "short.key"
    short.write_text("abc")
    assert daicho(target, "restore", str(backup), "--key-file", str(short), "--json"
                  ).json["error"]["code"] == "invalid_key_file"
    assert _no_data(target)
    assert daicho(target, "restore", str(backup), "--key-file", str(key)).code == 0


# -- the stream itself (no database) -------------------------------------------------------------

def _seal(data: bytes, secret: Any) -> bytes:
    from daicho.maintenance.crypt import EncryptingWriter

    out = io.BytesIO()
    writer = EncryptingWriter(out, secret)
    for i in range(0, len(data), 70_000):  # written in pieces, as tarfile does
        writer.write(data[i:i + 70_000])
    writer.close()
    return out.getvalue()


def _open(sealed: bytes, secret: Any) -> bytes:
    from daicho.maintenance.crypt import DecryptingReader

    reader = DecryptingReader(io.BytesIO(sealed), secret)
    return b"".join(iter(lambda: reader.read(50_000), b""))


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 5])
def test_the_stream_round_trips_in_bounded_chunks(size: int, tmp_path: Path) -> None:
    from daicho.maintenance.crypt import CHUNK, TAG, Secret

    secret = Secret.key_file(_key_file(tmp_path))
    data = os.urandom(size)
    sealed = _seal(data, secret)
    chunks = max(1, -(-size // CHUNK))
    assert len(sealed) - len(data) <= 64 + chunks * TAG + TAG
    assert _open(sealed, secret) == data


def test_changed_reordered_or_cut_chunks_are_refused(tmp_path: Path) -> None:
    from daicho.errors import InvalidInput
    from daicho.maintenance.crypt import CHUNK, TAG, Secret

    secret = Secret.key_file(_key_file(tmp_path))
    data = os.urandom(3 * CHUNK + 10)
    sealed = _seal(data, secret)
    header = len(sealed) - len(data) - 4 * TAG
    body = sealed[header:]
    one = CHUNK + TAG
    flipped = bytearray(sealed)
    flipped[header + one + 5] ^= 1
    swapped = sealed[:header] + body[one:2 * one] + body[:one] + body[2 * one:]
    cut = sealed[:header + 3 * one]  # the last chunk dropped: the file ends on a full chunk
    for bad, code in [(bytes(flipped), "corrupt_backup"), (swapped, "wrong_secret"),
                      (cut, "corrupt_backup"), (sealed[:-1], "corrupt_backup")]:
        with pytest.raises(InvalidInput) as caught:
            _open(bad, secret)
        assert caught.value.code == code

