"""The UI text names no competing product: templates, scripts, styles and the catalogue of
messages (every msgid and its Japanese msgstr). Comments in Python code may name them; those
are not shown to anyone."""

from __future__ import annotations

import re
from pathlib import Path

import polib

from tests.conftest import ROOT

WEB = ROOT / "daicho" / "web"
CATALOGUE = ROOT / "daicho" / "locale" / "ja" / "LC_MESSAGES" / "django.po"
COMPETITORS = re.compile(r"kintone|キントーン|pleasanter|プリザンター|exment|baserow|nocodb",
                         re.IGNORECASE)


def _ui_files() -> list[Path]:
    found = [p for pattern in ("templates/**/*.html", "static/**/*.js", "static/**/*.css")
             for p in WEB.glob(pattern) if not p.name.endswith(".min.js")]
    assert len(found) > 50  # the glob found the templates and scripts
    return found


def test_templates_and_scripts_name_no_competitor() -> None:
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
            for path in _ui_files()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if COMPETITORS.search(line)]
    assert hits == []


def test_messages_name_no_competitor() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    hits = [entry.msgid[:100] for entry in catalogue if not entry.obsolete
            and COMPETITORS.search(" ".join([entry.msgid, entry.msgstr, entry.msgid_plural,
                                             *entry.msgstr_plural.values()]))]
    assert hits == []
