"""Emergency centre JSON API: intake, the dispatcher console, crews, hospitals, partner
systems and the public SOS button. Thin: schemas in, a service or selector call, schemas out.

Staff endpoints take an API key or the logged-in session (with CSRF); partner agencies post
status back with a signed call (HMAC-SHA256, the same scheme SIGAP signs its webhooks with).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from sigap.core.auth import operator_auth
from sigap.core.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
    refused_as_not_found,
)
from sigap.core.models import Role
from sigap.core.ratelimit import over_limit
from sigap.core.services import Actor, Channel, client_ip, require_area, require_role
from sigap.core.text import clip
from sigap.core.webhooks import verify_signature
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility

from . import areas, reference, selectors, services
from .models import Agency, Assignment, Handoff, Incident, IncidentCall, Unit

router = Router(tags=["emergency"])

READ_ROLES = (Role.PSC_CALL_TAKER, Role.DISPATCHER)
SOS_PER_IP_PER_10_MIN = 5


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, "api")


def _as_uuid(ref: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(ref)
    except (ValueError, AttributeError, TypeError):
        return None


def _incident_key(ref: uuid.UUID | str) -> dict | None:
    """The lookup of an incident reference: its id or its number; None for neither shape."""
    public_id = _as_uuid(ref)
    if public_id is not None:
        return {"public_id": public_id}
    if services.NUMBER_RE.fullmatch(str(ref)):
        return {"number": str(ref)}
    return None


def _incident(request: HttpRequest, ref: uuid.UUID | str) -> Incident:
    """An incident by id or number. A reference of neither shape cannot exist: 404 for
    anyone. Otherwise the role is checked before the lookup, and an incident outside the
    caller's area answers like one that does not exist, so that a caller learns nothing
    about which incidents exist."""
    key = _incident_key(ref)
    if key is None:
        raise NotFound(_("Kejadian tidak ditemukan."))
    actor = _actor(request)
    require_role(actor, *READ_ROLES)
    inc = Incident.objects.filter(**key).select_related("village").first()
    if inc is None:
        raise NotFound(_("Kejadian tidak ditemukan."))
    with refused_as_not_found(_("Kejadian tidak ditemukan.")):
        require_area(actor, inc.area_code)
    return inc


def _unit(ref: str) -> Unit:
    public_id = _as_uuid(ref)
    if public_id is not None:
        unit = Unit.objects.filter(public_id=public_id).first()
    else:
        unit = Unit.objects.filter(code=ref).first() if len(ref) <= 24 else None
    if unit is None:
        raise NotFound(_("Ambulans tidak ditemukan."), field="unit")
    return unit


# --- schemas ------------------------------------------------------------------------


class IncidentIn(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    village_code: str = Field("", max_length=10, description="Kemendagri kelurahan/desa code")
    address: str = Field("", max_length=255)
    caller_phone: str = Field("", max_length=32)
    caller_name: str = Field("", max_length=100)
    category: Literal["medical", "traffic", "fire", "crime", "disaster", "other"] = "medical"
    triage: Literal["", "merah", "kuning", "hijau", "hitam"] = Field(
        "", description="Empty: suggested from the triage answers"
    )
    triage_answers: dict[str, bool] = Field(default_factory=dict)
    victims: int = Field(1, ge=1, le=500)
    notes: str = Field("", max_length=4000)
    service_needed: str = Field("", max_length=16)
    agencies: list[str] | None = Field(None, description="Agency kinds; default by category")
    partner_ref: str = Field("", max_length=100, description="The partner system's own id")
    repeat_of: uuid.UUID | None = Field(
        None, description="Record this call on an existing incident instead"
    )
    allow_out_of_area: bool = Field(
        False,
        description="Confirm a point outside the caller's area (422 out_of_area otherwise); "
        "the incident is shown on this console as out of area, with the responsible PSC",
    )


class AssignmentOut(Schema):
    id: str
    unit: str
    unit_status: str
    eta_minutes: float | None


class AgencyRequestOut(Schema):
    name: str
    status: str
    status_label: str
    partner_status: str


class IncidentOut(Schema):
    id: str
    number: str
    status: str
    status_label: str
    category: str
    triage: str
    victims: int
    lat: float
    lon: float
    village: str
    kecamatan: str
    address: str
    caller_phone: str
    calls: int
    source: str
    out_of_area: bool
    responsible_psc: str
    received_at: str
    waiting_min: int
    units: list[str]
    assignments: list[AssignmentOut]
    hospital: str
    agencies: list[AgencyRequestOut]


def _out(inc: Incident) -> dict:
    inc = selectors.active_incidents_by_pk(inc.pk)
    return selectors.incident_json(inc, timezone.now())


class UnitRec(Schema):
    id: uuid.UUID = Field(alias="public_id")
    code: str
    name: str
    kind: str
    status: str
    latitude: float
    longitude: float
    base_village: str | None = Field(None, alias="base_village__name")
    eta_minutes: float
    distance_km: float


class HospitalRec(Schema):
    id: str
    name: str
    kecamatan: str | None
    travel_minutes: float | None
    distance_km: float | None
    bed_class: str
    free_in_class: int
    total_free: int
    emergency_phone: str
    stale: bool
    allows_holds: bool


class RecommendQuery(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    triage: Literal["merah", "kuning", "hijau", "hitam"] = "merah"
    area: str = Field("", pattern=r"^[0-9]{0,10}$")
    n: int = Field(5, ge=1, le=50)


class RepeatQuery(Schema):
    phone: str = Field("", max_length=32)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class AssignIn(Schema):
    unit: str = Field(..., max_length=40, description="Unit code or id")


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class CloseIn(ReasonIn):
    cancel: bool = False


class ReassignIn(ReasonIn):
    unit: str = Field(..., max_length=40)


class CallIn(Schema):
    phone: str = Field("", max_length=32)
    note: str = Field("", max_length=255)


class TriageIn(Schema):
    triage: Literal["merah", "kuning", "hijau", "hitam"]
    answers: dict[str, bool] | None = None
    victims: int | None = Field(None, ge=1, le=500)
    notes: str | None = Field(None, max_length=4000)


class HandoffIn(Schema):
    hospital: uuid.UUID
    bed_class: str = Field("", max_length=3)
    hold_bed: bool = False
    summary: str = Field("", max_length=2000)
    eta_minutes: float | None = Field(None, ge=0, le=1440)


class HandoffOut(Schema):
    id: str
    incident: str
    hospital: str
    status: str
    eta_at: str | None
    bed_held: bool
    note: str
    referral: str | None


def _handoff_out(h: Handoff) -> dict:
    return {
        "id": str(h.public_id),
        "incident": h.incident.number,
        "hospital": h.hospital.name,
        "status": h.status,
        "eta_at": h.eta_at.isoformat() if h.eta_at else None,
        "bed_held": bool(h.bed_hold_id),
        "note": h.ended_reason,
        "referral": h.referral.number if h.referral_id else None,
    }


class UnitStatusIn(Schema):
    status: Literal[
        "en_route",
        "on_scene",
        "transporting",
        "at_hospital",
        "returning",
        "available",
        "out_of_service",
    ]
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    reason: str = Field("", max_length=200)
    # the phone's key for this press (a replay does not move the unit again)
    client_key: str = Field("", max_length=64)
    # "to hospital": the destination hospital's id as the crew confirmed it
    destination: str = Field("", max_length=64)


class AcceptedOut(Schema):
    id: str
    unit: str
    incident: str
    accepted_at: str


class VitalsIn(Schema):
    systolic: float | None = None
    diastolic: float | None = None
    pulse: float | None = None
    respiration: float | None = None
    spo2: float | None = None
    temperature: float | None = None
    gcs: float | None = None
    avpu: str = Field("", max_length=1)
    note: str = Field("", max_length=500)
    client_key: str = Field("", max_length=64)


class VitalsOut(Schema):
    id: str
    incident: str
    at: str
    values: list[dict]
    note: str


class HandoffSummaryOut(Schema):
    id: str
    incident: str
    status: str
    status_label: str
    triage: str
    triage_label: str
    category_label: str
    victims: int
    answers: list[str]
    notes: str
    call_notes: list[str]
    summary: str
    unit: str
    unit_status_label: str
    vitals: dict | None
    eta: dict


class PositionIn(Schema):
    latitude: float = Field(..., ge=-90, le=90)
    longitude: float = Field(..., ge=-180, le=180)


class UnitOut(Schema):
    id: str
    code: str
    name: str
    kind: str
    status: str
    status_label: str
    lat: float
    lon: float
    base: str
    incident: str


class SosIn(Schema):
    # strict: `false`, `"1"` or `null` are not coordinates (pydantic would take false as 0)
    latitude: float | None = Field(None, ge=-90, le=90, strict=True)
    longitude: float | None = Field(None, ge=-180, le=180, strict=True)
    village_code: str = Field(
        "", max_length=10, description="Without the phone's position: the chosen kelurahan/desa"
    )
    phone: str = Field(..., min_length=5, max_length=32, strict=True)
    category: Literal["medical", "traffic", "fire", "crime", "disaster", "other"] = "medical"
    note: str = Field("", max_length=500, strict=True)
    answers: dict[str, bool] = Field(
        default_factory=dict, description="Quick triage questions answered on the page"
    )
    idempotency_key: str = Field(
        "",
        max_length=64,
        pattern=r"^[A-Za-z0-9_\-]{0,64}$",
        description="One per press of the button (the Idempotency-Key header works too)",
    )


class SosOut(Schema):
    number: str
    message: str
    triage: str
    out_of_area: bool
    responsible_psc: str


class PartnerStatusIn(Schema):
    incident: str = Field(..., max_length=40, description="SIGAP incident id or number")
    status: str = Field(..., min_length=1, max_length=64)


class QuestionOut(Schema):
    key: str
    text: str
    colour: str


# --- intake -------------------------------------------------------------------------


@router.get("triage/questions", response=list[QuestionOut], auth=None, summary="Triage questions")
def triage_questions(request: HttpRequest, category: str = "medical"):
    if category not in reference.CATEGORIES:
        raise InvalidInput(_("Kategori tidak dikenal."), field="category")
    return reference.triage_questions(category)


class PlaceQuery(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)


class PlaceOut(Schema):
    out_of_area: bool
    village: str
    kecamatan: str
    responsible_psc: str
    message: str


@router.get(
    "place",
    response=PlaceOut,
    auth=operator_auth,
    summary="Where a point lies for the call-taker's console (out of area or not)",
)
def place(request: HttpRequest, q: Query[PlaceQuery]):
    actor = _actor(request)
    require_role(actor, *READ_ROLES)
    placed = areas.place(q.lat, q.lon, console=areas.console_area_of(actor))
    v = placed.village
    return {
        "out_of_area": placed.out_of_area,
        "village": v.name if v else "",
        "kecamatan": v.parent.name if v and v.parent_id else "",
        "responsible_psc": placed.responsible.label,
        "message": placed.describe() if placed.out_of_area else "",
    }


@router.get(
    "incidents/repeats",
    response=list[IncidentOut],
    auth=operator_auth,
    summary="Open incidents a new call may be about",
)
def repeats(request: HttpRequest, q: Query[RepeatQuery]):
    actor = _actor(request)
    require_role(actor, *READ_ROLES)
    area = (actor.user.area_code if actor.user else "")[:4]
    found = services.find_repeats(phone=q.phone, latitude=q.lat, longitude=q.lon, area_code=area)
    return [_out(i) for i in found]


@router.post(
    "incidents",
    response={201: IncidentOut, 200: IncidentOut},
    auth=operator_auth,
    summary="Open an incident (call-taker, partner system)",
)
def create_incident(request: HttpRequest, body: IncidentIn):
    actor = _actor(request)
    if body.repeat_of:
        inc = _incident(request, body.repeat_of)
        services.add_call(
            actor, inc, phone=body.caller_phone, note=clip(body.notes, IncidentCall, "note")
        )
        return Status(200, _out(inc))
    # a machine key (set by the key authenticators) means a partner system
    source = "partner" if getattr(request, "auth_user", None) is not None else "call"
    data = services.IncidentInput(**body.dict(exclude={"repeat_of"}), source=source)
    inc = services.create_incident(actor, data)
    return Status(201, _out(inc))


@router.get("incidents/{ref}", response=IncidentOut, auth=operator_auth, summary="One incident")
def get_incident(request: HttpRequest, ref: str):
    return _out(_incident(request, ref))


@router.post(
    "incidents/{ref}/calls",
    response=IncidentOut,
    auth=operator_auth,
    summary="A repeat call about this incident",
)
def add_call(request: HttpRequest, ref: str, body: CallIn):
    inc = _incident(request, ref)
    services.add_call(_actor(request), inc, phone=body.phone, note=body.note)
    return _out(inc)


@router.post(
    "incidents/{ref}/triage", response=IncidentOut, auth=operator_auth, summary="Re-triage"
)
def triage(request: HttpRequest, ref: str, body: TriageIn):
    inc = _incident(request, ref)
    services.update_triage(
        _actor(request),
        inc,
        triage=body.triage,
        answers=body.answers,
        victims=body.victims,
        notes=body.notes,
    )
    return _out(inc)


@router.post(
    "incidents/{ref}/close", response=IncidentOut, auth=operator_auth, summary="Close or cancel"
)
def close(request: HttpRequest, ref: str, body: CloseIn):
    inc = _incident(request, ref)
    services.close_incident(_actor(request), inc, reason=body.reason, cancel=body.cancel)
    return _out(inc)


# --- dispatch -----------------------------------------------------------------------


@router.get(
    "units/recommend",
    response=list[UnitRec],
    auth=operator_auth,
    summary="Available units fit for the triage, by estimated arrival",
)
def recommend(request: HttpRequest, q: Query[RecommendQuery]):
    actor = _actor(request)
    require_role(actor, *READ_ROLES)
    area = q.area or (actor.user.area_code if actor.user else "")
    return selectors.recommend_units(q.lat, q.lon, q.triage, area=area, n=q.n)


@router.get(
    "incidents/{ref}/units",
    response=list[UnitRec],
    auth=operator_auth,
    summary="Recommended units for an incident",
)
def incident_units(request: HttpRequest, ref: str, n: int = 5):
    return selectors.recommend_for_incident(_incident(request, ref), n=max(1, min(n, 50)))


@router.get(
    "incidents/{ref}/hospitals",
    response=list[HospitalRec],
    auth=operator_auth,
    summary="Recommended hospitals (service, free beds, travel time)",
)
def incident_hospitals(request: HttpRequest, ref: str, bed_class: str | None = None):
    return selectors.recommend_hospitals(_incident(request, ref), bed_class=bed_class)


def _assignment_out(a: Assignment) -> dict:
    return {
        "id": str(a.public_id),
        "unit": a.unit.code,
        "unit_status": a.unit.status,
        "eta_minutes": a.eta_minutes,
    }


@router.post(
    "incidents/{ref}/assign",
    response={201: AssignmentOut, 409: dict},
    auth=operator_auth,
    summary="Send a unit (409 if someone took it first)",
)
def assign(request: HttpRequest, ref: str, body: AssignIn):
    inc = _incident(request, ref)
    a = services.assign_unit(_actor(request), inc, _unit(body.unit))
    return Status(201, _assignment_out(a))


def _assignment(request: HttpRequest, ref: uuid.UUID) -> Assignment:
    """An assignment the caller may act on (its unit's crew or a dispatcher of its area);
    any other answers like an unknown id."""
    a = Assignment.objects.select_related("incident", "unit").filter(public_id=ref).first()
    if a is None:
        raise NotFound(_("Penugasan tidak ditemukan."))
    with refused_as_not_found(_("Penugasan tidak ditemukan.")):
        services.require_unit_actor(_actor(request), a.unit)
    return a


@router.post(
    "assignments/{ref}/cancel",
    response=AssignmentOut,
    auth=operator_auth,
    summary="Call a unit off",
)
def cancel(request: HttpRequest, ref: uuid.UUID, body: ReasonIn):
    a = services.cancel_assignment(_actor(request), _assignment(request, ref), reason=body.reason)
    a.unit.refresh_from_db()
    return _assignment_out(a)


@router.post(
    "assignments/{ref}/reassign",
    response={201: AssignmentOut},
    auth=operator_auth,
    summary="Send another unit instead",
)
def reassign(request: HttpRequest, ref: uuid.UUID, body: ReassignIn):
    a = services.reassign(
        _actor(request), _assignment(request, ref), _unit(body.unit), reason=body.reason
    )
    return Status(201, _assignment_out(a))


@router.post(
    "incidents/{ref}/handoff",
    response={201: HandoffOut},
    auth=operator_auth,
    summary="Hand the patient to a hospital (optionally hold a bed)",
)
def handoff(request: HttpRequest, ref: str, body: HandoffIn):
    inc = _incident(request, ref)
    hospital = Facility.objects.filter(public_id=body.hospital).first()
    if hospital is None:
        raise NotFound(_("Rumah sakit tidak ditemukan."), field="hospital")
    h = services.create_handoff(
        _actor(request),
        inc,
        hospital,
        summary=body.summary,
        bed_class=body.bed_class,
        hold_bed=body.hold_bed,
        eta_minutes=body.eta_minutes,
    )
    return Status(201, _handoff_out(h))


@router.get("console", auth=operator_auth, summary="The dispatcher's live queue and units")
def console(request: HttpRequest):
    actor = _actor(request)
    require_role(actor, *READ_ROLES)
    area = (actor.user.area_code if actor.user else "")[:4]
    now = timezone.now()
    return {
        "at": now.isoformat(),
        "incidents": [selectors.incident_json(i, now) for i in selectors.active_incidents(area)],
        "units": selectors.units_json(area),
    }


# --- crews --------------------------------------------------------------------------


def _crew_unit(request: HttpRequest, ref: str) -> tuple[Actor, Unit]:
    actor = _actor(request)
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    unit = _unit(ref)
    with refused_as_not_found(_("Ambulans tidak ditemukan."), field="unit"):
        services.require_unit_actor(actor, unit)
    return actor, unit


@router.post(
    "units/{ref}/status",
    response=UnitOut,
    auth=operator_auth,
    summary="Crew status button (or the dispatcher on its behalf)",
)
def unit_status(request: HttpRequest, ref: str, body: UnitStatusIn):
    actor, unit = _crew_unit(request, ref)
    services.crew_status(
        actor,
        unit,
        body.status,
        latitude=body.latitude,
        longitude=body.longitude,
        reason=body.reason,
        client_key=body.client_key,
        destination=body.destination,
    )
    return selectors.unit_json(unit.pk)


@router.post(
    "assignments/{ref}/accept",
    response=AcceptedOut,
    auth=operator_auth,
    summary="Crew: accept the job (a second press keeps the first time)",
)
def accept(request: HttpRequest, ref: uuid.UUID):
    a = services.accept_assignment(_actor(request), _assignment(request, ref))
    return {
        "id": str(a.public_id),
        "unit": a.unit.code,
        "incident": a.incident.number,
        "accepted_at": a.accepted_at.isoformat(),
    }


@router.post(
    "units/{ref}/vitals",
    response={201: VitalsOut},
    auth=operator_auth,
    summary="Crew: the patient's vital signs and a short handover note",
)
def unit_vitals(request: HttpRequest, ref: str, body: VitalsIn):
    actor, unit = _crew_unit(request, ref)
    v = services.record_vitals(actor, unit, services.VitalsInput(**body.dict()))
    shown = selectors.vitals_json(v)
    return Status(
        201,
        {"id": str(v.public_id), "incident": v.incident.number, **shown},
    )


@router.post(
    "units/{ref}/position", response=UnitOut, auth=operator_auth, summary="Crew phone position"
)
def unit_position(request: HttpRequest, ref: str, body: PositionIn):
    actor, unit = _crew_unit(request, ref)
    services.update_position(actor, unit, body.latitude, body.longitude)
    return selectors.unit_json(unit.pk)


@router.get("units/{ref}/job", auth=operator_auth, summary="The crew's current job")
def unit_job(request: HttpRequest, ref: str):
    _actor_, unit = _crew_unit(request, ref)
    return selectors.crew_job(unit)


# --- hospitals ----------------------------------------------------------------------


@router.post(
    "handoffs/{ref}/{action}",
    response=HandoffOut,
    auth=operator_auth,
    summary="Hospital: acknowledge the incoming patient or record arrival",
)
def handoff_action(request: HttpRequest, ref: uuid.UUID, action: Literal["acknowledge", "arrived"]):
    h = (
        Handoff.objects.select_related("hospital", "incident", "referral")
        .filter(public_id=ref)
        .first()
    )
    if h is None:
        raise NotFound(_("Serah terima tidak ditemukan."))
    with refused_as_not_found(_("Serah terima tidak ditemukan.")):
        facility_services.require_operator(_actor(request), h.hospital)
    to = Handoff.Status.ACKNOWLEDGED if action == "acknowledge" else Handoff.Status.ARRIVED
    services.hospital_handoff_action(_actor(request), h, to)
    return _handoff_out(h)


@router.get(
    "handoffs/{ref}",
    response=HandoffSummaryOut,
    auth=operator_auth,
    summary="Hospital: the incoming patient's clinical summary and arrival estimate",
)
def handoff_summary(request: HttpRequest, ref: uuid.UUID):
    h = Handoff.objects.select_related("hospital", "incident", "unit").filter(public_id=ref).first()
    if h is None:
        raise NotFound(_("Serah terima tidak ditemukan."))
    with refused_as_not_found(_("Serah terima tidak ditemukan.")):
        facility_services.require_operator(_actor(request), h.hospital)
    return selectors.handoff_summary(h)


# --- partners and the public --------------------------------------------------------


@router.post(
    "partner/agencies/{ref}/status",
    auth=None,
    response={200: dict},
    summary="Partner agency status (signed: X-Sigap-Timestamp, X-Sigap-Signature)",
)
def partner_status(request: HttpRequest, ref: uuid.UUID):
    agency = Agency.objects.select_related("webhook").filter(public_id=ref, is_active=True).first()
    if agency is None or agency.webhook is None:
        raise NotFound(_("Instansi tidak ditemukan."))
    body = request.body
    if not verify_signature(
        agency.webhook.secret,
        body,
        request.headers.get("X-Sigap-Timestamp", ""),
        request.headers.get("X-Sigap-Signature", ""),
        once=f"partner-status:{agency.pk}",  # the same signed call twice: refused (replay)
    ):
        raise NotAuthenticated(_("Tanda tangan tidak sah atau kedaluwarsa."))
    try:
        data = PartnerStatusIn(**json.loads(body or b"{}"))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(_("Isi permintaan tidak sah."), field="body") from exc
    key = _incident_key(data.incident)
    inc = Incident.objects.filter(**key).first() if key is not None else None
    if inc is None:
        raise NotFound(_("Kejadian tidak ditemukan."), field="incident")
    actor = Actor(
        user=None, channel=Channel.PARTNER, label=agency.name, remote_addr=client_ip(request)
    )
    req = services.agency_status(actor, agency, inc, status=data.status)
    return {"incident": inc.number, "status": req.status, "partner_status": req.partner_status}


IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_\-]{8,64}")


@router.post(
    "sos",
    response={201: SosOut, 200: SosOut, 429: dict},
    auth=None,
    summary="Public SOS button: position from the phone, or a chosen kelurahan",
    description=(
        "One press = one incident: the page sends an idempotency key (body `idempotency_key` "
        "or header `Idempotency-Key`); the same key again answers 200 with the incident the "
        "first request opened. From a kab/kota no console serves, the SOS is shown on the "
        "nearest console as out of area with the responsible PSC; from a point SIGAP cannot "
        "place, it is refused (422 `out_of_area`) with the advice to dial 112."
    ),
)
def sos(request: HttpRequest, body: SosIn):
    ip = client_ip(request) or "?"
    key = body.idempotency_key or request.headers.get("Idempotency-Key", "").strip()
    if key and not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise InvalidInput(_("Kunci permintaan tidak sah."), field="idempotency_key")
    if (body.latitude is None) != (body.longitude is None):
        raise InvalidInput(_("Isi lintang dan bujur."), field="latitude")
    if body.latitude is None and not body.village_code:
        raise InvalidInput(
            _("Lokasi wajib: izinkan lokasi ponsel atau pilih kelurahan/desa."), field="location"
        )
    data = services.IncidentInput(
        latitude=body.latitude,
        longitude=body.longitude,
        village_code=body.village_code,
        caller_phone=body.phone,
        category=body.category,
        triage_answers=body.answers,
        notes=body.note,
        source="sos",
        agencies=[],
        idempotency_key=key,
    )
    actor = Actor(user=None, channel=Channel.SOS, label="sos", remote_addr=ip)
    again = bool(key) and Incident.objects.filter(idempotency_key=key).exists()
    # the same press again does not count against the limit
    if not again and over_limit(request, "emergency-sos", SOS_PER_IP_PER_10_MIN, 600):
        raise TooManyRequests(_("Terlalu banyak permintaan SOS; hubungi 112 atau 119."))
    inc, created = services.submit_sos(actor, data)
    return Status(201 if created else 200, _sos_out(inc))


def _sos_out(inc: Incident) -> dict:
    psc = areas.responsible_psc(inc.responsible_area or inc.area_code)
    if not inc.out_of_area:
        message = _(
            "Permintaan darurat diterima (%(psc)s). Petugas akan menelepon nomor Anda. Bila "
            "keadaan memburuk, telepon 112 atau 119."
        ) % {"psc": psc.name}
    else:
        here = areas.responsible_psc(inc.area_code)
        message = _(
            "Lokasi Anda di luar wilayah %(here)s. Permintaan Anda tampil di %(here)s sebagai "
            "di luar wilayah dan diteruskan ke %(psc)s. Telepon 112 sekarang bila bisa."
        ) % {"here": here.name, "psc": psc.label}
    return {
        "number": inc.number,
        "message": message,
        "triage": inc.triage,
        "out_of_area": inc.out_of_area,
        "responsible_psc": psc.label,
    }
