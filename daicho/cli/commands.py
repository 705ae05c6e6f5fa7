"""Implementations of the `daicho` subcommands; each returns a dict printed as JSON or text."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.translation import gettext as _

from daicho.cli.entry import command
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput, NotFound
from daicho.i18n import join_list
from daicho.services import accounts, passwords


@command("init")
def init(args: argparse.Namespace) -> dict[str, Any]:
    given = os.environ.get("DAICHO_ADMIN_PASSWORD")
    name = _("Administrator")
    if given:
        # Refused before anything is created or migrated.
        passwords.check_policy(given, login="admin", name=name)
    call_command("migrate", interactive=False, verbosity=0)
    from daicho.db.schema import upgrade_ledger_tables

    upgrade_ledger_tables()
    user_model = get_user_model()
    if user_model.objects.exists():
        return {"created_admin": False, "_text": _("The database is up to date.")}
    generated = not given
    password = given or passwords.generate(login="admin", name=name)  # made to pass the policy
    accounts.create_user(login="admin", name=name, admin=True, password=password)
    text = _("Created the administrator. Login: admin")
    if generated:
        text += "\n" + _("Password: %(password)s (shown only this once)") % {"password": password}
    result: dict[str, Any] = {"created_admin": True, "login": "admin", "_text": text}
    if generated:
        result["password"] = password
    return result


@command("serve")
def serve(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.server import run

    run(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return {"_text": ""}


@command("demo")
def demo(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.demo.city import load_demo

    created = load_demo()
    if not created:
        return {"created": created,
                "_text": _("The demo data is already loaded; nothing was changed.")}
    return {"created": created,
            "_text": _("Demo data loaded: %(names)s") % {"names": join_list(created)}}


@command("user create")
def user_create(args: argparse.Namespace) -> dict[str, Any]:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput(_("No password was given on stdin."), code=Code.EMPTY_PASSWORD)
    user = accounts.create_user(login=args.login, name=args.name, org=args.org, admin=args.admin,
                                password=password, roles=args.role, email=args.email)
    return {"login": user.get_username(),
            "_text": _("Created the user %(login)s.") % {"login": user.get_username()}}


def _password_from(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(_("New password: "))
    if first != getpass.getpass(_("New password again: ")):
        raise InvalidInput(_("The two passwords are not the same."), code=Code.PASSWORD_MISMATCH)
    return first


@command("user password")
def user_password(args: argparse.Namespace) -> dict[str, Any]:
    password = _password_from(args)
    if not password:
        raise InvalidInput(_("No password was given."), code=Code.EMPTY_PASSWORD)
    user = passwords.set_password(login=args.login, password=password)
    return {"login": user.get_username(),
            "_text": _("The password of %(login)s was set.") % {"login": user.get_username()}}


def _existing_user(login: str) -> Any:
    user = get_user_model().objects.filter(username=login).first()
    if user is None:
        raise NotFound(_("There is no user 「%(login)s」.") % {"login": login[:50]},
                       code=Code.UNKNOWN_USER)
    return user


@command("user unlock")
def user_unlock(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.services import signin

    login = _existing_user(args.login).get_username()
    count = signin.unlock(login=login, by=None)
    return {"login": login, "unlocked": count,
            "_text": _("%(login)s may sign in again from every address.") % {"login": login}}


@command("user reset-2fa")
def user_reset_2fa(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.services import twofactor

    user = _existing_user(args.login)
    had = twofactor.reset(user=user, by=None)
    return {"login": user.get_username(), "reset": had,
            "_text": _("The two-step sign-in of %(login)s was reset.")
            % {"login": user.get_username()}}


@command("org import")
def org_import(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.services.orgs import import_orgs

    path = Path(args.file)
    if not path.is_file():
        raise NotFound(_("There is no file 「%(path)s」.") % {"path": args.file[:200]},
                       code=Code.NO_FILE)
    result = import_orgs(path)
    result["_text"] = _("Departments: %(created)d created, %(updated)d updated, "
                        "%(scheduled)d scheduled.") % result
    return result


@command("org apply")
def org_apply(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.services.orgs import apply_due_changes

    applied = apply_due_changes()
    return {"applied": applied,
            "_text": _("Applied %(n)d scheduled department changes.") % {"n": applied}}


@command("audit verify")
def audit_verify(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.services import audit_anchor
    from daicho.services.audit import verify

    result = verify()
    if args.anchors:
        folder = Path(args.anchors)
        if not folder.is_dir():
            raise NotFound(_("There is no folder %(dir)s.") % {"dir": args.anchors[:200]},
                           code=Code.NO_ANCHOR_DIR)
        anchored = audit_anchor.check(folder)
        result["anchors"] = anchored["anchors"]
        result["problems"] += anchored["problems"]
        result["ok"] = result["ok"] and anchored["ok"]
    if result["ok"]:
        result["_text"] = _("The access log is intact (%(n)d entries).") % {"n": result["checked"]}
        if args.anchors:
            result["_text"] += "\n" + _("It matches all %(n)d anchors.") % {"n": result["anchors"]}
    else:
        result["_text"] = "\n".join(
            [_("The access log was altered:")]
            + [f"  seq {p['seq']}: {_problem_text(p['problem'])}" for p in result["problems"]])
    return result


def _problem_text(code: str) -> str:
    texts = {
        "altered": _("the entry was changed"),
        "missing": _("the entry is missing"),
        "broken_link": _("the link to the entry before it is broken"),
        "missing_tail": _("entries at the end are missing"),
        "bad_checkpoint": _("the retention checkpoint does not match"),
        "anchor_mismatch": _("the entry differs from the anchor written outside the database "
                             "(the log was rewritten)"),
        "anchor_truncated": _("the log ends before an entry that was anchored (entries at the "
                              "end were removed)"),
        "anchor_missing": _("an anchored entry is missing"),
        "anchor_unreadable": _("a line of the anchor files cannot be read"),
    }
    return f"{texts.get(code, code)} ({code})"


@command("audit anchor")
def audit_anchor_now(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from django.conf import settings

    from daicho import environment
    from daicho.services import audit_anchor

    folder = Path(args.dir).resolve() if args.dir else environment.audit_anchor_dir()
    if folder is None and not environment.audit_anchor_syslog():
        raise InvalidInput(_("Set DAICHO_AUDIT_ANCHOR_DIR (or DAICHO_AUDIT_ANCHOR_SYSLOG=1), or "
                             "give --dir, to say where the anchor is written."),
                           code=Code.NO_ANCHOR_DIR)
    if folder is not None and folder.is_relative_to(Path(settings.DATA_DIR).resolve()):
        raise InvalidInput(_("Anchors must be written outside the data dir: whoever can rewrite "
                             "the database could rewrite them there too."),
                           code=Code.INVALID_ANCHOR_DIR)
    result = audit_anchor.anchor(directory=folder)
    result["_text"] = _("Anchored the access log at entry %(seq)d (%(hash)s) in: %(where)s") % {
        "seq": result["seq"], "hash": result["hash"][:16],
        "where": ", ".join(result["written_to"])}
    return result


@command("audit prune")
def audit_prune(args: argparse.Namespace) -> dict[str, Any]:
    from daicho import environment
    from daicho.services.audit import prune

    try:
        days = args.days if args.days is not None else environment.audit_retention_days()
    except ValueError as exc:
        raise InvalidInput(str(exc), code=Code.INVALID_SETTING) from None
    if days is None:
        return {"deleted": 0, "_text": _("The access log is kept forever "
                                         "(DAICHO_AUDIT_RETENTION_DAYS is not set).")}
    if days < 1:
        raise InvalidInput(_("--days is 1 or more."), code=Code.USAGE)
    result = prune(days=days)
    result["_text"] = _("Deleted %(n)d access-log entries older than %(days)d days.") % {
        "n": result["deleted"], "days": days}
    return result


@command("token create")
def token_create(args: argparse.Namespace) -> dict[str, Any]:
    user = get_user_model().objects.filter(username=args.login, is_active=True).first()
    if user is None:
        raise NotFound(_("There is no user 「%(login)s」.") % {"login": args.login[:50]},
                       code=Code.UNKNOWN_USER)
    expires_at = accounts.expiry_from_day(args.expires) if args.expires else None
    token = accounts.create_token(user=user, label=args.label, read_only=args.read_only,
                                  expires_at=expires_at)
    return {"token": token, "_text": token}


@command("backup")
def backup(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.maintenance import backup as run_backup

    secret = _secret(args)
    if args.encrypt and secret is None:
        raise InvalidInput(_("--encrypt needs --passphrase-stdin or --key-file."),
                           code=Code.NO_SECRET)
    if secret is not None and not args.encrypt:
        raise InvalidInput(_("Add --encrypt to encrypt the backup with this passphrase or key."),
                           code=Code.NO_SECRET)
    summary = run_backup(args.file, secret=secret)
    text = _("Encrypted backup written to %(file)s.") if secret else _(
        "Backup written to %(file)s.")
    return {**summary, "_text": text % {"file": args.file}}


def _secret(args: argparse.Namespace) -> Any:
    """The passphrase (first line of stdin) or key file a backup is encrypted with."""
    from pathlib import Path

    from daicho.maintenance.crypt import Secret

    if args.passphrase_stdin:
        return Secret.passphrase(sys.stdin.readline().rstrip("\r\n"))
    if args.key_file:
        return Secret.key_file(Path(args.key_file))
    return None


@command("restore")
def restore(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.maintenance import restore as run_restore

    summary = run_restore(args.file, secret=_secret(args))
    return {**summary, "_text": _("Restored from %(file)s.") % {"file": args.file}}


@command("check")
def check(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.maintenance import check as run_check

    problems = run_check()
    text = _("No problems found.") if not problems else "\n".join(
        f"- {p['message']}" for p in problems)
    return {"ok": not problems, "problems": problems, "_text": text}


def acting_user(login: str | None) -> Any:
    """The user a command acts as: --as LOGIN, else the first administrator."""
    user_model = get_user_model()
    if login:
        user = user_model.objects.filter(username=login, is_active=True).first()
        if user is None:
            raise NotFound(_("There is no user 「%(login)s」.") % {"login": login[:50]},
                           code=Code.UNKNOWN_USER)
        return user
    user = user_model.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if user is None:
        raise InvalidInput(_("No administrator exists yet. Run `daicho init` first."),
                           code=Code.NOT_INITIALIZED)
    return user


def ledger_by_id_or_name(user: Any, ref: str, right: str) -> Any:
    from daicho import access
    from daicho.models import Ledger

    found = Ledger.objects.filter(name=ref).values_list("id", flat=True).first()
    if found is None and ref.isdigit():
        found = int(ref)
    if found is None:
        raise NotFound(_("There is no ledger 「%(ref)s」.") % {"ref": ref[:100]}, code=Code.UNKNOWN_LEDGER)
    return access.ledger_for(user, found, right)


@command("export")
def export(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.services.exports import export_ledger, substitutions_text

    user = acting_user(args.as_login)
    schema = ledger_by_id_or_name(user, args.ledger, "export")
    result = export_ledger(user=user, schema=schema, fmt=args.format, path=Path(args.output),
                           encoding=args.encoding, replace=args.replace, filters=args.filter,
                           search=args.q, detail=args.detail)
    text = _("Exported %(n)d records to %(file)s.") % {"n": result["rows"], "file": args.output}
    if result["replaced_count"]:
        text += "\n" + _("%(n)d characters that cp932 cannot hold were written as 〓.") % {
            "n": result["replaced_count"]}
    if result["substituted_count"]:
        text += "\n" + substitutions_text(result)
    return {**result, "file": args.output, "_text": text}


class _ProgressBar:
    """A progress bar on stderr for long imports (only when stderr is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        percent = 100 * done // max(total, 1)
        if percent == self.last:
            return
        self.last = percent
        bar = "#" * (percent // 4)
        sys.stderr.write(f"\r{_('Importing')} [{bar:<25}] {percent:3d}%")
        if percent >= 100:
            sys.stderr.write("\n")
        sys.stderr.flush()


@command("import")
def import_file(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.cli.import_text import failure_text, success_text
    from daicho.services.imports import ImportOptions, run_import

    user = acting_user(args.as_login)
    path = Path(args.file)
    if not path.is_file():
        raise NotFound(_("There is no file %(file)s.") % {"file": args.file}, code=Code.FILE_NOT_FOUND)
    opts = ImportOptions(ledger=args.ledger, name=args.name, sheet=args.sheet or args.table,
                         header_row=args.header_row, encoding=args.encoding, key=args.key,
                         mode=args.mode, skip_bad_rows=args.skip_bad_rows, dry_run=args.dry_run)
    try:
        report = run_import(user=user, path=path, filename=path.name, opts=opts,
                            progress=_ProgressBar(not args.no_progress and not args.json),
                            early=getattr(args, "early", None))
    except DaichoError as exc:
        raise _for_the_terminal(exc, as_json=args.json) from None
    if not report["ok"]:
        sys.stderr.write(failure_text(report) + "\n")
        return report
    report["_text"] = success_text(report, new_ledger=not args.ledger)
    return report


def _for_the_terminal(exc: DaichoError, *, as_json: bool) -> DaichoError:
    """A refused import as the command tells it: a taken name points at --name, and the
    message stands alone (its details are for --json)."""
    if exc.code == Code.DUPLICATE_LEDGER_NAME and exc.details.get("suggested_name"):
        message = _("A ledger named 「%(name)s」 already exists. Give another name with --name, "
                    "for example --name \"%(free)s\".") % {
            "name": exc.details["name"], "free": exc.details["suggested_name"]}
        exc = type(exc)(message, code=exc.code, status=exc.status, details=exc.details)
    if not as_json:
        exc.details = {}
    return exc


@command("reminders run")
def reminders_run(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.services.reminders import run_reminders

    counts = run_reminders()
    return {**counts, "_text": _("Produced %(n)d reminder notifications.")
            % {"n": counts["notifications"]}}


@command("mail send")
def mail_send(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.services import mail

    if not mail.enabled():
        raise InvalidInput(_("DAICHO_SMTP_URL is not set, so no mail is sent."),
                           code=Code.MAIL_NOT_CONFIGURED)
    counts = mail.send_due()
    return {**counts, "_text": _("Sent %(sent)d mails; %(retry)d will be tried again, "
                                 "%(failed)d failed.") % counts}


@command("report committee")
def report_committee(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.plan import report

    user = acting_user(args.as_login)
    write = report.write_pdf if args.format == "pdf" else report.write_xlsx
    count = write(user, args.fy, Path(args.output))
    return {"file": args.output, "fiscal_year": args.fy, "rows": count,
            "_text": _("Wrote the committee report for fiscal %(fy)d to %(file)s.")
            % {"fy": args.fy, "file": args.output}}


@command("report roadmap")
def report_roadmap(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from daicho.plan import roadmap_xlsx

    Path(args.output).write_bytes(roadmap_xlsx.export(acting_user(args.as_login)))
    return {"file": args.output,
            "_text": _("Wrote the roadmap to %(file)s.") % {"file": args.output}}


@command("report candidates")
def report_candidates(args: argparse.Namespace) -> dict[str, Any]:
    from daicho.plan import candidates

    items = candidates.find(acting_user(args.as_login))
    lines = [" / ".join(s["name"] for s in item["systems"]) + ": " + item["reason"]
             for item in items]
    return {"items": items, "_text": "\n".join(lines) or _("No candidates.")}
