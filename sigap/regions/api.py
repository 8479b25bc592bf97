"""Public regions API: children of a region and a kelurahan search (no personal data)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from sigap.core.errors import InvalidInput, NotFound

from . import services
from .models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    level: int
    name: str
    kind: str
    parent_code: str | None
    lat: float | None
    lon: float | None
    postal_code: str
    utc_offset: int | None


class KelurahanOut(Schema):
    code: str
    name: str
    kind: str
    kecamatan_code: str
    kecamatan: str
    lat: float | None
    lon: float | None


class SearchParams(Schema):
    q: str = ""
    area: str = ""
    limit: int = 20


def _region_out(r: Region) -> dict:
    return {
        "code": r.code,
        "level": r.level,
        "name": r.name,
        "kind": r.kind,
        "parent_code": r.parent_id,
        "lat": r.latitude,
        "lon": r.longitude,
        "postal_code": r.postal_code,
        "utc_offset": r.utc_offset,
    }


def _check_code(code: str, field: str) -> None:
    if code and (not code.isdigit() or len(code) > 10):
        raise InvalidInput(_("Kode wilayah harus berupa angka (maksimal 10 digit)."), field=field)


@router.get("/kelurahan", response=list[KelurahanOut], summary="Cari kelurahan/desa")
def search_kelurahan(request: HttpRequest, params: Query[SearchParams]):
    """Kelurahan/desa whose name contains `q`, within `area` (a region code prefix)."""
    _check_code(params.area, "area")
    if not 1 <= params.limit <= 100:
        raise InvalidInput(_("limit harus antara 1 dan 100."), field="limit")
    return [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "kecamatan_code": r.parent_id,
            "kecamatan": r.parent.name if r.parent else "",
            "lat": r.latitude,
            "lon": r.longitude,
        }
        for r in services.kelurahan_search(params.q, params.area, params.limit)
    ]


@router.get("/", response=list[RegionOut], summary="Provinsi")
def list_provinces(request: HttpRequest):
    return [_region_out(r) for r in services.children(None)]


@router.get("/{code}", response=RegionOut, summary="Satu wilayah")
def get_region(request: HttpRequest, code: str):
    _check_code(code, "code")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(_("Wilayah tidak ditemukan."), field="code")
    return _region_out(region)


@router.get("/{code}/children", response=list[RegionOut], summary="Wilayah di bawahnya")
def list_children(request: HttpRequest, code: str):
    _check_code(code, "code")
    if not Region.objects.filter(code=code).exists():
        raise NotFound(_("Wilayah tidak ditemukan."), field="code")
    return [_region_out(r) for r in services.children(code)]
