"""A filled form to PDF with LibreOffice headless (Debian's libreoffice-calc-nogui), on the
server, never through a service outside the closed network.

Each conversion runs in its own process group with its own throw-away profile directory and a
time limit, so a hanging or crashed LibreOffice never blocks the next one and never "restores"
a previous document. Fonts: every font the template names must be installed, or be one of the
Windows fonts of `SUBSTITUTES`, which are set explicitly to the IPAex font of the same kind
through a fontconfig file of the conversion — never a silent fallback: a template naming any
other missing font is refused with its name."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 90  # seconds for one conversion

GOTHIC, MINCHO = "IPAexGothic", "IPAexMincho"
# The fonts of Japanese Excel files, and the installed font each is set in.
SUBSTITUTES = {
    "ＭＳ Ｐゴシック": GOTHIC, "ＭＳ ゴシック": GOTHIC, "MS PGothic": GOTHIC, "MS Gothic": GOTHIC,
    "ＭＳ Ｐ明朝": MINCHO, "ＭＳ 明朝": MINCHO, "MS PMincho": MINCHO, "MS Mincho": MINCHO,
    "游ゴシック": GOTHIC, "Yu Gothic": GOTHIC, "游ゴシック Light": GOTHIC,
    "游明朝": MINCHO, "Yu Mincho": MINCHO, "メイリオ": GOTHIC, "Meiryo": GOTHIC,
    "Meiryo UI": GOTHIC, "BIZ UDPゴシック": GOTHIC, "BIZ UDゴシック": GOTHIC,
    "BIZ UDP明朝": MINCHO, "BIZ UD明朝": MINCHO,
    "Calibri": GOTHIC, "Arial": GOTHIC, "Century": MINCHO, "Times New Roman": MINCHO,
}


class ConvertError(Exception):
    """No PDF: the message says why, in Japanese."""


class MissingFonts(ConvertError):
    """The form names fonts this server has not got (a fault of the form, not of the server)."""


def converter() -> str | None:
    """The LibreOffice program (`DAICHO_SOFFICE`, else soffice on the PATH), or None when it is
    not installed (xlsx only, then)."""
    configured = os.environ.get("DAICHO_SOFFICE")
    if configured is not None:  # set: that program only ("" or a missing path: no PDF)
        return configured if configured and os.access(configured, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def installed_fonts() -> set[str]:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def missing_fonts(fonts: set[str]) -> list[str]:
    """The fonts of `fonts` that are neither installed nor set to a substitute."""
    have = installed_fonts()
    return sorted(f for f in fonts if f not in have and f not in SUBSTITUTES)


def _fontconfig(folder: Path) -> Path:
    rules = "".join(
        f"<match target=\"pattern\"><test name=\"family\"><string>{name}</string></test>"
        f"<edit name=\"family\" mode=\"assign\" binding=\"strong\"><string>{font}</string></edit>"
        "</match>" for name, font in SUBSTITUTES.items())
    path = folder / "fonts.conf"
    path.write_text("<?xml version=\"1.0\"?><fontconfig><include ignore_missing=\"yes\">"
                    f"/etc/fonts/fonts.conf</include>{rules}</fontconfig>", encoding="utf-8")
    return path


def to_pdf(xlsx: bytes, fonts: set[str]) -> bytes:
    from django.utils.translation import gettext as _

    program = converter()
    if program is None:
        raise ConvertError(_("PDF cannot be made on this server: LibreOffice is not installed. "
                             "Print as Excel (xlsx) instead, or ask the administrator to "
                             "install libreoffice-calc-nogui."))
    missing = missing_fonts(fonts)
    if missing:
        raise MissingFonts(_("The form uses fonts that are not installed on the server: "
                             "%(fonts)s. Change the font in the form, or ask the administrator "
                             "to install it.") % {"fonts": "、".join(missing)[:300]})
    with tempfile.TemporaryDirectory(prefix="daicho-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "form.xlsx"
        source.write_bytes(xlsx)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
               "LANG": "ja_JP.UTF-8", "FONTCONFIG_FILE": str(_fontconfig(folder))}
        command = [program, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
                   "--norestore", "--nologo", "--nolockcheck", "--nodefault",
                   "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        proc = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ConvertError(_("Making the PDF took too long and was stopped.")) from None
        finally:
            try:  # whatever LibreOffice left running in its group
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        result = folder / "form.pdf"
        if proc.returncode != 0 or not result.exists():
            raise ConvertError(_("LibreOffice could not make a PDF of this form."))
        return result.read_bytes()
