"""Requests: intake (public form, staff, other capabilities), eligibility, JKN status,
decline and cancellation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit
from sigap.core.text import max_length
from sigap.core.travel import haversine_km
from sigap.coverage import services as coverage_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import mask_nik, validate_nik

from ..models import CarePlan, HomecareRequest, PlanStatus, RequestStatus, TargetGroup
from ._input import PHONE_RE, _clean, _position, _reason, _village
from .access import require_staff
from .flows import _cancel_open_visits, move_plan, move_request


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


def puskesmas_for(village: Region, lat: float, lon: float) -> Facility | None:
    """The Puskesmas whose catchment holds the kelurahan; if none has it in its catchment,
    the nearest active Puskesmas of the same kabupaten/kota."""
    base = Facility.objects.filter(kind_id=Kind.PUSKESMAS, is_active=True)
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
    if source == HomecareRequest.Source.STAFF and actor.channel != Channel.SYSTEM:
        if actor.user is None or not (
            actor.user.is_admin_role or actor.user.role == Role.PUSKESMAS_STAFF
        ):
            raise Forbidden(_("Hanya petugas Puskesmas yang dapat membuat permintaan ini."))
    elif (
        source != HomecareRequest.Source.PUBLIC
        and actor.user is None
        and actor.channel != Channel.SYSTEM
    ):
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    source_ref = _clean(
        source_ref, "source_ref", "Referensi", max_length(HomecareRequest, "source_ref"), False
    )
    if source_ref:
        existing = HomecareRequest.objects.filter(source=source, source_ref=source_ref).first()
        if existing is not None:
            return existing
    info = validate_nik(data.nik)
    name = _clean(data.name, "name", _("Nama"), max_length(HomecareRequest, "name"))
    phone = _clean(data.phone, "phone", _("Nomor telepon"), max_length(HomecareRequest, "phone"))
    if not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="phone")
    address = _clean(data.address, "address", _("Alamat"), max_length(HomecareRequest, "address"))
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


def coverage_status(nik: str) -> dict | None:
    """JKN status from the coverage capability, as {"status", "label"} for the eligibility
    page; None when SIGAP has no JKN data on this NIK."""
    try:
        found = coverage_services.coverage_status(nik)
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
