"""How an import names a new ledger (contract §3.1): after the sheet, or after the file when the
sheet has a name the spreadsheet program gave it; a derived name that is taken becomes the first
free 「name(2)」, 「name(3)」 … with a warning, while a name the person gave and that is taken is
refused with a free one suggested. The CLI, the API and the wizard all ask here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from daicho.error_codes import Code
from daicho.errors import Conflict
from daicho.importing import ParsedTable
from daicho.importing.sheets import is_default_name
from daicho.models import Ledger


def default_name(table: ParsedTable, filename: str) -> str:
    """A new ledger's name when none is given: the sheet's (or Access table's) name, or the
    file's when the sheet has a name the spreadsheet program gave it (Sheet1, シート1 …)."""
    sheet = table.sheet if table.format != "csv" else None
    stem = Path(filename).stem.strip()
    if sheet and sheet.strip() and not is_default_name(sheet):
        return sheet.strip()
    return stem or (sheet or "").strip() or _("Imported ledger")


def free_name(base: str) -> str:
    """`base`, or the first of 「base(2)」, 「base(3)」 … that no ledger has (names ≤ 200)."""
    base = base.strip()[:200]
    taken = set(Ledger.objects.filter(name__startswith=base[:150]).values_list("name", flat=True))
    n = 1
    candidate = base
    while candidate in taken:
        n += 1
        suffix = f"({n})"
        candidate = base[:200 - len(suffix)] + suffix
    return candidate


def proposed_name(table: ParsedTable, filename: str) -> str:
    """The name the wizard offers for a new ledger: the default name, made free."""
    return free_name(default_name(table, filename))


def check_new_name(name: str) -> None:
    """A name given for the new ledger that is taken is refused up front, with a free one."""
    wanted = name.strip()
    if wanted and Ledger.objects.filter(name=wanted).exists():
        free = free_name(wanted)
        raise Conflict(_("A ledger named 「%(name)s」 already exists. Please choose another name, "
                         "for example 「%(free)s」.") % {"name": wanted, "free": free},
                       code=Code.DUPLICATE_LEDGER_NAME,
                       details={"name": wanted[:200], "suggested_name": free})


def free_default_name(table: ParsedTable, filename: str,
                       warnings: list[dict[str, Any]]) -> str:
    """The default name, or a free one next to it when a ledger has it (with a warning)."""
    base = default_name(table, filename)
    name = free_name(base)
    if name != base:
        warnings.insert(0, {"row": None, "message": _(
            "A ledger named 「%(base)s」 already exists, so the new ledger is named 「%(name)s」.")
            % {"base": base, "name": name}})
    return name
