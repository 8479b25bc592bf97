"""Taking a call: one call's data (`IncidentInput`), its validation, the call-back number of
a public SOS, repeat calls, and placing the call on the console that serves it (`areas`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.services import Actor
from sigap.core.text import max_length
from sigap.core.travel import haversine_km
from sigap.facilities.models import Service
from sigap.regions.models import Region

from .. import areas, reference
from ..models import Incident
from ._text import NOTES_MAX, PHONE_RE, _clean_text, _normal_phone
from .places import area_settings, nearest_village
from .transitions import ACTIVE_INCIDENT

PHONE_MAX = max_length(Incident, "caller_phone")


@dataclass
class IncidentInput:
    """One call's data, whatever channel it came through."""

    latitude: float | None = None
    longitude: float | None = None
    village_code: str = ""
    address: str = ""
    caller_phone: str = ""
    caller_name: str = ""
    category: str = "medical"
    triage: str = ""
    triage_answers: dict[str, bool] = field(default_factory=dict)
    victims: int = 1
    notes: str = ""
    service_needed: str = ""
    agencies: list[str] | None = None
    source: str = Incident.Source.CALL
    partner_ref: str = ""
    # the call-taker confirmed a point outside the console's area (see `areas`)
    allow_out_of_area: bool = False
    idempotency_key: str = ""


def validate_incident(data: IncidentInput) -> tuple[IncidentInput, Region | None]:
    """Check a call before anything is written; returns the cleaned input and its village."""
    village = None
    village_code = _clean_text(data.village_code, "village_code", max_length(Region, "code"))
    if village_code:
        if not village_code.isdigit():
            raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="village_code")
        village = Region.objects.filter(code=village_code, level=4).first()
        if village is None:
            raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="village_code")
    lat, lon = data.latitude, data.longitude
    for value, name, limit in ((lat, "latitude", 90), (lon, "longitude", 180)):
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (-limit <= value <= limit)
            or value != value
        ):
            raise InvalidInput(_("Koordinat tidak sah."), field=name)
    if (lat is None) != (lon is None):
        raise InvalidInput(_("Isi lintang dan bujur."), field="latitude")
    if lat is None:
        if village is None or village.latitude is None:
            raise InvalidInput(
                _("Lokasi wajib: klik peta, pilih kelurahan atau isi koordinat."), field="location"
            )
        lat, lon = village.latitude, village.longitude
    elif village is None:
        village = nearest_village(lat, lon)
    phone = _clean_text(data.caller_phone, "caller_phone", PHONE_MAX)
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="caller_phone")
    if data.category not in reference.CATEGORIES:
        raise InvalidInput(_("Kategori tidak dikenal."), field="category")
    answers = data.triage_answers or {}
    if not isinstance(answers, dict):
        raise InvalidInput(_("Jawaban triase tidak sah."), field="triage_answers")
    keys = {q["key"] for q in reference.triage_questions(data.category)}
    answers = {k: bool(v) for k, v in answers.items() if k in keys}
    notes = _clean_text(data.notes, "notes", NOTES_MAX)
    # empty: the most urgent colour the answers or the notes point to (reference.TEXT_RULES)
    triage = data.triage or reference.suggest_triage_all(data.category, answers, notes)
    if triage not in reference.TRIAGE:
        raise InvalidInput(_("Warna triase tidak dikenal."), field="triage")
    if (
        isinstance(data.victims, bool)
        or not isinstance(data.victims, int)
        or not (1 <= data.victims <= 500)
    ):
        raise InvalidInput(_("Jumlah korban 1-500."), field="victims")
    service = (data.service_needed or reference.CATEGORY_SERVICE[data.category]).strip()
    if not Service.objects.filter(code=service).exists():
        raise InvalidInput(_("Layanan tidak dikenal."), field="service_needed")
    agencies = (
        list(reference.CATEGORY_AGENCIES[data.category])
        if data.agencies is None
        else list(dict.fromkeys(data.agencies))
    )
    if any(a not in reference.AGENCY_KINDS for a in agencies):
        raise InvalidInput(_("Jenis instansi tidak dikenal."), field="agencies")
    if data.source not in Incident.Source.values:
        raise InvalidInput(_("Sumber tidak dikenal."), field="source")
    cleaned = IncidentInput(
        latitude=float(lat),
        longitude=float(lon),
        village_code=village.code if village else "",
        address=_clean_text(data.address, "address", max_length(Incident, "address")),
        caller_phone=phone,
        caller_name=_clean_text(
            data.caller_name, "caller_name", max_length(Incident, "caller_name")
        ),
        category=data.category,
        triage=triage,
        triage_answers=answers,
        victims=data.victims,
        notes=notes,
        service_needed=service,
        agencies=agencies,
        source=data.source,
        partner_ref=_clean_text(
            data.partner_ref, "partner_ref", max_length(Incident, "partner_ref")
        ),
        allow_out_of_area=bool(data.allow_out_of_area),
        idempotency_key=data.idempotency_key,
    )
    return cleaned, village


CALLBACK_RE = re.compile(r"0[1-9][0-9]{7,13}")


def callback_phone(phone: str, field_name: str = "phone") -> str:
    """A number the centre can call back: an Indonesian mobile or landline (0..., 62...,
    +62...), 9-15 digits, not one digit repeated. "00000" and the like are refused."""
    phone = _clean_text(phone, field_name, PHONE_MAX)
    digits = _normal_phone(phone)
    if not PHONE_RE.match(phone) or not CALLBACK_RE.fullmatch(digits) or len(set(digits[2:])) <= 1:
        raise InvalidInput(
            _("Isi nomor ponsel atau telepon yang bisa dihubungi, misalnya 0812xxxxxxx."),
            field=field_name,
        )
    return phone


def find_repeats(
    *,
    phone: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    area_code: str = "",
    now: datetime | None = None,
) -> list[Incident]:
    """Open incidents that a new call may be about: the same number, or a place within the
    area's radius, within its repeat window. Offered to the call-taker, never merged silently."""
    now = now or timezone.now()
    s = area_settings(area_code)
    since = now - timedelta(minutes=s.repeat_window_min)
    recent = Incident.objects.filter(status__in=ACTIVE_INCIDENT, received_at__gte=since)
    if area_code:
        recent = recent.filter(area_code__startswith=area_code[:4])
    found: list[Incident] = []
    wanted = _normal_phone(phone)
    for inc in recent.order_by("-received_at")[:200]:
        same_phone = bool(wanted) and _normal_phone(inc.caller_phone) == wanted
        near = False
        if latitude is not None and longitude is not None:
            metres = float(haversine_km(latitude, longitude, inc.latitude, inc.longitude)) * 1000
            near = metres <= s.repeat_radius_m
        if same_phone or near:
            found.append(inc)
    return found


def place_call(actor: Actor, data: IncidentInput) -> tuple[IncidentInput, areas.Placement]:
    """Validate a call and place it (see `areas`): the cleaned input and where it lies.
    A staff call outside the call-taker's area is refused (code "out_of_area", naming the
    nearest kelurahan and the responsible PSC) unless `allow_out_of_area` confirms it; a
    public SOS that SIGAP cannot place is refused with the advice to dial 112."""
    cleaned, village = validate_incident(data)
    sos = cleaned.source == Incident.Source.SOS
    placed = areas.place(
        cleaned.latitude,
        cleaned.longitude,
        village,
        console=None if sos else areas.console_area_of(actor),
    )
    if sos and not placed.known:
        raise InvalidInput(
            _(
                "Lokasi Anda di luar wilayah layanan SIGAP, permintaan tidak terkirim. "
                "Telepon 112 sekarang."
            ),
            field="location",
            code="out_of_area",
        )
    if not sos and placed.out_of_area and not cleaned.allow_out_of_area:
        raise InvalidInput(placed.describe(), field="location", code="out_of_area")
    return cleaned, placed
