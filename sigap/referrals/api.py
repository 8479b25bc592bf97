"""Referrals JSON API (`/api/v1/referrals/`): ICD-10 search, recommendation, inbox, a
referral and its workflow actions. Machine keys or the logged-in session; every endpoint
checks who may see or do what in the services."""

from __future__ import annotations

import dataclasses
import typing
import uuid
from datetime import date, datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from sigap.core.auth import operator_auth
from sigap.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.services import Actor, Channel, audit_list_read, audit_read
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind

from . import icd10, selectors, services
from .models import Referral

router = Router(tags=["referrals"], auth=operator_auth)


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.API)


def _user(request: HttpRequest):
    user = getattr(request, "auth_user", None) or request.user
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("Silakan masuk terlebih dahulu.")
    return user


class IcdQuery(Schema):
    q: str = Field(..., min_length=1, max_length=100, description="code or words")
    limit: int = Field(20, ge=1, le=100)


class DiagnosisOut(Schema):
    code: str
    name: str
    billable: bool
    term: str = Field("", description="the Bahasa Indonesia term that matched, if any")


@router.get(
    "/icd10",
    response=list[DiagnosisOut],
    url_name="referrals_icd10",
    summary="Search WHO ICD-10 by code, Indonesian term or English words",
)
def icd10_search(request: HttpRequest, query: Query[IcdQuery]):
    return [d.__dict__ for d in icd10.search(query.q, limit=query.limit)]


class RecommendQuery(Schema):
    sender: uuid.UUID | None = Field(None, description="Sending facility (its position)")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    service: str = Field("", max_length=16)
    bed_class: str = Field("", max_length=3, description="kodekelas asked for")
    payer: str = Field("general", description="only decides the ward class")
    jkn_class: str = Field("", max_length=3)
    limit: int = Field(10, ge=1, le=50)
    diagnosis: str = Field("", max_length=10, description="ICD-10 code (time-critical ranking)")
    urgency: str = Field("", max_length=16, description="emergency or elective")


class RecommendOut(Schema):
    id: uuid.UUID
    name: str
    hospital_class: str | None
    ownership: str
    phone: str
    emergency_phone: str
    travel_minutes: float
    free_beds: int | None
    on_board: bool
    acceptance_rate: float | None
    answer_minutes: float | None
    recent_offers: int
    score: float
    time_critical: str | None = Field(None, description="the time-critical condition, if any")
    reason: str = Field(..., description="why the hospital is where it is, for people")


@router.get(
    "/recommend",
    response=list[RecommendOut],
    url_name="referrals_recommend",
    summary="Receiving hospitals, best first",
)
def recommend(request: HttpRequest, q: Query[RecommendQuery]):
    _user(request)
    exclude: set[int] = set()
    if q.sender is not None:
        origin = Facility.objects.filter(public_id=q.sender, is_active=True).first()
        if origin is None:
            raise NotFound("Fasilitas pengirim tidak dikenal.", field="sender")
        lat, lon = origin.latitude, origin.longitude
        exclude.add(origin.pk)
    elif q.lat is not None and q.lon is not None:
        lat, lon = q.lat, q.lon
    else:
        raise InvalidInput("Isi sender atau lat dan lon.", field="sender")
    if q.payer not in Referral.Payer.values:
        raise InvalidInput("Penjamin tidak dikenal.", field="payer")
    room = services.room_class_for(q.payer, q.bed_class.upper() or None, q.jkn_class.upper())
    if q.urgency and q.urgency not in Referral.Urgency.values:
        raise InvalidInput("Tingkat kegawatan tidak dikenal.", field="urgency")
    return selectors.recommend(
        lat=lat,
        lon=lon,
        service=q.service,
        bed_class=room or "",
        exclude=exclude,
        limit=q.limit,
        diagnosis=q.diagnosis,
        urgency=q.urgency,
    )


class InboxRow(Schema):
    id: uuid.UUID
    number: str
    status: str
    urgency: str
    kind: int
    payer: str
    created_at: datetime
    answer_due_at: datetime
    seconds_left: int
    overdue: bool
    patient_name: str
    patient_nik: str
    patient_sex: str
    patient_birth_date: date | None
    diagnosis_code: str
    diagnosis_name: str
    sender_label: str
    room_class_id: str | None
    room_class_name: str | None = None
    status_label: str = ""
    service__name: str | None
    attempts: int


class InboxQuery(Schema):
    rs: uuid.UUID | None = Field(None, description="hospital (default: the first one operated)")
    status: str = Field("open", description="open, active, closed, rejected, cancelled, expired")
    limit: int = Field(50, ge=1, le=200)


class InboxOut(Schema):
    facility: uuid.UUID
    now: datetime
    counts: dict[str, int]
    rows: list[InboxRow]


@router.get(
    "/inbox",
    response=InboxOut,
    url_name="referrals_inbox",
    summary="A hospital's incoming referrals",
)
def inbox(request: HttpRequest, query: Query[InboxQuery]):
    user = _user(request)
    rs, status, limit = query.rs, query.status, query.limit
    facilities = facility_services.facilities_operated_by(user).filter(kind_id=Kind.HOSPITAL)
    facility = (
        facilities.filter(public_id=rs).first() if rs else facilities.order_by("name").first()
    )
    if facility is None:
        raise Forbidden("Anda bukan operator rumah sakit ini.")
    if status not in ("open", "active", "closed", "rejected", "cancelled", "expired"):
        raise InvalidInput("Status tidak dikenal.", field="status")
    now = timezone.now()
    rows = selectors.inbox(facility, status=status, limit=limit, now=now)
    audit_list_read(
        _actor(request), Referral, [r["id"] for r in rows], scope=facility, list="inbox",
        status=status,
    )  # fmt: skip
    return {
        "facility": facility.public_id,
        "now": now,
        "counts": selectors.inbox_counts(facility),
        "rows": rows,
    }


# the JSON body of a new referral: services.ReferralInput (declared once, there) without the
# fields only SIGAP's own hand-overs fill; none of those left has a default_factory
_INPUT_TYPES = typing.get_type_hints(services.ReferralInput)
ReferralIn = create_model(
    "ReferralIn",
    __base__=Schema,
    **{
        f.name: (_INPUT_TYPES[f.name], ... if f.default is dataclasses.MISSING else f.default)
        for f in services.input_fields(leave_out=services.HANDOVER_ONLY)
    },
)


class ReferralOut(Schema):
    id: uuid.UUID
    number: str
    status: str
    kind: int
    urgency: str
    payer: str
    sender: str
    receiver: str
    receiver_id: uuid.UUID
    created_at: datetime
    answer_due_at: datetime
    answered_at: datetime | None
    answer_note: str
    patient_name: str
    patient_nik: str
    diagnosis_code: str
    diagnosis_name: str
    room_class: str | None
    bed_hold: uuid.UUID | None
    proposed: uuid.UUID | None
    arrived_at: datetime | None
    closed_at: datetime | None
    back_referral: str


def _out(r: Referral) -> dict:
    r = Referral.objects.select_related("receiver", "bed_hold", "proposed").get(pk=r.pk)
    return {
        "id": r.public_id,
        "number": r.number,
        "status": r.status,
        "kind": r.kind,
        "urgency": r.urgency,
        "payer": r.payer,
        "sender": r.sender_label,
        "receiver": r.receiver.name,
        "receiver_id": r.receiver.public_id,
        "created_at": r.created_at,
        "answer_due_at": r.answer_due_at,
        "answered_at": r.answered_at,
        "answer_note": r.answer_note,
        "patient_name": r.patient_name,
        "patient_nik": r.patient_nik,
        "diagnosis_code": r.diagnosis_code,
        "diagnosis_name": r.diagnosis_name,
        "room_class": r.room_class_id,
        "bed_hold": r.bed_hold.public_id if r.bed_hold else None,
        "proposed": r.proposed.public_id if r.proposed else None,
        "arrived_at": r.arrived_at,
        "closed_at": r.closed_at,
        "back_referral": r.back_referral_note,
    }


def _get(request: HttpRequest, ref: uuid.UUID) -> Referral:
    r = Referral.objects.select_related("receiver", "sender").filter(public_id=ref).first()
    if r is None:
        raise NotFound("Rujukan tidak ditemukan.")
    services.require_view(_actor(request), r)
    return r


@router.post("/referrals", response={201: ReferralOut}, summary="Send a referral")
def create(request: HttpRequest, payload: ReferralIn):
    r = services.send_referral(_actor(request), services.ReferralInput(**payload.dict()))
    return 201, _out(r)


@router.get(
    "/referrals/{ref}", response=ReferralOut, summary="One referral (sender, receiver, office)"
)
def read(request: HttpRequest, ref: uuid.UUID):
    referral = _get(request, ref)
    audit_read(_actor(request), referral, label=referral.number)
    return _out(referral)


class AnswerIn(Schema):
    accept: bool
    note: str = ""
    hold_bed: bool = False
    hold_minutes: int | None = Field(None, ge=10, le=1440)


@router.post("/referrals/{ref}/answer", response=ReferralOut, summary="Accept or reject")
def answer(request: HttpRequest, ref: uuid.UUID, payload: AnswerIn):
    r = services.answer_referral(
        _actor(request),
        _get(request, ref),
        accept=payload.accept,
        note=payload.note,
        hold_bed=payload.hold_bed,
        hold_minutes=payload.hold_minutes,
    )
    return _out(r)


@router.post("/referrals/{ref}/arrival", response=ReferralOut, summary="The patient arrived")
def arrival(request: HttpRequest, ref: uuid.UUID):
    return _out(services.record_arrival(_actor(request), _get(request, ref)))


class CloseIn(Schema):
    back_referral: str


@router.post("/referrals/{ref}/close", response=ReferralOut, summary="Back-referral (rujuk balik)")
def close(request: HttpRequest, ref: uuid.UUID, payload: CloseIn):
    return _out(
        services.close_referral(
            _actor(request), _get(request, ref), back_referral=payload.back_referral
        )
    )


class CancelIn(Schema):
    reason: str


@router.post("/referrals/{ref}/cancel", response=ReferralOut, summary="Cancel (sender, office)")
def cancel(request: HttpRequest, ref: uuid.UUID, payload: CancelIn):
    return _out(
        services.cancel_referral(_actor(request), _get(request, ref), reason=payload.reason)
    )


class RedirectIn(Schema):
    receiver: uuid.UUID


@router.post("/referrals/{ref}/redirect", response=ReferralOut, summary="Send to another hospital")
def redirect(request: HttpRequest, ref: uuid.UUID, payload: RedirectIn):
    target = Facility.objects.filter(public_id=payload.receiver, is_active=True).first()
    if target is None:
        raise NotFound("Rumah sakit tidak dikenal.", field="receiver")
    return _out(services.redirect_referral(_actor(request), _get(request, ref), target))


# --- the facility's SIMRS webhook -----------------------------------------------------------


def _operated(request: HttpRequest, facility_id: uuid.UUID) -> Facility:
    facility = Facility.objects.filter(public_id=facility_id, is_active=True).first()
    if facility is None:
        raise NotFound("Fasilitas tidak dikenal.", field="facility")
    if not facility_services.can_operate(_user(request), facility):
        raise Forbidden("Anda bukan operator fasilitas ini.")
    return facility


class WebhookIn(Schema):
    facility: uuid.UUID
    url: str = Field(..., max_length=500, description="The SIMRS endpoint (http/https)")


class WebhookOut(Schema):
    facility: uuid.UUID
    url: str
    active: bool
    events: list[str]
    secret: str | None = Field(None, description="Shown only in the answer that sets it")


def _webhook_out(facility: Facility, hook, secret: str | None = None) -> dict:
    return {
        "facility": facility.public_id,
        "url": hook.endpoint.url,
        "active": hook.endpoint.is_active,
        "events": services.WEBHOOK_EVENT_NAMES,
        "secret": secret,
    }


@router.put(
    "/webhook",
    response=WebhookOut,
    url_name="referrals_webhook",
    summary="Register (or replace) the facility's SIMRS webhook; the secret is shown once",
)
def webhook_set(request: HttpRequest, payload: WebhookIn):
    facility = _operated(request, payload.facility)
    hook, secret = services.register_webhook(_actor(request), facility, payload.url)
    return _webhook_out(facility, hook, secret)


@router.get("/webhook", response=WebhookOut, summary="The facility's SIMRS webhook (no secret)")
def webhook_get(request: HttpRequest, facility: uuid.UUID):
    f = _operated(request, facility)
    hook = getattr(f, "referral_webhook", None)
    if hook is None:
        raise NotFound("Fasilitas ini belum mendaftarkan webhook.")
    return _webhook_out(f, hook)


@router.delete("/webhook", response={204: None}, summary="Remove the facility's SIMRS webhook")
def webhook_delete(request: HttpRequest, facility: uuid.UUID):
    services.remove_webhook(_actor(request), _operated(request, facility))
    return 204, None
