"""Checks of the text and number fields of a referral, and clipping to a column's length
(shared by the input, operation and hand-over modules of this package)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput

from ..models import Referral

LONG_TEXT = 4000  # free-text clinical fields (TextField): our own limit, not the column's
SHORT_TEXT = 255  # any other text input
# Referral columns a ReferralInput fills as text, checked against their column's length
TEXT_FIELDS = (
    "patient_name",
    "patient_birth_place",
    "patient_mrn",
    "patient_contact",
    "patient_address",
    "reason_text",
    "doctor_name",
    "officer_name",
    "anamnesis",
    "blood_pressure",
    "general_condition",
    "allergies",
    "lab_results",
    "radiology_results",
    "therapy",
    "sender_label",
    "incident_ref",
)
TEXT_LIMITS = {name: Referral._meta.get_field(name).max_length or LONG_TEXT for name in TEXT_FIELDS}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(value: object, name: str) -> str:
    """A text input stripped; refused when not text, with control characters or too long."""
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidInput(_("Isian ini harus berupa teks."), field=name)
    text = str(value).strip()
    if CONTROL_CHARS.search(text):
        raise InvalidInput(_("Isian ini berisi karakter yang tidak sah."), field=name)
    limit = TEXT_LIMITS.get(name, SHORT_TEXT)
    if len(text) > limit:
        raise InvalidInput(_("Paling panjang %(n)s karakter.") % {"n": limit}, field=name)
    return text


def check_int(
    value: object, name: str, low: int, high: int, *, required: bool = False
) -> int | None:
    """An integer input within [low, high]; None when empty and not required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_("Wajib diisi."), field=name)
        return None
    if isinstance(value, bool):
        raise InvalidInput(_("Harus bilangan bulat."), field=name)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(_("Harus bilangan bulat."), field=name) from None
    if not low <= number <= high:
        raise InvalidInput(_("Harus antara %(a)s dan %(b)s.") % {"a": low, "b": high}, field=name)
    return number


def check_staff_id(value: str, name: str, limit: int) -> str:
    """A staff identifier as the sending system keeps it (a login id, a NIP, sometimes a NIK):
    stored as sent, checked only for length and control characters."""
    value = check_text(value, name)
    if len(value) > limit:
        raise InvalidInput(_("Paling panjang %(n)s karakter.") % {"n": limit}, field=name)
    return value


def check_nik_like(value: str, name: str) -> str:
    """Empty or 16 digits (a NIK whose owner is not the patient: no region check)."""
    value = check_text(value, name)
    if value and not re.fullmatch(r"[0-9]{16}", value):
        raise InvalidInput(_("NIK harus terdiri dari 16 angka."), field=name)
    return value
