"""Public facilities API: what a resident may know about a facility, nothing personal."""

from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sigap.core.errors import InvalidInput, NotFound

from . import services
from .models import Facility, FacilityKind

router = Router(tags=["facilities"])


class ServiceOut(Schema):
    code: str
    name: str


class FacilityOut(Schema):
    id: UUID
    name: str
    kind: str
    kind_name: str
    ownership: str
    hospital_class: str
    parent_id: UUID | None
    lat: float
    lon: float
    address: str
    village_code: str
    kelurahan: str
    kecamatan_code: str
    kecamatan: str
    phone: str
    emergency_phone: str
    kemenkes_code: str
    bpjs_kodeppk: str | None
    services: list[ServiceOut]
    is_synthetic: bool


# An offset past this is refused before it reaches the database (one past a 64-bit integer
# was a 500); no area has this many facilities.
MAX_OFFSET = 1_000_000_000


class ListParams(Schema):
    kind: str = ""
    area: str = ""
    limit: int = 200
    offset: int = Field(0, description=f"0 to {MAX_OFFSET}")


def facility_out(f: Facility) -> dict:
    village = f.village
    return {
        "id": f.public_id,
        "name": f.name,
        "kind": f.kind_id,
        "kind_name": f.kind.name,
        "ownership": f.ownership,
        "hospital_class": f.hospital_class,
        "parent_id": f.parent.public_id if f.parent_id else None,
        "lat": f.latitude,
        "lon": f.longitude,
        "address": f.address,
        "village_code": village.code,
        "kelurahan": village.name,
        "kecamatan_code": village.parent_id or "",
        "kecamatan": village.parent.name if village.parent else "",
        "phone": f.phone,
        "emergency_phone": f.emergency_phone,
        "kemenkes_code": f.kemenkes_code,
        "bpjs_kodeppk": f.bpjs_kodeppk,
        "services": [{"code": s.code, "name": s.name} for s in f.services.all()],
        "is_synthetic": f.is_synthetic,
    }


@router.get("/", response=list[FacilityOut], summary="Daftar fasilitas (publik)")
def list_facilities(request: HttpRequest, params: Query[ListParams]):
    """Active facilities, filtered by kind (rs, puskesmas, pustu, ...) and area code prefix."""
    if params.kind and not FacilityKind.objects.filter(code=params.kind).exists():
        raise InvalidInput(_("Jenis fasilitas tidak dikenal."), field="kind")
    if params.area and (not params.area.isdigit() or len(params.area) > 10):
        raise InvalidInput(_("Kode wilayah harus berupa angka."), field="area")
    if not 1 <= params.limit <= 1000:
        raise InvalidInput(_("limit harus antara 1 dan 1000."), field="limit")
    if params.offset < 0:
        raise InvalidInput(_("offset tidak boleh negatif."), field="offset")
    if params.offset > MAX_OFFSET:
        message = _("offset paling besar %(n)s.") % {"n": MAX_OFFSET}
        raise InvalidInput(message, field="offset")
    qs = services.public_facilities(params.kind, params.area).select_related("parent")
    return [facility_out(f) for f in qs[params.offset : params.offset + params.limit]]


@router.get("/{facility_id}", response=FacilityOut, summary="Satu fasilitas (publik)")
def get_facility(request: HttpRequest, facility_id: UUID):
    f = services.public_facilities().select_related("parent").filter(public_id=facility_id).first()
    if f is None:
        raise NotFound(_("Fasilitas tidak ditemukan."), field="facility_id")
    return facility_out(f)
