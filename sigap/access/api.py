"""Access JSON API (mounted at /api/v1/access/): akses dan penempatan fasilitas.

Office roles only (analyst, admin), inside the caller's area; aggregates, no personal data.
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from sigap.core.auth import operator_auth
from sigap.core.errors import InvalidInput
from sigap.core.services import Actor, Channel

from . import selectors, services

router = Router(tags=["access"])


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.API)


def _area(actor: Actor, area: str) -> str:
    """The area asked for, by default the caller's; never outside the caller's area."""
    user = actor.user
    area = area or user.area_code or settings.SIGAP_AREA_CODE
    if user.area_code and not area.startswith(user.area_code):
        raise InvalidInput(_("Wilayah di luar cakupan Anda."), field="area")
    return area


class AccessQuery(Schema):
    mode: str = Field("motorbike", description="travel mode: motorbike or car")
    hour: int = Field(8, ge=0, le=23, description="local hour of departure")
    area: str = Field(
        "", pattern=r"^([0-9]{2}|[0-9]{4}|[0-9]{6})?$", description="kab/kota or kecamatan code"
    )


@router.get("/kelurahan", auth=operator_auth, url_name="access_kelurahan")
def kelurahan(request: HttpRequest, params: Query[AccessQuery]):
    """Per kelurahan: population (and its source), what lies in it, and the minutes to the
    nearest Puskesmas, Pustu, hospital, hospital with IGD and hospital with PONEK; with the
    indicators. Every share carries its `denominator` (population with a figure and a
    position); `percent` is null when the denominator is 0."""
    actor = _actor(request)
    services.require_office(actor)
    if params.mode not in selectors.modes():
        raise InvalidInput(_("Moda perjalanan tidak dikenal."), field="mode")
    rep = selectors.report(_area(actor, params.area), mode=params.mode, hour=params.hour)
    return {
        "area": rep.area_code,
        "mode": rep.mode,
        "hour": rep.hour,
        "at": rep.at.isoformat(),
        "counts": rep.counts,
        "puskesmas": rep.puskesmas,
        "shares": rep.shares,
        "kecamatan": rep.kecamatans,
        "population_notes": rep.population_notes,
        "kelurahan": rep.rows,
    }


class UploadOut(Schema):
    id: str
    filename: str
    rows: int
    total_population: int


@router.post(
    "/population",
    auth=operator_auth,
    response={201: UploadOut, 422: dict},
    url_name="access_population",
)
def population(
    request: HttpRequest, file: File[UploadedFile], format: Literal["csv", "xlsx"] = "csv"
):
    """Population per kelurahan (CSV or XLSX: columns `kode`, `penduduk`): every row or none.
    A refused file answers 422 with `rejections` (line, code, reason) and writes nothing."""
    actor = _actor(request)
    services.require_office(actor)
    if (file.size or 0) > services.MAX_UPLOAD_BYTES:
        raise InvalidInput(_("Berkas terlalu besar (paling besar 5 MB)."), field="file")
    name = file.name or f"penduduk.{format}"
    if format == "xlsx" and not name.lower().endswith(".xlsx"):
        name += ".xlsx"
    try:
        upload = services.import_population(actor, name, file.read(), _area(actor, ""))
    except services.PopulationRefused as exc:
        return 422, exc.as_dict()
    return 201, {
        "id": str(upload.public_id),
        "filename": upload.filename,
        "rows": upload.row_count,
        "total_population": upload.total_population,
    }
