"""The rooms' walls (issue 18): the import-linter contracts hold, and docs/architecture.md's room
table names the same layers in the same order."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    return [[m.strip().strip("()").removeprefix("daicho.") for m in re.split(r"[:|]", layer)]
            for layer in contract["layers"]]


def _rooms() -> list[list[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("### Rooms", 1)[1].split("\n\n")[2]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    return [re.findall(r"`([a-z_.]+)`", row.split(" | ")[0]) for row in rows[1:]]


def test_the_room_table_is_the_layers_contract() -> None:
    assert _rooms() == _layers()


def test_the_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    # No cache: parallel test workers would write it at once.
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
