"""Every error code is one member of `daicho.error_codes.Code`, documented in docs/api.md, and
raised as a member, never as a bare string (as Datasette tests its settings and hooks)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from daicho.error_codes import Code

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `([a-z][a-z0-9_]*)` \| ([^|]+) \| ([^|]+) \|$")
# Django's own form-validation codes (ValidationError(code=...)): they name the form error for
# Django and never reach a client as daicho's `error.code`.
DJANGO_CALLS = {"ValidationError"}
# Codes the contract names (contract §4, §7, §8): their spelling is binding.
CONTRACT = {"conflict", "read_only_field", "formula_cycle", "invalid_expression",
            "action_not_allowed"}


def documented() -> dict[str, str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        found = ROW.match(line)
        if found:
            assert found.group(1) not in rows, f"{found.group(1)} is documented twice"
            rows[found.group(1)] = found.group(3).strip()
    return rows


def test_every_code_is_documented() -> None:
    missing = sorted(c.value for c in Code if c.value not in documented())
    assert missing == [], f"add these codes to docs/api.md, 'Error codes': {missing}"


def test_every_documented_code_is_in_the_enum() -> None:
    members = {c.value for c in Code}
    unknown = sorted(c for c in documented() if c not in members)
    assert unknown == [], f"docs/api.md documents codes daicho never raises: {unknown}"


def test_every_documented_code_says_what_it_means() -> None:
    assert all(meaning for meaning in documented().values())


def test_members_are_their_own_names() -> None:
    assert all(c.name == c.value.upper() for c in Code)
    assert CONTRACT <= {c.value for c in Code}


def _raw_codes(path: Path) -> list[str]:
    """`code="..."` keywords, `ImportFileError("...", …)`, `code = "..."` class attributes and
    `{"code": "..."}` error bodies that spell a code as a bare string."""
    def text(node: ast.expr | None) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str)

    found: list[str] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if name in DJANGO_CALLS:
                continue
            for kw in node.keywords:
                if kw.arg == "code" and text(kw.value):
                    found.append(f"{where}:{node.lineno}")
            if name == "ImportFileError" and node.args and text(node.args[0]):
                found.append(f"{where}:{node.lineno}")
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                target = stmt.target if isinstance(stmt, ast.AnnAssign) else (
                    stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
                if isinstance(target, ast.Name) and target.id == "code" and \
                        text(getattr(stmt, "value", None)):
                    found.append(f"{where}:{stmt.lineno}")
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"code", "message"} <= keys:
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "code" and text(v):
                        found.append(f"{where}:{node.lineno}")
    return found


def test_no_code_is_raised_as_a_bare_string() -> None:
    raw = [hit for path in sorted((ROOT / "daicho").rglob("*.py"))
           if "migrations" not in path.parts for hit in _raw_codes(path)]
    assert raw == [], f"raise these with a daicho.error_codes.Code member: {raw}"
