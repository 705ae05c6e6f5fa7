"""The `daicho` command (contract §3). Exit status: 0 done, 1 refused or failed, 2 wrong usage."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from daicho.error_codes import Code

COMMANDS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {}


_ARGV: list[str] = []


class JsonArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if "--json" in _ARGV:
            print(json.dumps({"ok": False, "error": {"code": Code.USAGE, "message": message}},
                             ensure_ascii=False))
            sys.exit(2)
        super().error(message)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    import django
    from django.utils import translation

    django.setup()
    translation.activate(os.environ.get("DAICHO_LANGUAGE", "ja"))


def _start_reading(args: argparse.Namespace) -> Any:
    """Start reading the file to import on a thread (daicho.importing.early), so that most of
    the parse overlaps with setting up Django. The importer checks that the read matches what
    it is asked for; a file that does not exist is left to the command to report."""
    import importlib
    from pathlib import Path

    from daicho.importing.early import EarlyRead
    from daicho.importing.errors import Limits

    path = Path(args.file)
    if not path.is_file():
        return None
    # The settings module itself, as django.conf would import it: django.conf brings asyncio
    # and more with it, which can wait until Django is set up while the file is read.
    configured = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    return EarlyRead(path, filename=path.name, sheet=args.sheet or args.table,
                     encoding=args.encoding,
                     limits=Limits.configured(getattr(configured, "DAICHO", None)))


def build_parser() -> argparse.ArgumentParser:
    parser = JsonArgumentParser(prog="daicho", description="daicho (台帳) ledger platform")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=JsonArgumentParser)

    def add(name: str, help_text: str, sub_: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub_.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        return p

    add("init", "create or upgrade the database schema; create admin if no user exists")
    p = add("serve", "serve the application with a production HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    add("demo", "load the demo data set (idempotent)")

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    p = add("create", "create a user", user)
    p.add_argument("login")
    p.add_argument("--name", default="")
    p.add_argument("--org", default=None, help="department code")
    p.add_argument("--admin", action="store_true")
    p.add_argument("--role", action="append", default=[], help="role name (repeatable)")
    p.add_argument("--email", default=None, help="mail address for notifications")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p = add("password", "set a user's password (exit 1 when the password policy refuses it)", user)
    p.add_argument("login")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from stdin (default: ask twice on the terminal)")
    p = add("unlock", "clear a user's sign-in locks (every address)", user)
    p.add_argument("login")
    p = add("reset-2fa", "remove a user's two-step sign-in (authenticator and recovery codes)",
            user)
    p.add_argument("login")

    org = sub.add_parser("org", help="manage departments").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    p = add("import", "load departments from CSV: code,name,parent_code,valid_from", org)
    p.add_argument("file")
    add("apply", "apply scheduled department changes whose date has come", org)

    audit = sub.add_parser("audit", help="the access log").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    p = add("verify", "check the access log's hash chain (exit 1 when altered)", audit)
    p.add_argument("--anchors", metavar="DIR",
                   help="also compare the chain with the anchors written to DIR")
    p = add("anchor", "write the chain head outside the database (DAICHO_AUDIT_ANCHOR_DIR, "
                      "syslog)", audit)
    p.add_argument("--dir", metavar="DIR", help="write the anchor to DIR instead of the setting")
    p = add("prune", "delete access-log entries older than DAICHO_AUDIT_RETENTION_DAYS", audit)
    p.add_argument("--days", type=int, help="keep this many days instead of the setting")

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    p = add("create", "print a new API token for a user (one line)", token)
    p.add_argument("login")
    p.add_argument("--label", default="")
    p.add_argument("--read-only", action="store_true")
    p.add_argument("--expires", metavar="YYYY-MM-DD", default="",
                   help="valid through this day (default: no expiry)")

    p = add("backup", "write a consistent full backup (data, history, attachments)")
    p.add_argument("file")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt the backup (AES-256-GCM) with --passphrase-stdin or --key-file")
    _secret_arguments(p)
    p = add("restore", "restore a backup into an empty data dir")
    p.add_argument("file")
    _secret_arguments(p)
    add("check", "check the integrity of the database and attachments")

    p = add("import", "import a spreadsheet, CSV or Access file (contract §3.1)")
    p.add_argument("file")
    p.add_argument("--ledger", help="id or exact name of an existing ledger")
    p.add_argument("--name", help="name of the new ledger (mode create)")
    p.add_argument("--sheet", help="the sheet to read (default: the first that holds a table)")
    p.add_argument("--header-row", type=int)
    p.add_argument("--encoding")
    p.add_argument("--key", help="field code or name matched in mode upsert")
    p.add_argument("--mode", choices=["create", "append", "upsert"])
    p.add_argument("--skip-bad-rows", action="store_true")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--as", dest="as_login", metavar="LOGIN", help="user recorded in the history")
    p.add_argument("--table", help="Access: the table to import (default: the largest)")
    p.add_argument("--no-progress", action="store_true")

    p = add("export", "export a ledger to xlsx or CSV")
    p.add_argument("ledger", help="id or exact name")
    p.add_argument("--format", required=True, choices=["xlsx", "csv"])
    p.add_argument("--encoding", default="utf-8-sig", choices=["cp932", "utf-8-sig", "utf-8"])
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--replace", action="store_true",
                   help="cp932: write 〓 for characters cp932 cannot hold instead of failing")
    p.add_argument("--filter", action="append", default=[], help="CODE:OP:VALUE (repeatable)")
    p.add_argument("--q", default="", help="search text")
    p.add_argument("--detail", default="record", choices=["record", "lines"],
                   help="detail rows: one row per record (default) or one row per detail line")
    p.add_argument("--as", dest="as_login", metavar="LOGIN")

    reminders = sub.add_parser("reminders", help="date reminders").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    add("run", "produce the date reminders due today (each fires once; safe to repeat)",
        reminders)
    mail = sub.add_parser("mail", help="the mail outbox").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    add("send", "send the mail that is due now through DAICHO_SMTP_URL", mail)

    report = sub.add_parser("report", help="write reports").add_subparsers(
        dest="subcommand", required=True, parser_class=JsonArgumentParser)
    p = add("committee", "the IT optimisation plan's committee progress report", report)
    p.add_argument("--fy", type=int, required=True, help="fiscal year (April–March), e.g. 2022")
    p.add_argument("--format", required=True, choices=["xlsx", "pdf"])
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--as", dest="as_login", metavar="LOGIN")
    p = add("roadmap", "the plan's fiscal-year roadmap as an Excel file in the plan's layout",
            report)
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--as", dest="as_login", metavar="LOGIN")
    p = add("candidates", "systems that could be integrated (measure C-ii), with the reason",
            report)
    p.add_argument("--as", dest="as_login", metavar="LOGIN")
    return parser


def _secret_arguments(p: argparse.ArgumentParser) -> None:
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--passphrase-stdin", action="store_true",
                        help="read the backup's passphrase from the first line of stdin")
    secret.add_argument("--key-file", metavar="PATH",
                        help="a file of random bytes the backup's key is derived from")


def command(name: str) -> Callable[[Callable[[argparse.Namespace], dict[str, Any]]],
                                   Callable[[argparse.Namespace], dict[str, Any]]]:
    def wrap(fn: Callable[[argparse.Namespace], dict[str, Any]]
             ) -> Callable[[argparse.Namespace], dict[str, Any]]:
        COMMANDS[name] = fn
        return fn
    return wrap


def main(argv: list[str] | None = None) -> int:
    _ARGV[:] = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(_ARGV)
    name = args.command + (f" {args.subcommand}" if getattr(args, "subcommand", None) else "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
    if name == "import":
        args.early = _start_reading(args)
    _setup_django()
    from daicho.cli import commands  # noqa: F401  (registers COMMANDS)
    from daicho.errors import DaichoError
    from daicho.services import audit

    as_json = getattr(args, "json", False)
    # What the command does without a user of its own is logged as the OS account's.
    actor = audit.system_actor.set(f"cli:{_os_account()}")
    try:
        result = COMMANDS[name](args)
    except DaichoError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": exc.as_dict()["error"]}, ensure_ascii=False,
                             default=str))
        else:
            print(exc.message, file=sys.stderr)
            for key, value in exc.details.items():
                print(f"  {key}: {json.dumps(value, ensure_ascii=False)[:2000]}", file=sys.stderr)
        return 1
    except Exception as exc:  # no traceback for the person at the terminal; exit 1 as promised
        message = f"{type(exc).__name__}: {exc}"
        if as_json:
            print(json.dumps({"ok": False, "error": {"code": Code.FAILED, "message": message[:2000]}},
                             ensure_ascii=False))
        else:
            print(message[:2000], file=sys.stderr)
        return 1
    finally:
        audit.system_actor.reset(actor)
    ok = bool(result.pop("ok", True))
    text = result.pop("_text", None)
    if as_json:
        print(json.dumps({"ok": ok, **result}, ensure_ascii=False, default=str))
    elif text is not None:
        print(text)
    return 0 if ok else 1


def _os_account() -> str:
    import getpass

    try:
        return getpass.getuser()[:100]
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def run() -> NoReturn:
    """The `daicho` console command: main(), then leave without tearing the interpreter down.

    Freeing every object of a big import one by one at exit took a tenth of a second and
    served nobody; what must outlive the process is finished here first: the output is
    flushed, the log handlers are shut down and the database connections closed, the lock
    keeper last (SQLite checkpoints its WAL on the last close).

    First of all the process is made private (environment.private_process): the files it creates are
    its owner's alone, whatever umask the shell had."""
    from daicho import environment

    environment.private_process()
    code = main()
    import logging

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if "django.db" in sys.modules:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        from daicho.db.sqlite import keeper

        with contextlib.suppress(Exception):
            keeper.release()  # the last connection of the process: SQLite checkpoints here
    logging.shutdown()
    os._exit(code)

