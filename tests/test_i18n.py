"""The Japanese catalogue is complete, consistent with the code, and compiled.

Japanese is daicho's default language; the msgids in the code are English. These tests need no
database. When a test here fails after you added or changed a message, regenerate and translate:

    cd daicho && DAICHO_DATA_DIR=$(mktemp -d) ../.venv/bin/django-admin makemessages -l ja \\
        --settings=daicho.settings --pythonpath=.. -i "migrations/*" --no-obsolete
    # fill in every new msgstr in daicho/locale/ja/LC_MESSAGES/django.po, drop "#, fuzzy"
    cd .. && .venv/bin/python scripts/compile_messages.py
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "daicho"
LOCALE = PACKAGE / "locale"
PO = LOCALE / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PO_NAME = "daicho/locale/ja/LC_MESSAGES/django.po"
HOW_TO_FIX = "run makemessages, translate, then scripts/compile_messages.py (see tests/test_i18n.py)"

# %(name)s, %s, %d, %05.2f … as Python's %-formatting reads them; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")

Key = tuple[str | None, str, str | None]


def _po() -> polib.POFile:
    return polib.pofile(str(PO))


def _entries(catalogue: polib._BaseFile) -> list[polib._BaseEntry]:
    return [e for e in catalogue if not e.obsolete and e.msgid != ""]


def _key(entry: polib._BaseEntry) -> Key:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _show(key: Key) -> str:
    ctx, msgid, plural = key
    return (f"[{ctx}] " if ctx else "") + repr(msgid) + (f" / {plural!r}" if plural else "")


def _placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def test_header_is_japanese_with_one_plural_form() -> None:
    po = _po()
    assert not po.metadata_is_fuzzy, "the header of django.po is marked fuzzy"
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")


def test_every_message_is_translated() -> None:
    untranslated, fuzzy = [], []
    for e in _entries(_po()):
        text = e.msgstr_plural.get(0, "") if e.msgid_plural else e.msgstr
        if not text.strip():
            untranslated.append(_show(_key(e)))
        if e.fuzzy:
            fuzzy.append(_show(_key(e)))
    assert not untranslated, (f"{len(untranslated)} messages have no Japanese ({HOW_TO_FIX}):\n"
                              + "\n".join(untranslated))
    assert not fuzzy, ("fuzzy entries are ignored by gettext; check them and drop the flag:\n"
                       + "\n".join(fuzzy))


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for e in _entries(_po()):
        if "python-format" not in e.flags:
            continue
        if e.msgid_plural:
            # Japanese has one form, used for every n: it must carry what the plural msgid carries.
            expected = _placeholders(e.msgid_plural)
            texts = [e.msgstr_plural.get(0, "")]
            if not _placeholders(e.msgid) <= expected:
                wrong.append(f"{_show(_key(e))}: the singular has placeholders the plural lacks")
        else:
            expected = _placeholders(e.msgid)
            texts = [e.msgstr]
        for text in texts:
            if text and _placeholders(text) != expected:
                wrong.append(f"{_show(_key(e))}\n    -> {text!r}: has {sorted(_placeholders(text))}, "
                             f"needs {sorted(expected)}")
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


def _mo_catalogue(path: Path) -> tuple[dict[Key, object], dict[str, str]]:
    mo = polib.mofile(str(path))
    entries: dict[Key, object] = {}
    for e in mo:
        if e.msgid == "":
            continue
        entries[_key(e)] = dict(e.msgstr_plural) if e.msgid_plural else e.msgstr
    return entries, mo.metadata


def test_compiled_catalogue_is_up_to_date(tmp_path: Path) -> None:
    assert MO.is_file(), f"{PO_NAME[:-3]}.mo is missing; run scripts/compile_messages.py"
    fresh = tmp_path / "django.mo"
    _po().save_as_mofile(str(fresh))
    want, want_meta = _mo_catalogue(fresh)
    have, have_meta = _mo_catalogue(MO)
    stale = sorted(_show(k) for k in want.keys() | have.keys() if want.get(k) != have.get(k))
    assert not stale, (f"django.mo does not match django.po for {len(stale)} messages; run "
                       "scripts/compile_messages.py:\n" + "\n".join(stale[:50]))
    for name in ("Plural-Forms", "Content-Type"):
        assert have_meta.get(name) == want_meta.get(name), f"django.mo has another {name} header"


def test_django_serves_the_japanese_catalogue() -> None:
    """LOCALE_PATHS points at the catalogue, and it wins over Django's own Japanese."""
    from django.utils import translation

    po = {(e.msgctxt, e.msgid): e for e in _po()}
    msgid = "This field is required."
    singular, plural = "%(n)s record", "%(n)s records"
    with translation.override("ja"):
        assert translation.gettext(msgid) == po[None, msgid].msgstr
        assert translation.ngettext(singular, plural, 3) == po[None, singular].msgstr_plural[0]
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid


def _copy_sources(dest: Path) -> None:
    """The package's translatable sources without any locale dir, so makemessages writes nowhere
    but into the temporary LOCALE_PATHS."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        return {n for n in names
                if n in ("locale", "__pycache__") or n.startswith(".")
                or ((here / n).is_file() and Path(n).suffix not in (".py", ".html", ".txt"))}

    shutil.copytree(PACKAGE, dest, ignore=ignore, symlinks=False)


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msguniq") is None,
                    reason="GNU gettext (xgettext) is not installed")
def test_every_message_in_the_code_is_in_the_catalogue(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command
    from django.test import override_settings

    sources = tmp_path / "src" / "daicho"
    out = tmp_path / "out" / "locale"
    _copy_sources(sources)
    out.mkdir(parents=True)
    monkeypatch.chdir(sources)  # makemessages reads the tree under the current directory
    with override_settings(LOCALE_PATHS=[str(out)]):
        call_command("makemessages", locale=["ja"], ignore_patterns=["migrations/*"], no_obsolete=True,
                     verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    extracted = polib.pofile(str(out / "ja" / "LC_MESSAGES" / "django.po"))
    in_code = {_key(e): e for e in _entries(extracted)}
    assert in_code, "makemessages found no messages at all"
    committed = {_key(e) for e in _entries(_po())}
    missing = sorted(set(in_code) - committed, key=lambda k: (k[1], k[0] or ""))
    lines = []
    for key in missing:
        where = ", ".join(f"{path}:{line}" for path, line in in_code[key].occurrences[:3])
        lines.append(f"{_show(key)}  ({where})")
    assert not missing, (f"{len(missing)} messages in the code are not in "
                         f"{PO_NAME} ({HOW_TO_FIX}):\n" + "\n".join(lines))
