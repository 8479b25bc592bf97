"""Emergency operations: the only code that writes incidents, units, assignments, agency
requests and hand-offs. Pages, the JSON API, the partner API, the demo and the simulator all
come through here.

Three workflows, each with one transition table and one function that moves it:
incidents (`move_incident`), units (`move_unit`) and hand-offs (`move_handoff`). Taking a unit
is a compare-and-set on its status, so of two dispatchers assigning the same ambulance at the
same moment exactly one succeeds.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role
from sigap.core.services import Actor, record_audit, require_area, require_role
from sigap.core.spatial import PointIndex
from sigap.core.travel import get_estimator, haversine_km
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from . import areas, reference
from .models import (
    Agency,
    AreaSettings,
    Assignment,
    Handoff,
    Incident,
    IncidentAgency,
    IncidentCall,
    Unit,
    UnitStatusChange,
)

S = Unit.Status
I = Incident.Status  # noqa: E741 - short alias used in the transition tables
H = Handoff.Status

CALL_ROLES = (Role.PSC_CALL_TAKER, Role.DISPATCHER)
DISPATCH_ROLES = (Role.DISPATCHER,)

# --- transition tables --------------------------------------------------------------------

INCIDENT_TRANSITIONS: dict[str, set[str]] = {
    I.OPEN: {I.DISPATCHED, I.HANDED_OVER, I.CLOSED, I.CANCELLED},
    I.DISPATCHED: {I.ON_SCENE, I.OPEN, I.CLOSED, I.CANCELLED},
    I.ON_SCENE: {I.TRANSPORTING, I.CLOSED},
    I.TRANSPORTING: {I.AT_HOSPITAL, I.CLOSED},
    I.AT_HOSPITAL: {I.CLOSED},
    I.HANDED_OVER: {I.DISPATCHED, I.OPEN, I.CLOSED},
    I.CLOSED: set(),
    I.CANCELLED: set(),
}
ACTIVE_INCIDENT = [I.OPEN, I.DISPATCHED, I.ON_SCENE, I.TRANSPORTING, I.AT_HOSPITAL, I.HANDED_OVER]

# available -> dispatched -> en route -> on scene -> transporting -> at hospital -> returning
# -> available; out of service; cancel (dispatched/en route -> available).
UNIT_TRANSITIONS: dict[str, set[str]] = {
    S.AVAILABLE: {S.DISPATCHED, S.OUT_OF_SERVICE},
    S.DISPATCHED: {S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE},
    S.EN_ROUTE: {S.ON_SCENE, S.AVAILABLE},
    S.ON_SCENE: {S.TRANSPORTING, S.RETURNING},
    S.TRANSPORTING: {S.AT_HOSPITAL},
    S.AT_HOSPITAL: {S.RETURNING},
    S.RETURNING: {S.AVAILABLE, S.OUT_OF_SERVICE},
    S.OUT_OF_SERVICE: {S.AVAILABLE},
}
# statuses in which a unit works for an incident (has an active assignment)
ON_JOB = {S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE, S.TRANSPORTING, S.AT_HOSPITAL}
# unit status -> the incident status it moves the incident to (when behind it)
UNIT_DRIVES_INCIDENT = {
    S.ON_SCENE: I.ON_SCENE,
    S.TRANSPORTING: I.TRANSPORTING,
    S.AT_HOSPITAL: I.AT_HOSPITAL,
}
# unit status -> assignment phase time field
ASSIGNMENT_TIME = {
    S.EN_ROUTE: "en_route_at",
    S.ON_SCENE: "on_scene_at",
    S.TRANSPORTING: "transport_at",
    S.AT_HOSPITAL: "hospital_at",
}
INCIDENT_TIME = {
    I.DISPATCHED: "dispatched_at",
    I.ON_SCENE: "on_scene_at",
    I.TRANSPORTING: "transport_at",
    I.AT_HOSPITAL: "hospital_at",
    I.CLOSED: "closed_at",
    I.CANCELLED: "closed_at",
    I.HANDED_OVER: None,
    I.OPEN: None,
}

HANDOFF_TRANSITIONS: dict[str, set[str]] = {
    H.PENDING: {H.ACKNOWLEDGED, H.ARRIVED, H.CANCELLED, H.REJECTED},
    H.ACKNOWLEDGED: {H.ARRIVED, H.CANCELLED, H.REJECTED},
    H.ARRIVED: set(),
    H.CANCELLED: set(),
    H.REJECTED: set(),
}

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")


def _label(status: str, choices) -> str:
    return str(dict(choices.choices).get(status, status))


# --- settings and places --------------------------------------------------------------------


def area_settings(code: str) -> AreaSettings:
    """Settings of the nearest enclosing area that has a row (defaults when none)."""
    code = code or ""
    prefixes = [p for p in {code, code[:4], code[:2]} if p]
    rows = {s.area_code: s for s in AreaSettings.objects.filter(area_code__in=prefixes)}
    for prefix in (code, code[:4], code[:2]):
        if prefix in rows:
            return rows[prefix]
    return AreaSettings(area_code=code[:4])


def is_rural(village: Region | None) -> bool:
    """Desa (and desa adat) count as rural, kelurahan as urban (Kemendagri kind)."""
    return village is not None and village.kind != "kelurahan"


def target_minutes(village: Region | None, area_code: str) -> int:
    s = area_settings(village.code if village else area_code)
    return s.rural_target_min if is_rural(village) else s.urban_target_min


class _VillageIndex:
    """Villages with coordinates, per process, to place a click or a phone's position."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: PointIndex[str] | None = None
        self.count = -1
        self.checked = 0.0

    def get(self) -> PointIndex[str]:
        now = time.monotonic()
        if self.index is not None and now - self.checked < 60:
            return self.index
        with self.lock:
            count = Region.objects.filter(level=4, latitude__isnull=False).count()
            if self.index is None or count != self.count:
                rows = list(
                    Region.objects.filter(level=4, latitude__isnull=False).values_list(
                        "code", "latitude", "longitude"
                    )
                )
                self.index = PointIndex(
                    [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
                )
                self.count = count
            self.checked = now
            return self.index

    def reset(self) -> None:
        with self.lock:
            self.index, self.count = None, -1


villages = _VillageIndex()


def nearest_village(lat: float, lon: float, max_km: float = areas.PLACE_MAX_KM) -> Region | None:
    """The kelurahan/desa whose centre is nearest to a point (None when none is close)."""
    found = villages.get().nearest(lat, lon, n=1)
    if not found or found[0].distance_km > max_km:
        return None
    return Region.objects.filter(code=found[0].item).first()


# --- incidents ------------------------------------------------------------------------------


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


def _clean_text(value: str, field_name: str, max_len: int) -> str:
    value = (value or "").strip()
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise InvalidInput(_("Berisi karakter yang tidak sah."), field=field_name)
    if len(value) > max_len:
        raise InvalidInput(_("Paling panjang %(n)s karakter.") % {"n": max_len}, field=field_name)
    return value


def validate_incident(data: IncidentInput) -> tuple[IncidentInput, Region | None]:
    """Check a call before anything is written; returns the cleaned input and its village."""
    village = None
    village_code = _clean_text(data.village_code, "village_code", 10)
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
    phone = _clean_text(data.caller_phone, "caller_phone", 32)
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="caller_phone")
    if data.category not in reference.CATEGORIES:
        raise InvalidInput(_("Kategori tidak dikenal."), field="category")
    answers = data.triage_answers or {}
    if not isinstance(answers, dict):
        raise InvalidInput(_("Jawaban triase tidak sah."), field="triage_answers")
    keys = {q["key"] for q in reference.triage_questions(data.category)}
    answers = {k: bool(v) for k, v in answers.items() if k in keys}
    notes = _clean_text(data.notes, "notes", 4000)
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
    from sigap.facilities.models import Service

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
        address=_clean_text(data.address, "address", 255),
        caller_phone=phone,
        caller_name=_clean_text(data.caller_name, "caller_name", 100),
        category=data.category,
        triage=triage,
        triage_answers=answers,
        victims=data.victims,
        notes=notes,
        service_needed=service,
        agencies=agencies,
        source=data.source,
        partner_ref=_clean_text(data.partner_ref, "partner_ref", 100),
        allow_out_of_area=bool(data.allow_out_of_area),
        idempotency_key=data.idempotency_key,
    )
    return cleaned, village


def _normal_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits


CALLBACK_RE = re.compile(r"0[1-9][0-9]{7,13}")


def callback_phone(phone: str, field_name: str = "phone") -> str:
    """A number the centre can call back: an Indonesian mobile or landline (0..., 62...,
    +62...), 9-15 digits, not one digit repeated. "00000" and the like are refused."""
    phone = _clean_text(phone, field_name, 32)
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


NUMBER_RE = re.compile(r"GD[0-9]{6}-[0-9A-F]{6}")


def _incident_number(now: datetime) -> str:
    # the local date, as call-takers read it (a call at 05:00 WIB is not "yesterday")
    return f"GD{timezone.localtime(now):%y%m%d}-{secrets.token_hex(3).upper()}"


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


def create_incident(actor: Actor, data: IncidentInput, *, now: datetime | None = None) -> Incident:
    """Open an incident from a call, an SOS or a partner system; asks the agencies its
    category needs. Bad input raises before anything is written. Every incident is stored
    under an area that a console shows (`areas`)."""
    if data.source == Incident.Source.HOMECARE:
        raise InvalidInput(_("Sumber tidak dikenal."), field="source")  # create_from_homecare
    if data.source != Incident.Source.SOS:
        # SOS is public: anyone may press it (the API limits it per address)
        require_role(actor, *CALL_ROLES)
    cleaned, placed = place_call(actor, data)
    if data.source != Incident.Source.SOS and not placed.out_of_area:
        require_area(actor, placed.village.code if placed.village else placed.console_area)
    return _open_incident(actor, cleaned, placed, now or timezone.now())


def submit_sos(actor: Actor, data: IncidentInput) -> tuple[Incident, bool]:
    """The public SOS button: (incident, created). The page's idempotency key makes one
    press one incident: the same key again (a second press, a retry, two requests at once)
    answers the incident the first one opened; the key with another phone is refused. The
    number of victims is the one the note names (reference.triage_from_text), else 1."""
    data.source = Incident.Source.SOS
    data.caller_phone = callback_phone(data.caller_phone)
    data.victims = reference.triage_from_text(data.notes).victims or 1
    key = data.idempotency_key
    if key:
        existing = _sos_by_key(key, data.caller_phone)
        if existing is not None:
            return existing, False
    try:
        return create_incident(actor, data), True
    except IntegrityError:
        existing = _sos_by_key(key, data.caller_phone) if key else None
        if existing is None:
            raise
        return existing, False


def _sos_by_key(key: str, phone: str) -> Incident | None:
    inc = Incident.objects.filter(idempotency_key=key).first()
    if inc is not None and _normal_phone(inc.caller_phone) != _normal_phone(phone):
        raise InvalidInput(
            _("Kunci permintaan ini sudah dipakai untuk permintaan lain."),
            field="idempotency_key",
            code="idempotency_mismatch",
        )
    return inc


def _open_incident(
    actor: Actor, cleaned: IncidentInput, placed: areas.Placement, now: datetime
) -> Incident:
    village = placed.village
    with transaction.atomic():
        inc = Incident.objects.create(
            number=_incident_number(now),
            area_code=placed.console_area,
            out_of_area=placed.out_of_area,
            responsible_area=placed.regency_code if placed.out_of_area else "",
            idempotency_key=cleaned.idempotency_key,
            source=cleaned.source,
            caller_phone=cleaned.caller_phone,
            caller_name=cleaned.caller_name,
            latitude=cleaned.latitude,
            longitude=cleaned.longitude,
            village=village,
            address=cleaned.address,
            category=cleaned.category,
            triage=cleaned.triage,
            triage_answers=cleaned.triage_answers,
            victims=cleaned.victims,
            notes=cleaned.notes,
            service_needed=cleaned.service_needed,
            agencies_needed=cleaned.agencies,
            partner_ref=cleaned.partner_ref,
            created_by=actor.user,
            received_at=now,
        )
        IncidentCall.objects.create(
            incident=inc, phone=cleaned.caller_phone, at=now, taken_by=actor.user
        )
        record_audit(actor, "emergency.incident.create", inc, after=incident_snapshot(inc))
        if cleaned.agencies:
            request_agencies(actor, inc, cleaned.agencies, now=now)
    return inc


def add_call(
    actor: Actor,
    incident: Incident,
    *,
    phone: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """A repeat call the call-taker confirmed is about an existing incident."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    phone = _clean_text(phone, "caller_phone", 32)
    note = _clean_text(note, "note", 255)
    now = now or timezone.now()
    with transaction.atomic():
        IncidentCall.objects.create(
            incident=incident, phone=phone, note=note, at=now, taken_by=actor.user
        )
        Incident.objects.filter(pk=incident.pk).update(
            call_count=F("call_count") + 1, updated_at=now
        )
        incident.refresh_from_db()
        record_audit(actor, "emergency.incident.repeat_call", incident, after={"note": note})
    return incident


def update_triage(
    actor: Actor,
    incident: Incident,
    *,
    triage: str,
    answers: dict | None = None,
    victims: int | None = None,
    notes: str | None = None,
) -> Incident:
    """Re-triage after more information (the colour may go up or down)."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    if triage not in reference.TRIAGE:
        raise InvalidInput(_("Warna triase tidak dikenal."), field="triage")
    if victims is not None and not (isinstance(victims, int) and 1 <= victims <= 500):
        raise InvalidInput(_("Jumlah korban 1-500."), field="victims")
    before = incident_snapshot(incident)
    with transaction.atomic():
        incident.triage = triage
        if answers is not None:
            keys = {q["key"] for q in reference.triage_questions(incident.category)}
            incident.triage_answers = {k: bool(v) for k, v in answers.items() if k in keys}
        if victims is not None:
            incident.victims = victims
        if notes is not None:
            incident.notes = _clean_text(notes, "notes", 4000)
        incident.save(update_fields=["triage", "triage_answers", "victims", "notes", "updated_at"])
        record_audit(
            actor,
            "emergency.incident.triage",
            incident,
            before=before,
            after=incident_snapshot(incident),
        )
    return incident


def incident_snapshot(inc: Incident) -> dict[str, Any]:
    return {
        "number": inc.number,
        "status": inc.status,
        "category": inc.category,
        "triage": inc.triage,
        "victims": inc.victims,
        "village": inc.village_id,
        "lat": inc.latitude,
        "lon": inc.longitude,
        "out_of_area": inc.out_of_area,
        "responsible_area": inc.responsible_area,
    }


def move_incident(
    actor: Actor,
    incident: Incident,
    to: str,
    *,
    reason: str = "",
    now: datetime | None = None,
    only_forward: bool = False,
) -> bool:
    """The one function that changes an incident's status (compare-and-set on the status it
    was read with). With `only_forward`, a move the table does not allow is skipped quietly
    (a second unit reaching the scene); otherwise it raises Conflict."""
    now = now or timezone.now()
    current = Incident.objects.filter(pk=incident.pk).values_list("status", flat=True).first()
    if current is None:
        raise NotFound(_("Kejadian tidak ditemukan."))
    if to not in INCIDENT_TRANSITIONS.get(current, set()):
        if only_forward:
            return False
        raise Conflict(
            _("Kejadian berstatus %(s)s, tidak dapat menjadi %(t)s.")
            % {"s": _label(current, I), "t": _label(to, I)},
            field="status",
        )
    changes: dict[str, Any] = {"status": to, "updated_at": now}
    time_field = INCIDENT_TIME.get(to)
    if time_field:
        changes[time_field] = now
    if to in (I.CLOSED, I.CANCELLED):
        changes["close_reason"] = reason[:200]
    with transaction.atomic():
        moved = Incident.objects.filter(pk=incident.pk, status=current)
        if time_field and time_field != "closed_at":
            # the first unit sets the phase time; later ones do not move it
            moved_rows = moved.filter(**{f"{time_field}__isnull": True}).update(**changes)
            if not moved_rows:
                changes.pop(time_field)
                moved_rows = moved.update(**changes)
        else:
            moved_rows = moved.update(**changes)
        if not moved_rows:
            raise Conflict(_("Kejadian baru saja diubah orang lain; muat ulang."), field="status")
        record_audit(
            actor,
            f"emergency.incident.{to}",
            incident,
            before={"status": current},
            after={"status": to, "reason": reason[:200]},
        )
    incident.refresh_from_db()
    return True


def close_incident(
    actor: Actor,
    incident: Incident,
    *,
    reason: str = "",
    cancel: bool = False,
    now: datetime | None = None,
) -> Incident:
    """Close (or cancel) an incident; active units are released first."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    return _end_incident(actor, incident, I.CANCELLED if cancel else I.CLOSED, reason, now)


def _end_incident(
    actor: Actor, incident: Incident, to: str, reason: str, now: datetime | None
) -> Incident:
    """Release the active units, cancel the open hand-offs, then close or cancel; one
    transaction. The callers check who may."""
    with transaction.atomic():
        for a in incident.assignments.filter(status=Assignment.Status.ACTIVE).select_related(
            "unit"
        ):
            cancel_assignment(actor, a, reason=reason or _("kejadian ditutup"), now=now)
        incident.refresh_from_db()
        for h in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED]):
            move_handoff(actor, h, H.CANCELLED, reason=reason or _("kejadian ditutup"), now=now)
        if incident.status not in (I.CLOSED, I.CANCELLED):
            move_incident(actor, incident, to, reason=reason, now=now)
    return incident


# --- home care --------------------------------------------------------------------------------

# home-care danger signs -> the medical triage question a "yes" answers (reference.py)
HOMECARE_SIGN_ANSWERS = {
    "sesak_berat": "tidak_napas",
    "saturasi_rendah": "tidak_napas",
    "perdarahan": "perdarahan",
    "nyeri_dada": "nyeri_dada",
    "penurunan_kesadaran": "kesadaran_turun",
    "kejang": "kesadaran_turun",
}


def create_from_homecare(actor: Actor, escalation) -> Incident:
    """Danger signs found on a home visit that need an emergency (called by home care's
    `hand_over_escalation`): an incident at the patient's home, category medical, triaged
    from the signs (at least kuning), with the signs, vital signs and the visiting
    Puskesmas in the notes so the call-taker can call back. One incident per escalation: a
    second hand-over returns the first."""
    from sigap.homecare import services as homecare_services

    if escalation.kind != "emergency":
        raise InvalidInput(_("Eskalasi ini bukan untuk gawat darurat."), field="kind")
    user = actor.user
    if user is None:
        if actor.channel not in {"system", "cli"}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (
        user.is_admin_role
        or escalation.record.recorded_by_id == user.pk  # the worker who found the signs
        or facility_services.can_operate(user, escalation.facility)
    ):
        raise Forbidden(_("Hanya petugas Puskesmas yang merawat pasien ini."))
    ref = f"homecare:{escalation.public_id}"
    existing = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if existing is not None:
        return existing
    record = escalation.record
    patient = record.visit.care_plan.request
    answers = {
        HOMECARE_SIGN_ANSWERS[code]: True
        for code in escalation.reasons
        if code in HOMECARE_SIGN_ANSWERS
    }
    triage = reference.suggest_triage("medical", answers)
    if triage == "hijau":  # home care sent it as an emergency: never below kuning
        triage = "kuning"
    vitals = [
        f"{label} {value}"
        for label, value in (
            ("TD", f"{record.systolic}/{record.diastolic}" if record.systolic else None),
            ("nadi", record.pulse),
            ("napas", record.respiration),
            ("suhu", record.temperature),
            ("SpO2", record.spo2),
        )
        if value is not None
    ]
    notes = "\n".join(
        line
        for line in (
            _("Dari perawatan rumah (%(f)s): tanda bahaya %(s)s.")
            % {
                "f": escalation.facility.name,
                "s": ", ".join(homecare_services.sign_labels(list(escalation.reasons))),
            },
            _("Pasien: %(n)s.") % {"n": patient.name},
            (_("Tanda vital: %(v)s.") % {"v": ", ".join(vitals)}) if vitals else "",
            record.notes,
        )
        if line
    )
    worker = record.recorded_by
    caller = (worker.get_full_name() or worker.get_username()) if worker else ""
    data = IncidentInput(
        latitude=patient.latitude,
        longitude=patient.longitude,
        village_code=patient.village_id or "",
        address=(patient.address or "")[:255],
        caller_phone=patient.phone if PHONE_RE.match(patient.phone or "") else "",
        caller_name=(caller or escalation.facility.name)[:100],
        category="medical",
        triage=triage,
        triage_answers=answers,
        notes=notes[:4000],
        source=Incident.Source.HOMECARE,
        partner_ref=ref,
    )
    cleaned, village = validate_incident(data)
    # the patient's home, on the console that serves it (see `areas`); a home SIGAP cannot
    # place goes to the Puskesmas' console, out of area
    placed = areas.place(cleaned.latitude, cleaned.longitude, village)
    if not placed.known:
        placed = dataclasses.replace(placed, console_area=escalation.facility.village_id[:4])
    return _open_incident(actor, cleaned, placed, timezone.now())


def withdraw_from_homecare(
    actor: Actor, escalation, reason: str, *, now: datetime | None = None
) -> Incident | None:
    """Cancel the incident a home-care escalation raised in error (called by home care's
    `withdraw_escalation`, which checks that the actor recorded the visit). Only while no
    unit has been sent: once PSC 119 dispatched, the dispatcher decides (Conflict). None when
    the escalation raised no incident; an already cancelled one is returned as it is."""
    user = actor.user
    if user is None:
        if actor.channel not in {"system", "cli"}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (user.is_admin_role or escalation.record.recorded_by_id == user.pk):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat menariknya."))
    ref = f"homecare:{escalation.public_id}"
    incident = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if incident is None or incident.status == I.CANCELLED:
        return incident
    if incident.status != I.OPEN:
        raise Conflict(
            _("PSC 119 sudah menangani kejadian %(no)s (%(s)s); batalkan melalui PSC 119.")
            % {"no": incident.number, "s": _label(incident.status, I)},
            field="status",
        )
    return _end_incident(actor, incident, I.CANCELLED, reason[:200], now)


# --- agencies -------------------------------------------------------------------------------


def request_agencies(
    actor: Actor, incident: Incident, kinds: list[str], *, now: datetime | None = None
) -> list[IncidentAgency]:
    """Ask the area's agencies of these kinds to act; each with a webhook gets a signed
    `incident.handover` call (retries and delivery log in sigap.core.webhooks)."""
    from sigap.core import webhooks

    out = []
    agencies = Agency.objects.filter(
        is_active=True, kind__in=kinds, area_code__in=[incident.area_code, incident.area_code[:2]]
    ).select_related("webhook")
    with transaction.atomic():
        for agency in agencies:
            req, created = IncidentAgency.objects.get_or_create(incident=incident, agency=agency)
            if not created:
                out.append(req)
                continue
            delivery = None
            if agency.webhook is not None:
                delivery = webhooks.enqueue(
                    agency.webhook,
                    "incident.handover",
                    handover_payload(incident, agency),
                    ref=f"emergency.incident:{incident.public_id}",
                )
            req.delivery = delivery
            req.status = (
                IncidentAgency.Status.SENT if delivery else IncidentAgency.Status.NO_CHANNEL
            )
            req.save(update_fields=["delivery", "status", "updated_at"])
            record_audit(
                actor,
                "emergency.agency.request",
                incident,
                after={"agency": agency.name, "status": req.status},
            )
            out.append(req)
        needed = sorted(set(incident.agencies_needed) | set(kinds))
        if needed != sorted(incident.agencies_needed):
            Incident.objects.filter(pk=incident.pk).update(agencies_needed=needed)
            incident.agencies_needed = needed
    return out


def handover_payload(incident: Incident, agency: Agency) -> dict[str, Any]:
    """What a partner agency receives: the place and the matter, the caller's number (it
    must call back), no medical detail beyond the triage colour."""
    return {
        "incident": str(incident.public_id),
        "number": incident.number,
        "agency": agency.kind,
        "category": incident.category,
        "triage": incident.triage,
        "victims": incident.victims,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "village": incident.village_id,
        "address": incident.address,
        "caller_phone": incident.caller_phone,
        "received_at": incident.received_at.isoformat(),
    }


def agency_status(
    actor: Actor, agency: Agency, incident: Incident, *, status: str, now: datetime | None = None
) -> IncidentAgency:
    """A partner agency reports on a matter handed to it (acknowledged, on scene, done...)."""
    req = IncidentAgency.objects.filter(incident=incident, agency=agency).first()
    if req is None:
        raise NotFound(_("Kejadian ini tidak diserahkan ke instansi tersebut."))
    status = _clean_text(status, "status", 64)
    if not status:
        raise InvalidInput(_("Status wajib diisi."), field="status")
    now = now or timezone.now()
    with transaction.atomic():
        req.partner_status = status
        if req.acknowledged_at is None:
            req.acknowledged_at = now
        req.status = IncidentAgency.Status.ACKNOWLEDGED
        req.save(update_fields=["partner_status", "acknowledged_at", "status", "updated_at"])
        record_audit(
            actor,
            "emergency.agency.status",
            incident,
            after={"agency": agency.name, "status": status},
        )
    return req


# --- units ----------------------------------------------------------------------------------


def unit_snapshot(u: Unit) -> dict[str, Any]:
    return {"code": u.code, "status": u.status, "lat": u.latitude, "lon": u.longitude}


def _active_assignment(unit: Unit) -> Assignment | None:
    return (
        Assignment.objects.select_related("incident")
        .filter(unit=unit, status=Assignment.Status.ACTIVE)
        .first()
    )


def require_unit_actor(actor: Actor, unit: Unit) -> None:
    """Dispatchers of the unit's area, or a crew member of the unit."""
    user = actor.user
    if user is None:
        if actor.channel in {"system", "cli"}:
            return
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if user.role == Role.AMBULANCE_CREW and not user.is_admin_role:
        if not unit.crew.filter(pk=user.pk).exists():
            raise Forbidden(_("Anda bukan kru ambulans ini."))
        return
    if actor.channel in {"system", "cli"}:
        return
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, unit.area_code)


def move_unit(
    actor: Actor,
    unit: Unit,
    to: str,
    *,
    reason: str = "",
    now: datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    incident: Incident | None = None,
) -> Unit:
    """The one function that changes a unit's status: compare-and-set from the status it
    was read with, a history row, the audit record, and what the move means for its
    assignment, incident and hand-off. A unit another person moved first raises Conflict."""
    now = now or timezone.now()
    current = unit.status
    if to not in UNIT_TRANSITIONS.get(current, set()):
        raise Conflict(
            _("Ambulans %(u)s berstatus %(s)s, tidak dapat menjadi %(t)s.")
            % {"u": unit.code, "s": _label(current, S), "t": _label(to, S)},
            field="status",
        )
    if to == S.DISPATCHED and incident is None:
        raise InvalidInput(_("Penugasan memerlukan kejadian."), field="incident")
    # updated_at is wall-clock time (the unit index follows it), `now` the business time
    changes: dict[str, Any] = {"status": to, "status_changed_at": now, "updated_at": timezone.now()}
    if latitude is not None and longitude is not None:
        changes.update(latitude=latitude, longitude=longitude, position_at=now)
    with transaction.atomic():
        if not Unit.objects.filter(pk=unit.pk, status=current).update(**changes):
            fresh = Unit.objects.filter(pk=unit.pk).values_list("status", flat=True).first()
            raise Conflict(
                _(
                    "Ambulans %(u)s sudah %(s)s (diubah orang lain); pilih ambulans lain atau "
                    "muat ulang."
                )
                % {"u": unit.code, "s": _label(fresh or "", S)},
                code="unit_taken",
                field="unit",
            )
        for k, v in changes.items():
            setattr(unit, k, v)
        assignment = None if to == S.DISPATCHED else _active_assignment(unit)
        inc = incident or (assignment.incident if assignment else None)
        UnitStatusChange.objects.create(
            unit=unit,
            from_status=current,
            to_status=to,
            at=now,
            incident=inc,
            actor_label=actor.display[:150],
            reason=reason[:200],
            latitude=unit.latitude,
            longitude=unit.longitude,
        )
        record_audit(
            actor,
            f"emergency.unit.{to}",
            unit,
            before={"status": current},
            after={"status": to, "reason": reason[:200], "incident": inc.number if inc else None},
        )
        if assignment is not None:
            _follow_unit(actor, unit, assignment, current, to, reason, now)
    return unit


def _follow_unit(
    actor: Actor, unit: Unit, a: Assignment, was: str, to: str, reason: str, now: datetime
) -> None:
    """What a unit's move means for its assignment, incident and hand-off."""
    time_field = ASSIGNMENT_TIME.get(to)
    if time_field:
        setattr(a, time_field, now)
        a.save(update_fields=[time_field, "updated_at"])
    incident = a.incident
    if to in UNIT_DRIVES_INCIDENT:
        move_incident(actor, incident, UNIT_DRIVES_INCIDENT[to], now=now, only_forward=True)
    if to == S.AT_HOSPITAL:
        for h in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED], unit=unit):
            _unit_at_hospital(actor, h, now)
    if to == S.AVAILABLE and was in ON_JOB:  # cancelled before reaching the patient
        _end_assignment(a, Assignment.Status.CANCELLED, reason, now)
        if not incident.assignments.filter(status=Assignment.Status.ACTIVE).exists():
            move_incident(actor, incident, I.OPEN, reason=reason, now=now, only_forward=True)
    if to == S.RETURNING:
        _end_assignment(a, Assignment.Status.COMPLETED, reason, now)
        incident.refresh_from_db()
        if (
            incident.status in (I.ON_SCENE, I.TRANSPORTING, I.AT_HOSPITAL)
            and not incident.assignments.filter(status=Assignment.Status.ACTIVE).exists()
        ):
            move_incident(actor, incident, I.CLOSED, reason=_("penanganan selesai"), now=now)


def _unit_at_hospital(actor: Actor, h: Handoff, now: datetime) -> None:
    """The crew reports arrival: a referral the hospital accepted records the arrival (its
    bed hold becomes an occupied bed, the hand-off follows); one still unanswered waits for
    the hospital, which receives the patient in its referral inbox."""
    if h.referral_id is None:
        move_handoff(actor, h, H.ARRIVED, reason=_("ambulans tiba di RS"), now=now)
        return
    from sigap.referrals import services as referral_services
    from sigap.referrals.models import Referral

    referral = Referral.objects.filter(pk=h.referral_id, status=Referral.Status.ACCEPTED).first()
    if referral is not None:
        referral_services.record_arrival(_system_for(actor), referral, now=now)


def _end_assignment(a: Assignment, status: str, reason: str, now: datetime) -> None:
    Assignment.objects.filter(pk=a.pk, status=Assignment.Status.ACTIVE).update(
        status=status, ended_at=now, end_reason=reason[:200], updated_at=now
    )


def assign_unit(
    actor: Actor,
    incident: Incident,
    unit: Unit,
    *,
    now: datetime | None = None,
    eta_minutes: float | None = None,
) -> Assignment:
    """Send a unit to an incident with one action. The unit is taken with a compare-and-set
    on `available`; if another dispatcher took it first this raises Conflict (409) and
    writes nothing."""
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, incident.area_code)
    require_area(actor, unit.area_code)
    incident.refresh_from_db()
    if incident.status in (I.CLOSED, I.CANCELLED):
        raise Conflict(_("Kejadian sudah ditutup."), field="incident")
    now = now or timezone.now()
    if unit.status != S.AVAILABLE:
        raise Conflict(
            _("Ambulans %(u)s tidak siaga (%(s)s); pilih ambulans lain.")
            % {"u": unit.code, "s": _label(unit.status, S)},
            code="unit_taken",
            field="unit",
        )
    km = float(
        get_estimator().road_km(
            unit.latitude, unit.longitude, incident.latitude, incident.longitude
        )
    )
    if eta_minutes is None:
        eta_minutes = float(
            get_estimator().minutes(
                unit.latitude, unit.longitude, incident.latitude, incident.longitude, at=now
            )
        )
    try:
        with transaction.atomic():
            move_unit(actor, unit, S.DISPATCHED, incident=incident, now=now, reason=incident.number)
            a = Assignment.objects.create(
                incident=incident,
                unit=unit,
                assigned_at=now,
                assigned_by=actor.user,
                eta_minutes=round(eta_minutes, 1),
                distance_km=round(km, 2),
            )
            if incident.status in (I.OPEN, I.HANDED_OVER):
                move_incident(actor, incident, I.DISPATCHED, now=now)
            record_audit(
                actor,
                "emergency.assignment.create",
                a,
                after={"incident": incident.number, "unit": unit.code},
            )
    except IntegrityError as exc:  # the one-active-assignment rule caught a race
        raise Conflict(
            _("Ambulans %(u)s baru saja ditugaskan dispatcher lain.") % {"u": unit.code},
            code="unit_taken",
            field="unit",
        ) from exc
    return a


def cancel_assignment(
    actor: Actor, assignment: Assignment, *, reason: str = "", now: datetime | None = None
) -> Assignment:
    """Call a unit off. Before it reaches the patient it is available again; after, it
    returns to base."""
    unit = Unit.objects.get(pk=assignment.unit_id)
    require_unit_actor(actor, unit)
    if assignment.status != Assignment.Status.ACTIVE:
        raise Conflict(_("Penugasan ini sudah berakhir."))
    to = S.AVAILABLE if unit.status in (S.DISPATCHED, S.EN_ROUTE) else S.RETURNING
    if to == S.RETURNING and unit.status not in (S.ON_SCENE, S.AT_HOSPITAL):
        raise Conflict(_("Ambulans sedang membawa pasien; selesaikan di RS."), field="status")
    move_unit(actor, unit, to, reason=reason or _("dibatalkan"), now=now)
    assignment.refresh_from_db()
    if assignment.status == Assignment.Status.ACTIVE:
        _end_assignment(assignment, Assignment.Status.CANCELLED, reason, now or timezone.now())
        assignment.refresh_from_db()
    return assignment


def reassign(
    actor: Actor,
    assignment: Assignment,
    new_unit: Unit,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Send another unit instead (e.g. a nearer one became free): the new unit is taken
    first, so if it is gone the old assignment stays."""
    require_role(actor, *DISPATCH_ROLES)
    if assignment.unit_id == new_unit.pk:
        raise InvalidInput(_("Ambulans pengganti sama dengan yang lama."), field="unit")
    with transaction.atomic():
        incident = assignment.incident
        new = assign_unit(actor, incident, new_unit, now=now)
        cancel_assignment(
            actor,
            assignment,
            reason=reason or _("dialihkan ke %(u)s") % {"u": new_unit.code},
            now=now,
        )
    return new


def update_position(
    actor: Actor, unit: Unit, latitude: float, longitude: float, *, now: datetime | None = None
) -> Unit:
    """The crew phone's position (not audited: it is not a decision, and it is frequent)."""
    require_unit_actor(actor, unit)
    for value, name, limit in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not (-limit <= value <= limit)
        ):
            raise InvalidInput(_("Koordinat tidak sah."), field=name)
    now = now or timezone.now()
    Unit.objects.filter(pk=unit.pk).update(
        latitude=latitude, longitude=longitude, position_at=now, updated_at=timezone.now()
    )
    unit.latitude, unit.longitude, unit.position_at = latitude, longitude, now
    return unit


def crew_status(
    actor: Actor,
    unit: Unit,
    to: str,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Unit:
    """A status button on the crew phone (or the dispatcher on the crew's behalf)."""
    require_unit_actor(actor, unit)
    if to == S.DISPATCHED:
        raise InvalidInput(_("Penugasan dilakukan oleh dispatcher."), field="status")
    if to not in S.values:
        raise InvalidInput(_("Status tidak dikenal."), field="status")
    if to == S.AVAILABLE and unit.status in (S.DISPATCHED, S.EN_ROUTE):
        assignment = _active_assignment(unit)
        if assignment is not None:
            cancel_assignment(actor, assignment, reason=reason or _("dibatalkan kru"), now=now)
            unit.refresh_from_db()
            return unit
    return move_unit(
        actor, unit, to, reason=reason, now=now, latitude=latitude, longitude=longitude
    )


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    kind: str
    base_kind: str
    base_village: str
    area_code: str
    latitude: float
    longitude: float
    base_facility: Facility | None = None
    equipment: list[str] = field(default_factory=list)
    crew_on_shift: str = ""
    phone: str = ""
    is_synthetic: bool = False


def save_unit(actor: Actor, data: UnitInput) -> Unit:
    """Create or update a unit's registry data (not its status)."""
    user = actor.user
    if user is not None and not user.is_admin_role:
        raise Forbidden(_("Hanya admin yang dapat mengubah data ambulans."))
    if user is None and actor.channel not in {"system", "cli"}:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if data.kind not in reference.UNIT_KINDS:
        raise InvalidInput(_("Jenis ambulans tidak dikenal."), field="kind")
    if data.base_kind not in Unit.BaseKind.values:
        raise InvalidInput(_("Jenis pos tidak dikenal."), field="base_kind")
    village = Region.objects.filter(code=data.base_village, level=4).first()
    if village is None:
        raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="base_village")
    defaults = dict(
        name=data.name,
        kind=data.kind,
        base_kind=data.base_kind,
        base_village=village,
        base_facility=data.base_facility,
        area_code=data.area_code,
        base_latitude=data.latitude,
        base_longitude=data.longitude,
        equipment=list(data.equipment),
        crew_on_shift=data.crew_on_shift,
        phone=data.phone,
        is_synthetic=data.is_synthetic,
    )
    with transaction.atomic():
        unit = Unit.objects.filter(code=data.code).first()
        if unit is None:
            unit = Unit.objects.create(
                code=data.code, latitude=data.latitude, longitude=data.longitude, **defaults
            )
            record_audit(actor, "emergency.unit.create", unit, after=unit_snapshot(unit))
        else:
            changed = {k: v for k, v in defaults.items() if getattr(unit, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(unit, k, v)
                unit.save()
                record_audit(
                    actor,
                    "emergency.unit.update",
                    unit,
                    after={k: str(v) for k, v in changed.items()},
                )
    return unit


# --- hospital hand-off ------------------------------------------------------------------------


def create_handoff(
    actor: Actor,
    incident: Incident,
    hospital: Facility,
    *,
    unit: Unit | None = None,
    eta_minutes: float | None = None,
    summary: str = "",
    bed_class: str = "",
    hold_bed: bool = False,
    now: datetime | None = None,
) -> Handoff:
    """Announce the patient to a hospital as an emergency referral, in one transaction: the
    hospital answers it in its referral inbox (with the answer clock) and, where it allows,
    the referral holds a bed of `bed_class` until arrival (a hold that cannot be taken is
    reported on the hand-off, not fatal). A previous open hand-off is cancelled with its
    referral."""
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, incident.area_code)
    if hospital.kind_id != "rs" or not hospital.is_active:
        raise InvalidInput(_("Tujuan harus rumah sakit yang aktif."), field="hospital")
    if incident.status in (I.CLOSED, I.CANCELLED):
        raise Conflict(_("Kejadian sudah ditutup."), field="incident")
    summary = _clean_text(summary, "patient_summary", 2000)
    if eta_minutes is not None and not (0 <= eta_minutes <= 24 * 60):
        raise InvalidInput(_("Perkiraan tiba tidak sah."), field="eta_minutes")
    if unit is None:
        a = (
            incident.assignments.filter(status=Assignment.Status.ACTIVE)
            .select_related("unit")
            .first()
        )
        unit = a.unit if a else None
    now = now or timezone.now()
    if eta_minutes is None:
        origin = unit or incident
        eta_minutes = float(
            get_estimator().minutes(
                origin.latitude, origin.longitude, hospital.latitude, hospital.longitude, at=now
            )
        )
    bed_class = (bed_class or "").strip().upper()
    with transaction.atomic():
        for old in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED]):
            move_handoff(actor, old, H.CANCELLED, reason=_("tujuan diganti"), now=now)
        # a rejected referral still waits in the sender's list: the new hospital replaces it
        for old in incident.handoffs.filter(status=H.REJECTED, referral__isnull=False):
            _cancel_referral(actor, old, _("tujuan diganti"), now)
        referral, hold_problem = _send_referral(
            actor, incident, hospital, summary, bed_class, hold_bed and bool(bed_class), now
        )
        handoff = Handoff.objects.create(
            incident=incident,
            hospital=hospital,
            unit=unit,
            status=H.PENDING,
            eta_at=now + timedelta(minutes=eta_minutes),
            patient_summary=summary,
            bed_class=bed_class,
            bed_hold_id=referral.bed_hold_id,  # the referral's hold, shown on the hand-off
            referral=referral,
            ended_reason=hold_problem[:200],
        )
        record_audit(
            actor,
            "emergency.handoff.create",
            handoff,
            after={
                "incident": incident.number,
                "hospital": hospital.name,
                "referral": referral.number,
                "bed_hold": bool(handoff.bed_hold_id),
            },
        )
    return handoff


def _send_referral(
    actor: Actor,
    incident: Incident,
    hospital: Facility,
    summary: str,
    bed_class: str,
    hold_bed: bool,
    now: datetime,
):
    """The emergency referral for a hand-off; when the bed hold is refused (no free bed, the
    hospital takes no holds) the referral goes without it and the reason comes back."""
    from sigap.referrals import services as referral_services

    # Ambulances cross kab/kota borders: a hospital outside the dispatcher's own area (which
    # referrals would refuse to a unit role) is sent on the centre's behalf, labelled with
    # the dispatcher, who was checked for the incident above.
    user = actor.user
    sender = actor if user is None or user.covers_area(hospital.village_id) else _system_for(actor)

    def send(hold: bool):
        return referral_services.create_emergency_referral(
            sender,
            to_facility=hospital,
            incident_ref=incident.number,
            patient_name="",
            sex=None,
            age_years=None,
            complaint=summary
            or incident.notes[:500]
            or str(dict(reference.CATEGORIES).get(incident.category, incident.category)),
            triage=incident.triage,
            service_code=incident.service_needed,
            bed_class=bed_class or None,
            hold_bed=hold,
            now=now,
        )

    if hold_bed:
        try:
            with transaction.atomic():
                return send(True), ""
        except (Conflict, InvalidInput) as exc:
            problem = str(exc.message)
        return send(False), problem
    return send(False), ""


def _system_for(actor: Actor) -> Actor:
    """The referral moves that the emergency centre makes on behalf of an authorised
    dispatcher or crew (already checked here), labelled with who it was."""
    return Actor(
        user=None,
        channel="system",
        label=f"PSC 119: {actor.display}"[:150],
        remote_addr=actor.remote_addr,
    )


def _cancel_referral(actor: Actor, handoff: Handoff, reason: str, now: datetime) -> None:
    from sigap.referrals import services as referral_services
    from sigap.referrals.models import Referral

    referral = Referral.objects.filter(pk=handoff.referral_id).first()
    if referral is None or referral.status not in referral_services.TRANSITIONS["cancel"][0]:
        return
    referral_services.cancel_referral(
        _system_for(actor), referral, reason=reason or _("dibatalkan PSC"), now=now
    )


def move_handoff(
    actor: Actor, handoff: Handoff, to: str, *, reason: str = "", now: datetime | None = None
) -> Handoff:
    """The one function that moves a hand-off. Cancelling it here cancels its referral (which
    releases the referral's bed hold); a hand-off without a referral ends its own hold."""
    current = Handoff.objects.filter(pk=handoff.pk).values_list("status", flat=True).first()
    if to not in HANDOFF_TRANSITIONS.get(current, set()):
        raise Conflict(
            _("Serah terima berstatus %(s)s, tidak dapat menjadi %(t)s.")
            % {"s": _label(current, H), "t": _label(to, H)},
            field="status",
        )
    now = now or timezone.now()
    changes: dict[str, Any] = {"status": to, "updated_at": now}
    if to == H.ACKNOWLEDGED:
        changes.update(acknowledged_at=now, acknowledged_by=actor.user)
    if to == H.ARRIVED:
        changes["arrived_at"] = now
    if reason:
        changes["ended_reason"] = reason[:200]
    with transaction.atomic():
        if not Handoff.objects.filter(pk=handoff.pk, status=current).update(**changes):
            raise Conflict(_("Serah terima baru saja diubah; muat ulang."))
        handoff.refresh_from_db()
        if handoff.referral_id:
            if to == H.CANCELLED:
                _cancel_referral(actor, handoff, reason, now)
        elif handoff.bed_hold_id and to in (H.ARRIVED, H.CANCELLED):
            from sigap.beds.models import BedHold

            hold = BedHold.objects.get(pk=handoff.bed_hold_id)
            if hold.status == BedHold.Status.HELD:
                bed_services.end_hold(
                    actor,
                    hold,
                    "arrived" if to == H.ARRIVED else "released",
                    reason=reason or handoff.incident.number,
                    now=now,
                )
        record_audit(
            actor,
            f"emergency.handoff.{to}",
            handoff,
            before={"status": current},
            after={"status": to, "reason": reason[:200]},
        )
    return handoff


# referral action -> the hand-off status it means ("cancel" by someone other than the
# emergency centre, an accepted patient who never came, a refusal: another hospital is needed)
REFERRAL_MOVES_HANDOFF = {
    "accept": H.ACKNOWLEDGED,
    "arrive": H.ARRIVED,
    "reject": H.REJECTED,
    "cancel": H.REJECTED,
    "expire": H.REJECTED,
}


def follow_referral(
    referral, action: str, from_status: str, actor: Actor, now: datetime, **_kw: Any
) -> Handoff | None:
    """Keep a hand-off in step with its referral (connected to `referral_moved`, so it runs
    inside the transaction that moved the referral). A move the hand-off already made (the
    centre cancelled it first) is skipped."""
    if action == "redirect":
        return _follow_redirect(referral, actor, now)
    to = REFERRAL_MOVES_HANDOFF.get(action)
    if to is None:
        return None
    handoff = (
        Handoff.objects.filter(referral_id=referral.pk, status__in=[H.PENDING, H.ACKNOWLEDGED])
        .select_related("incident")
        .first()
    )
    if handoff is None or to not in HANDOFF_TRANSITIONS[handoff.status]:
        return None
    reason = {
        "accept": "",
        "arrive": _("pasien tiba di RS"),
        "reject": _("ditolak RS: %(n)s") % {"n": referral.answer_note or "-"},
        "cancel": _("rujukan dibatalkan"),
        "expire": _("rujukan kedaluwarsa, pasien tidak tiba"),
    }[action]
    return move_handoff(actor, handoff, to, reason=reason, now=now)


def _follow_redirect(referral, actor: Actor, now: datetime) -> Handoff | None:
    """The health office sent an unanswered (escalated) referral to another hospital: the
    open hand-off follows it there (the old hold went with the redirect)."""
    handoff = Handoff.objects.filter(
        referral_id=referral.pk, status__in=[H.PENDING, H.ACKNOWLEDGED]
    ).first()
    if handoff is None or handoff.hospital_id == referral.receiver_id:
        return None
    before = handoff.hospital_id
    Handoff.objects.filter(pk=handoff.pk).update(
        hospital_id=referral.receiver_id, bed_hold=None, updated_at=now
    )
    handoff.refresh_from_db()
    record_audit(
        actor,
        "emergency.handoff.redirect",
        handoff,
        before={"hospital": before},
        after={"hospital": handoff.hospital_id, "referral": referral.number},
    )
    return handoff


def hospital_handoff_action(actor: Actor, handoff: Handoff, to: str) -> Handoff:
    """The hospital operator acknowledges the incoming patient or records the arrival: the
    answer goes to the referral (accept / arrive), whose move moves the hand-off."""
    facility_services.require_operator(actor, handoff.hospital)
    if to not in (H.ACKNOWLEDGED, H.ARRIVED):
        raise InvalidInput(_("Aksi tidak dikenal."), field="status")
    if handoff.referral_id is None:
        return move_handoff(actor, handoff, to)
    from sigap.referrals import services as referral_services

    referral = handoff.referral  # selected with the hand-off by the API
    with transaction.atomic():
        if referral.status in referral_services.TRANSITIONS["accept"][0]:
            referral = referral_services.answer_referral(actor, referral, accept=True)
        if to == H.ARRIVED:
            referral_services.record_arrival(actor, referral)
    handoff.refresh_from_db()
    return handoff
