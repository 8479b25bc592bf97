"""The English catalogue (sigap/locale/en/LC_MESSAGES/django.po) as the i18n tests read it."""

from functools import cache
from pathlib import Path

import polib

import sigap

MESSAGES = Path(sigap.__file__).parent / "locale" / "en" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"


def key(entry: polib.POEntry) -> str:
    """gettext's lookup key: the msgid, or "context\\x04msgid" for a pgettext entry."""
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid


@cache
def english() -> dict[str, str]:
    """msgid -> English for every entry that gettext would use (translated, not fuzzy, not
    obsolete); a plural entry maps to its singular English."""
    return {
        key(e): e.msgstr_plural[0] if e.msgid_plural else e.msgstr
        for e in polib.pofile(str(PO)).translated_entries()
    }
