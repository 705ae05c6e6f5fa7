"""Every setting daicho reads is documented in docs/configuration.md, and everything documented
there is read (as Datasette's test_settings_are_documented)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"^(DAICHO_[A-Z0-9_]+|PGBIN)$")
ROW = re.compile(r"^\| `([A-Za-z0-9_]+)` \| ([^|]+) \| ([^|]+) \|$")
# Names of Django settings (getattr(settings, ...)) and django-auth-ldap's prefix, not variables.
NOT_VARIABLES = {"DAICHO_2FA", "DAICHO_LDAP", "DAICHO_LDAP_BACKEND_UNUSED_"}
# daicho.auth_ldap reads its variables through a helper: text("TIMEOUT") is DAICHO_LDAP_TIMEOUT.
LDAP_HELPER = ("auth_ldap/__init__.py", "text", "DAICHO_LDAP_")


def documented(heading: str) -> set[str]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for line in section.splitlines() if (m := ROW.match(line))}


def read_variables() -> set[str]:
    """Names of environment variables the code reads: a DAICHO_* (or PGBIN) string given to a
    call (`os.environ.get(...)`, `_networks(...)`) or used as a subscript (`os.environ[...]`)."""
    found: set[str] = set()
    for path in sorted((ROOT / "daicho").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        helper = str(path).endswith(LDAP_HELPER[0])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            args: list[ast.expr] = []
            if isinstance(node, ast.Call) and ast.unparse(node.func) not in ("getattr", "hasattr"):
                args = list(node.args)
                if helper and ast.unparse(node.func) == LDAP_HELPER[1] and args and \
                        isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                    found.add(LDAP_HELPER[2] + args[0].value)
                    continue
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                args = [node.slice]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                        VARIABLE.match(arg.value):
                    found.add(arg.value)
    return found - NOT_VARIABLES


def test_the_scan_finds_variables_read_in_each_way() -> None:
    read = read_variables()
    assert {"DAICHO_DATA_DIR", "DAICHO_SMTP_URL", "DAICHO_ADMIN_NETWORKS", "DAICHO_LDAP_URI",
            "DAICHO_LDAP_TIMEOUT", "DAICHO_LDAP_ROLE_MAP", "PGBIN"} <= read


def test_every_environment_variable_read_is_documented() -> None:
    missing = sorted(read_variables() - documented("Environment variables"))
    assert missing == [], f"document these in docs/configuration.md: {missing}"


def test_every_documented_variable_is_read() -> None:
    stale = sorted(documented("Environment variables") - read_variables())
    assert stale == [], f"docs/configuration.md documents variables nothing reads: {stale}"


def test_every_limit_is_documented() -> None:
    limits = documented("Limits (`settings.DAICHO`)")
    assert sorted(set(settings.DAICHO) - limits) == []
    assert sorted(limits - set(settings.DAICHO)) == []
