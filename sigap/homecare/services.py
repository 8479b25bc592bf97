"""Home-care operations: the only code that writes the homecare tables.

Workflows and their transition tables (one function moves each):
- request:   REQUEST_FLOW, `move_request`
- care plan: PLAN_FLOW,    `move_plan`
- visit:     VISIT_FLOW,   `move_visit`
- transport: TRIP_FLOW,    `move_trip`
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role
from sigap.core.services import Actor, record_audit
from sigap.core.travel import get_estimator, haversine_km
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.regions.models import Region
from sigap.regions.services import mask_nik, region_zoneinfo_name, validate_nik

from . import planning, routing
from .models import (
    CarePlan,
    DayPlan,
    Driver,
    Escalation,
    HomecareRequest,
    PlanRoute,
    PlanStatus,
    RequestStatus,
    Skill,
    TargetGroup,
    TransportTrip,
    TransportVehicle,
    TravelMode,
    TripStatus,
    Visit,
    VisitRecord,
    VisitStatus,
    Worker,
    WorkerLeave,
)

PUSKESMAS = "puskesmas"
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,20}$")

REQUEST_FLOW: dict[str, set[str]] = {
    RequestStatus.SUBMITTED: {
        RequestStatus.ELIGIBLE, RequestStatus.INELIGIBLE, RequestStatus.CANCELLED,
    },
    RequestStatus.INELIGIBLE: {RequestStatus.SUBMITTED},  # reopened with new information
    RequestStatus.ELIGIBLE: {
        RequestStatus.ACTIVE, RequestStatus.INELIGIBLE, RequestStatus.CANCELLED,
    },
    RequestStatus.ACTIVE: {RequestStatus.CLOSED, RequestStatus.CANCELLED},
}  # fmt: skip
PLAN_FLOW: dict[str, set[str]] = {
    PlanStatus.ACTIVE: {PlanStatus.PAUSED, PlanStatus.COMPLETED, PlanStatus.CANCELLED},
    PlanStatus.PAUSED: {PlanStatus.ACTIVE, PlanStatus.COMPLETED, PlanStatus.CANCELLED},
}
VISIT_FLOW: dict[str, set[str]] = {
    VisitStatus.DUE: {VisitStatus.PLANNED, VisitStatus.CANCELLED},
    # a re-plan may move a planned visit back to due when it no longer fits
    VisitStatus.PLANNED: {
        VisitStatus.DUE, VisitStatus.STARTED, VisitStatus.MISSED, VisitStatus.CANCELLED,
    },
    VisitStatus.STARTED: {VisitStatus.DONE},
}  # fmt: skip
TRIP_FLOW: dict[str, set[str]] = {
    TripStatus.REQUESTED: {TripStatus.SCHEDULED, TripStatus.UNSCHEDULED, TripStatus.CANCELLED},
    TripStatus.UNSCHEDULED: {TripStatus.SCHEDULED, TripStatus.CANCELLED},
    TripStatus.SCHEDULED: {TripStatus.UNSCHEDULED, TripStatus.PICKED_UP, TripStatus.CANCELLED},
    TripStatus.PICKED_UP: {TripStatus.DELIVERED},
}
MOVABLE = (VisitStatus.DUE, VisitStatus.PLANNED)
OPEN_VISIT = (VisitStatus.DUE, VisitStatus.PLANNED, VisitStatus.STARTED)
# Danger signs a worker can tick; the ones in EMERGENCY_SIGNS go to PSC 119, others to referral.
# The codes are stored on the record; the labels are msgids (English in locale_en.py).
DANGER_SIGNS = {
    "penurunan_kesadaran": gettext_lazy("Penurunan kesadaran"),
    "kejang": gettext_lazy("Kejang"),
    "sesak_berat": gettext_lazy("Sesak napas berat"),
    "perdarahan": gettext_lazy("Perdarahan"),
    "nyeri_dada": gettext_lazy("Nyeri dada"),
    "tidak_mau_makan": gettext_lazy("Anak tidak mau makan/minum"),
    "bengkak_kaki_kepala": gettext_lazy("Bengkak kaki disertai sakit kepala (ibu hamil)"),
}
# Signs read from the vital signs by `danger_from_vitals`.
VITAL_SIGNS = {
    "tekanan_darah": gettext_lazy("Tekanan darah berbahaya"),
    "saturasi_rendah": gettext_lazy("Saturasi oksigen rendah (SpO2 di bawah 92)"),
    "suhu": gettext_lazy("Suhu tubuh berbahaya"),
    "nadi": gettext_lazy("Nadi terlalu cepat atau lambat"),
    "napas_cepat": gettext_lazy("Napas cepat (> 30/menit)"),
}


SIGN_LABELS = DANGER_SIGNS | VITAL_SIGNS


def sign_labels(codes: list[str]) -> list[str]:
    """Danger-sign codes of a record or escalation as labels in the active language."""
    return [str(SIGN_LABELS.get(code, code)) for code in codes]


EMERGENCY_SIGNS = {"penurunan_kesadaran", "kejang", "sesak_berat", "perdarahan", "nyeri_dada"}
PLANNER_SECONDS = 5.0


# --- permissions ---------------------------------------------------------------------------


def require_staff(actor: Actor, facility: Facility | None) -> None:
    """Puskesmas staff of `facility` (or an admin); system actors pass."""
    if actor.user is None and actor.channel in {"system", "cli"}:
        return
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if facility is None or not facility_services.can_operate(actor.user, facility):
        raise Forbidden(_("Anda bukan petugas Puskesmas ini."))
    if not (actor.user.is_admin_role or actor.user.role == Role.PUSKESMAS_STAFF):
        raise Forbidden(_("Peran Anda tidak diizinkan melakukan ini."))


def is_worker_of(actor: Actor, visit: Visit) -> bool:
    return bool(actor.user and visit.worker_id and visit.worker.user_id == actor.user.pk)


def require_worker_or_staff(actor: Actor, visit: Visit) -> None:
    if is_worker_of(actor, visit):
        return
    require_staff(actor, visit.facility)


def audit_read(actor: Actor, obj: Model, label: str, **details) -> None:
    """A read of personal data (a request's detail, a visit record) leaves an audit record:
    who, when, what (ASVS 8.3.5; SIGAP's core has no read-audit helper, so home care keeps
    this small one). The action is "<model>.read"; `details` go to `after`."""
    record_audit(
        actor, f"{obj._meta.model_name}.read", obj, object_label=label, after=details or None
    )


def audit_list_read(actor: Actor, facility: Facility, count: int, **details) -> None:
    """A list of requests (names, masked NIKs) read from a Puskesmas's inbox: one audit
    record per read, naming the Puskesmas and how many rows were shown."""
    record_audit(
        actor, "homecare_request.list", facility, object_label=f"inbox {facility.pk}",
        after={"count": count} | details,
    )  # fmt: skip


# --- the one transition function per workflow -----------------------------------------------


def _transition(
    model: type[Model], flow: dict, pk: int, to: str, actor: Actor, reason: str, fields: dict
) -> Any:
    with transaction.atomic():
        obj = model.objects.select_for_update(of=("self",)).order_by().get(pk=pk)
        before = obj.status
        if to not in flow.get(before, set()):
            raise Conflict(
                _("Status tidak dapat diubah dari %(a)s ke %(b)s.") % {"a": before, "b": to},
                field="status",
            )
        obj.status = to
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()
        record_audit(
            actor,
            f"{model._meta.model_name}.{to}",
            obj,
            object_label=f"{model._meta.model_name} {obj.pk}",
            before={"status": before},
            after={"status": to, "reason": reason},
        )
        return obj


def move_request(
    actor: Actor, req: HomecareRequest, to: str, reason: str = "", **fields
) -> HomecareRequest:
    return _transition(HomecareRequest, REQUEST_FLOW, req.pk, to, actor, reason, fields)


def move_plan(actor: Actor, plan: CarePlan, to: str, reason: str = "", **fields) -> CarePlan:
    return _transition(CarePlan, PLAN_FLOW, plan.pk, to, actor, reason, fields)


def move_visit(actor: Actor, visit: Visit, to: str, reason: str = "", **fields) -> Visit:
    fields.setdefault("status_reason", reason[:255])
    return _transition(Visit, VISIT_FLOW, visit.pk, to, actor, reason, fields)


def move_trip(
    actor: Actor, trip: TransportTrip, to: str, reason: str = "", **fields
) -> TransportTrip:
    fields.setdefault("status_reason", reason[:255])
    return _transition(TransportTrip, TRIP_FLOW, trip.pk, to, actor, reason, fields)


# --- requests ------------------------------------------------------------------------------


@dataclass
class RequestInput:
    nik: str
    name: str
    phone: str
    address: str
    village_code: str
    need: str
    target_group: str = ""
    latitude: float | None = None
    longitude: float | None = None


def _clean(text: str | None, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = (text or "").strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InvalidInput(_("Berisi karakter yang tidak sah."), field=field)
    if required and not value:
        raise InvalidInput(_("%(label)s wajib diisi.") % {"label": label}, field=field)
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s paling panjang %(n)s karakter.") % {"label": label, "n": max_len},
            field=field,
        )
    return value


def _village(code: str | None) -> Region:
    village = Region.objects.filter(code=(code or "").strip(), level=Region.Level.VILLAGE).first()
    if village is None:
        raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="village_code")
    return village


def _position(village: Region, lat: float | None, lon: float | None) -> tuple[float, float]:
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput(_("Koordinat tidak sah."), field="latitude")
        return float(lat), float(lon)
    if village.latitude is None or village.longitude is None:
        raise InvalidInput(_("Kelurahan ini belum punya koordinat."), field="village_code")
    return village.latitude, village.longitude


def puskesmas_for(village: Region, lat: float, lon: float) -> Facility | None:
    """The Puskesmas whose catchment holds the kelurahan; if none has it in its catchment,
    the nearest active Puskesmas of the same kabupaten/kota."""
    base = Facility.objects.filter(kind_id=PUSKESMAS, is_active=True)
    owner = base.filter(catchment=village).order_by("pk").first()
    if owner is not None:
        return owner
    nearby = list(base.filter(village__code__startswith=village.code[:4]))
    if not nearby:
        return None
    return min(nearby, key=lambda f: float(haversine_km(lat, lon, f.latitude, f.longitude)))


PUBLIC_REQUEST_LIMIT = (20, 3600)  # public requests per client address and window (seconds)


def public_request_limit() -> tuple[int, int]:
    """Public home-visit requests allowed per client address (for
    `sigap.core.ratelimit.over_limit`): setting SIGAP_HOMECARE_REQUEST_LIMIT (count, seconds),
    else PUBLIC_REQUEST_LIMIT; generous enough for a kader filing for several households
    from one phone or a shared mobile address."""
    count, seconds = getattr(settings, "SIGAP_HOMECARE_REQUEST_LIMIT", PUBLIC_REQUEST_LIMIT)
    return int(count), int(seconds)


# a public request for the same person (NIK, or phone and name) at the same address within
# this many hours answers with the open request instead of adding a second (setting overrides)
DUPLICATE_HOURS = 24


def _digits(text: str) -> str:
    digits = re.sub(r"[^0-9]", "", text or "")
    return "0" + digits[2:] if digits.startswith("62") else digits


def _address_key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", (text or "").lower()).split())


def _public_duplicate(
    nik: str, name: str, phone: str, address: str, village: Region
) -> HomecareRequest | None:
    """The open public request of the same person (same NIK, or same phone number and name)
    at the same address and kelurahan, made within DUPLICATE_HOURS; None when there is none.
    Marked
    `is_duplicate`, and `same_sender` when NIK and phone both match (only then may its
    request number, the resident's key to cancel it, be shown again)."""
    hours = getattr(settings, "SIGAP_HOMECARE_DUPLICATE_HOURS", DUPLICATE_HOURS)
    since = timezone.now() - timedelta(hours=hours)
    wanted_phone, wanted_address = _digits(phone), _address_key(address)
    rows = HomecareRequest.objects.filter(
        source=HomecareRequest.Source.PUBLIC, village=village, created_at__gte=since
    ).exclude(status__in=(RequestStatus.CANCELLED, RequestStatus.CLOSED))
    # the kelurahan's public requests of one window are few (the public form is rate-limited)
    wanted_name = _address_key(name)
    for req in rows.select_related("facility").order_by("created_at", "pk")[:1000]:
        same_nik, same_phone = req.nik == nik, _digits(req.phone) == wanted_phone
        # a phone is shared by a household: with another NIK it is the same request only
        # for the same name (a mistyped NIK), not for a second patient of the family
        same_person = same_nik or (same_phone and _address_key(req.name) == wanted_name)
        if same_person and _address_key(req.address) == wanted_address:
            req.is_duplicate = True
            req.same_sender = same_nik and same_phone
            return req
    return None


def create_request(
    actor: Actor,
    data: RequestInput,
    *,
    source: str = HomecareRequest.Source.PUBLIC,
    source_ref: str = "",
) -> HomecareRequest:
    """A home-care request from the public form, Puskesmas staff, or another capability
    (nutrition, maternal care, a hospital discharge: pass `source` and their own `source_ref`;
    asking twice with the same reference returns the first request). A public request that
    repeats an open one (`_public_duplicate`) returns that one, marked `is_duplicate`."""
    if source not in HomecareRequest.Source.values:
        raise InvalidInput(_("Sumber permintaan tidak dikenal."), field="source")
    if source == HomecareRequest.Source.STAFF and actor.channel != "system":
        if actor.user is None or not (
            actor.user.is_admin_role or actor.user.role == Role.PUSKESMAS_STAFF
        ):
            raise Forbidden(_("Hanya petugas Puskesmas yang dapat membuat permintaan ini."))
    elif (
        source != HomecareRequest.Source.PUBLIC and actor.user is None and actor.channel != "system"
    ):
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    source_ref = _clean(source_ref, "source_ref", "Referensi", 64, required=False)
    if source_ref:
        existing = HomecareRequest.objects.filter(source=source, source_ref=source_ref).first()
        if existing is not None:
            return existing
    info = validate_nik(data.nik)
    name = _clean(data.name, "name", _("Nama"), 150)
    phone = _clean(data.phone, "phone", _("Nomor telepon"), 32)
    if not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="phone")
    address = _clean(data.address, "address", _("Alamat"), 255)
    need = _clean(data.need, "need", _("Kebutuhan"), 2000)
    village = _village(data.village_code)
    lat, lon = _position(village, data.latitude, data.longitude)
    group = None
    if data.target_group:
        group = TargetGroup.objects.filter(code=data.target_group).first()
        if group is None:
            raise InvalidInput(_("Kelompok sasaran tidak dikenal."), field="target_group")
    facility = puskesmas_for(village, lat, lon)
    if facility is None:
        raise InvalidInput(
            _("Belum ada Puskesmas yang melayani wilayah ini."), field="village_code"
        )
    try:
        with transaction.atomic():
            if source == HomecareRequest.Source.PUBLIC:
                # one public writer per Puskesmas at a time (a row lock on PostgreSQL; SQLite
                # runs IMMEDIATE transactions), so that a burst of the same request finds the
                # first one instead of racing past the check
                Facility.objects.select_for_update().filter(pk=facility.pk).first()
                same = _public_duplicate(info.nik, name, phone, address, village)
                if same is not None:
                    return same
            req = HomecareRequest.objects.create(
                nik=info.nik, name=name, phone=phone, address=address, village=village,
                latitude=lat, longitude=lon, need=need, target_group=group, facility=facility,
                source=source, source_ref=source_ref, created_by=actor.user,
            )  # fmt: skip
            record_audit(
                actor, "homecare_request.create", req, object_label=f"request {req.pk}",
                after={"nik": mask_nik(info.nik), "village": village.code, "source": source,
                       "facility": facility.pk},
            )  # fmt: skip
    except IntegrityError:
        if source_ref:  # a concurrent call with the same reference won the race
            return HomecareRequest.objects.get(source=source, source_ref=source_ref)
        raise
    return req


def decide_eligibility(
    actor: Actor,
    req: HomecareRequest,
    *,
    target_group: str,
    answers: dict[str, bool],
    note: str = "",
) -> HomecareRequest:
    """Work through the target group's checklist: eligible when every criterion holds."""
    require_staff(actor, req.facility)
    group = TargetGroup.objects.filter(code=target_group).first()
    if group is None:
        raise InvalidInput(_("Kelompok sasaran tidak dikenal."), field="target_group")
    checklist = {item: bool(answers.get(item)) for item in group.checklist}
    eligible = all(checklist.values())
    note = _clean(note, "note", _("Catatan"), 2000, required=False)
    if not eligible and not note:
        raise InvalidInput(_("Tuliskan alasan bila tidak memenuhi syarat."), field="note")
    to = RequestStatus.ELIGIBLE if eligible else RequestStatus.INELIGIBLE
    return move_request(
        actor, req, to, note, target_group=group, checklist=checklist, decision_note=note
    )


# --- care plans ------------------------------------------------------------------------------


@dataclass
class CarePlanInput:
    frequency_days: int
    skill: str
    visit_minutes: int
    preferred_start: time
    preferred_end: time
    priority: int
    start_date: date
    end_date: date | None = None
    notes: str = ""


def _validate_plan(data: CarePlanInput) -> None:
    if data.skill not in Skill.values:
        raise InvalidInput(_("Keahlian tidak dikenal."), field="skill")
    if not (1 <= int(data.frequency_days) <= 90):
        raise InvalidInput(_("Frekuensi 1 sampai 90 hari."), field="frequency_days")
    if not (5 <= int(data.visit_minutes) <= 480):
        raise InvalidInput(_("Lama kunjungan 5 sampai 480 menit."), field="visit_minutes")
    if data.priority not in (1, 2, 3):
        raise InvalidInput(_("Prioritas 1, 2 atau 3."), field="priority")
    if data.preferred_start >= data.preferred_end:
        raise InvalidInput(_("Jam mulai harus sebelum jam selesai."), field="preferred_end")
    if data.end_date and data.end_date < data.start_date:
        raise InvalidInput(_("Tanggal selesai sebelum tanggal mulai."), field="end_date")


def create_care_plan(actor: Actor, req: HomecareRequest, data: CarePlanInput) -> CarePlan:
    require_staff(actor, req.facility)
    _validate_plan(data)
    with transaction.atomic():
        req = HomecareRequest.objects.select_for_update(of=("self",)).order_by().get(pk=req.pk)
        if req.status != RequestStatus.ELIGIBLE:
            raise Conflict(_("Permintaan belum dinyatakan memenuhi syarat."), field="status")
        plan = CarePlan.objects.create(
            request=req, facility=req.facility, frequency_days=data.frequency_days,
            skill=data.skill, visit_minutes=data.visit_minutes,
            preferred_start=data.preferred_start, preferred_end=data.preferred_end,
            priority=data.priority, start_date=data.start_date, end_date=data.end_date,
            next_due=data.start_date, notes=_clean(data.notes, "notes", _("Catatan"), 2000, False),
        )  # fmt: skip
        record_audit(
            actor, "care_plan.create", plan, object_label=f"care plan {plan.pk}",
            after={"skill": plan.skill, "frequency_days": plan.frequency_days,
                   "priority": plan.priority},
        )  # fmt: skip
        plan.request = move_request(actor, req, RequestStatus.ACTIVE, _("Rencana perawatan dibuat"))
    return plan


# --- managing requests and care plans ----------------------------------------------------------


def _reason(reason: str | None) -> str:
    return _clean(reason, "reason", _("Alasan"), 255)


def _move_each(rows, move) -> int:
    """`move(row)` for each row; one another writer moved meanwhile (a visit started, a trip
    picked up) raises Conflict and goes on as it is. Returns how many were moved."""
    moved = 0
    for row in rows:
        with contextlib.suppress(Conflict):
            move(row)
            moved += 1
    return moved


def _outside_shift(
    start: datetime | None, end: datetime | None, shift_start: time, shift_end: time
) -> bool:
    """Whether planned times (a visit's, a trip's) fall outside the local shift hours."""
    tz = timezone.get_current_timezone()
    return bool(start and start.astimezone(tz).time() < shift_start) or bool(
        end and end.astimezone(tz).time() > shift_end
    )


def _set_active(model, pk: int, active: bool, already: str) -> None:
    """Compare-and-set of `is_active`: of two presses at once one wins, the other conflicts."""
    changed = model.objects.filter(pk=pk, is_active=not active).update(
        is_active=active, updated_at=timezone.now()
    )
    if not changed:
        raise Conflict(already, field="is_active")


def _cancel_open_visits(actor: Actor, plan: CarePlan, reason: str) -> int:
    """Cancel the plan's visits that have not started (any day), so no plan routes them."""
    return _move_each(
        Visit.objects.filter(care_plan=plan, status__in=MOVABLE).order_by("pk"),
        lambda visit: move_visit(actor, visit, VisitStatus.CANCELLED, reason),
    )


def decline_request(actor: Actor, req: HomecareRequest, reason: str) -> HomecareRequest:
    """Decline a request as ineligible without the checklist (e.g. no target group fits),
    before a care plan exists."""
    require_staff(actor, req.facility)
    reason = _reason(reason)
    return move_request(
        actor, req, RequestStatus.INELIGIBLE, reason, decision_note=reason, status_reason=reason
    )


def cancel_request(actor: Actor, req: HomecareRequest, reason: str) -> HomecareRequest:
    """Staff cancel a request (the family withdrew, moved away, the person died). A care plan
    is cancelled with it and its visits that have not started are cancelled."""
    require_staff(actor, req.facility)
    reason = _reason(reason)
    with transaction.atomic():
        req = move_request(actor, req, RequestStatus.CANCELLED, reason, status_reason=reason)
        plan = CarePlan.objects.filter(request=req).first()
        if plan is not None and plan.status in (PlanStatus.ACTIVE, PlanStatus.PAUSED):
            move_plan(actor, plan, PlanStatus.CANCELLED, reason, status_reason=reason)
            _cancel_open_visits(actor, plan, reason)
    return req


RESIDENT_CANCELLABLE = (RequestStatus.SUBMITTED, RequestStatus.ELIGIBLE)


def cancel_request_by_resident(
    actor: Actor, request_number: str, nik: str, reason: str
) -> HomecareRequest:
    """The resident withdraws a request with the request number of the receipt (a random
    UUID only the sender saw) and the NIK given in it, before care has started. An unknown
    number and a wrong NIK get the same answer, so the form reveals nothing about others."""
    import uuid

    reason = _reason(reason)
    try:
        public_id = uuid.UUID((request_number or "").strip())
    except ValueError:
        raise InvalidInput(_("Nomor permintaan tidak sah."), field="request_number") from None
    nik = (nik or "").strip()
    req = HomecareRequest.objects.filter(public_id=public_id).first()
    if req is None or req.nik != nik:
        raise NotFound(_("Permintaan dengan nomor dan NIK ini tidak ditemukan."))
    if req.status not in RESIDENT_CANCELLABLE:
        raise Conflict(
            _("Permintaan ini tidak dapat dibatalkan lewat formulir; hubungi Puskesmas."),
            field="status",
        )
    return move_request(
        actor, req, RequestStatus.CANCELLED, reason,
        status_reason=_("Dibatalkan warga: %(r)s") % {"r": reason},
    )  # fmt: skip


@dataclass
class CarePlanChange:
    frequency_days: int
    skill: str
    visit_minutes: int
    preferred_start: time
    preferred_end: time
    priority: int
    notes: str = ""


PLAN_EDITABLE = (PlanStatus.ACTIVE, PlanStatus.PAUSED)


def update_care_plan(actor: Actor, plan: CarePlan, data: CarePlanChange) -> CarePlan:
    """Change frequency, skill, visit length, preferred hours or priority. Visits already
    planned that no longer match (skill, length, hours) go back to `due`, so the next plan
    places them again; a started visit is left alone."""
    require_staff(actor, plan.facility)
    notes = _clean(data.notes, "notes", _("Catatan"), 2000, required=False)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        if plan.status not in PLAN_EDITABLE:
            raise Conflict(_("Rencana perawatan ini sudah berakhir."), field="status")
        _validate_plan(
            CarePlanInput(
                data.frequency_days, data.skill, data.visit_minutes, data.preferred_start,
                data.preferred_end, data.priority, plan.start_date, plan.end_date,
            )
        )  # fmt: skip
        names = ("frequency_days", "skill", "visit_minutes", "preferred_start",
                 "preferred_end", "priority")  # fmt: skip
        before = {n: getattr(plan, n) for n in names} | {"notes": plan.notes}
        for n in names:
            setattr(plan, n, getattr(data, n))
        plan.notes = notes
        if data.frequency_days != before["frequency_days"]:
            last = (
                Visit.objects.filter(care_plan=plan, status=VisitStatus.DONE)
                .order_by("-date").values_list("date", flat=True).first()
            )  # fmt: skip
            if last is not None:
                plan.next_due = last + timedelta(days=plan.frequency_days)
        plan.save()
        reshaped = any(
            before[n] != getattr(plan, n)
            for n in ("skill", "visit_minutes", "preferred_start", "preferred_end")
        )
        released = 0
        if reshaped:
            released = _release_visits(
                actor, Visit.objects.filter(care_plan=plan), _("rencana perawatan diubah")
            )
        after = {n: getattr(plan, n) for n in names} | {"notes": notes}
        record_audit(
            actor, "care_plan.update", plan, object_label=f"care plan {plan.pk}",
            before={k: str(v) for k, v in before.items()},
            after={k: str(v) for k, v in after.items()} | {"released_visits": released},
        )  # fmt: skip
    return plan


def pause_care_plan(actor: Actor, plan: CarePlan, reason: str) -> CarePlan:
    """Pause visits (in hospital, away): open visits are cancelled, no plan routes it."""
    require_staff(actor, plan.facility)
    reason = _reason(reason)
    with transaction.atomic():
        plan = move_plan(actor, plan, PlanStatus.PAUSED, reason, status_reason=reason)
        _cancel_open_visits(actor, plan, _("Rencana ditunda: %(r)s") % {"r": reason})
    return plan


def resume_care_plan(actor: Actor, plan: CarePlan, *, day: date | None = None) -> CarePlan:
    """Resume a paused plan; a visit that fell due during the pause is due from `day`."""
    require_staff(actor, plan.facility)
    day = day or timezone.localdate()
    return move_plan(
        actor, plan, PlanStatus.ACTIVE, _("dilanjutkan"), status_reason="",
        next_due=max(plan.next_due, day),
    )  # fmt: skip


def end_care_plan(
    actor: Actor, plan: CarePlan, reason: str, *, day: date | None = None
) -> CarePlan:
    """End a plan (goal reached, moved, died...): open visits cancelled, request closed."""
    require_staff(actor, plan.facility)
    reason = _reason(reason)
    day = day or timezone.localdate()
    with transaction.atomic():
        plan = move_plan(
            actor, plan, PlanStatus.COMPLETED, reason, status_reason=reason,
            end_date=max(day, plan.start_date),
        )  # fmt: skip
        _cancel_open_visits(actor, plan, _("Rencana berakhir: %(r)s") % {"r": reason})
        req = HomecareRequest.objects.get(pk=plan.request_id)
        if req.status == RequestStatus.ACTIVE:
            move_request(actor, req, RequestStatus.CLOSED, reason, status_reason=reason)
    return plan


# --- roster ----------------------------------------------------------------------------------


@dataclass
class WorkerInput:
    name: str
    skills: list[str]
    shift_start: time
    shift_end: time
    travel_mode: str = TravelMode.MOTOR
    phone: str = ""
    user: Any = None
    is_synthetic: bool = False


def _validate_worker(data: WorkerInput) -> None:
    _clean(data.name, "name", _("Nama"), 150)
    if not data.skills or any(s not in Skill.values for s in data.skills):
        raise InvalidInput(_("Pilih minimal satu keahlian yang dikenal."), field="skills")
    if data.travel_mode not in TravelMode.values:
        raise InvalidInput(_("Moda perjalanan tidak dikenal."), field="travel_mode")
    if data.shift_start >= data.shift_end:
        raise InvalidInput(_("Jam mulai shift harus sebelum jam selesai."), field="shift_end")


def create_worker(actor: Actor, facility: Facility, data: WorkerInput) -> Worker:
    require_staff(actor, facility)
    _validate_worker(data)
    with transaction.atomic():
        worker = Worker.objects.create(
            facility=facility, name=data.name.strip(), skills=sorted(set(data.skills)),
            shift_start=data.shift_start, shift_end=data.shift_end,
            travel_mode=data.travel_mode, phone=data.phone.strip(), user=data.user,
            is_synthetic=data.is_synthetic,
        )  # fmt: skip
        record_audit(actor, "worker.create", worker, after={"skills": worker.skills})
    return worker


def _release_visits(actor: Actor, visits, reason: str) -> int:
    """Planned visits (of `visits`) back to `due` without worker or times: the next plan of
    their day places them again. Started visits keep going."""
    return _move_each(
        visits.filter(status=VisitStatus.PLANNED).order_by("pk"),
        lambda visit: move_visit(
            actor, visit, VisitStatus.DUE, reason, worker=None, sequence=None,
            planned_arrival=None, planned_start=None, planned_end=None,
        ),
    )  # fmt: skip


def _drop_empty_routes(worker: Worker) -> None:
    """Route totals of days on which the worker has no visit left."""
    busy = Visit.objects.filter(worker=worker).exclude(status=VisitStatus.CANCELLED)
    PlanRoute.objects.filter(worker=worker).exclude(day_plan__date__in=busy.values("date")).delete()


def update_worker(actor: Actor, worker: Worker, data: WorkerInput) -> Worker:
    """Change name, skills, shift, travel mode or phone. Planned visits from today that the
    worker can no longer do (skill gone, outside the new shift) go back to `due`."""
    require_staff(actor, worker.facility)
    _validate_worker(data)
    today = timezone.localdate()
    with transaction.atomic():
        worker = Worker.objects.select_for_update(of=("self",)).order_by().get(pk=worker.pk)
        names = ("name", "skills", "shift_start", "shift_end", "travel_mode", "phone")
        before = {n: str(getattr(worker, n)) for n in names}
        worker.name = data.name.strip()
        worker.skills = sorted(set(data.skills))
        worker.shift_start, worker.shift_end = data.shift_start, data.shift_end
        worker.travel_mode = data.travel_mode
        worker.phone = _clean(data.phone, "phone", _("Telepon"), 32, required=False)
        worker.save()
        misfits = [
            v.pk
            for v in Visit.objects.filter(
                worker=worker, status=VisitStatus.PLANNED, date__gte=today
            ).select_related("care_plan")
            if v.care_plan.skill not in worker.skills
            or _outside_shift(
                v.planned_arrival, v.planned_end, worker.shift_start, worker.shift_end
            )
        ]
        released = _release_visits(
            actor, Visit.objects.filter(pk__in=misfits), _("petugas tidak lagi cocok")
        )
        _drop_empty_routes(worker)
        record_audit(
            actor, "worker.update", worker, before=before,
            after={n: str(getattr(worker, n)) for n in names} | {"released_visits": released},
        )  # fmt: skip
    return worker


def set_worker_active(actor: Actor, worker: Worker, active: bool, reason: str = "") -> Worker:
    """Deactivate (left, long illness) or reactivate a worker; a deactivated worker's
    planned visits from today go back to `due` for the next plan. Compare-and-set: two
    presses at once, one wins."""
    require_staff(actor, worker.facility)
    reason = _clean(reason, "reason", _("Alasan"), 255, required=not active)
    with transaction.atomic():
        _set_active(
            Worker, worker.pk, active,
            _("Petugas sudah aktif.") if active else _("Petugas sudah nonaktif."),
        )  # fmt: skip
        released = 0
        if not active:
            released = _release_visits(
                actor, Visit.objects.filter(worker=worker, date__gte=timezone.localdate()),
                _("petugas nonaktif: %(r)s") % {"r": reason},
            )  # fmt: skip
            _drop_empty_routes(worker)
        record_audit(
            actor, "worker.activate" if active else "worker.deactivate", worker,
            before={"is_active": not active},
            after={"is_active": active, "reason": reason, "released_visits": released},
        )  # fmt: skip
    worker.refresh_from_db()
    return worker


def add_leave(
    actor: Actor, worker: Worker, start: date, end: date, reason: str = ""
) -> WorkerLeave:
    """Leave days; the worker's planned visits on those days go back to `due`."""
    require_staff(actor, worker.facility)
    if start > end:
        raise InvalidInput(_("Tanggal mulai cuti setelah tanggal selesai."), field="end_date")
    if (end - start).days > 366:
        raise InvalidInput(_("Cuti paling lama satu tahun per catatan."), field="end_date")
    reason = _clean(reason, "reason", _("Alasan"), 200, required=False)
    with transaction.atomic():
        leave = WorkerLeave.objects.create(
            worker=worker, start_date=start, end_date=end, reason=reason
        )
        released = _release_visits(
            actor, Visit.objects.filter(worker=worker, date__gte=start, date__lte=end),
            _("petugas cuti"),
        )  # fmt: skip
        _drop_empty_routes(worker)
        record_audit(
            actor, "worker.leave", worker,
            after={"from": str(start), "to": str(end), "released_visits": released},
        )  # fmt: skip
    return leave


def workers_available(facility: Facility, day: date) -> list[Worker]:
    on_leave = WorkerLeave.objects.filter(start_date__lte=day, end_date__gte=day).values(
        "worker_id"
    )
    return list(Worker.objects.filter(facility=facility, is_active=True).exclude(pk__in=on_leave))


# --- daily planning --------------------------------------------------------------------------


def _zone(facility: Facility) -> ZoneInfo:
    return ZoneInfo(region_zoneinfo_name(facility.village_id))


def _midnight(facility: Facility, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone(facility))


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60


def ensure_due_visits(actor: Actor, facility: Facility, day: date) -> int:
    """Create a `due` visit for every active care plan due on or before `day` that has no
    open visit; carry an earlier unplanned `due` visit over to `day`."""
    created = 0
    with transaction.atomic():
        Visit.objects.filter(facility=facility, status=VisitStatus.DUE, date__lt=day).update(
            date=day
        )
        plans = CarePlan.objects.filter(
            facility=facility, status=PlanStatus.ACTIVE, next_due__lte=day, start_date__lte=day
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        for plan in plans.exclude(visits__status__in=OPEN_VISIT):
            try:
                with transaction.atomic():
                    Visit.objects.create(care_plan=plan, facility=facility, date=day)
            except IntegrityError:
                continue  # a concurrent planner created it (one open visit per plan and day)
            created += 1
        if created:
            record_audit(
                actor, "visits.due", facility, object_label=f"{facility} {day}",
                after={"created": created, "date": str(day)},
            )  # fmt: skip
    return created


def _visit_spec(v: Visit) -> planning.VisitSpec:
    plan = v.care_plan
    req = plan.request
    service = plan.visit_minutes * 60
    start, end = _secs(plan.preferred_start), _secs(plan.preferred_end)
    return planning.VisitSpec(
        key=v.pk, lat=req.latitude, lon=req.longitude, service_s=service,
        window=(start, max(start, end - service)), skill=plan.skill,
        priority=1 if v.urgent else plan.priority,
    )  # fmt: skip


def plan_facility(
    actor: Actor,
    facility: Facility,
    day: date,
    *,
    seconds: float | None = None,
    now: datetime | None = None,
) -> DayPlan:
    """Plan (or re-plan) one Puskesmas's home visits of `day`.

    Visits already started or done stay where they are: their worker goes on from that home
    when the started visit ends, and only `due`/`planned` visits move. A plan written by
    someone else while this one was being solved wins (compare-and-set on the version)."""
    require_staff(actor, facility)
    ensure_due_visits(actor, facility, day)
    midnight = _midnight(facility, day)
    now_s = None
    if now is not None and now.astimezone(midnight.tzinfo).date() == day:
        now_s = int((now - midnight).total_seconds())
    day_plan, _created = DayPlan.objects.get_or_create(facility=facility, date=day)
    version = day_plan.version

    workers = workers_available(facility, day)
    visits = list(
        # a paused or ended plan's visits are cancelled by its transition; the filter also
        # keeps out one created while the pause was being written
        Visit.objects.filter(
            facility=facility, date=day, status__in=MOVABLE, care_plan__status=PlanStatus.ACTIVE
        )
        .select_related("care_plan__request")
        .order_by("pk")
    )
    fixed = list(
        Visit.objects.filter(
            facility=facility, date=day, status__in=(VisitStatus.STARTED, VisitStatus.DONE)
        ).select_related("care_plan__request")
    )
    specs = []
    for w in workers:
        shift = (_secs(w.shift_start), _secs(w.shift_end))
        start = available = None
        last = max(
            (v for v in fixed if v.worker_id == w.pk),
            key=lambda v: v.planned_end or v.started_at or midnight,
            default=None,
        )
        if last is not None:
            req = last.care_plan.request
            start = (req.latitude, req.longitude)
            if last.status == VisitStatus.DONE and last.finished_at:
                free_at = last.finished_at
            else:
                free_at = (last.started_at or midnight) + timedelta(
                    minutes=last.care_plan.visit_minutes
                )
            available = int((free_at - midnight).total_seconds())
        if now_s is not None:
            available = max(available or 0, now_s, shift[0])
        specs.append(
            planning.WorkerSpec(
                key=w.pk, skills=frozenset(w.skills), mode=w.travel_mode, shift=shift,
                start=start, available_from=available,
            )
        )  # fmt: skip
    depot = planning.Site(facility.pk, facility.latitude, facility.longitude)
    vspecs = [_visit_spec(v) for v in visits]
    if now_s is not None:  # nothing can start in the past
        vspecs = [
            planning.VisitSpec(s.key, s.lat, s.lon, s.service_s,
                               (max(s.window[0], now_s), max(s.window[1], now_s)),
                               s.skill, s.priority)
            for s in vspecs
        ]  # fmt: skip
    # travel times of the hours each worker's shift covers (planning module docstring)
    problem = planning.day_problem(depot, specs, vspecs, get_estimator(), midnight=midnight)
    plan = planning.solve_day(problem, PLANNER_SECONDS if seconds is None else seconds)
    check = planning.check_plan(problem, plan)
    by_pk = {v.pk: v for v in visits}
    by_worker = {w.pk: w for w in workers}

    with transaction.atomic():
        taken = DayPlan.objects.filter(pk=day_plan.pk, version=version).update(
            version=version + 1, planned_at=timezone.now()
        )
        if not taken:
            raise Conflict(_("Rencana hari ini baru saja dibuat orang lain; muat ulang."))
        PlanRoute.objects.filter(day_plan=day_plan).delete()
        planned = 0
        for route in plan.routes:
            worker = by_worker[route.vehicle]
            if not route.activities:
                continue
            PlanRoute.objects.create(
                day_plan=day_plan, worker=worker, distance_m=route.distance,
                start_at=midnight + timedelta(seconds=route.start),
                end_at=midnight + timedelta(seconds=route.end),
            )  # fmt: skip
            for seq, act in enumerate(route.activities, start=1):
                visit = by_pk[act.key]
                fields = {
                    "worker": worker, "sequence": seq,
                    "planned_arrival": midnight + timedelta(seconds=act.arrival),
                    "planned_start": midnight + timedelta(seconds=act.start),
                    "planned_end": midnight + timedelta(seconds=act.end),
                }  # fmt: skip
                # only visits still movable: one started meanwhile keeps its own times
                if visit.status == VisitStatus.DUE:
                    try:
                        move_visit(actor, visit, VisitStatus.PLANNED, _("rencana harian"), **fields)
                    except Conflict:
                        continue
                else:
                    Visit.objects.filter(pk=visit.pk, status=VisitStatus.PLANNED).update(**fields)
                planned += 1
        for key in plan.unserved:
            visit = by_pk[key]
            if visit.status == VisitStatus.PLANNED:
                # a visit started meanwhile (Conflict) keeps its worker and times
                with contextlib.suppress(Conflict):
                    move_visit(actor, visit, VisitStatus.DUE, _("tidak muat dalam rencana"),
                               worker=None, sequence=None, planned_arrival=None,
                               planned_start=None, planned_end=None)  # fmt: skip
        day_plan.summary = {
            "planned": planned,
            "fixed": len(fixed),
            "unserved": len(plan.unserved),
            "unserved_priority1": sum(
                1 for k in plan.unserved if _visit_spec(by_pk[k]).priority <= 1
            ),
            "distance_km": round(plan.distance / 1000, 1),
            "workers": len(workers),
            "feasible": bool(plan.feasible and check.ok),
            "check_errors": check.errors[:5],
        }
        day_plan.version = version + 1
        DayPlan.objects.filter(pk=day_plan.pk).update(summary=day_plan.summary)
        record_audit(
            actor, "day_plan.plan", day_plan, object_label=f"{facility} {day}",
            after=day_plan.summary | {"version": version + 1},
        )  # fmt: skip
    return DayPlan.objects.get(pk=day_plan.pk)


def plan_day(
    actor: Actor, day: date, *, seconds: float = PLANNER_SECONDS, area: str = ""
) -> list[DayPlan]:
    """Plan `day` for every Puskesmas (of `area`) with active care plans."""
    facilities = Facility.objects.filter(
        kind_id=PUSKESMAS, is_active=True, care_plans__status=PlanStatus.ACTIVE
    ).distinct()
    if area:
        facilities = facilities.filter(village__code__startswith=area)
    return [plan_facility(actor, f, day, seconds=seconds) for f in facilities.order_by("name")]


NIGHTLY_PLAN_HOUR = 18  # local hour from which tomorrow is planned automatically


def plan_tomorrow_if_due(now: datetime, *, seconds: float | None = None) -> list[DayPlan]:
    """The nightly sweep: from NIGHTLY_PLAN_HOUR local time, plan tomorrow for every
    Puskesmas that has active care plans and no plan for tomorrow yet (staff re-plan by hand
    after that)."""
    local = timezone.localtime(now)
    if local.hour < NIGHTLY_PLAN_HOUR:
        return []
    tomorrow = local.date() + timedelta(days=1)
    actor = Actor.system("nightly home-visit plan")
    done = DayPlan.objects.filter(date=tomorrow, version__gt=0).values("facility_id")
    facilities = (
        Facility.objects.filter(
            kind_id=PUSKESMAS, is_active=True, care_plans__status=PlanStatus.ACTIVE
        )
        .exclude(pk__in=done)
        .distinct()
        .order_by("name")
    )
    out = []
    for facility in facilities:
        try:
            out.append(plan_facility(actor, facility, tomorrow, seconds=seconds))
        except Conflict:
            continue  # someone planned it meanwhile
    return out


def cancel_visit(actor: Actor, visit: Visit, reason: str, *, replan: bool = True,
                 now: datetime | None = None) -> Visit:  # fmt: skip
    require_worker_or_staff(actor, visit)
    reason = _clean(reason, "reason", _("Alasan"), 255)
    visit = move_visit(actor, visit, VisitStatus.CANCELLED, reason)
    if replan and DayPlan.objects.filter(facility=visit.facility, date=visit.date).exists():
        plan_facility(actor, visit.facility, visit.date, now=now or timezone.now())
    return visit


def add_urgent_visit(actor: Actor, plan: CarePlan, day: date, *, now: datetime | None = None,
                     replan: bool = True) -> Visit:  # fmt: skip
    """An urgent visit (priority 1) inserted into a day, then the day re-planned around the
    visits that have already started."""
    require_staff(actor, plan.facility)
    if plan.status != PlanStatus.ACTIVE:
        raise Conflict(_("Rencana perawatan tidak aktif."), field="status")
    with transaction.atomic():
        existing = (
            Visit.objects.select_for_update(of=("self",))
            .filter(care_plan=plan, date=day)
            .exclude(status=VisitStatus.CANCELLED)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            if existing.status not in MOVABLE:
                raise Conflict(_("Kunjungan hari ini sudah berjalan."))
            Visit.objects.filter(pk=existing.pk).update(urgent=True)
            visit = existing
        else:
            visit = Visit.objects.create(
                care_plan=plan, facility=plan.facility, date=day, urgent=True
            )
        record_audit(actor, "visit.urgent", visit, object_label=f"visit {visit.pk}")
    if replan:
        plan_facility(actor, plan.facility, day, now=now or timezone.now())
    return Visit.objects.get(pk=visit.pk)


def start_visit(actor: Actor, visit: Visit, now: datetime | None = None) -> Visit:
    require_worker_or_staff(actor, visit)
    return move_visit(actor, visit, VisitStatus.STARTED, "", started_at=now or timezone.now())


def miss_visit(actor: Actor, visit: Visit, reason: str) -> Visit:
    require_worker_or_staff(actor, visit)
    reason = _clean(reason, "reason", _("Alasan"), 255)
    with transaction.atomic():
        visit = move_visit(actor, visit, VisitStatus.MISSED, reason)
        # try again the next day
        CarePlan.objects.filter(pk=visit.care_plan_id).update(
            next_due=visit.date + timedelta(days=1)
        )
    return visit


# --- visit records and escalation ---------------------------------------------------------------


@dataclass
class RecordInput:
    outcome: str
    notes: str = ""
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    respiration: int | None = None
    temperature: float | None = None
    spo2: int | None = None
    weight_kg: float | None = None
    next_visit: date | None = None
    danger_signs: list[str] = field(default_factory=list)


# Plausible values a home visit can measure (outside them the reading is a typo or a broken
# device, not a patient): (label, low, high, unit), bounds inclusive.
VITAL_RANGES = {
    "systolic": (gettext_lazy("Tekanan sistolik"), 50, 260, "mmHg"),
    "diastolic": (gettext_lazy("Tekanan diastolik"), 30, 160, "mmHg"),
    "pulse": (gettext_lazy("Nadi"), 25, 250, gettext_lazy("/menit")),
    "respiration": (gettext_lazy("Napas"), 5, 70, gettext_lazy("/menit")),
    "temperature": (gettext_lazy("Suhu"), 30, 43, "°C"),
    "spo2": (gettext_lazy("SpO2"), 50, 100, "%"),
    "weight_kg": (gettext_lazy("Berat badan"), 0.5, 300, "kg"),
}
VITAL_DECIMALS = {"temperature": 1, "weight_kg": 2}
# a record can be corrected by its author for this many hours (setting overrides)
CORRECTION_HOURS = 24


def danger_from_vitals(data: RecordInput) -> list[str]:
    """Vital signs that need a doctor today (thresholds of common home-care SOPs)."""
    found = []
    if data.systolic is not None and (data.systolic >= 180 or data.systolic < 90):
        found.append("tekanan_darah")
    if data.diastolic is not None and data.diastolic >= 120:
        found.append("tekanan_darah")
    if data.spo2 is not None and data.spo2 < 92:
        found.append("saturasi_rendah")
    if data.temperature is not None and (data.temperature >= 39.5 or data.temperature < 35):
        found.append("suhu")
    if data.pulse is not None and (data.pulse > 130 or data.pulse < 45):
        found.append("nadi")
    if data.respiration is not None and data.respiration > 30:
        found.append("napas_cepat")
    return sorted(set(found))


def check_vitals(data: RecordInput) -> None:
    """Refuse implausible vital signs, naming the field: a value outside VITAL_RANGES (NaN
    and infinity included), one blood-pressure value without the other, a diastolic pressure
    not below the systolic one."""
    for name, (label, low, high, unit) in VITAL_RANGES.items():
        value = getattr(data, name)
        if value is None:
            continue
        if isinstance(value, bool):
            raise InvalidInput(_("Harus angka."), field=name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Harus angka."), field=name) from None
        if not low <= number <= high:  # NaN compares false
            raise InvalidInput(
                _("%(label)s %(value)s tidak wajar: harus antara %(low)s dan %(high)s %(unit)s.")
                % {"label": label, "value": value, "low": low, "high": high, "unit": unit},
                field=name,
            )
        if name not in VITAL_DECIMALS and number != int(number):
            raise InvalidInput(_("%(label)s harus bilangan bulat.") % {"label": label}, field=name)
    if (data.systolic is None) != (data.diastolic is None):
        missing = "diastolic" if data.diastolic is None else "systolic"
        raise InvalidInput(
            _("Isi tekanan sistolik dan diastolik bersama-sama (mis. 120/80)."), field=missing
        )
    if data.systolic is not None and data.diastolic >= data.systolic:
        raise InvalidInput(
            _(
                "Tekanan diastolik (%(d)s) harus lebih rendah dari sistolik (%(s)s): "
                "periksa apakah angkanya tertukar."
            )
            % {"d": data.diastolic, "s": data.systolic},
            field="diastolic",
        )


def _vitals(data: RecordInput) -> dict:
    """The record's measured fields, rounded as stored."""
    from decimal import Decimal

    values = {}
    for name in VITAL_RANGES:
        value = getattr(data, name)
        if value is not None and name in VITAL_DECIMALS:
            value = Decimal(str(value)).quantize(Decimal(1).scaleb(-VITAL_DECIMALS[name]))
        elif value is not None:
            value = int(value)
        values[name] = value
    return values


def record_signs(data: RecordInput) -> list[str]:
    """Danger signs of a record: the ones ticked and the ones its vital signs show."""
    return sorted(set(data.danger_signs) | set(danger_from_vitals(data)))


def escalation_kind(signs) -> str:
    if set(signs) & (EMERGENCY_SIGNS | {"saturasi_rendah"}):
        return Escalation.Kind.EMERGENCY
    return Escalation.Kind.REFERRAL


class DangerUnconfirmed(Conflict):
    """Danger signs would raise a referral or an emergency: the nurse confirms first. Nothing
    was written."""

    code = "danger_unconfirmed"

    def __init__(self, signs: list[str]):
        self.signs = signs
        self.kind = escalation_kind(signs)
        target = (
            _("PSC 119 (gawat darurat)") if self.kind == Escalation.Kind.EMERGENCY
            else _("rujukan ke rumah sakit")
        )  # fmt: skip
        super().__init__(
            _(
                "Tanda bahaya: %(signs)s. Belum disimpan dan belum dikirim: periksa nilainya; "
                "bila benar, konfirmasi (confirm_danger) agar %(target)s dibuat."
            )
            % {"signs": ", ".join(sign_labels(signs)), "target": target},
            field="confirm_danger",
        )


def _check_record(visit: Visit, data: RecordInput) -> str:
    if data.outcome not in VisitRecord.Outcome.values:
        raise InvalidInput(_("Hasil kunjungan tidak dikenal."), field="outcome")
    check_vitals(data)
    unknown = [s for s in data.danger_signs if s not in DANGER_SIGNS]
    if unknown:
        raise InvalidInput(_("Tanda bahaya tidak dikenal."), field="danger_signs")
    if data.next_visit and data.next_visit <= visit.date:
        raise InvalidInput(_("Kunjungan berikutnya harus setelah hari ini."), field="next_visit")
    return _clean(data.notes, "notes", _("Catatan"), 4000, required=False)


def _raise_escalation(actor: Actor, record: VisitRecord, signs: list[str]) -> Escalation:
    kind = escalation_kind(signs)
    escalation = Escalation.objects.create(
        record=record, facility=record.visit.facility, kind=kind, reasons=signs
    )
    record_audit(actor, "escalation.create", escalation, after={"kind": kind, "reasons": signs})
    return escalation


def record_visit(
    actor: Actor,
    visit: Visit,
    data: RecordInput,
    now: datetime | None = None,
    *,
    confirm_danger: bool = True,
) -> VisitRecord:
    """Record a visit (starting it if the worker did not press start); danger signs raise an
    escalation, which `hand_over_escalation` passes to referrals or PSC 119.

    Implausible vital signs are refused (`check_vitals`). The page and the API pass the
    nurse's answer as `confirm_danger` (False until she confirmed): with danger signs and no
    confirmation, `DangerUnconfirmed` is raised and nothing is written."""
    require_worker_or_staff(actor, visit)
    notes = _check_record(visit, data)
    now = now or timezone.now()
    signs = record_signs(data)
    if signs and not confirm_danger:
        raise DangerUnconfirmed(signs)
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).order_by().get(pk=visit.pk)
        if visit.status == VisitStatus.PLANNED:
            visit = move_visit(actor, visit, VisitStatus.STARTED, "", started_at=now)
        if visit.status != VisitStatus.STARTED:
            raise Conflict(_("Kunjungan ini tidak sedang berlangsung."), field="status")
        record = VisitRecord.objects.create(
            visit=visit, outcome=data.outcome, notes=notes, next_visit=data.next_visit,
            danger_signs=signs, recorded_by=actor.user, **_vitals(data),
        )  # fmt: skip
        visit = move_visit(actor, visit, VisitStatus.DONE, data.outcome, finished_at=now)
        plan = (
            CarePlan.objects.select_for_update(of=("self",)).order_by().get(pk=visit.care_plan_id)
        )
        plan.next_due = data.next_visit or visit.date + timedelta(days=plan.frequency_days)
        plan.save(update_fields=["next_due", "updated_at"])
        record_audit(
            actor, "visit.record", record, object_label=f"visit {visit.pk}",
            after={"outcome": data.outcome, "danger_signs": signs, "next_due": str(plan.next_due),
                   "danger_confirmed": bool(signs)},
        )  # fmt: skip
        if data.outcome == VisitRecord.Outcome.DIED:
            move_plan(actor, plan, PlanStatus.COMPLETED, data.outcome)
            move_request(actor, plan.request, RequestStatus.CLOSED, data.outcome)
        escalation = _raise_escalation(actor, record, signs) if signs else None
    if escalation is not None:
        hand_over_escalation(actor, escalation)
    return record


# --- correcting a record and withdrawing an escalation raised in error ------------------------

RECORD_FIELDS = (*VITAL_RANGES, "outcome", "notes", "next_visit", "danger_signs")
LIVE_ESCALATION = (Escalation.Status.OPEN, Escalation.Status.HANDED_OVER)


def is_author(actor: Actor, record: VisitRecord) -> bool:
    return bool(actor.user and record.recorded_by_id == actor.user.pk)


def _correction_hours() -> float:
    return getattr(settings, "SIGAP_HOMECARE_CORRECTION_HOURS", CORRECTION_HOURS)


def correction_deadline(record: VisitRecord) -> datetime:
    return record.created_at + timedelta(hours=_correction_hours())


def can_correct(actor: Actor, record: VisitRecord, now: datetime | None = None) -> bool:
    return is_author(actor, record) and (now or timezone.now()) <= correction_deadline(record)


def _record_values(record: VisitRecord) -> dict:
    """The correctable fields as JSON-friendly values (for the audit's before/after)."""
    out = {}
    for name in RECORD_FIELDS:
        value = getattr(record, name)
        if value is not None and not isinstance(value, (int, str, list)):
            value = str(value)
        out[name] = value
    return out


def correct_visit_record(
    actor: Actor,
    record: VisitRecord,
    data: RecordInput,
    reason: str,
    *,
    confirm_danger: bool = False,
    now: datetime | None = None,
) -> VisitRecord:
    """The record's author corrects it within `correction_deadline` (a typo in a vital sign,
    a wrong outcome). Audited with the reason and the changed fields before/after.

    New danger signs (not already escalated) need `confirm_danger` like a new record and then
    raise their own escalation. An escalation whose signs the correction removed is not
    withdrawn silently: the author withdraws it with `withdraw_escalation` and a reason.
    Death is not corrected here (it closed the care plan): to or from "died" is refused.
    The same correction sent twice changes nothing the second time."""
    now = now or timezone.now()
    if not is_author(actor, record):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat mengoreksinya."))
    if now > correction_deadline(record):
        raise Conflict(
            _("Batas waktu koreksi (%(h)s jam) sudah lewat; hubungi koordinator Puskesmas.")
            % {"h": int(_correction_hours())},
            field="reason",
        )
    visit = record.visit
    notes = _check_record(visit, data)
    reason = _clean(reason, "reason", _("Alasan koreksi"), 255)
    died = VisitRecord.Outcome.DIED
    if (record.outcome == died) != (data.outcome == died):
        raise Conflict(
            _("Hasil 'Meninggal' tidak dapat dikoreksi di sini; hubungi koordinator Puskesmas."),
            field="outcome",
        )
    signs = record_signs(data)
    with transaction.atomic():
        record = VisitRecord.objects.select_for_update(of=("self",)).order_by().get(pk=record.pk)
        record.visit = visit  # loaded above (a new escalation names its Puskesmas)
        escalated = set()
        for esc in record.escalations.filter(status__in=LIVE_ESCALATION):
            escalated |= set(esc.reasons)
        added = sorted(set(signs) - escalated)
        if added and not confirm_danger:
            raise DangerUnconfirmed(added)
        before = _record_values(record)
        for name, value in _vitals(data).items():
            setattr(record, name, value)
        record.outcome, record.notes, record.next_visit = data.outcome, notes, data.next_visit
        record.danger_signs = signs
        after = _record_values(record)
        changed = sorted(k for k in RECORD_FIELDS if before[k] != after[k])
        if not changed:
            return record
        record.save()
        if "next_visit" in changed:
            plan = (
                CarePlan.objects.select_for_update(of=("self",)).order_by()
                .get(pk=visit.care_plan_id)
            )  # fmt: skip
            later = plan.visits.filter(date__gt=visit.date).exclude(status=VisitStatus.CANCELLED)
            if plan.status in PLAN_EDITABLE and not later.exists():
                plan.next_due = data.next_visit or visit.date + timedelta(days=plan.frequency_days)
                plan.save(update_fields=["next_due", "updated_at"])
        record_audit(
            actor, "visit.correct", record, object_label=f"visit {visit.pk}",
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed} | {"reason": reason},
        )  # fmt: skip
        escalation = _raise_escalation(actor, record, added) if added else None
    if escalation is not None:
        hand_over_escalation(actor, escalation)
    return record


def stale_escalations(record: VisitRecord, escalations=None) -> list[Escalation]:
    """Live escalations with a sign the (corrected) record no longer has: candidates for
    withdrawal. `escalations`: the record's escalations when the caller already has them."""
    signs = set(record.danger_signs)
    if escalations is None:
        escalations = record.escalations.all()
    return [
        e for e in escalations
        if e.status in LIVE_ESCALATION and not set(e.reasons) <= signs
    ]  # fmt: skip


def _withdraw_target(actor: Actor, escalation: Escalation, reason: str, now: datetime) -> str:
    """Cancel what the escalation created, through the other capability's own transition
    function. Returns a label of what was withdrawn."""
    note = _("Ditarik oleh petugas perawatan rumah (salah catat): %(r)s") % {"r": reason}
    if escalation.handed_to_type == "referrals.referral":
        from sigap.referrals import services as referral_services
        from sigap.referrals.models import Referral

        referral = Referral.objects.filter(public_id=escalation.handed_to_id).first()
        if referral is None or referral.status == Referral.Status.CANCELLED:
            return escalation.handed_to
        if referral.status not in referral_services.TRANSITIONS["cancel"][0]:
            raise Conflict(
                _("Rujukan %(no)s sudah %(s)s dan tidak dapat ditarik; hubungi rumah sakit.")
                % {"no": referral.number, "s": referral.get_status_display()},
                field="escalation",
            )
        sender_actor = actor
        if actor.user is None or not facility_services.can_operate(actor.user, referral.sender):
            # the worker's own login is not always an operator of the Puskesmas (the same
            # hand-over identity create_from_homecare used to send it)
            sender_actor = Actor(user=None, channel="system",
                                 label=f"homecare:{actor.display}"[:150],
                                 remote_addr=actor.remote_addr)  # fmt: skip
        referral_services.cancel_referral(sender_actor, referral, reason=note[:255], now=now)
        return referral.number
    if escalation.handed_to_type == "emergency.incident":
        from sigap.emergency import services as emergency_services

        incident = emergency_services.withdraw_from_homecare(actor, escalation, note, now=now)
        return incident.number if incident is not None else escalation.handed_to
    raise Conflict(
        _("Tujuan eskalasi ini tidak dapat ditarik dari sini; hubungi penerimanya."),
        field="escalation",
    )


def withdraw_escalation(
    actor: Actor, escalation: Escalation, reason: str, *, now: datetime | None = None
) -> Escalation:
    """The author of the visit record withdraws an escalation raised in error, with a reason:
    an open one simply ends; a handed-over referral is cancelled through referrals'
    `cancel_referral` (the receiving hospital sees it cancelled with the reason); a PSC 119
    incident is cancelled while no unit is on its way (`emergency.services
    .withdraw_from_homecare`). All or nothing; audited. Returns the withdrawn escalation."""
    now = now or timezone.now()
    if not is_author(actor, escalation.record):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat menariknya."))
    reason = _clean(reason, "reason", _("Alasan penarikan"), 200)
    with transaction.atomic():
        locked = Escalation.objects.select_for_update(of=("self",)).order_by().get(pk=escalation.pk)
        if locked.status not in LIVE_ESCALATION:
            raise Conflict(
                _("Eskalasi ini sudah %(s)s.") % {"s": locked.get_status_display().lower()},
                field="escalation",
            )
        before = locked.status
        target = ""
        if before == Escalation.Status.HANDED_OVER:
            target = _withdraw_target(actor, locked, reason, now)
        locked.status = Escalation.Status.WITHDRAWN
        locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        record_audit(
            actor, "escalation.withdrawn", locked,
            before={"status": before},
            after={"status": locked.status, "reason": reason, "target": target},
        )  # fmt: skip
    return locked


HAND_OVER_TARGETS = {
    Escalation.Kind.REFERRAL: "sigap.referrals.services",
    Escalation.Kind.EMERGENCY: "sigap.emergency.services",
}


def hand_over_escalation(actor: Actor, escalation: Escalation) -> Escalation:
    """THE call point to the referral and emergency capabilities.

    Calls `create_from_homecare(actor, escalation)` of `sigap.referrals.services` (kind
    "referral") or `sigap.emergency.services` (kind "emergency") when it exists.

    What it passes:
    - `actor`: who recorded the visit (the worker, a `puskesmas_staff` operator of
      `escalation.facility`) or the staff member pressing "teruskan" in the inbox.
    - `escalation`: an `Escalation` row, status "open": `kind`, `reasons` (danger-sign codes;
      `sign_labels(escalation.reasons)` gives the labels), `facility` (the Puskesmas that
      refers), `public_id` (a stable reference: use it to refuse a second hand-over of the
      same escalation), `record` (the `VisitRecord`: vital signs, notes, outcome,
      `recorded_by`) and `record.visit.care_plan.request` (the patient: `nik`, `name`,
      `phone`, `address`, `village`, `latitude`, `longitude`, `need`).

    What it expects back: the object it created, a model instance with a `public_id` (the
    `Referral` or the `Incident`); its `str()` is shown and, when it has
    `get_absolute_url()`, the visit record links to it. `None` means "not taken": the
    escalation stays open. A raised error is not the visit's failure: the call runs in its
    own transaction after the visit record is saved (their rows and our mark commit together
    or not at all), the escalation stays open for staff in the inbox, and the error is
    audited. Until the function exists, escalations stay open in the Puskesmas inbox."""
    import importlib
    import logging

    try:
        module = importlib.import_module(HAND_OVER_TARGETS[escalation.kind])
    except ImportError:
        return escalation
    target = getattr(module, "create_from_homecare", None)
    if target is None:
        return escalation
    try:
        with transaction.atomic():
            # the row lock makes a second hand-over of the same escalation wait, then skip
            locked = (
                Escalation.objects.select_for_update(of=("self",)).order_by()
                .select_related("record__visit__care_plan__request", "facility")
                .get(pk=escalation.pk)
            )  # fmt: skip
            if locked.status != Escalation.Status.OPEN:
                escalation.refresh_from_db()
                return escalation
            ref = target(actor, locked)
            if ref is None:
                return escalation
            meta = getattr(ref, "_meta", None)
            locked.status = Escalation.Status.HANDED_OVER
            locked.handed_to = str(ref)[:100]
            locked.handed_to_type = meta.label_lower if meta is not None else ""
            locked.handed_to_id = getattr(ref, "public_id", None)
            locked.save(update_fields=["status", "handed_to", "handed_to_type",
                                       "handed_to_id", "updated_at"])  # fmt: skip
            record_audit(
                actor, "escalation.handed_over", locked,
                after={"to": locked.handed_to, "type": locked.handed_to_type,
                       "id": str(locked.handed_to_id or "")},
            )  # fmt: skip
    except Exception as exc:  # another capability's failure must not lose the visit record
        logging.getLogger(__name__).exception("hand-over of escalation %s failed", escalation.pk)
        record_audit(
            actor, "escalation.hand_over_failed", escalation,
            after={"error": f"{type(exc).__name__}: {exc}"[:255]},
        )  # fmt: skip
    escalation.refresh_from_db()
    return escalation


def retry_hand_over(actor: Actor, escalation: Escalation) -> Escalation:
    """Staff press "teruskan" on an open escalation (e.g. after the other side failed)."""
    require_staff(actor, escalation.facility)
    if escalation.status != Escalation.Status.OPEN:
        raise Conflict(_("Eskalasi ini sudah ditangani."))
    return hand_over_escalation(actor, escalation)


# Pages of the created object, by "app_label.model", for models without get_absolute_url.
# PSC 119 incidents have no page a Puskesmas may open: they show as text.
TARGET_PAGES = {"referrals.referral": "referrals:detail"}


def escalation_target(escalation: Escalation) -> tuple[str, str]:
    """(label, url) of what an escalation was handed to; url is "" when not linkable."""
    if not (escalation.handed_to_type and escalation.handed_to_id):
        return escalation.handed_to, ""
    from django.apps import apps

    try:
        model = apps.get_model(escalation.handed_to_type)
    except (LookupError, ValueError):
        return escalation.handed_to, ""
    obj = model._default_manager.filter(public_id=escalation.handed_to_id).first()
    url = ""
    if obj is None:
        return escalation.handed_to, url
    with contextlib.suppress(Exception):  # a broken link must not break the record page
        if hasattr(obj, "get_absolute_url"):
            url = obj.get_absolute_url()
        elif escalation.handed_to_type in TARGET_PAGES:
            from django.urls import reverse

            url = reverse(TARGET_PAGES[escalation.handed_to_type], args=[obj.public_id])
    return escalation.handed_to, url


def close_escalation(actor: Actor, escalation: Escalation, note: str) -> Escalation:
    require_staff(actor, escalation.facility)
    note = _clean(note, "note", _("Catatan"), 100)
    with transaction.atomic():
        done = Escalation.objects.filter(pk=escalation.pk, status=Escalation.Status.OPEN).update(
            status=Escalation.Status.HANDLED, handed_to=note
        )
        if not done:
            raise Conflict(_("Eskalasi ini sudah ditangani."))
        record_audit(actor, "escalation.handled", escalation, after={"note": note})
    escalation.refresh_from_db()
    return escalation


def coverage_status(nik: str) -> dict | None:
    """JKN status from the coverage capability, as {"status", "label"} for the eligibility
    page; None when SIGAP has no JKN data on this NIK."""
    from sigap.coverage.services import coverage_status as lookup

    try:
        found = lookup(nik)
    except Exception:  # another capability's failure must not break the eligibility page
        return None
    if found is None:
        return None
    if found.active:
        return {"status": "aktif", "label": _("JKN aktif (%(s)s)") % {"s": found.segment}}
    if found.covered:
        reason = found.inactive_reason or _("tanpa keterangan")
        return {"status": "nonaktif", "label": _("JKN tidak aktif: %(r)s") % {"r": reason}}
    if found.enrolment:
        return {"status": "didaftarkan", "label": _("Belum peserta JKN; sedang didaftarkan Pemda")}
    return {"status": "belum", "label": _("Belum peserta JKN")}


# --- Jemput Sakit Antar Sehat -----------------------------------------------------------------

PICKUP_SERVICE_S = 10 * 60  # help the patient into the car
DROPOFF_SERVICE_S = 5 * 60


@dataclass
class TripInput:
    direction: str
    destination_id: int
    nik: str
    name: str
    phone: str
    address: str
    village_code: str
    date: date
    appointment_at: datetime | None = None
    ready_at: datetime | None = None
    wheelchair: bool = False
    latitude: float | None = None
    longitude: float | None = None


def create_trip(actor: Actor, data: TripInput, *, is_synthetic: bool = False) -> TransportTrip:
    if actor.user is None and actor.channel != "system":
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if data.direction not in TransportTrip.Direction.values:
        raise InvalidInput(_("Arah perjalanan tidak dikenal."), field="direction")
    info = validate_nik(data.nik)
    name = _clean(data.name, "name", _("Nama"), 150)
    phone = _clean(data.phone, "phone", _("Nomor telepon"), 32)
    address = _clean(data.address, "address", _("Alamat"), 255)
    village = _village(data.village_code)
    lat, lon = _position(village, data.latitude, data.longitude)
    destination = Facility.objects.filter(pk=data.destination_id, is_active=True).first()
    if destination is None:
        raise InvalidInput(_("Fasilitas tujuan tidak dikenal."), field="destination_id")
    if data.direction == TransportTrip.Direction.TO_FACILITY and data.appointment_at is None:
        raise InvalidInput(_("Jam janji temu wajib diisi."), field="appointment_at")
    if data.direction == TransportTrip.Direction.TO_HOME and data.ready_at is None:
        raise InvalidInput(_("Jam siap pulang wajib diisi."), field="ready_at")
    base = puskesmas_for(village, lat, lon)
    if base is None:
        raise InvalidInput(
            _("Belum ada Puskesmas yang melayani wilayah ini."), field="village_code"
        )
    require_staff(actor, base)
    with transaction.atomic():
        trip = TransportTrip.objects.create(
            base=base, destination=destination, direction=data.direction, nik=info.nik,
            name=name, phone=phone, address=address, village=village, latitude=lat,
            longitude=lon, date=data.date, appointment_at=data.appointment_at,
            ready_at=data.ready_at, wheelchair=data.wheelchair, is_synthetic=is_synthetic,
        )  # fmt: skip
        record_audit(actor, "trip.create", trip, object_label=f"trip {trip.pk}",
                     after={"nik": mask_nik(info.nik), "direction": data.direction})  # fmt: skip
    return trip


# fleet: vehicles and drivers of a Puskesmas

PLATE_RE = re.compile(r"^[A-Z]{1,2} ?[0-9]{1,4}( ?[A-Z]{1,3})?$")
FLEET_OPEN_TRIPS = (TripStatus.SCHEDULED,)


@dataclass
class VehicleInput:
    name: str
    plate: str = ""
    seats: int = 1


@dataclass
class DriverInput:
    name: str
    shift_start: time
    shift_end: time
    phone: str = ""


def _unschedule(actor: Actor, trips, reason: str) -> int:
    """Scheduled trips (of `trips`) from today back to `unscheduled` for the next schedule."""
    return _move_each(
        trips.filter(status__in=FLEET_OPEN_TRIPS, date__gte=timezone.localdate()),
        lambda trip: move_trip(
            actor, trip, TripStatus.UNSCHEDULED, reason, vehicle=None, driver=None,
            planned_pickup=None, planned_dropoff=None,
        ),
    )  # fmt: skip


def save_vehicle(
    actor: Actor, facility: Facility, data: VehicleInput, vehicle: TransportVehicle | None = None
) -> TransportVehicle:
    """Add a vehicle to the Puskesmas's Jemput Sakit Antar Sehat fleet, or edit one. Fewer
    seats than before take its scheduled trips back to `unscheduled`."""
    require_staff(actor, facility)
    name = _clean(data.name, "name", _("Nama"), 100)
    plate = _clean(data.plate, "plate", _("Nomor polisi"), 16, required=False).upper()
    if plate and not PLATE_RE.match(plate):
        raise InvalidInput(_("Nomor polisi tidak sah (mis. H 1234 AB)."), field="plate")
    try:
        seats = int(data.seats)
    except (TypeError, ValueError):
        raise InvalidInput(_("Harus bilangan bulat."), field="seats") from None
    if not 1 <= seats <= 12:
        raise InvalidInput(_("Tempat duduk pasien 1 sampai 12."), field="seats")
    with transaction.atomic():
        if vehicle is None:
            vehicle = TransportVehicle.objects.create(
                facility=facility, name=name, plate=plate, seats=seats
            )
            record_audit(actor, "vehicle.create", vehicle, after={"name": name, "seats": seats})
            return vehicle
        vehicle = (
            TransportVehicle.objects.select_for_update(of=("self",))
            .order_by()
            .get(pk=vehicle.pk, facility=facility)
        )
        before = {"name": vehicle.name, "plate": vehicle.plate, "seats": vehicle.seats}
        vehicle.name, vehicle.plate, vehicle.seats = name, plate, seats
        vehicle.save()
        moved = 0
        if seats < before["seats"]:
            moved = _unschedule(actor, vehicle.trips.all(), _("kursi armada berkurang"))
        record_audit(actor, "vehicle.update", vehicle, before=before,
                     after={"name": name, "plate": plate, "seats": seats,
                            "unscheduled_trips": moved})  # fmt: skip
    return vehicle


def save_driver(
    actor: Actor, facility: Facility, data: DriverInput, driver: Driver | None = None
) -> Driver:
    """Add a driver or edit one (name, phone, shift). Scheduled trips outside a changed
    shift go back to `unscheduled`."""
    require_staff(actor, facility)
    name = _clean(data.name, "name", _("Nama"), 150)
    phone = _clean(data.phone, "phone", _("Telepon"), 32, required=False)
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="phone")
    if data.shift_start >= data.shift_end:
        raise InvalidInput(_("Jam mulai shift harus sebelum jam selesai."), field="shift_end")
    with transaction.atomic():
        if driver is None:
            driver = Driver.objects.create(
                facility=facility, name=name, phone=phone, shift_start=data.shift_start,
                shift_end=data.shift_end,
            )  # fmt: skip
            record_audit(
                actor,
                "driver.create",
                driver,
                after={"name": name, "shift": f"{data.shift_start}-{data.shift_end}"},
            )
            return driver
        driver = (
            Driver.objects.select_for_update(of=("self",))
            .order_by()
            .get(pk=driver.pk, facility=facility)
        )
        before = {"name": driver.name, "phone": driver.phone,
                  "shift": f"{driver.shift_start}-{driver.shift_end}"}  # fmt: skip
        driver.name, driver.phone = name, phone
        driver.shift_start, driver.shift_end = data.shift_start, data.shift_end
        driver.save()
        outside = [
            t.pk
            for t in driver.trips.filter(status__in=FLEET_OPEN_TRIPS)
            if _outside_shift(t.planned_pickup, t.planned_dropoff, data.shift_start, data.shift_end)
        ]
        moved = _unschedule(
            actor, TransportTrip.objects.filter(pk__in=outside), _("di luar shift pengemudi")
        )
        record_audit(actor, "driver.update", driver, before=before,
                     after={"name": name, "phone": phone,
                            "shift": f"{data.shift_start}-{data.shift_end}",
                            "unscheduled_trips": moved})  # fmt: skip
    return driver


def set_fleet_active(
    actor: Actor, item: TransportVehicle | Driver, active: bool
) -> TransportVehicle | Driver:
    """Deactivate or reactivate a vehicle or a driver (compare-and-set). The schedule uses
    only active ones; the scheduled trips of a deactivated one go back to `unscheduled`."""
    require_staff(actor, item.facility)
    model = type(item)
    kind = model._meta.model_name
    with transaction.atomic():
        _set_active(model, item.pk, active, _("Sudah aktif.") if active else _("Sudah nonaktif."))
        moved = 0
        if not active:
            moved = _unschedule(actor, item.trips.all(), _("armada/pengemudi nonaktif"))
        record_audit(
            actor, f"{kind}.{'activate' if active else 'deactivate'}", item,
            before={"is_active": not active},
            after={"is_active": active, "unscheduled_trips": moved},
        )  # fmt: skip
    item.refresh_from_db()
    return item


def trip_windows(
    trip: TransportTrip, midnight: datetime
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Pick-up and drop-off windows (seconds after midnight).

    To the facility: arrive between 45 and 10 minutes before the appointment, picked up at
    most 2.5 hours before it. Home after discharge: picked up within an hour of being ready,
    home within three hours."""
    if trip.direction == TransportTrip.Direction.TO_FACILITY:
        t = int((trip.appointment_at - midnight).total_seconds())
        return (t - 150 * 60, t - 25 * 60), (t - 45 * 60, t - 10 * 60)
    t = int((trip.ready_at - midnight).total_seconds())
    return (t, t + 60 * 60), (t, t + 180 * 60)


def schedule_transport(actor: Actor, base: Facility, day: date, *, seconds: float = 3.0) -> dict:
    """Build the day's schedule for one Puskesmas's cars: each pick-up before its drop-off,
    both inside their windows, seats respected (a wheelchair takes two), drivers' shifts."""
    require_staff(actor, base)
    midnight = _midnight(base, day)
    trips = list(
        TransportTrip.objects.filter(
            base=base, date=day, status__in=(TripStatus.REQUESTED, TripStatus.UNSCHEDULED,
                                             TripStatus.SCHEDULED)
        ).select_related("destination").order_by("pk")
    )  # fmt: skip
    vehicles = list(TransportVehicle.objects.filter(facility=base, is_active=True).order_by("pk"))
    drivers = list(Driver.objects.filter(facility=base, is_active=True).order_by("pk"))
    crews = list(zip(vehicles, drivers, strict=False))
    lats = [base.latitude]
    lons = [base.longitude]
    legs = []
    for t in trips:
        home = len(lats)
        lats.append(t.latitude)
        lons.append(t.longitude)
        fac = len(lats)
        lats.append(t.destination.latitude)
        lons.append(t.destination.longitude)
        pick_tw, drop_tw = trip_windows(t, midnight)
        if t.direction == TransportTrip.Direction.TO_FACILITY:
            frm, to = home, fac
        else:
            frm, to = fac, home
        legs.append(
            routing.Trip(
                key=t.pk, pickup_location=frm, delivery_location=to, pickup_tw=pick_tw,
                delivery_tw=drop_tw, pickup_service=PICKUP_SERVICE_S,
                delivery_service=DROPOFF_SERVICE_S, seats=2 if t.wheelchair else 1,
            )
        )  # fmt: skip
    import numpy as np

    # each driver's shift hours set the car's travel times (planning module docstring)
    shifts = [
        planning.WorkerSpec(i, frozenset(), "car", (_secs(d.shift_start), _secs(d.shift_end)))
        for i, (_v, d) in enumerate(crews)
    ]
    matrices, profile_of = planning.shift_profiles(
        np.array(lats), np.array(lons), shifts, get_estimator(), midnight
    )
    problem = routing.Problem(
        matrices=matrices,
        depots=[routing.DepotSpec(base.pk, 0, 0, 24 * 3600)],
        vehicles=[
            routing.Vehicle(
                key=i,
                depot=0,
                tw_early=_secs(d.shift_start),
                tw_late=_secs(d.shift_end),
                capacity=v.seats,
                profile=profile_of[i],
            )
            for i, (v, d) in enumerate(crews)
        ],  # fmt: skip
        trips=legs,
        coords=list(zip(lons, lats, strict=True)),
    )
    plan = routing.solve(problem, seconds)
    by_pk = {t.pk: t for t in trips}
    scheduled = 0
    with transaction.atomic():
        for route in plan.routes:
            vehicle, driver = crews[route.vehicle]
            pick = {a.key: a for a in route.activities if a.kind == "pickup"}
            drop = {a.key: a for a in route.activities if a.kind == "delivery"}
            for key, act in pick.items():
                trip = by_pk[key]
                fields = {
                    "vehicle": vehicle, "driver": driver,
                    "planned_pickup": midnight + timedelta(seconds=act.start),
                    "planned_dropoff": midnight + timedelta(seconds=drop[key].start),
                }  # fmt: skip
                if trip.status == TripStatus.SCHEDULED:
                    TransportTrip.objects.filter(pk=trip.pk, status=TripStatus.SCHEDULED).update(
                        **fields
                    )
                else:
                    move_trip(actor, trip, TripStatus.SCHEDULED, _("jadwal harian"), **fields)
                scheduled += 1
        for key in plan.unserved_trips:
            trip = by_pk[key]
            if trip.status != TripStatus.UNSCHEDULED:
                move_trip(
                    actor, trip, TripStatus.UNSCHEDULED, _("tidak ada armada yang cocok"),
                    vehicle=None, driver=None, planned_pickup=None, planned_dropoff=None,
                )  # fmt: skip
    return {"scheduled": scheduled, "unscheduled": len(plan.unserved_trips),
            "distance_km": round(plan.distance / 1000, 1)}  # fmt: skip


def get_visit(pk: int) -> Visit:
    visit = (
        Visit.objects.select_related("care_plan__request", "worker", "facility")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise NotFound(_("Kunjungan tidak ditemukan."))
    return visit
