"""Input cleaning shared by the home-care services: free text, kelurahan, position."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.text import max_length
from sigap.regions.models import Region

from ..models import HomecareRequest

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,20}$")


def _clean(text: str | None, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = (text or "").strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InvalidInput(_("Berisi karakter yang tidak sah."), field=field)
    if required and not value:
        raise InvalidInput(_("%(label)s wajib diisi.") % {"label": label}, field=field)
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s paling panjang %(n)s karakter.") % {"label": label, "n": max_len},
            field=field,
        )
    return value


def _village(code: str | None) -> Region:
    village = Region.objects.filter(code=(code or "").strip(), level=Region.Level.VILLAGE).first()
    if village is None:
        raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="village_code")
    return village


def _position(village: Region, lat: float | None, lon: float | None) -> tuple[float, float]:
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput(_("Koordinat tidak sah."), field="latitude")
        return float(lat), float(lon)
    if village.latitude is None or village.longitude is None:
        raise InvalidInput(_("Kelurahan ini belum punya koordinat."), field="village_code")
    return village.latitude, village.longitude


def _reason(reason: str | None) -> str:
    return _clean(reason, "reason", _("Alasan"), max_length(HomecareRequest, "status_reason"))
