"""Nutrition and maternal/child health JSON API (mounted at /api/v1/nutrition/)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

import numpy as np
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sigap.core.auth import operator_auth
from sigap.core.errors import InvalidInput, TooManyRequests
from sigap.core.ratelimit import over_limit
from sigap.core.services import Actor, Channel, audit_list_read, audit_read
from sigap.facilities.models import Facility, Kind

from . import classification as cls
from . import quality, selectors, services
from . import zscores as zs
from .models import CaseAction, Child, Death, DeathReview, Measurement, NutritionCase

router = Router(tags=["nutrition"])
# The public z-score calculator is unauthenticated: a cap per call and per client (address,
# counted in the shared cache by sigap.core.ratelimit) keeps it cheap. Bigger files go
# through `sigap growth zscores IN.csv OUT.csv`.
MAX_ZSCORE_ROWS = 500
ZSCORE_CALLS_PER_MINUTE = 30


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.API)


# --- z-scores (no personal data, no login) -----------------------------------------------------


class ZRow(Schema):
    sex: str = Field(..., description="1 or L = boy, 2 or P = girl")
    age_days: float | None = Field(None, ge=0)
    weight_kg: float | None = Field(None, gt=0, lt=100)
    length_cm: float | None = Field(None, gt=0, lt=200)
    measured: str = Field("", description="L lying, H standing, empty = unknown")
    oedema: bool = False


class ZResult(Schema):
    haz: float | None
    waz: float | None
    whz: float | None
    haz_class: str
    waz_class: str
    whz_class: str
    implausible: list[str]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class ZIn(Schema):
    rows: list[ZRow] = Field(..., max_length=MAX_ZSCORE_ROWS)


@router.post(
    "/zscores",
    response={200: list[ZResult], 429: ErrorOut},
    url_name="nutrition_zscores",
    auth=None,
)
def zscores(request: HttpRequest, payload: ZIn):
    """WHO 2006 HAZ, WAZ, WHZ and the Permenkes 2/2020 classes for up to 500 rows a call
    (more: 422) and 30 calls a minute per client (more: 429)."""
    if over_limit(request, "nutrition-zscores", ZSCORE_CALLS_PER_MINUTE, 60):
        raise TooManyRequests(_("Terlalu banyak permintaan; coba lagi sebentar lagi."))
    rows = payload.rows
    sex = zs.parse_sex([r.sex for r in rows])
    how = zs.parse_measured([r.measured for r in rows])
    oedema = np.array([r.oedema for r in rows], dtype=bool)

    def arr(values):
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    r = zs.compute(
        sex,
        arr([x.age_days for x in rows]),
        arr([x.weight_kg for x in rows]),
        arr([x.length_cm for x in rows]),
        how,
        oedema,
    )
    hc, wc = cls.classify_haz(r.haz), cls.classify_waz(r.waz)
    whc = cls.classify_whz(r.whz, oedema)

    def val(a, i):
        return None if np.isnan(a[i]) else round(float(a[i]), 4)

    out = []
    for i in range(len(rows)):
        flags = [
            k for k, f in (("haz", r.haz_flag), ("waz", r.waz_flag), ("whz", r.whz_flag)) if f[i]
        ]
        out.append(
            {
                "haz": val(r.haz, i),
                "waz": val(r.waz, i),
                "whz": val(r.whz, i),
                "haz_class": cls.label("haz", hc[i]),
                "waz_class": cls.label("waz", wc[i]),
                "whz_class": cls.label("whz", whc[i]),
                "implausible": flags,
            }
        )
    return out


# --- children and measurements -----------------------------------------------------------------


class ChildOut(Schema):
    id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    nik: str
    kelurahan: str
    posyandu: str | None


def _child_out(c: Child) -> dict:
    return {
        "id": c.public_id,
        "name": c.name,
        "sex": c.sex,
        "birth_date": c.birth_date,
        "nik": services.mask_nik_encoded(c.nik),
        "kelurahan": c.kelurahan_id,
        "posyandu": c.posyandu.name if c.posyandu_id else None,
    }


@router.get("/children", response=list[ChildOut], auth=operator_auth, url_name="nutrition_children")
def search_children(
    request: HttpRequest,
    q: str = Query(..., min_length=3, max_length=60),
    posyandu: uuid.UUID | None = None,
):
    """Children by full NIK (16 digits) or by name, within the caller's work area. A part of
    a NIK is refused (422): prefix searches rebuild a NIK digit by digit. NIKs come back
    masked beyond the province/kabupaten digits (services.mask_nik_encoded)."""
    user = services.require_reader(_actor(request))
    qs = Child.objects.filter(services.scope_filter(user, "kelurahan__code")).select_related(
        "posyandu"
    )
    q = q.strip()
    if q.isdigit():
        if len(q) != 16:
            raise InvalidInput(_("Cari dengan NIK lengkap (16 angka) atau nama."), field="q")
        qs = qs.filter(nik=q)
    else:
        qs = qs.filter(name__icontains=q)
    rows = list(qs.order_by("name")[:20])
    if posyandu is not None:
        # children of the chosen posyandu first
        rows.sort(key=lambda c: (c.posyandu is None or c.posyandu.public_id != posyandu, c.name))
    audit_list_read(_actor(request), Child, [c.public_id for c in rows], list="search")
    return [_child_out(c) for c in rows]


class ChildIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    sex: Literal["L", "P"]
    birth_date: date
    kelurahan_code: str = Field(..., pattern=r"^[0-9]{10}$")
    nik: str = ""
    mother_nik: str = ""
    parent_name: str = ""
    birth_weight_kg: float | None = None
    birth_length_cm: float | None = None
    posyandu: uuid.UUID | None = None
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=255)


def _posyandu(key: uuid.UUID | None) -> Facility | None:
    if key is None:
        return None
    f = Facility.objects.filter(public_id=key, kind_id=Kind.POSYANDU).first()
    if f is None:
        raise InvalidInput(_("Posyandu tidak dikenal."), field="posyandu")
    return f


@router.post("/children", response={201: ChildOut}, auth=operator_auth)
def create_child(request: HttpRequest, payload: ChildIn):
    data = services.ChildInput(**{**payload.dict(), "posyandu": _posyandu(payload.posyandu)})
    child = services.register_child(_actor(request), data)
    return 201, _child_out(child)


class MeasurementIn(Schema):
    measured_on: date
    weight_kg: float | None = None
    length_cm: float | None = None
    position: Literal["L", "H", ""] = ""
    muac_cm: float | None = None
    oedema: bool = False


class MeasurementOut(Schema):
    id: uuid.UUID
    child: uuid.UUID
    measured_on: date
    age_days: int
    weight_kg: float | None
    length_cm: float | None
    position: str
    haz: float | None
    waz: float | None
    whz: float | None
    haz_class: str
    waz_class: str
    whz_class: str
    implausible: bool
    faltering: bool
    faltering_2t: bool
    weight_gain_g: int | None
    counts_in_month: bool


def _measurement_out(m: Measurement) -> dict:
    return {
        "id": m.public_id,
        "child": m.child.public_id,
        "measured_on": m.measured_on,
        "age_days": m.age_days,
        "weight_kg": m.weight_kg,
        "length_cm": m.length_cm,
        "position": m.position,
        "haz": m.haz,
        "waz": m.waz,
        "whz": m.whz,
        "haz_class": cls.label("haz", m.haz_class),
        "waz_class": cls.label("waz", m.waz_class),
        "whz_class": cls.label("whz", m.whz_class),
        "implausible": m.implausible,
        "faltering": m.faltering,
        "faltering_2t": m.faltering_2t,
        "weight_gain_g": m.weight_gain_g,
        "counts_in_month": m.counts_in_month,
    }


@router.post(
    "/children/{child_id}/measurements", response={201: MeasurementOut}, auth=operator_auth
)
def add_measurement(request: HttpRequest, child_id: uuid.UUID, payload: MeasurementIn):
    actor = _actor(request)
    child = services.get_child(actor, child_id)
    m = services.record_measurement(
        actor, child, services.MeasurementInput(**payload.dict()), source=Measurement.Source.API
    )
    return 201, _measurement_out(m)


@router.put("/measurements/{measurement_id}", response=MeasurementOut, auth=operator_auth)
def correct_measurement(request: HttpRequest, measurement_id: uuid.UUID, payload: MeasurementIn):
    """Correct a measurement (values or date); the month's counts follow."""
    actor = _actor(request)
    m = services.get_measurement(actor, measurement_id)
    m = services.correct_measurement(actor, m, services.MeasurementInput(**payload.dict()))
    return _measurement_out(m)


@router.delete("/measurements/{measurement_id}", response={204: None}, auth=operator_auth)
def delete_measurement(
    request: HttpRequest, measurement_id: uuid.UUID, reason: str = Query("", max_length=255)
):
    """Delete a measurement entered by mistake; `?reason=` is required (audited)."""
    actor = _actor(request)
    services.delete_measurement(
        actor, services.get_measurement(actor, measurement_id), reason=reason
    )
    return 204, None


@router.get("/children/{child_id}/measurements", response=list[MeasurementOut], auth=operator_auth)
def list_measurements(request: HttpRequest, child_id: uuid.UUID):
    actor = _actor(request)
    child = services.get_child(actor, child_id)
    audit_read(actor, child, label=child.name)
    return [_measurement_out(m) for m in selectors.child_history(child)]


# --- dashboard ---------------------------------------------------------------------------------


class DashboardQuery(Schema):
    month: str = Field(..., pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")
    level: Literal["kecamatan", "kelurahan", "posyandu"] = "kecamatan"
    area: str = Field("", pattern=r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10})?$")


def _report_month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(_("Bulan tidak sah."), field="month") from None


def _report_area(user, area: str) -> str:
    """The area asked for, by default the user's; never outside the user's area."""
    area = area or user.area_code
    if user.area_code and not area.startswith(user.area_code):
        raise InvalidInput(_("Wilayah di luar cakupan Anda."), field="area")
    return area


@router.get("/dashboard", auth=operator_auth, url_name="nutrition_dashboard")
def dashboard(request: HttpRequest, params: Query[DashboardQuery]):
    """Prevalence of stunting, wasting and underweight per unit for a month, with WHO bands,
    the 12-month trend and per-kelurahan map points. Aggregates only (no personal data).

    Every prevalence carries its denominator (`<indicator>_den`, children) and a 95% Wilson
    interval (`<indicator>_low`, `<indicator>_high`); over fewer than `min_denominator`
    children it is null with `<indicator>_too_few` true and no WHO band. `in_progress`
    marks a month still being entered."""
    user = services.require_reader(_actor(request))
    month = _report_month(params.month)
    area = _report_area(user, params.area)
    d = selectors.dashboard(user, month=month, level=params.level, area=area)
    return {
        "month": d.month.isoformat(),
        "months": [m.isoformat() for m in d.months],
        "level": d.level,
        "in_progress": d.in_progress,
        "min_denominator": d.min_denominator,
        "totals": d.totals,
        "units": d.units,
        "trend": d.trend,
        "map": d.map_points,
    }


# --- data quality of the measurements (quality.py) ----------------------------------------------


class QualityQuery(Schema):
    month: str = Field(..., pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM (last month)")
    months: int = Field(6, description="window of months ending at `month`: 1, 3, 6 or 12")
    level: Literal["kecamatan", "kelurahan", "puskesmas", "posyandu"] = "posyandu"
    area: str = Field("", pattern=r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10})?$")
    posyandu: int | None = Field(None, description="one posyandu (its id) instead of an area")


@router.get("/quality", auth=operator_auth, url_name="nutrition_quality")
def quality_report(request: HttpRequest, params: Query[QualityQuery]):
    """Data quality of the growth measurements (as WHO's Anthro Survey Analyser judges it):
    per unit at `level`, for the area and per month: WHO-flagged z-scores, SD, skewness and
    kurtosis of unflagged HAZ/WAZ/WHZ, digit preference of weight and length/height, age
    heaping, missing dates of birth, prevalence with 95% CI, a verdict, and the posyandu
    whose data need a visit. Aggregates only (no personal data); a statistic over fewer than
    `min_denominator` measurements is null (too few to judge)."""
    user = services.require_reader(_actor(request))
    month = _report_month(params.month)
    if params.months not in quality.WINDOWS:
        raise InvalidInput(_("Periode harus 1, 3, 6 atau 12 bulan."), field="months")
    area = _report_area(user, params.area)
    posyandu = None
    if params.posyandu is not None:
        posyandu = quality.visible_posyandu(user, str(params.posyandu), area)
    r = quality.report(
        user, month=month, area=area, level=params.level, window=params.months, posyandu=posyandu
    )
    return quality.as_json(r)


# --- cases -------------------------------------------------------------------------------------


class ActionOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    owner: str | None
    note: str
    external_ref: str
    created_at: datetime


class CaseOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    opened_on: date
    child: ChildOut
    owner: str | None
    actions: list[ActionOut]


def _action_out(a: CaseAction) -> dict:
    return {
        "id": a.public_id,
        "kind": a.kind,
        "status": a.status,
        "owner": a.owner.get_username() if a.owner_id else None,
        "note": a.note,
        "external_ref": a.external_ref,
        "created_at": a.created_at,
    }


def _case_out(c: NutritionCase) -> dict:
    return {
        "id": c.public_id,
        "kind": c.kind,
        "status": c.status,
        "opened_on": c.opened_on,
        "child": _child_out(c.child),
        "owner": c.owner.get_username() if c.owner_id else None,
        "actions": [_action_out(a) for a in c.actions.all()],
    }


@router.get("/cases", response=list[CaseOut], auth=operator_auth)
def list_cases(request: HttpRequest, status: str = "active"):
    actor = _actor(request)
    user = services.require_reader(actor)
    rows = selectors.cases(user, status=status, area=user.area_code)
    audit_list_read(actor, Child, [c.child.public_id for c in rows], list="cases")
    return [_case_out(c) for c in rows]


@router.post("/cases/{case_id}/take", response=CaseOut, auth=operator_auth)
def take_case(request: HttpRequest, case_id: uuid.UUID):
    actor = _actor(request)
    case = services.take_case(actor, services.get_case(actor, case_id))
    return _case_out(case)


class ActionIn(Schema):
    kind: Literal["homecare", "referral", "food", "counselling"]
    note: str = Field("", max_length=500)


@router.post("/cases/{case_id}/actions", response={201: ActionOut}, auth=operator_auth)
def add_action(request: HttpRequest, case_id: uuid.UUID, payload: ActionIn):
    actor = _actor(request)
    a = services.add_action(
        actor, services.get_case(actor, case_id), payload.kind, note=payload.note
    )
    return 201, _action_out(a)


class StatusIn(Schema):
    to: str
    reason: str = Field("", max_length=255)
    expected: str | None = None


@router.post("/cases/{case_id}/status", response=CaseOut, auth=operator_auth)
def case_status(request: HttpRequest, case_id: uuid.UUID, payload: StatusIn):
    actor = _actor(request)
    case = services.move_case(
        actor,
        services.get_case(actor, case_id),
        payload.to,
        reason=payload.reason,
        expected=payload.expected,
    )
    return _case_out(services.get_case(actor, case.public_id))


# --- mothers and infants -------------------------------------------------------------------------


@router.get("/mortality", auth=operator_auth)
def mortality(
    request: HttpRequest,
    year: int = Query(..., ge=2000, le=2100),
    level: Literal["kota", "kecamatan", "kelurahan"] = "kecamatan",
):
    """AKI, AKB and neonatal mortality with exact 95% confidence intervals (aggregates)."""
    user = services.require_reader(_actor(request))
    return selectors.mortality(user, year=year, level=level, area=user.area_code)


class PregnancyIn(Schema):
    mother_nik: str
    mother_name: str = Field(..., min_length=1, max_length=150)
    kelurahan_code: str = Field(..., pattern=r"^[0-9]{10}$")
    risk_factors: list[str] = Field(
        [], description="ticked checklist items (history, disease, this pregnancy)"
    )
    last_period: date | None = None
    expected_delivery: date | None = None
    gravida: int = 1
    parity: int = Field(0, ge=0, description="births so far")
    last_birth_date: date | None = None
    height_cm: float | None = None
    muac_cm: float | None = Field(None, description="LiLA")
    hb_g_dl: float | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=255)


@router.post("/pregnancies", response={201: dict}, auth=operator_auth)
def create_pregnancy(request: HttpRequest, payload: PregnancyIn):
    """Register a pregnancy with its first-visit ANC values; the risk factors follow from the
    values and the ticked checklist (KSPR: any one factor is high-risk, which becomes a
    home-care request)."""
    p = services.register_pregnancy(_actor(request), services.PregnancyInput(**payload.dict()))
    return 201, {
        "id": str(p.public_id),
        "high_risk": p.high_risk,
        "risk_factors": p.risk_factors,
        "reasons": services.risk_reasons(p),
        "homecare_status": p.homecare_status,
    }


class BirthIn(Schema):
    born_on: date
    outcome: Literal["live", "still"]
    kelurahan_code: str = Field(..., pattern=r"^[0-9]{10}$")
    mother_nik: str = ""
    sex: Literal["L", "P", ""] = ""
    weight_kg: float | None = None


@router.post("/births", response={201: dict}, auth=operator_auth)
def create_birth(request: HttpRequest, payload: BirthIn):
    b = services.register_birth(_actor(request), services.BirthInput(**payload.dict()))
    return 201, {"id": str(b.public_id), "outcome": b.outcome}


class DeathIn(Schema):
    kind: Literal["maternal", "infant"]
    died_on: date
    kelurahan_code: str = Field(..., pattern=r"^[0-9]{10}$")
    name: str = ""
    nik: str = ""
    mother_nik: str = ""
    birth_date: date | None = None
    timing: Literal["pregnancy", "delivery", "postpartum", "late", ""] = ""
    cause_icd10: str = ""
    cause: str = ""
    accidental: bool = False


class ReviewOut(Schema):
    id: uuid.UUID
    status: str
    death_kind: str
    died_on: date
    age_days: int | None
    timing: str
    cause_icd10: str
    findings: str
    avoidable: bool | None
    delays: list[str]
    recommendations: str


def _review_out(r: DeathReview) -> dict:
    d: Death = r.death
    return {
        "id": r.public_id,
        "status": r.status,
        "death_kind": d.kind,
        "died_on": d.died_on,
        "age_days": d.age_days,
        "timing": d.timing,
        "cause_icd10": d.cause_icd10,
        "findings": r.findings,
        "avoidable": r.avoidable,
        "delays": r.delays,
        "recommendations": r.recommendations,
    }


@router.post("/deaths", response={201: ReviewOut}, auth=operator_auth)
def create_death(request: HttpRequest, payload: DeathIn):
    d = services.register_death(_actor(request), services.DeathInput(**payload.dict()))
    return 201, _review_out(d.review)


@router.get("/reviews", response=list[ReviewOut], auth=operator_auth)
def list_reviews(request: HttpRequest, status: str = ""):
    user = services.require_reader(_actor(request))
    return [_review_out(r) for r in selectors.reviews(user, status=status, area=user.area_code)]


class ReviewIn(Schema):
    to: Literal["pending", "reviewed", "closed"]
    findings: str = ""
    avoidable: bool | None = None
    delays: list[str] = []
    recommendations: str = ""
    reason: str = ""
    expected: str | None = None


@router.post("/reviews/{review_id}/status", response=ReviewOut, auth=operator_auth)
def review_status(request: HttpRequest, review_id: uuid.UUID, payload: ReviewIn):
    actor = _actor(request)
    review = services.get_review(actor, review_id)
    data = payload.dict()
    to = data.pop("to")
    r = services.move_review(actor, review, to, **data)
    return _review_out(services.get_review(actor, r.public_id))
