"""Text helpers the emergency services modules share: cleaning free text and phone numbers,
labels for status codes, and clipping a value to its model field's length."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")
# Incident.notes is a TextField: this is the longest note a call may carry
NOTES_MAX = 4000


def _label(status: str, choices) -> str:
    return str(dict(choices.choices).get(status, status))


def _clean_text(value: str, field_name: str, max_len: int) -> str:
    value = (value or "").strip()
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise InvalidInput(_("Berisi karakter yang tidak sah."), field=field_name)
    if len(value) > max_len:
        raise InvalidInput(_("Paling panjang %(n)s karakter.") % {"n": max_len}, field=field_name)
    return value


def _normal_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits
