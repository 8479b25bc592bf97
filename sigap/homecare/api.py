"""Home-care JSON API: the public request, the Puskesmas's requests and daily plan, and the
worker's visits and visit records. Schemas in, service call, schema out."""

from __future__ import annotations

import dataclasses
import typing
import uuid
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import create_model

from sigap.core.auth import operator_auth
from sigap.core.errors import Forbidden, NotFound, TooManyRequests
from sigap.core.ratelimit import over_limit
from sigap.core.services import Actor, Channel, audit_list_read, audit_read
from sigap.facilities.models import Facility, Kind
from sigap.regions.services import mask_nik

from . import selectors, services
from .models import Escalation, HomecareRequest, Visit, VisitRecord

router = Router(tags=["homecare"])


class RequestIn(Schema):
    nik: str = Field(..., description="NIK, 16 digits")
    name: str
    phone: str
    address: str
    village_code: str = Field(..., description="Kemendagri kelurahan/desa code (10 digits)")
    need: str
    target_group: str = ""
    latitude: float | None = None
    longitude: float | None = None


class RequestReceipt(Schema):
    id: uuid.UUID | None = Field(
        ..., description="request number; null when a repeat is answered for another sender"
    )
    puskesmas: str
    status: str
    duplicate: bool = Field(
        False, description="true: an open request for this person and address already exists"
    )


class RequestOut(Schema):
    id: uuid.UUID
    nik: str = Field(..., description="masked")
    name: str
    village: str
    target_group: str | None
    source: str
    status: str
    created_at: datetime


class PlanIn(Schema):
    date: date
    seconds: float = Field(5.0, ge=0.2, le=60)


class StopOut(Schema):
    visit: uuid.UUID
    sequence: int | None
    name: str
    lat: float
    lon: float
    arrival: datetime | None
    start: datetime | None
    end: datetime | None
    status: str


class RouteOut(Schema):
    worker: str | None
    stops: list[StopOut]


class PlanOut(Schema):
    date: date
    version: int
    summary: dict
    routes: list[RouteOut]


def _record_field(f: dataclasses.Field) -> tuple[Any, Any]:
    """(type, default) of a services.RecordInput field for the JSON schema."""
    kind = typing.get_type_hints(services.RecordInput)[f.name]
    if f.default_factory is not dataclasses.MISSING:
        return kind, Field(default_factory=f.default_factory)
    return kind, ... if f.default is dataclasses.MISSING else f.default


# a visit record as the API takes it: services.RecordInput (declared once, there) and the
# nurse's confirmation of danger signs
RecordIn = create_model(
    "RecordIn",
    __base__=Schema,
    **{f.name: _record_field(f) for f in dataclasses.fields(services.RecordInput)},
    confirm_danger=(
        bool,
        Field(
            False,
            description="The nurse confirms the danger signs: without it, a record with danger "
            "signs is refused with 409 danger_unconfirmed and nothing is written or escalated",
        ),
    ),
)


class CorrectionIn(RecordIn):
    reason: str = Field(..., description="Why the record is corrected (audited)")


class WithdrawIn(Schema):
    reason: str


class EscalationOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    reasons: list[str]
    handed_to: str
    status_reason: str


class RecordOut(Schema):
    visit: uuid.UUID
    status: str
    danger_signs: list[str]
    escalated: bool
    escalations: list[EscalationOut] = []


def _puskesmas(request: HttpRequest, pk: int) -> Facility:
    facility = Facility.objects.filter(pk=pk, kind_id=Kind.PUSKESMAS).first()
    if facility is None:
        raise NotFound(_("Puskesmas tidak ditemukan."))
    services.require_staff(Actor.from_request(request, channel=Channel.API), facility)
    return facility


@router.post("requests", response={200: RequestReceipt, 201: RequestReceipt}, auth=None,
             summary="Ask for a home visit (public, rate-limited)")  # fmt: skip
def create_request(request: HttpRequest, payload: RequestIn):
    if over_limit(request, "homecare-request", *services.public_request_limit()):
        raise TooManyRequests(_("Terlalu banyak permintaan; coba lagi nanti."))
    req = services.create_request(
        Actor.from_request(request, channel=Channel.API), services.RequestInput(**payload.dict())
    )
    if getattr(req, "is_duplicate", False):
        # the open request answers; its number only to whoever gave the same NIK and phone
        number = req.public_id if req.same_sender else None
        return Status(200, {"id": number, "puskesmas": req.facility.name, "status": req.status,
                            "duplicate": True})  # fmt: skip
    return Status(201, {"id": req.public_id, "puskesmas": req.facility.name, "status": req.status})


@router.get("puskesmas/{pk}/requests", response=list[RequestOut], auth=operator_auth)
def list_requests(request: HttpRequest, pk: int, status: str = ""):
    facility = _puskesmas(request, pk)
    if status and status not in HomecareRequest.Status.values:
        status = ""
    rows = [
        {
            "id": r.public_id, "nik": mask_nik(r.nik), "name": r.name, "village": r.village.name,
            "target_group": r.target_group_id, "source": r.source, "status": r.status,
            "created_at": r.created_at,
        }
        for r in selectors.requests_inbox(facility, status)[:500]
    ]  # fmt: skip
    audit_list_read(
        Actor.from_request(request, channel=Channel.API), HomecareRequest, [r["id"] for r in rows],
        scope=facility, list="inbox", status=status,
    )  # fmt: skip
    return rows


def _plan_out(facility: Facility, day: date) -> dict:
    plan = selectors.day_plan(facility, day)
    routes = []
    for entry in selectors.routes_of_day(facility, day):
        routes.append(
            {
                "worker": entry["worker"].name if entry["worker"] else None,
                "stops": [
                    {
                        "visit": v.public_id,
                        "sequence": v.sequence,
                        "name": v.care_plan.request.name,
                        "lat": v.care_plan.request.latitude,
                        "lon": v.care_plan.request.longitude,
                        "arrival": v.planned_arrival,
                        "start": v.planned_start,
                        "end": v.planned_end,
                        "status": v.status,
                    }  # fmt: skip
                    for v in entry["visits"]
                ],
            }
        )
    return {
        "date": day,
        "version": plan.version if plan else 0,
        "summary": plan.summary if plan else {},
        "routes": routes,
    }


@router.post("puskesmas/{pk}/plan", response=PlanOut, auth=operator_auth,
             summary="Plan (or re-plan) a day's home visits")  # fmt: skip
def make_plan(request: HttpRequest, pk: int, payload: PlanIn):
    facility = _puskesmas(request, pk)
    now = timezone.now() if payload.date == timezone.localdate() else None
    services.plan_facility(
        Actor.from_request(request, channel=Channel.API), facility, payload.date,
        seconds=payload.seconds, now=now,
    )  # fmt: skip
    return _plan_out(facility, payload.date)


@router.get("puskesmas/{pk}/plan", response=PlanOut, auth=operator_auth)
def get_plan(request: HttpRequest, pk: int, date: date):
    return _plan_out(_puskesmas(request, pk), date)


def _visit(request: HttpRequest, visit_id: uuid.UUID) -> tuple[Visit, Actor]:
    """The visit, for its worker or the Puskesmas's staff (404 to anyone else)."""
    visit = Visit.objects.select_related("worker", "facility").filter(public_id=visit_id).first()
    if visit is None:
        raise NotFound(_("Kunjungan tidak ditemukan."))
    actor = Actor.from_request(request, channel=Channel.API)
    if not services.is_worker_of(actor, visit):
        try:
            services.require_staff(actor, visit.facility)
        except Forbidden:
            raise NotFound(_("Kunjungan tidak ditemukan.")) from None
    return visit, actor


def _record_of(visit: Visit) -> VisitRecord:
    """The visit's record (404 before it is recorded), holding the visit already loaded."""
    record = VisitRecord.objects.filter(visit=visit).first()
    if record is None:
        raise NotFound(_("Kunjungan ini belum dicatat."))
    record.visit = visit
    return record


def _record_input(payload: RecordIn) -> services.RecordInput:
    return services.RecordInput(**payload.dict(exclude={"confirm_danger", "reason"}))


def _escalation_out(e: Escalation) -> dict:
    return {"id": e.public_id, "kind": e.kind, "status": e.status, "reasons": e.reasons,
            "handed_to": e.handed_to, "status_reason": e.status_reason}  # fmt: skip


def _record_out(visit: Visit, record) -> dict:
    escalations = list(record.escalations.order_by("created_at"))
    return {
        "visit": visit.public_id, "status": Visit.objects.get(pk=visit.pk).status,
        "danger_signs": record.danger_signs,
        "escalated": any(e.status != Escalation.Status.WITHDRAWN for e in escalations),
        "escalations": [_escalation_out(e) for e in escalations],
    }  # fmt: skip


@router.post("visits/{visit_id}/record", response=RecordOut, auth=operator_auth,
             summary="Record a visit (vital signs, notes, outcome, danger signs)")  # fmt: skip
def record_visit(request: HttpRequest, visit_id: uuid.UUID, payload: RecordIn):
    visit, actor = _visit(request, visit_id)
    record = services.record_visit(
        actor, visit, _record_input(payload), confirm_danger=payload.confirm_danger
    )
    return _record_out(visit, record)


@router.get("visits/{visit_id}/record", response=RecordOut, auth=operator_auth,
            summary="A visit's record (read access is audited)")  # fmt: skip
def get_record(request: HttpRequest, visit_id: uuid.UUID):
    visit, actor = _visit(request, visit_id)
    record = _record_of(visit)
    audit_read(actor, record, label=f"visit {visit.pk}")
    return _record_out(visit, record)


@router.post("visits/{visit_id}/record/correction", response=RecordOut, auth=operator_auth,
             summary="The author corrects a visit record (within the window)")  # fmt: skip
def correct_record(request: HttpRequest, visit_id: uuid.UUID, payload: CorrectionIn):
    visit, actor = _visit(request, visit_id)
    record = services.correct_visit_record(
        actor, _record_of(visit), _record_input(payload), payload.reason,
        confirm_danger=payload.confirm_danger,
    )  # fmt: skip
    return _record_out(visit, record)


@router.post("escalations/{escalation_id}/withdraw", response=EscalationOut, auth=operator_auth,
             summary="The record's author withdraws an escalation raised in error")  # fmt: skip
def withdraw_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: WithdrawIn):
    actor = Actor.from_request(request, channel=Channel.API)
    esc = (
        Escalation.objects.select_related("record__visit", "facility")
        .filter(public_id=escalation_id)
        .first()
    )
    if esc is None or not services.is_author(actor, esc.record):
        raise NotFound(_("Eskalasi tidak ditemukan."))
    return _escalation_out(services.withdraw_escalation(actor, esc, payload.reason))
