"""Bed board JSON API: the public board, its export, and the operators' room endpoints."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from sigap.core import exports
from sigap.core.auth import operator_auth
from sigap.core.errors import InvalidInput, NotFound
from sigap.core.services import Actor
from sigap.facilities.models import Facility

from . import selectors, services
from .models import BedClass, BedUpdate, Room

router = Router(tags=["beds"])

# --- public ---------------------------------------------------------------------------


class FilterQuery(Schema):
    """Query parameters of the public board: an empty value (`kecamatan=`) is no filter, as
    an HTML form sends it for "all", so it falls back to the field's default."""

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data):
        data = getattr(data, "_obj", data)  # django-ninja hands the dict in a DjangoGetter
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class PublicBedsQuery(FilterQuery):
    kelas: str | None = Field(None, description="Aplicare kodekelas, e.g. ICU, NIC, KL3, VIP")
    lat: float | None = Field(None, ge=-90, le=90, description="Your latitude (WGS84)")
    lon: float | None = Field(None, ge=-180, le=180, description="Your longitude (WGS84)")
    kecamatan: str | None = Field(None, pattern=r"^[0-9]{6}$", description="Kemendagri code")
    wilayah: str | None = Field(
        None, pattern=r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{4})?)?)?$", description="Region prefix"
    )
    limit: int = Field(50, ge=1, le=selectors.MAX_LIMIT)
    include_full: bool = Field(False, description="With kelas: also hospitals with none free")


class RegionRef(Schema):
    code: str | None
    name: str | None


class ClassBeds(Schema):
    kodekelas: str
    class_name: str
    capacity: int
    free: int
    reserved: int
    waiting: int
    free_male: int | None
    free_female: int | None


class BoardHospital(Schema):
    id: uuid.UUID
    name: str
    kind: str
    ownership: str
    hospital_class: str | None
    address: str
    kecamatan: RegionRef
    kelurahan: RegionRef
    lat: float
    lon: float
    phone: str
    emergency_phone: str
    synthetic: bool
    beds: list[ClassBeds]
    total_free: int
    updated_at: datetime
    age_minutes: int
    stale: bool
    distance_km: float | None = None
    travel_minutes: float | None = None


class BedClassOut(Schema):
    code: str
    name: str
    aplicare_name: str
    is_aplicare: bool
    is_critical_care: bool
    sirs_id_tt: list[int]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None


def _check_kelas(kelas: str | None) -> None:
    # The shape is checked before the lookup: a NUL byte must never reach PostgreSQL.
    if kelas and (
        not re.fullmatch(r"[A-Za-z0-9]{3}", kelas)
        or kelas.upper() not in selectors.known_class_codes()
    ):
        raise InvalidInput(_("Kode kelas tidak dikenal."), field="kelas")


def _check_board_query(q: PublicBedsQuery) -> None:
    if (q.lat is None) != (q.lon is None):
        raise InvalidInput(
            _("lat dan lon harus diisi bersama."), field="lat" if q.lat is None else "lon"
        )
    _check_kelas(q.kelas)


@router.get(
    "public/beds",
    response={200: list[BoardHospital], 422: ErrorOut},
    auth=None,
    summary="Free beds per hospital and class (public)",
)
def public_beds(request: HttpRequest, q: Query[PublicBedsQuery]):
    """Hospitals with free beds per class; with `lat`/`lon`, nearest first by travel time.
    Carries no personal data. `stale` is true when the hospital has not reported for longer
    than the configured limit (default 6 hours)."""
    _check_board_query(q)
    rows = selectors.public_board(
        kelas=q.kelas, lat=q.lat, lon=q.lon, kecamatan=q.kecamatan, area=q.wilayah,
        limit=q.limit, include_full=q.include_full,
    )  # fmt: skip
    # The hot path: the rows are already JSON-shaped, so skip per-request model validation.
    return HttpResponse(
        json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
    )


@router.get("public/bed-classes", response=list[BedClassOut], auth=None, summary="Bed classes")
def bed_classes(request: HttpRequest):
    out = []
    for c in BedClass.objects.prefetch_related("sirs_types"):
        out.append({
            "code": c.code, "name": c.name, "aplicare_name": c.aplicare_name,
            "is_aplicare": c.is_aplicare, "is_critical_care": c.is_critical_care,
            "sirs_id_tt": [t.id_tt for t in c.sirs_types.all()],
        })  # fmt: skip
    return out


class ExportQuery(FilterQuery):
    kelas: str | None = None
    kecamatan: str | None = Field(None, pattern=r"^[0-9]{6}$")
    format: str = Field("csv", pattern=r"^(csv|xlsx)$")


@router.get(
    "public/beds/export",
    auth=None,
    response={200: None, 422: ErrorOut},
    summary="The board as CSV or XLSX",
)
def export_board(request: HttpRequest, q: Query[ExportQuery]):
    _check_kelas(q.kelas)
    rows = selectors.export_rows(kelas=q.kelas, kecamatan=q.kecamatan)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if q.format == "xlsx":
        resp = HttpResponse(
            exports.xlsx_bytes("tempat_tidur", selectors.EXPORT_COLUMNS, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = exports.csv_text(selectors.EXPORT_COLUMNS, rows)
        resp = HttpResponse(text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="tempat-tidur-{stamp}.{q.format}"'
    return resp


# --- operators ------------------------------------------------------------------------


class RoomIn(Schema):
    namaruang: str = Field(..., min_length=1, max_length=128)
    kapasitas: int = Field(..., ge=0, le=services.MAX_BEDS_PER_ROOM)
    tersedia: int = Field(..., ge=0, le=services.MAX_BEDS_PER_ROOM)
    tersediapria: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    tersediawanita: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    tersediapriawanita: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    dipesan: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM, description="reserved")
    antrian: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM, description="waiting")


class RoomPatch(Schema):
    namaruang: str | None = Field(None, min_length=1, max_length=128)
    kapasitas: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    tersedia: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    dipesan: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)
    antrian: int | None = Field(None, ge=0, le=services.MAX_BEDS_PER_ROOM)


class RoomOut(Schema):
    id: uuid.UUID
    kodekelas: str
    koderuang: str
    namaruang: str
    capacity: int
    free: int
    free_male: int | None
    free_female: int | None
    free_mixed: int | None
    reserved: int
    waiting: int
    preparing: int
    occupied: int
    changed_at: datetime
    reported_at: datetime
    source: str


class RoomChangeOut(Schema):
    outcome: str
    room: RoomOut | None


class HistoryOut(Schema):
    at: datetime
    kodekelas: str
    koderuang: str
    kind: str
    source: str
    actor: str
    capacity: int
    free: int
    reserved: int
    waiting: int


def _facility(request: HttpRequest, facility_ref: str) -> Facility:
    """A facility by public UUID or BPJS kodeppk, if the caller may operate it."""
    if services.has_control_chars(facility_ref):
        raise NotFound(_("Fasilitas tidak ditemukan."), field="facility")
    try:
        facility = Facility.objects.filter(public_id=uuid.UUID(facility_ref)).first()
    except ValueError:
        facility = Facility.objects.filter(bpjs_kodeppk=facility_ref).first()
    if facility is None:
        raise NotFound(_("Fasilitas tidak ditemukan."), field="facility")
    services.require_room_operator(Actor.from_request(request, "api"), facility)
    return facility


def _code(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > 32 or services.has_control_chars(value):
        raise InvalidInput(_("Kode tidak sah."), field=field)
    return value


OPERATOR_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get(
    "beds/facilities/{facility_ref}/rooms",
    response={200: list[RoomOut], **OPERATOR_ERRORS},
    auth=operator_auth,
    summary="A hospital's rooms (its operators only)",
)
def list_rooms(request: HttpRequest, facility_ref: str):
    facility = _facility(request, facility_ref)
    rooms = Room.objects.filter(facility=facility).select_related("bed_class")
    return [services.room_as_dict(r) for r in rooms]


@router.put(
    "beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}",
    response={200: RoomChangeOut, 201: RoomChangeOut, **OPERATOR_ERRORS},
    auth=operator_auth,
    summary="Create or replace a room's numbers",
)
def put_room(request: HttpRequest, facility_ref: str, kodekelas: str, koderuang: str, body: RoomIn):
    facility = _facility(request, facility_ref)
    data = services.RoomInput(
        bed_class=_code(kodekelas, "kodekelas"),
        code=_code(koderuang, "koderuang"),
        name=body.namaruang,
        capacity=body.kapasitas,
        free=body.tersedia,
        free_male=body.tersediapria,
        free_female=body.tersediawanita,
        free_mixed=body.tersediapriawanita,
        reserved=body.dipesan,
        waiting=body.antrian,
    )
    change = services.upsert_room(
        Actor.from_request(request, "api"), facility, data, source=Room.Source.API
    )
    status = 201 if change.outcome == "created" else 200
    return Status(status, {"outcome": change.outcome, "room": services.room_as_dict(change.room)})


@router.patch(
    "beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}",
    response={200: RoomChangeOut, **OPERATOR_ERRORS},
    auth=operator_auth,
    summary="Change some numbers of a room",
)
def patch_room(
    request: HttpRequest, facility_ref: str, kodekelas: str, koderuang: str, body: RoomPatch
):
    facility = _facility(request, facility_ref)
    room = Room.objects.filter(
        facility=facility,
        bed_class_id=_code(kodekelas, "kodekelas").upper(),
        code=_code(koderuang, "koderuang"),
    ).first()
    if room is None:
        raise NotFound(_("Data tidak ada di database"), field="koderuang")
    mapping = {"namaruang": "name", "kapasitas": "capacity", "tersedia": "free",
               "dipesan": "reserved", "antrian": "waiting"}  # fmt: skip
    changes = {mapping[k]: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    if not changes:
        raise InvalidInput(_("Tidak ada yang diubah."), field=None)
    change = services.update_counts(
        Actor.from_request(request, "api"), room, source=Room.Source.API, **changes
    )
    return {"outcome": change.outcome, "room": services.room_as_dict(change.room)}


@router.delete(
    "beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}",
    response={204: None, **OPERATOR_ERRORS},
    auth=operator_auth,
    summary="Delete a room",
)
def delete_room(request: HttpRequest, facility_ref: str, kodekelas: str, koderuang: str):
    facility = _facility(request, facility_ref)
    services.delete_room(
        Actor.from_request(request, "api"), facility, kodekelas, koderuang, source=Room.Source.API
    )
    return Status(204, None)


@router.get(
    "beds/facilities/{facility_ref}/history",
    response={200: list[HistoryOut], **OPERATOR_ERRORS},
    auth=operator_auth,
    summary="A hospital's bed-update history (newest first)",
)
def room_history(request: HttpRequest, facility_ref: str, limit: int = Query(100, ge=1, le=1000)):
    facility = _facility(request, facility_ref)
    rows = BedUpdate.objects.filter(facility=facility)[:limit]
    return [
        {
            "at": u.at,
            "kodekelas": u.bed_class_id,
            "koderuang": u.room_code,
            "kind": u.kind,
            "source": u.source,
            "actor": u.actor_label,
            "capacity": u.capacity,
            "free": u.free,
            "reserved": u.reserved,
            "waiting": u.waiting,
        }  # fmt: skip
        for u in rows
    ]
