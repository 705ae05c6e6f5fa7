"""gettext for the packages that also run without Django: daicho.importing and daicho.exporting.

In the application these are Django's own, so the language activated for the request, for the
command line (DAICHO_LANGUAGE) or, in a background job, the default one applies. Where Django is
not set up (a script that only reads files, `pytest -p no:django`) the messages still come from
the same compiled catalogue, in Japanese, the default language, through the standard library.
"""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
from collections.abc import Iterable
from pathlib import Path

from django.utils.functional import lazy

_LOCALE = Path(__file__).resolve().parent / "locale"
# settings.LANGUAGE_CODE, which cannot be read before Django is set up.
_DEFAULT_LANGUAGE = "ja"


# Django's app registry and translation machinery are imported on first use, not with this
# module: `daicho import` starts reading the file before Django is set up, and importing them
# (asyncio comes along) would only delay that.
def gettext(message: str) -> str:
    from django.apps import apps

    if apps.ready:
        from django.utils import translation

        return translation.gettext(message)
    return _catalogue().gettext(message)


def ngettext(singular: str, plural: str, number: int) -> str:
    from django.apps import apps

    if apps.ready:
        from django.utils import translation

        return translation.ngettext(singular, plural, number)
    return _catalogue().ngettext(singular, plural, number)


gettext_lazy = lazy(gettext, str)


@functools.cache
def _catalogue() -> stdlib_gettext.NullTranslations:
    return stdlib_gettext.translation("django", _LOCALE, [_DEFAULT_LANGUAGE], fallback=True)


def join_list(items: Iterable[str]) -> str:
    """Names listed in a sentence: 「A、B」 in Japanese, "A, B" in English."""
    # Translators: the separator between the items of a list inside a sentence.
    return gettext(", ").join(items)
