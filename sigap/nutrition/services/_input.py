"""Small helpers the service modules share: today's date, plausible-range checks, public
ids from the URL, and fitting text to a model field."""

from __future__ import annotations

import uuid
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput, NotFound


def _today() -> date:
    return timezone.localdate()


def _check_ranges(*rows: tuple[float | None, str, float, float]) -> None:
    """(value, field, low, high): a filled value outside its plausible range is refused."""
    for value, field, low, high in rows:
        if value is not None and not (low <= value <= high):
            raise InvalidInput(
                _("Nilai di luar rentang %(low)s–%(high)s.") % {"low": low, "high": high},
                field=field,
            )


def _uuid(value, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(_("%(what)s tidak ditemukan.") % {"what": what}) from None
