"""`daicho backup`, `daicho restore` and `daicho check`, end to end through separate processes.

Data are made through the services in a child process (`python -m tests.test_maintenance seed`,
see the bottom of this file), so what is backed up is exactly what the product writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, _fresh_database_url, run_daicho

ROOT = Path(__file__).resolve().parent.parent
# The source installation poses as one made before this migration; its restore must apply it.
MADE_PENDING = ["auth", "0012_alter_user_first_name_max_length"]
Env = dict[str, str]


def _new_env(data_dir: Path) -> Env:
    """Like the cli_env fixture: a data dir and, on PostgreSQL, a database of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DAICHO_DATA_DIR"] = str(data_dir)
    env.pop("DAICHO_TESTING", None)
    url = _fresh_database_url()
    if url:
        env["DAICHO_DATABASE_URL"] = url
    else:
        env.pop("DAICHO_DATABASE_URL", None)
    return env


def _script(env: Env, action: str) -> Any:
    """Runs one of the helpers at the bottom of this file in a child process."""
    proc = subprocess.run([sys.executable, "-m", "tests.test_maintenance", action], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ok(result: CliResult) -> Any:
    assert result.code == 0, (result.out, result.err)
    return result.json


def _refused(result: CliResult, code: str) -> dict[str, Any]:
    assert result.code == 1, (result.out, result.err)
    body = result.json
    assert body["ok"] is False and body["error"]["code"] == code, body
    return body["error"]


@dataclass
class Source:
    env: Env
    seeded: dict[str, Any]  # what seed() reports
    state: dict[str, Any]  # what state() reads back before the backup
    backup: Path
    summary: dict[str, Any]  # the JSON of `daicho backup`


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """An installation with ledgers, edited and deleted records, history and attachments, and
    its backup."""
    base = tmp_path_factory.mktemp("source")
    env = _new_env(base / "data")
    _ok(run_daicho(env, "init", "--json"))
    seeded = _script(env, "seed")
    state = _script(env, "state")
    backup = base / "backup.tar.gz"
    summary = _ok(run_daicho(env, "backup", str(backup), "--json"))
    return Source(env, seeded, state, backup, summary)


@pytest.fixture
def fresh_env(tmp_path: Path) -> Env:
    return _new_env(tmp_path / "data")


def test_backup_writes_one_archive_with_a_manifest(source: Source) -> None:
    assert source.summary["counts"] == {
        "users": 2, "ledgers": 2, "records": 8, "records_in_trash": 1, "history": 16,
        "attachments": 2, "attachment_bytes": source.seeded["attachment_bytes"],
    }
    assert source.summary["bytes"] == source.backup.stat().st_size
    assert not Path(f"{source.backup}.tmp").exists()
    with tarfile.open(source.backup, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        members = {name: tar.extractfile(name).read()  # type: ignore[union-attr]
                   for name in names[1:]}
    assert names[0] == "manifest.json"
    assert manifest["vendor"] == source.seeded["vendor"]
    assert manifest["counts"] == source.summary["counts"]
    assert set(manifest["files"]) == set(members)
    for name, data in members.items():
        assert manifest["files"][name] == {"size": len(data),
                                           "sha256": hashlib.sha256(data).hexdigest()}
    assert sum(name.startswith("attachments/") for name in members) == 2


def test_restore_gives_back_the_same_records_history_and_files(source: Source,
                                                                fresh_env: Env) -> None:
    restored = _ok(run_daicho(fresh_env, "restore", str(source.backup), "--json"))
    assert restored["counts"] == source.summary["counts"]
    assert restored["migrations_applied"] == [".".join(MADE_PENDING)]
    assert _ok(run_daicho(fresh_env, "check", "--json")) == {"ok": True, "problems": []}
    assert _script(fresh_env, "state") == source.state
    # Sequences came along: a new record gets a new id, and its history starts at 1.
    added = _script(fresh_env, "append")
    assert added["id"] > source.seeded["max_record_id"]
    assert [h["revision"] for h in added["history"]] == [1]


def test_restore_refuses_a_target_that_holds_data(source: Source) -> None:
    error = _refused(run_daicho(source.env, "restore", str(source.backup), "--json"), "not_empty")
    assert error["details"]["found"]["users"] == 2
    assert error["details"]["found"]["ledgers"] == 2
    assert error["details"]["found"]["attachment_files"] == 2


def _rewrite(backup: Path, target: Path, *,
             manifest: Callable[[dict[str, Any]], None] = lambda m: None,
             member: Callable[[str, bytes], bytes] = lambda name, data: data) -> Path:
    """A copy of the archive with its manifest or members changed."""
    with tarfile.open(backup, "r:gz") as tar:
        entries = [(info.name, tar.extractfile(info).read())  # type: ignore[union-attr]
                   for info in tar.getmembers()]
    with tarfile.open(target, "w:gz") as out:
        for name, data in entries:
            if name == "manifest.json":
                body = json.loads(data)
                manifest(body)
                data = json.dumps(body).encode()
            else:
                data = member(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def _flip_attachment_byte(name: str, data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("attachments/") else data


def test_restore_refuses_damaged_or_foreign_archives_and_touches_nothing(
        source: Source, fresh_env: Env, tmp_path: Path) -> None:
    # Tables without a single user or ledger still count as empty.
    _script(fresh_env, "migrate")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(source.backup.read_bytes()[: source.backup.stat().st_size // 2])
    altered = _rewrite(source.backup, tmp_path / "altered.tar.gz", member=_flip_attachment_byte)
    other = "postgresql" if source.seeded["vendor"] == "sqlite" else "sqlite"
    foreign = _rewrite(source.backup, tmp_path / "foreign.tar.gz",
                       manifest=lambda m: m.update(vendor=other))

    for damaged in (truncated, altered):
        error = _refused(run_daicho(fresh_env, "restore", str(damaged), "--json"),
                         "corrupt_backup")
        assert error["message"]
    error = _refused(run_daicho(fresh_env, "restore", str(foreign), "--json"), "wrong_vendor")
    assert "PostgreSQL" in error["message"] and "SQLite" in error["message"]
    # Nothing was left behind: the target is still empty, so the good backup restores.
    _ok(run_daicho(fresh_env, "restore", str(source.backup), "--json"))


def test_check_names_each_problem(source: Source, fresh_env: Env, tmp_path: Path) -> None:
    _ok(run_daicho(fresh_env, "restore", str(source.backup), "--json"))
    tampered = _script(fresh_env, "tamper")

    result = run_daicho(fresh_env, "check", "--json")
    assert result.code == 1, result.err
    body = result.json
    assert body["ok"] is False
    found = {(p["code"], p.get("ledger")): p for p in body["problems"]}
    assets, stock = tampered["assets"], tampered["stock"]
    assert set(found) == {
        ("revision_mismatch", assets), ("orphan_history", assets), ("missing_column", assets),
        ("record_count_mismatch", stock), ("no_history", stock),
        ("attachment_missing", None), ("attachment_checksum_mismatch", None),
        ("orphan_file", None),
    }
    assert found["revision_mismatch", assets]["record_ids"] == [tampered["revision_changed"]]
    assert found["orphan_history", assets]["record_ids"] == [tampered["row_deleted"]]
    assert found["missing_column", assets]["column"] == tampered["column_dropped"]
    assert found["no_history", stock]["record_ids"] == [tampered["history_deleted"]]
    count = found["record_count_mismatch", stock]
    assert (count["expected"], count["found"]) == (tampered["count_said"], tampered["count_real"])
    assert found["attachment_missing", None]["attachment"] == tampered["file_deleted"]
    assert found["attachment_checksum_mismatch", None]["attachment"] == tampered["file_changed"]
    assert found["orphan_file", None]["path"] == tampered["orphan"]
    assert all(p["message"] for p in body["problems"])

    # A backup of damaged attachments is refused, and leaves no file behind.
    target = tmp_path / "refused.tar.gz"
    error = _refused(run_daicho(fresh_env, "backup", str(target), "--json"),
                     "damaged_attachments")
    assert error["details"]["count"] == 2
    assert not target.exists() and not Path(f"{target}.tmp").exists()


def test_backup_and_check_while_the_server_writes(fresh_env: Env, tmp_path: Path) -> None:
    """The backup is one consistent snapshot, and `daicho check` on a busy installation sees
    no problem that is only a write in flight."""
    _ok(run_daicho(fresh_env, "init", "--json"))
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.test_maintenance", "write"], cwd=ROOT,
        env={**fresh_env, "STOP_FILE": str(stop)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    backup = tmp_path / "live.tar.gz"
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        summary = _ok(run_daicho(fresh_env, "backup", str(backup), "--json"))
        live_check = _ok(run_daicho(fresh_env, "check", "--json"))
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written = json.loads(out)
    assert live_check == {"ok": True, "problems": []}
    counts = summary["counts"]
    assert 3 <= counts["records"] + counts["records_in_trash"] <= written["records"]

    target = _new_env(tmp_path / "restored")
    assert _ok(run_daicho(target, "restore", str(backup), "--json"))["counts"] == counts
    assert _ok(run_daicho(target, "check", "--json")) == {"ok": True, "problems": []}


@pytest.mark.parametrize(("name", "safe"), [
    ("database/daicho.sqlite3", True),
    ("attachments/ab/abcdef0123", True),
    ("attachments/ab/../../../etc/passwd", False),
    ("attachments/ab/cdef", False),  # not under its first two characters
    ("attachments/../ab", False),
    ("/etc/passwd", False),
    ("database/../../daicho.sqlite3", False),
    ("manifest.json/x", False),
])
def test_only_member_names_of_the_expected_shape_are_extracted(name: str, safe: bool) -> None:
    from daicho.maintenance.archive import is_safe_member

    assert is_safe_member(name) is safe


def test_backup_into_a_missing_folder_is_refused(source: Source, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "backup.tar.gz"
    _refused(run_daicho(source.env, "backup", str(target), "--json"), "invalid_target")


# -- helpers run in the child process (`python -m tests.test_maintenance ACTION`) ------------------

def _admin() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def _attach(schema: Any, code: str, name: str, data: bytes) -> Any:
    """Stores an attachment the way the upload code does: bytes under attachments/ab/abcd…"""
    from django.conf import settings

    from daicho.models import Attachment

    storage_name = uuid.uuid4().hex
    path = Path(settings.ATTACHMENTS_DIR) / storage_name[:2] / storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Attachment.objects.create(
        ledger=schema.ledger, field_code=code, name=name, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), storage_name=storage_name)


def _schema(name: str) -> Any:
    from daicho.models import Ledger
    from daicho.selectors.ledgers import load_schema

    return load_schema(Ledger.objects.get(name=name).id)


def seed() -> dict[str, Any]:
    from django.db import connection

    from daicho.services import accounts
    from daicho.services import ledgers as ls
    from daicho.services import records as rs

    admin = _admin()
    clerk = accounts.create_user(login="clerk", name="担当者")
    assets = ls.create_ledger(user=admin, name="公有財産台帳", fields=[
        {"name": "名称", "type": "text", "code": "name", "required": True},
        {"name": "価格", "type": "number", "code": "price", "options": {"unit": "円"}},
        {"name": "取得日", "type": "date", "code": "acquired"},
        {"name": "区分", "type": "choice", "code": "kind",
         "options": {"choices": ["土地", "建物"]}},
        {"name": "図面", "type": "file", "code": "drawing"},
    ])
    from daicho.services.permissions import set_rules

    set_rules(user=admin, schema=assets, rules=[
        *assets.ledger.rules, {"subject": {"user": "clerk"}, "rights": ["view", "add", "edit"]}])
    drawing = _attach(assets, "drawing", "配置図.pdf", b"%PDF-1.4 " + bytes(range(256)) * 8)
    photo = _attach(assets, "drawing", "外観.jpg", b"\xff\xd8\xff" + os.urandom(3000))
    hall = rs.create_record(user=admin, schema=assets, values={
        "name": "本庁舎", "price": "1200000000", "acquired": "1985-04-01", "kind": "建物",
        "drawing": [{"id": drawing.id}, {"id": photo.id}]})
    land = rs.create_record(user=clerk, schema=assets, values={"name": "第二庁舎用地",
                                                                "kind": "土地"})
    shed = rs.create_record(user=admin, schema=assets, values={"name": "旧倉庫", "price": 5})
    rs.update_record(user=clerk, schema=assets, record_id=hall["id"], revision=1,
                     values={"price": "1300000000"})
    rs.update_record(user=admin, schema=assets, record_id=hall["id"], revision=2,
                     values={"name": "本庁舎（東棟）"})
    rs.revert_record(user=admin, schema=assets, record_id=hall["id"], to_revision=2)
    rs.delete_record(user=admin, schema=assets, record_id=shed["id"])
    rs.delete_record(user=admin, schema=assets, record_id=land["id"])
    rs.restore_record(user=admin, schema=assets, record_id=land["id"])
    # A type change keeps the old column (Field.retired_columns); a deleted field keeps its own.
    ls.update_field(user=admin, schema=assets, code="acquired", patch={"type": "text"})
    ls.delete_field(user=admin, schema=_schema("公有財産台帳"), code="kind")

    stock = ls.create_ledger(user=clerk, name="備品台帳", fields=[
        {"name": "品名", "type": "text", "code": "item"},
        {"name": "数量", "type": "number", "code": "qty"},
    ])
    created = rs.bulk(user=clerk, schema=stock, create=[
        {"values": {"item": f"机{i}", "qty": i}} for i in range(1, 6)])["created"]
    rs.bulk(user=admin, schema=stock, update=[
        {"id": created[0]["id"], "revision": 1, "values": {"qty": 10}}])
    rs.create_record(user=admin, schema=stock, values={"item": "椅子", "qty": 12})
    with connection.cursor() as cur:
        cur.execute(f'SELECT MAX(id) FROM "{assets.table}"')
        max_id = cur.fetchone()[0]
        # Pose as an installation made before the last migration, so that a restore has to
        # bring the schema up to date.
        cur.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", MADE_PENDING)
    return {"vendor": connection.vendor, "max_record_id": max_id,
            "attachment_bytes": drawing.size + photo.size}


def state() -> dict[str, Any]:
    """Everything a user can read back: ledgers, fields, records (trash too), history, search
    results, attachments and their bytes."""
    from django.contrib.auth import get_user_model

    from daicho.fields.context import ValueContext
    from daicho.maintenance.inventory import attachment_path
    from daicho.models import Attachment, Field, LedgerEvent
    from daicho.selectors import records as sel
    from daicho.selectors.ledgers import ledger_json, list_ledgers, load_schema
    from daicho.services import records as rs

    admin = _admin()
    out: dict[str, Any] = {"ledgers": list_ledgers(), "ledger": {}, "users": sorted(
        get_user_model().objects.values_list("username", "is_superuser", "password"))}
    for item in out["ledgers"]:
        schema = load_schema(item["id"])
        assert schema is not None
        ctx = ValueContext()
        pages = {trash: sel.list_records(admin, schema, limit=500, deleted=trash, ctx=ctx)
                 for trash in (False, True)}
        records = {trash: sel.records_json(schema, page.rows, ctx)
                   for trash, page in pages.items()}
        found = sel.list_records(admin, schema, search="庁舎", limit=500, ctx=ctx)
        out["ledger"][item["name"]] = {
            "schema": ledger_json(schema),
            "all_fields": list(Field.objects.filter(ledger_id=schema.id).order_by("id").values(
                "code", "column", "type", "deleted_at", "retired_columns")),
            "events": list(LedgerEvent.objects.filter(ledger_id=schema.id).order_by("id")
                           .values("action", "details", "at", "user__username")),
            "records": records[False], "trash": records[True],
            "total": pages[False].total,
            "search": [row.id for row in found.rows],
            "history": {r["id"]: rs.history(user=admin, schema=schema, record_id=r["id"])
                        for r in records[False] + records[True]},
        }
    out["attachments"] = [
        {**a, "bytes": hashlib.sha256(attachment_path(a["storage_name"]).read_bytes()).hexdigest()}
        for a in Attachment.objects.order_by("id").values(
            "id", "ledger_id", "field_code", "name", "size", "sha256", "storage_name",
            "created_at")]
    return json.loads(json.dumps(out, default=str, ensure_ascii=False))


def append() -> dict[str, Any]:
    from daicho.services import records as rs

    admin = _admin()
    schema = _schema("公有財産台帳")
    record = rs.create_record(user=admin, schema=schema, values={"name": "新庁舎"})
    return {"id": record["id"],
            "history": rs.history(user=admin, schema=schema, record_id=record["id"])}


def tamper() -> dict[str, Any]:
    """Damages a restored installation in one way per check, behind the services' back."""
    from django.conf import settings
    from django.db import connection

    from daicho.models import Attachment, Field, History, Ledger

    assets, stock = _schema("公有財産台帳"), _schema("備品台帳")
    flag = {True: 1, False: 0} if connection.vendor == "sqlite" else {True: True, False: False}
    with connection.cursor() as cur:
        cur.execute(f'SELECT id FROM "{assets.table}" WHERE deleted = %s ORDER BY id',
                    [flag[False]])
        live = [row[0] for row in cur.fetchall()]
        cur.execute(f'SELECT id FROM "{assets.table}" WHERE deleted = %s', [flag[True]])
        [trashed] = [row[0] for row in cur.fetchall()]
        cur.execute(f'UPDATE "{assets.table}" SET revision = revision + 1 WHERE id = %s',
                    [live[0]])
        # A trashed record, so that the live count stays right and only its history dangles.
        cur.execute(f'DELETE FROM "{assets.table}" WHERE id = %s', [trashed])
        retired = Field.objects.get(ledger_id=assets.id, code="acquired").retired_columns[0]
        cur.execute(f'ALTER TABLE "{assets.table}" DROP COLUMN "{retired["column"]}"')
    count_real = Ledger.objects.get(id=stock.id).record_count
    Ledger.objects.filter(id=stock.id).update(record_count=count_real + 3)
    no_history = History.objects.filter(ledger_id=stock.id).order_by("-record_id")[0].record_id
    History.objects.filter(ledger_id=stock.id, record_id=no_history).delete()

    deleted, changed = Attachment.objects.order_by("id")
    Path(settings.ATTACHMENTS_DIR, deleted.storage_name[:2], deleted.storage_name).unlink()
    path = Path(settings.ATTACHMENTS_DIR, changed.storage_name[:2], changed.storage_name)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    stray = Path(settings.ATTACHMENTS_DIR, "zz", "zz-stray")
    stray.parent.mkdir()
    stray.write_bytes(b"stray")
    # `daicho check` gives fresh files a minute: they may belong to an upload in progress.
    an_hour_ago = time.time() - 3600
    os.utime(stray, (an_hour_ago, an_hour_ago))
    return {"assets": assets.id, "stock": stock.id, "revision_changed": live[0],
            "row_deleted": trashed, "column_dropped": retired["column"],
            "history_deleted": no_history, "count_said": count_real + 3,
            "count_real": count_real, "file_deleted": deleted.id, "file_changed": changed.id,
            "orphan": "attachments/zz/zz-stray"}


def write() -> dict[str, Any]:
    """Creates, edits and deletes records and adds attachments without a pause, the way a busy
    server does, until the file STOP_FILE appears."""
    from daicho.services import ledgers as ls
    from daicho.services import records as rs

    admin = _admin()
    schema = ls.create_ledger(user=admin, name="受付簿", fields=[
        {"name": "件名", "type": "text", "code": "title"},
        {"name": "添付", "type": "file", "code": "files"}])
    stop = Path(os.environ["STOP_FILE"])
    written = 0
    last: dict[str, Any] | None = None
    while written < 3 or not stop.exists():
        values: dict[str, Any] = {"title": f"受付{written}"}
        if written % 5 == 0:
            attached = _attach(schema, "files", f"{written}.txt", os.urandom(64))
            values["files"] = [{"id": attached.id}]
        record = rs.create_record(user=admin, schema=schema, values=values)
        if last is not None and written % 7 == 0:
            rs.delete_record(user=admin, schema=schema, record_id=last["id"])
        elif last is not None:
            rs.update_record(user=admin, schema=schema, record_id=last["id"],
                             revision=last["revision"], values={"title": f"受付{written}改"})
        last = record
        written += 1
        if written == 3:
            print("ready", flush=True)
    return {"records": written}


def migrate() -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return {}


def main() -> None:
    from daicho import environment

    environment.private_process()  # writes as the product's own processes do (umask 077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django

    django.setup()
    actions = {"seed": seed, "state": state, "append": append, "tamper": tamper, "write": write,
               "migrate": migrate}
    result = actions[sys.argv[1]]()
    sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
