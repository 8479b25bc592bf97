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

from . import scenarios, selectors, services

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


# optional so that a caller who may not upload is refused for who they are, not for the body
_OPTIONAL_FILE = File(None)


@router.post(
    "/population",
    auth=operator_auth,
    response={201: UploadOut, 422: dict},
    url_name="access_population",
)
def population(
    request: HttpRequest,
    file: UploadedFile = _OPTIONAL_FILE,
    format: Literal["csv", "xlsx"] = "csv",
):
    """Population per kelurahan (CSV or XLSX: columns `kode`, `penduduk`): every row or none.
    A refused file answers 422 with `rejections` (line, code, reason) and writes nothing."""
    actor = _actor(request)
    services.require_office(actor)  # who asks comes before what they sent
    if file is None:
        raise InvalidInput(_("Pilih berkas penduduk (CSV atau XLSX)."), field="file")
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


class PointIn(Schema):
    name: str = Field("", max_length=80)
    lat: float
    lon: float


class ScenarioIn(Schema):
    name: str = Field(..., description="scenario name, e.g. 'upgrade 3 Pustu'")
    k: int = Field(..., description="at most this many sites (0 = as is)")
    objective: Literal["covering", "median"] = "covering"
    minutes: float = Field(30.0, description="T: the covering radius in minutes (> 0)")
    upgrades: bool = Field(True, description="existing Pustu may be upgraded to Puskesmas")
    new_sites: bool = Field(True, description="new Puskesmas at kelurahan centroids")
    points: list[PointIn] = Field([], description="other proposed sites")
    weights: Literal["none", "need"] = "none"
    mode: str = "motorbike"
    hour: int = 8
    seconds: float = Field(20.0, description="solver time limit")
    area: str = ""


def _scenario_out(s) -> dict:
    return {
        "id": str(s.public_id),
        "name": s.name,
        "area": s.area_code,
        "status": s.status,
        "status_label": str(s.get_status_display()),
        "error": s.error,
        "params": s.params,
        "created_at": s.created_at.isoformat(),
        "created_by": s.created_by.username if s.created_by else None,
        "result": s.result,
    }


@router.post(
    "/scenarios", auth=operator_auth, response={201: dict, 202: dict}, url_name="access_scenarios"
)
def create_scenario(request: HttpRequest, body: ScenarioIn):
    """Solve and save a siting scenario: 201 with the exact and greedy plan and the figures
    before/after; 202 (status `queued`) when the plan is large and runs in the background.
    4xx `{code, message, field}` on bad input (K too large, T <= 0, nothing to choose); a
    refusal saves nothing."""
    s = scenarios.create_scenario(_actor(request), body.dict())
    return (201 if s.status == s.Status.DONE else 202), _scenario_out(s)


@router.get("/scenarios", auth=operator_auth, url_name="access_scenario_list")
def list_scenarios(request: HttpRequest):
    """The saved scenarios of the caller's area, newest first (without results)."""
    rows = scenarios.visible_scenarios(_actor(request))[:200]
    return [_scenario_out(s) | {"result": None} for s in rows]


_REQUIRED_IDS = Query(...)


@router.get("/scenarios/compare", auth=operator_auth, url_name="access_scenario_compare")
def compare_scenarios(request: HttpRequest, ids: list[str] = _REQUIRED_IDS):
    """Finished scenarios side by side (`?ids=..&ids=..`, at most 4)."""
    actor = _actor(request)
    services.require_office(actor)  # a refused caller learns nothing about which ids exist
    chosen = [scenarios.get_scenario(actor, i) for i in dict.fromkeys(ids)][:4]
    return scenarios.compare(chosen)


@router.get("/scenarios/{public_id}", auth=operator_auth, url_name="access_scenario")
def get_scenario(request: HttpRequest, public_id: str):
    return _scenario_out(scenarios.get_scenario(_actor(request), public_id))
