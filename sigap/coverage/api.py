"""JKN coverage JSON API: lookup by NIK (staff), the public check, coverage reports and the
trend (office), flags from other systems, and the audited uninsured export."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sigap.core import ratelimit
from sigap.core.auth import operator_auth
from sigap.core.errors import Forbidden, InvalidInput, TooManyRequests
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit, require_role
from sigap.regions.services import mask_nik

from . import conf, selectors, services
from .views import download, public_answer

router = Router(tags=["coverage"])

NIK_PATTERN = r"^[0-9]{16}$"
AREA_PATTERN = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{4})?)?)?$"
STAFF_ROLES = (Role.HOSPITAL_OPERATOR, Role.PUSKESMAS_STAFF, Role.PSC_CALL_TAKER,
               Role.DISPATCHER, Role.AMBULANCE_CREW, Role.ANALYST)  # fmt: skip
# Who may look a NIK's JKN cover up: admission desks (hospital, Puskesmas) and the office.
# Emergency staff do not need it (emergency care does not wait for cover). The segment
# (PBI shows welfare status) is shown to the office only.
LOOKUP_ROLES = (Role.HOSPITAL_OPERATOR, Role.PUSKESMAS_STAFF, Role.ANALYST)
SEGMENT_ROLES = (Role.ANALYST,)


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None


class LookupIn(Schema):
    nik: str = Field(..., pattern=NIK_PATTERN)
    birth_date: date | None = None


class StatusOut(Schema):
    known: bool
    covered: bool | None = None
    active: bool | None = None
    segment: str | None = None
    inactive_reason: str | None = None
    faskes_code: str | None = None
    period: date | None = None
    enrolment: str | None = None


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.API)


def _office_area(actor: Actor, area: str | None) -> str:
    user = require_role(actor, Role.ANALYST, Role.ADMIN)
    area = area or user.area_code or settings.SIGAP_AREA_CODE
    if not (user.is_admin_role or user.covers_area(area)):
        raise Forbidden("Wilayah ini di luar cakupan Anda.", field="area")
    return area


@router.post(
    "lookup", auth=operator_auth, response={200: StatusOut, 401: ErrorOut, 403: ErrorOut,
                                            422: ErrorOut, 429: ErrorOut},
    summary="JKN cover of a NIK (hospital, Puskesmas and office staff; the segment for the "
    "office only; limited per user; audited); POST so that the NIK stays out of URLs and logs",
)  # fmt: skip
def lookup(request: HttpRequest, body: LookupIn):
    actor = _actor(request)
    user = require_role(actor, *LOOKUP_ROLES)
    count, seconds = conf.staff_lookup_rate()
    if ratelimit.over(f"coverage-lookup:user:{user.pk}", count, seconds):
        raise TooManyRequests(_("Terlalu banyak pencarian NIK. Coba lagi nanti."),
                              code="rate_limited")  # fmt: skip
    status = services.coverage_status(body.nik, body.birth_date)
    record_audit(actor, "coverage.lookup", object_type="coverage.nik",
                 object_id=mask_nik(body.nik),
                 after={"known": status is not None})  # fmt: skip
    if status is None:
        return StatusOut(known=False)
    office = user.is_admin_role or user.role in SEGMENT_ROLES
    return StatusOut(known=True, covered=status.covered, active=status.active,
                     segment=status.segment if office else None,
                     inactive_reason=status.inactive_reason,
                     faskes_code=status.faskes_code, period=status.period,
                     enrolment=status.enrolment)  # fmt: skip


class PublicCheckIn(Schema):
    nik: str = Field(..., max_length=32, description="16 digits")
    family_card: str | None = Field(None, max_length=32, description="KK number (16 digits)")
    card_number: str | None = Field(None, max_length=32, description="JKN card (13 digits)")


class PublicCheckOut(Schema):
    answer: str = Field(..., description="active | inactive | pending | uncovered | unknown")


@router.post(
    "public/check", auth=None, response={200: PublicCheckOut, 422: ErrorOut, 429: ErrorOut},
    summary="Public: is this NIK covered (no personal data; the NIK and the KK or JKN card "
    "number are required; limited per address and per NIK after misses)",
)  # fmt: skip
def public_check(request: HttpRequest, body: PublicCheckIn):
    field = "card_number" if body.card_number and not body.family_card else "family_card"
    number = body.family_card or body.card_number or ""
    return PublicCheckOut(answer=public_answer(request, body.nik, number, field))


class AreaQuery(Schema):
    area: str | None = Field(None, pattern=AREA_PATTERN, description="Region code prefix")
    level: str = Field("kelurahan", pattern=r"^(kelurahan|kecamatan|area)$")
    period: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}$")


class CoverageRow(Schema):
    code: str
    name: str
    population: int
    covered: int
    active: int
    pemda: int
    uncovered: int
    coverage: float | None
    active_share: float | None
    uhc: bool
    award: str


def _row(r: dict) -> CoverageRow:
    return CoverageRow(
        code=r["code"], name=r["name"], population=r["population"], covered=r["covered"],
        active=r["active"], pemda=r["pemda"], uncovered=r["uncovered"],
        coverage=r["coverage"], active_share=r["active_share"], uhc=r["uhc"].predicate,
        award=r["uhc"].award,
    )  # fmt: skip


@router.get(
    "report", auth=operator_auth, response={200: list[CoverageRow], 401: ErrorOut,
                                            403: ErrorOut, 422: ErrorOut},
    summary="Coverage by kelurahan, kecamatan or the whole area (aggregates only)",
)  # fmt: skip
def report(request: HttpRequest, q: Query[AreaQuery]):
    area = _office_area(_actor(request), q.area)
    period = services.parse_period(q.period) if q.period else None
    return [_row(r) for r in selectors.coverage_by_area(area, q.level, period)]


class TrendRow(Schema):
    period: date
    population: int
    covered: int
    active: int
    coverage: float | None
    active_share: float | None


@router.get(
    "trend", auth=operator_auth, response={200: list[TrendRow], 401: ErrorOut, 403: ErrorOut,
                                           422: ErrorOut},
    summary="Coverage of the area per imported month",
)  # fmt: skip
def trend(request: HttpRequest, area: str | None = Query(None, pattern=AREA_PATTERN)):
    area = _office_area(_actor(request), area)
    return [TrendRow(**{k: r[k] for k in TrendRow.model_fields}) for r in selectors.trend(area)]


class BreakdownRow(Schema):
    code: str
    name: str
    population: int
    covered: int
    active: int
    coverage: float | None


@router.get(
    "breakdown", auth=operator_auth, response={200: list[BreakdownRow], 401: ErrorOut,
                                               403: ErrorOut, 422: ErrorOut},
    summary="Coverage by segment, sex or age group",
)  # fmt: skip
def breakdown(
    request: HttpRequest,
    by: str = Query(..., pattern=r"^(segment|sex|age)$"),
    area: str | None = Query(None, pattern=AREA_PATTERN),
):
    area = _office_area(_actor(request), area)
    return [BreakdownRow(**{k: r[k] for k in BreakdownRow.model_fields})
            for r in selectors.breakdown(area, by)]  # fmt: skip


class FlagIn(Schema):
    nik: str = Field(..., pattern=NIK_PATTERN)
    reason: str
    note: str = Field("", max_length=255)


class FlagOut(Schema):
    reason: str
    source: str
    active: bool


@router.post(
    "flags", auth=operator_auth, response={200: FlagOut, 401: ErrorOut, 403: ErrorOut,
                                           422: ErrorOut},
    summary="Flag a resident for priority enrolment (staff; the source is the caller's role)",
)  # fmt: skip
def flag(request: HttpRequest, body: FlagIn):
    actor = _actor(request)
    user = require_role(actor, *STAFF_ROLES)
    f = services.flag_resident(actor, body.nik, body.reason, user.role, body.note)
    return FlagOut(reason=f.reason, source=f.source, active=f.active)


@router.get(
    "uninsured/export", auth=operator_auth, response={200: None, 401: ErrorOut, 403: ErrorOut,
                                                      422: ErrorOut},
    summary="Uninsured residents as CSV or XLSX (analyst/admin; audited)",
)  # fmt: skip
def uninsured_export(
    request: HttpRequest,
    area: str | None = Query(None, pattern=AREA_PATTERN),
    format: str = Query("csv", pattern=r"^(csv|xlsx)$"),
):
    actor = _actor(request)
    area = _office_area(actor, area)
    if len(area) < 4:
        raise InvalidInput("Pilih kabupaten/kota atau wilayah yang lebih kecil.", field="area")
    rows = selectors.uninsured_rows(area, masked=False)
    record_audit(
        actor, "coverage.download.uninsured", object_type="coverage.uninsured", object_id=area,
        after={"rows": len(rows), "format": format, "area": area},
    )  # fmt: skip
    return download(rows, selectors.UNINSURED_COLUMNS, "belum-terdaftar-jkn", format)
