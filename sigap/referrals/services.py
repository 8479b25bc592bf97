"""Referral operations: the only code that writes referrals. Every channel (pages, JSON API,
SISRUTE-compatible endpoints, emergency hand-off, demo, simulator) comes through here.

One transition table (`TRANSITIONS`) and one function that moves a referral (`_move`): a
compare-and-set on the current status, so two answers to the same referral at the same
moment give exactly one winner; the loser gets a Conflict and writes nothing.

The payer is used for one thing only: the room class of a held bed (`room_class_for`).
Deadlines, recommendations and escalation never look at it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.beds.models import BedClass, BedHold
from sigap.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    SigapError,
)
from sigap.core.models import Role, User
from sigap.core.services import Actor, record_audit, require_role
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, FacilityOperator, Service
from sigap.regions.services import mask_nik, validate_nik

from . import icd10
from .models import (
    FacilityWebhook,
    Referral,
    ReferralAnswer,
    ReferralDailyStat,
    ReferralEvent,
    ReferralReason,
    SisruteCredential,
)
from .signals import referral_moved

log = logging.getLogger("sigap.referrals")

S = Referral.Status
# action -> (statuses it may start from, status it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({S.SENT, S.ESCALATED}), S.ACCEPTED),
    "reject": (frozenset({S.SENT, S.ESCALATED}), S.REJECTED),
    "escalate": (frozenset({S.SENT}), S.ESCALATED),
    "redirect": (frozenset({S.REJECTED, S.ESCALATED}), S.SENT),
    "arrive": (frozenset({S.ACCEPTED}), S.ARRIVED),
    "close": (frozenset({S.ARRIVED}), S.CLOSED),
    "cancel": (frozenset({S.SENT, S.ESCALATED, S.REJECTED, S.ACCEPTED}), S.CANCELLED),
    "expire": (frozenset({S.ACCEPTED}), S.EXPIRED),
}
OPEN_STATUSES = (S.SENT, S.ESCALATED)
ACTIVE_STATUSES = (S.SENT, S.ESCALATED, S.ACCEPTED, S.ARRIVED, S.REJECTED)

SENDER_ROLES = (
    Role.PUSKESMAS_STAFF,
    Role.HOSPITAL_OPERATOR,
    Role.AMBULANCE_CREW,
    Role.PSC_CALL_TAKER,
    Role.DISPATCHER,
)
UNIT_ROLES = (Role.AMBULANCE_CREW, Role.PSC_CALL_TAKER, Role.DISPATCHER)  # no facility of their own
OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)
# channels whose caller was authenticated by a facility credential (the view checks that the
# credential's facility is the right one) or that run inside SIGAP itself
TRUSTED_CHANNELS = {"system", "cli", "sisrute"}

# ward classes: the only place where the payer matters (critical care is the same for all)
WARD_CLASSES = ("VVP", "VIP", "UTM", "KL1", "KL2", "KL3", "KRS")
JKN_CLASSES = ("KL1", "KL2", "KL3")
DEFAULT_ANSWER_MINUTES = {"emergency": 15, "elective": 24 * 60}
DEFAULT_ARRIVAL_HOURS = 24


def answer_minutes(urgency: str) -> int:
    """Answer deadline for an urgency, from settings (SIGAP_REFERRAL_ANSWER_MINUTES)."""
    configured = getattr(settings, "SIGAP_REFERRAL_ANSWER_MINUTES", {}) or {}
    return int(configured.get(urgency, DEFAULT_ANSWER_MINUTES[urgency]))


def arrival_hours() -> int:
    return int(getattr(settings, "SIGAP_REFERRAL_ARRIVAL_HOURS", DEFAULT_ARRIVAL_HOURS))


def room_class_for(payer: str, bed_class: str | None, jkn_class: str = "") -> str | None:
    """The class of the bed to hold. Critical care, delivery, isolation and IGD beds are the
    same for every payer; for a ward bed JKN PBI is class III, JKN non-PBI its entitlement,
    general and private-insurance patients the class asked for."""
    if not bed_class or bed_class not in WARD_CLASSES:
        return bed_class or None
    if payer == Referral.Payer.JKN_PBI:
        return "KL3"
    if payer == Referral.Payer.JKN_NON_PBI:
        return jkn_class if jkn_class in JKN_CLASSES else "KL3"
    return bed_class


# --- input ------------------------------------------------------------------------------


@dataclass
class ReferralInput:
    """A referral as a form, the JSON API or a SISRUTE bridge sends it (text values)."""

    receiver: str  # facility public id, or BPJS kodeppk / Kemenkes code (SISRUTE)
    kind: int | str
    urgency: str
    payer: str
    patient_name: str
    diagnosis: str
    reason: str
    sender: str = ""  # facility public id / code; empty for PSC 119 and ambulance crews
    sender_label: str = ""
    patient_nik: str = ""
    patient_jkn: str = ""
    patient_sex: str = ""
    patient_birth_date: str | date | None = None
    patient_birth_place: str = ""
    patient_mrn: str = ""
    patient_contact: str = ""
    patient_address: str = ""
    reason_text: str = ""
    doctor_nik: str = ""
    doctor_name: str = ""
    officer_nik: str = ""
    officer_name: str = ""
    anamnesis: str = ""
    consciousness: int | str = 1
    blood_pressure: str = ""
    pulse: int | str | None = None
    temperature: str | float | None = None
    respiration: int | str | None = None
    general_condition: str = ""
    pain: int | str = 0
    allergies: str = ""
    lab_results: str = ""
    radiology_results: str = ""
    therapy: str = ""
    service: str = ""
    bed_class: str = ""
    jkn_class: str = ""
    incident_ref: str = ""
    hold_bed: bool = False
    # a hand-over that knows the patient is in JKN but not the card number (home care): the
    # receiving hospital completes it
    jkn_card_pending: bool = False
    extra: dict = field(default_factory=dict)


_TEXT_LIMITS = {
    "patient_name": 120,
    "patient_birth_place": 64,
    "patient_mrn": 32,
    "patient_contact": 32,
    "patient_address": 255,
    "reason_text": 255,
    "doctor_name": 120,
    "officer_name": 120,
    "anamnesis": 4000,
    "blood_pressure": 16,
    "general_condition": 255,
    "allergies": 255,
    "lab_results": 4000,
    "radiology_results": 4000,
    "therapy": 4000,
    "sender_label": 200,
    "incident_ref": 100,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidInput(_("Isian ini harus berupa teks."), field=name)
    text = str(value).strip()
    if _CONTROL.search(text):
        raise InvalidInput(_("Isian ini berisi karakter yang tidak sah."), field=name)
    limit = _TEXT_LIMITS.get(name, 255)
    if len(text) > limit:
        raise InvalidInput(_("Paling panjang %(n)s karakter.") % {"n": limit}, field=name)
    return text


def _int(value: object, name: str, low: int, high: int, *, required: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_("Wajib diisi."), field=name)
        return None
    if isinstance(value, bool):
        raise InvalidInput(_("Harus bilangan bulat."), field=name)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(_("Harus bilangan bulat."), field=name) from None
    if not low <= number <= high:
        raise InvalidInput(_("Harus antara %(a)s dan %(b)s.") % {"a": low, "b": high}, field=name)
    return number


def _nik_like(value: str, name: str) -> str:
    value = _text(value, name)
    if value and not re.fullmatch(r"[0-9]{16}", value):
        raise InvalidInput(_("NIK harus terdiri dari 16 angka."), field=name)
    return value


def find_facility(ref: str, *, field_name: str) -> Facility:
    """A facility by public id, BPJS kodeppk or Kemenkes code (SISRUTE FASKES_TUJUAN)."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput(_("Wajib diisi."), field=field_name)
    qs = Facility.objects.filter(is_active=True).select_related("kind", "village")
    found = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", ref):
        try:
            found = qs.filter(public_id=ref).first()
        except ValueError:  # not a UUID after all
            found = None
    if found is None and len(ref) <= 20:
        found = qs.filter(Q(bpjs_kodeppk=ref) | Q(kemenkes_code=ref)).first()
    if found is None:
        raise InvalidInput(_("Fasilitas tidak dikenal."), field=field_name)
    return found


def clean_input(data: ReferralInput, *, today: date | None = None) -> dict:
    """Check everything and return model field values; raises InvalidInput (with the field)
    on the first problem. Nothing is written here."""
    values: dict = {}
    kind = _int(data.kind, "kind", 1, 3, required=True)
    values["kind"] = kind
    if data.urgency not in Referral.Urgency.values:
        raise InvalidInput(_("Urgensi tidak dikenal."), field="urgency")
    values["urgency"] = data.urgency
    if data.payer not in Referral.Payer.values:
        raise InvalidInput(_("Penjamin tidak dikenal."), field="payer")
    values["payer"] = data.payer
    for name in _TEXT_LIMITS:
        if name in ("sender_label",):
            continue
        values[name] = _text(getattr(data, name), name)
    if not values["patient_name"]:
        raise InvalidInput(_("Nama pasien wajib diisi."), field="patient_name")

    # identity: NIK required except for an emergency (an unknown patient brought in)
    nik = _text(data.patient_nik, "patient_nik")
    info = None
    if nik:
        try:
            info = validate_nik(nik, today=today)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="patient_nik") from None
    elif data.urgency != Referral.Urgency.EMERGENCY:
        raise InvalidInput(_("NIK pasien wajib diisi."), field="patient_nik")
    values["patient_nik"] = nik
    jkn = _text(data.patient_jkn, "patient_jkn")
    if jkn and not re.fullmatch(r"[0-9]{13}", jkn):
        raise InvalidInput(_("Nomor kartu JKN harus 13 angka."), field="patient_jkn")
    jkn_payer = data.payer in (Referral.Payer.JKN_PBI, Referral.Payer.JKN_NON_PBI)
    card_optional = data.urgency == Referral.Urgency.EMERGENCY or data.jkn_card_pending
    if jkn_payer and not jkn and not card_optional:
        raise InvalidInput(_("Nomor kartu JKN wajib untuk penjamin JKN."), field="patient_jkn")
    values["patient_jkn"] = jkn
    sex = (data.patient_sex or "").strip().upper()
    sex = {"1": "L", "2": "P"}.get(sex, sex)  # SISRUTE JENIS_KELAMIN 1 L / 2 P
    if sex and sex not in ("L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="patient_sex")
    values["patient_sex"] = sex or (info.sex if info else "")
    birth = data.patient_birth_date
    if isinstance(birth, str):
        birth = birth.strip()
        try:
            birth = date.fromisoformat(birth) if birth else None
        except ValueError:
            raise InvalidInput(
                _("Tanggal lahir harus YYYY-MM-DD."), field="patient_birth_date"
            ) from None
    if isinstance(birth, datetime):
        birth = birth.date()
    if birth is not None and birth > (today or timezone.localdate()):
        raise InvalidInput(_("Tanggal lahir ada di masa depan."), field="patient_birth_date")
    values["patient_birth_date"] = birth or (info.birth_date if info else None)
    values["doctor_nik"] = _nik_like(data.doctor_nik, "doctor_nik")
    values["officer_nik"] = _nik_like(data.officer_nik, "officer_nik")

    diagnosis = icd10.lookup(data.diagnosis or "")
    if diagnosis is None:
        raise InvalidInput(_("Kode diagnosis ICD-10 tidak dikenal."), field="diagnosis")
    values["diagnosis_code"], values["diagnosis_name"] = diagnosis.code, diagnosis.name[:255]
    reason = ReferralReason.objects.filter(code=(data.reason or "").strip()).first()
    if reason is None:
        raise InvalidInput(_("Alasan rujukan tidak dikenal."), field="reason")
    if reason.needs_text and not values["reason_text"]:
        raise InvalidInput(_("Jelaskan alasan rujukan."), field="reason_text")
    values["reason"] = reason

    values["consciousness"] = _int(data.consciousness, "consciousness", 1, 2) or 1
    values["pulse"] = _int(data.pulse, "pulse", 0, 300)
    values["respiration"] = _int(data.respiration, "respiration", 0, 120)
    values["pain"] = _int(data.pain, "pain", 0, 3) or 0
    if values["blood_pressure"] and not re.fullmatch(
        r"[0-9]{2,3}/[0-9]{2,3}", values["blood_pressure"]
    ):
        raise InvalidInput(_("Tekanan darah ditulis seperti 120/80."), field="blood_pressure")
    temp = data.temperature
    if temp is None or (isinstance(temp, str) and not temp.strip()):
        values["temperature"] = None
    else:
        try:
            t = Decimal(str(temp).strip().replace(",", ".")).quantize(Decimal("0.1"))
        except InvalidOperation:
            raise InvalidInput(_("Suhu harus angka, mis. 37.5."), field="temperature") from None
        # NaN passes quantize and cannot be compared: it is out of range too
        if not t.is_finite() or not Decimal("25") <= t <= Decimal("45"):
            raise InvalidInput(_("Suhu harus antara 25 dan 45 °C."), field="temperature")
        values["temperature"] = t

    service_code = (data.service or "").strip()
    values["service"] = None
    if service_code:
        values["service"] = Service.objects.filter(code=service_code).first()
        if values["service"] is None:
            raise InvalidInput(_("Layanan tidak dikenal."), field="service")
    bed_class = (data.bed_class or "").strip().upper()
    values["bed_class"] = None
    if bed_class:
        values["bed_class"] = BedClass.objects.filter(code=bed_class).first()
        if values["bed_class"] is None:
            raise InvalidInput(_("Kelas tempat tidur tidak dikenal."), field="bed_class")
    jkn_class = (data.jkn_class or "").strip().upper()
    if jkn_class and jkn_class not in JKN_CLASSES:
        raise InvalidInput(_("Hak kelas JKN harus KL1, KL2 atau KL3."), field="jkn_class")
    values["jkn_class"] = jkn_class
    room = room_class_for(data.payer, bed_class or None, jkn_class)
    values["room_class"] = BedClass.objects.filter(code=room).first() if room else None
    return values


# --- who may do what ----------------------------------------------------------------------


def is_office(user: User | None) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_admin_role or user.role == Role.ANALYST)
    )


def can_view(user: User | None, referral: Referral) -> bool:
    """Sender's facility, receiver's facility, the PSC user who sent it, health office."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.ANALYST:
        return user.covers_area(referral.receiver.village_id) or (
            referral.sender is not None and user.covers_area(referral.sender.village_id)
        )
    if referral.created_by_id == user.pk:
        return True
    if facility_services.can_operate(user, referral.receiver):
        return True
    return referral.sender is not None and facility_services.can_operate(user, referral.sender)


def require_view(actor: Actor, referral: Referral) -> None:
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if not can_view(actor.user, referral):
        raise NotFound(_("Rujukan tidak ditemukan."))  # do not reveal that it exists


def _require_receiver(actor: Actor, referral: Referral) -> None:
    if actor.user is None and actor.channel in TRUSTED_CHANNELS:
        return
    facility_services.require_operator(actor, referral.receiver)


def _require_sender_or_office(actor: Actor, referral: Referral) -> None:
    if actor.user is None and actor.channel in TRUSTED_CHANNELS:
        return
    user = actor.user
    if user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if is_office(user) and can_view(user, referral):
        return
    if referral.created_by_id == user.pk:
        return
    if referral.sender is not None and facility_services.can_operate(user, referral.sender):
        return
    raise Forbidden(_("Hanya pengirim atau Dinas Kesehatan yang dapat melakukan ini."))


# --- the one function that moves a referral ----------------------------------------------


def _move(
    actor: Actor,
    referral: Referral,
    action: str,
    *,
    now: datetime,
    note: str = "",
    **changes: object,
) -> Referral:
    """Compare-and-set the status along TRANSITIONS; record the event and the audit trail.
    Call inside a transaction. Raises Conflict when the referral is no longer where the
    caller saw it (someone else moved it first)."""
    sources, target = TRANSITIONS[action]
    before = referral.status
    if before not in sources:
        raise Conflict(
            _("Rujukan berstatus %(s)s; tindakan ini tidak dapat dilakukan.")
            % {"s": Referral.Status(before).label}
        )
    moved = Referral.objects.filter(
        pk=referral.pk, status=before, receiver_id=referral.receiver_id
    ).update(status=target, status_changed_at=now, updated_at=now, **changes)
    if not moved:
        raise Conflict(_("Rujukan ini baru saja diubah oleh pengguna lain; muat ulang."))
    receiver_before = referral.receiver_id
    referral.refresh_from_db()
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        action=action,
        from_status=before,
        to_status=target,
        facility_id=referral.receiver_id,
        actor_label=actor.display[:150],
        note=note[:255],
    )
    after = {"status": target, "note": note[:255]}
    if referral.receiver_id != receiver_before:
        after["receiver"] = referral.receiver_id
    record_audit(actor, f"referral.{action}", referral, before={"status": before}, after=after)
    referral_moved.send(
        sender=Referral, referral=referral, action=action, from_status=before, actor=actor, now=now
    )
    return referral


def _lock(referral: Referral) -> Referral:
    """The current row (a stale copy would make the compare-and-set fail needlessly on
    fields other than the status)."""
    fresh = Referral.objects.select_related("receiver", "sender").filter(pk=referral.pk).first()
    if fresh is None:
        raise NotFound(_("Rujukan tidak ditemukan."))
    return fresh


# --- answers and their statistics ---------------------------------------------------------


def _offered_at(referral: Referral) -> datetime:
    """When the current receiver got the referral (sent or redirected to it)."""
    last = (
        ReferralEvent.objects.filter(referral=referral, action__in=("send", "redirect"))
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    return last or referral.created_at


def _record_answer(referral: Referral, outcome: str, now: datetime) -> None:
    offered = _offered_at(referral)
    seconds = max(0, int((now - offered).total_seconds()))
    try:
        with transaction.atomic():
            ReferralAnswer.objects.create(
                referral=referral,
                facility_id=referral.receiver_id,
                payer=referral.payer,
                urgency=referral.urgency,
                outcome=outcome,
                offered_at=offered,
                answered_at=now,
                seconds=seconds,
            )
    except IntegrityError:
        return  # this offer already has its outcome (a late answer after a timeout)
    day = timezone.localdate(now)
    answered = outcome != ReferralAnswer.Outcome.TIMEOUT
    stat, _created = ReferralDailyStat.objects.get_or_create(
        facility_id=referral.receiver_id, day=day
    )
    ReferralDailyStat.objects.filter(pk=stat.pk).update(
        offers=F("offers") + 1,
        accepted=F("accepted") + (1 if outcome == ReferralAnswer.Outcome.ACCEPTED else 0),
        timeouts=F("timeouts") + (0 if answered else 1),
        answered=F("answered") + (1 if answered else 0),
        answer_seconds=F("answer_seconds") + (seconds if answered else 0),
    )


# --- notifications -------------------------------------------------------------------------


def _operators(facility: Facility | None) -> list[User]:
    if facility is None:
        return []
    ids = FacilityOperator.objects.filter(facility=facility).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _office_users(region_code: str) -> list[User]:
    users = User.objects.filter(role__in=OFFICE_ROLES, is_active=True)
    return [u for u in users if u.covers_area(region_code)]


def _link(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.public_id])


def _announce(
    users: Iterable[User | None], referral: Referral, kind: str, title: str, body: str = ""
) -> None:
    """In-app notifications; no patient data in the title or body (only the number)."""
    from sigap.core import notify as core_notify

    core_notify.notify(
        [u for u in users if u is not None],
        kind=kind,
        title=title,
        body=body,
        link=_link(referral),
        ref=referral.ref,
    )


def _page_hospital(referral: Referral, text: str) -> None:
    """An emergency referral also goes to the hospital's emergency phone (SMS channel) after
    the transaction commits; a failing channel must not undo the referral."""
    phone = referral.receiver.emergency_phone
    if not phone or referral.urgency != Referral.Urgency.EMERGENCY:
        return
    if referral.answer_due_at <= timezone.now():
        return  # replayed history (demo, imports): nobody to page any more
    from sigap.core import notify as core_notify

    def send() -> None:
        try:
            core_notify.send_external(
                "sms", phone, text, ref=referral.ref, payload={"referral": referral.number}
            )
        except SigapError as exc:
            log.warning("referral %s: SMS not sent: %s", referral.number, exc.message)

    transaction.on_commit(send)


# --- operations -----------------------------------------------------------------------------


def _new_number(now: datetime) -> str:
    # RJ + local date + 8 random hex digits: unique enough to retry on the rare collision
    return f"RJ{timezone.localtime(now):%y%m%d}{secrets.token_hex(4).upper()}"


def _check_receiver(receiver: Facility, sender: Facility | None) -> None:
    if receiver.kind_id != "rs":
        raise InvalidInput(_("Tujuan rujukan harus rumah sakit."), field="receiver")
    if sender is not None and receiver.pk == sender.pk:
        raise InvalidInput(_("Tujuan tidak boleh sama dengan pengirim."), field="receiver")


def send_referral(actor: Actor, data: ReferralInput, *, now: datetime | None = None) -> Referral:
    """Create and send a referral to the hospital the sender chose."""
    now = now or timezone.now()
    if actor.user is not None or actor.channel not in TRUSTED_CHANNELS:
        require_role(actor, *SENDER_ROLES)
    values = clean_input(data)
    sender = None
    if (data.sender or "").strip():
        sender = find_facility(data.sender, field_name="sender")
        if actor.user is not None:
            facility_services.require_operator(actor, sender)
        sender_label = sender.name
    else:
        user = actor.user
        if user is not None and not (user.is_admin_role or user.role in UNIT_ROLES):
            raise InvalidInput(_("Pilih fasilitas pengirim."), field="sender")
        sender_label = _text(data.sender_label, "sender_label") or _("PSC 119")
    receiver = find_facility(data.receiver, field_name="receiver")
    _check_receiver(receiver, sender)
    user = actor.user
    unit = user is not None and not user.is_admin_role and sender is None
    if unit and not user.covers_area(receiver.village_id):
        raise Forbidden(_("Wilayah ini di luar cakupan Anda."))
    due = now + timedelta(minutes=answer_minutes(values["urgency"]))
    # one transaction: a refused bed hold (or anything else) leaves nothing behind
    with transaction.atomic():
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    referral = Referral.objects.create(
                        number=_new_number(now),
                        status=S.SENT,
                        status_changed_at=now,
                        sender=sender,
                        sender_label=sender_label,
                        receiver=receiver,
                        created_by=actor.user,
                        answer_due_at=due,
                        **values,
                    )
                    break
            except IntegrityError:
                continue  # number collision: draw again
        else:
            raise Conflict(_("Nomor rujukan tidak dapat dibuat; coba lagi."))
        # created_at is set by the database clock; the offer starts at `now`
        Referral.objects.filter(pk=referral.pk).update(created_at=now)
        referral.created_at = now
        ReferralEvent.objects.create(
            referral=referral,
            at=now,
            action="send",
            from_status="",
            to_status=S.SENT,
            facility=receiver,
            actor_label=actor.display[:150],
        )
        record_audit(
            actor,
            "referral.send",
            referral,
            after={
                "number": referral.number,
                "receiver": receiver.pk,
                "kind": referral.kind,
                "urgency": referral.urgency,
                "payer": referral.payer,
                "diagnosis": referral.diagnosis_code,
                "patient_nik": mask_nik(referral.patient_nik),
            },
        )
        _announce(
            _operators(receiver),
            referral,
            "referral.sent",
            _("Rujukan baru %(no)s dari %(from)s") % {"no": referral.number, "from": sender_label},
            _("Jawab sebelum %(t)s.") % {"t": f"{timezone.localtime(due):%H:%M %d-%m-%Y}"},
        )
        _page_hospital(
            referral,
            _("SIGAP: rujukan gawat darurat %(no)s menunggu jawaban.") % {"no": referral.number},
        )
        if data.hold_bed:
            # only an emergency hand-off asks for a bed before the hospital answers
            referral = _hold_for(actor, referral, now=now, minutes=None)
        push_event(referral, "send", now=now)
    return referral


def _hold_for(actor: Actor, referral: Referral, *, now: datetime, minutes: int | None) -> Referral:
    if referral.room_class_id is None:
        raise InvalidInput(_("Pilih kelas tempat tidur yang dibutuhkan."), field="bed_class")
    hold = bed_services.hold_bed(
        actor,
        referral.receiver,
        referral.room_class_id,
        ref=referral.ref,
        minutes=minutes,
        sex=referral.patient_sex or None,
        now=now,
    )
    Referral.objects.filter(pk=referral.pk).update(bed_hold=hold, updated_at=now)
    referral.bed_hold = hold
    return referral


def answer_referral(
    actor: Actor,
    referral: Referral,
    *,
    accept: bool,
    note: str = "",
    hold_bed: bool = False,
    hold_minutes: int | None = None,
    now: datetime | None = None,
) -> Referral:
    """The receiving hospital accepts (optionally holding a bed of the room class) or rejects
    with a reason. Two answers at once: the compare-and-set lets exactly one through."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_receiver(actor, referral)
    note = _text(note, "note")[:255]
    if not accept and not note:
        raise InvalidInput(_("Tuliskan alasan penolakan."), field="note")
    with transaction.atomic():
        action = "accept" if accept else "reject"
        referral = _move(
            actor,
            referral,
            action,
            now=now,
            note=note,
            answered_at=now,
            answered_by=actor.display[:150],
            answer_note=note,
        )
        if accept and hold_bed and referral.bed_hold_id is None:
            # inside the same transaction: no free bed -> the acceptance is undone too
            referral = _hold_for(actor, referral, now=now, minutes=hold_minutes)
        elif not accept and referral.bed_hold_id:
            _release_hold(actor, referral, now, "rejected")
        _record_answer(
            referral,
            ReferralAnswer.Outcome.ACCEPTED if accept else ReferralAnswer.Outcome.REJECTED,
            now,
        )
        if not accept:
            proposal = _propose_next(referral, now)
            if proposal is not None:
                Referral.objects.filter(pk=referral.pk).update(proposed=proposal)
                referral.proposed = proposal
        title = (
            _("Rujukan %(no)s diterima oleh %(rs)s")
            if accept
            else _("Rujukan %(no)s ditolak oleh %(rs)s")
        ) % {"no": referral.number, "rs": referral.receiver.name}
        _announce(_sender_users(referral), referral, f"referral.{action}ed", title, note)
    return referral


def _sender_users(referral: Referral) -> list[User | None]:
    return [referral.created_by, *_operators(referral.sender)]


def _release_hold(actor: Actor, referral: Referral, now: datetime, reason: str) -> None:
    hold = referral.bed_hold
    if hold is None or hold.status != BedHold.Status.HELD:
        return
    with contextlib.suppress(Conflict):  # it expired or ended meanwhile
        bed_services.end_hold(actor, hold, BedHold.Status.RELEASED, reason=reason, now=now)


def record_arrival(actor: Actor, referral: Referral, *, now: datetime | None = None) -> Referral:
    """The patient arrived: the held bed becomes an occupied bed."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_receiver(actor, referral)
    with transaction.atomic():
        referral = _move(actor, referral, "arrive", now=now, arrived_at=now)
        hold = referral.bed_hold
        if hold is not None and hold.status == BedHold.Status.HELD:
            with contextlib.suppress(Conflict):  # expired just before: still arrived
                bed_services.end_hold(
                    actor, hold, BedHold.Status.ARRIVED, reason="arrived", now=now
                )
        _announce(
            _sender_users(referral),
            referral,
            "referral.arrived",
            _("Pasien rujukan %(no)s telah tiba") % {"no": referral.number},
        )
    return referral


def close_referral(
    actor: Actor, referral: Referral, *, back_referral: str, now: datetime | None = None
) -> Referral:
    """Close with a back-referral (rujuk balik) to the sender: what was done, what next."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_receiver(actor, referral)
    note = (back_referral or "").strip()
    if not note:
        raise InvalidInput(_("Tuliskan rujuk balik untuk pengirim."), field="back_referral")
    if len(note) > 4000 or _CONTROL.search(note):
        raise InvalidInput(_("Rujuk balik tidak sah atau terlalu panjang."), field="back_referral")
    with transaction.atomic():
        referral = _move(
            actor,
            referral,
            "close",
            now=now,
            note=_("rujuk balik"),
            closed_at=now,
            back_referral_note=note,
        )
        _announce(
            _sender_users(referral),
            referral,
            "referral.closed",
            _("Rujuk balik untuk rujukan %(no)s") % {"no": referral.number},
        )
    return referral


def cancel_referral(
    actor: Actor, referral: Referral, *, reason: str, now: datetime | None = None
) -> Referral:
    now = now or timezone.now()
    referral = _lock(referral)
    _require_sender_or_office(actor, referral)
    reason = _text(reason, "reason")
    if not reason:
        raise InvalidInput(_("Tuliskan alasan pembatalan."), field="reason")
    with transaction.atomic():
        referral = _move(actor, referral, "cancel", now=now, note=reason)
        _release_hold(actor, referral, now, "cancelled")
        _announce(
            _operators(referral.receiver),
            referral,
            "referral.cancelled",
            _("Rujukan %(no)s dibatalkan") % {"no": referral.number},
            reason,
        )
    return referral


def redirect_referral(
    actor: Actor, referral: Referral, to_facility: Facility, *, now: datetime | None = None
) -> Referral:
    """Send a rejected or escalated referral to another hospital, with a fresh deadline."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_sender_or_office(actor, referral)
    _check_receiver(to_facility, referral.sender)
    if to_facility.pk == referral.receiver_id:
        raise InvalidInput(_("Pilih rumah sakit lain."), field="receiver")
    if not to_facility.is_active:
        raise InvalidInput(_("Fasilitas tidak aktif."), field="receiver")
    with transaction.atomic():
        _release_hold(actor, referral, now, "redirected")
        referral = _move(
            actor,
            referral,
            "redirect",
            now=now,
            note=to_facility.name,
            receiver=to_facility,
            answer_due_at=now + timedelta(minutes=answer_minutes(referral.urgency)),
            answered_at=None,
            answered_by="",
            answer_note="",
            proposed=None,
            bed_hold=None,
            attempts=F("attempts") + 1,
        )
        _announce(
            _operators(to_facility),
            referral,
            "referral.sent",
            _("Rujukan baru %(no)s dari %(from)s")
            % {"no": referral.number, "from": referral.sender_label},
        )
        _page_hospital(
            referral,
            _("SIGAP: rujukan gawat darurat %(no)s menunggu jawaban.") % {"no": referral.number},
        )
    return referral


def _tried(referral: Referral) -> set[int]:
    return set(
        ReferralEvent.objects.filter(referral=referral, facility__isnull=False).values_list(
            "facility_id", flat=True
        )
    )


def _propose_next(referral: Referral, now: datetime) -> Facility | None:
    """The best hospital not yet tried, by the same ranking the sender saw."""
    from . import selectors

    origin = referral.sender or referral.receiver
    options = selectors.recommend(
        lat=origin.latitude,
        lon=origin.longitude,
        service=referral.service_id or "",
        bed_class=referral.room_class_id or "",
        exclude=_tried(referral) | ({referral.sender_id} if referral.sender_id else set()),
        limit=1,
        now=now,
    )
    if not options:
        return None
    return Facility.objects.filter(pk=options[0]["facility_id"]).first()


def escalate_overdue(now: datetime | None = None) -> dict[str, int]:
    """The worker's sweep: referrals past their answer deadline go to the health office with
    the next hospital proposed; accepted referrals whose patient never arrived expire."""
    now = now or timezone.now()
    actor = Actor.system("referral-sla")
    escalated = expired = 0
    overdue = Referral.objects.filter(status=S.SENT, answer_due_at__lte=now).select_related(
        "receiver", "sender"
    )
    for referral in overdue.order_by("answer_due_at")[:500]:
        try:
            with transaction.atomic():
                proposal = _propose_next(referral, now)
                referral = _move(
                    actor,
                    referral,
                    "escalate",
                    now=now,
                    note=_("tidak dijawab dalam batas waktu"),
                    escalated_at=now,
                    proposed=proposal,
                )
                _record_answer(referral, ReferralAnswer.Outcome.TIMEOUT, now)
                title = _("Eskalasi: rujukan %(no)s ke %(rs)s belum dijawab") % {
                    "no": referral.number,
                    "rs": referral.receiver.name,
                }
                body = (
                    _("Usulan rumah sakit berikutnya: %(rs)s") % {"rs": proposal.name}
                    if proposal
                    else _("Tidak ada rumah sakit lain yang sesuai.")
                )
                _announce(
                    [*_office_users(referral.receiver.village_id), *_sender_users(referral)],
                    referral,
                    "referral.escalated",
                    title,
                    body,
                )
            escalated += 1
        except Conflict:
            continue  # answered at the last moment
    stale = Referral.objects.filter(
        status=S.ACCEPTED, answered_at__lte=now - timedelta(hours=arrival_hours())
    ).select_related("receiver", "sender", "bed_hold")
    for referral in stale[:500]:
        try:
            with transaction.atomic():
                referral = _move(actor, referral, "expire", now=now, note=_("pasien tidak tiba"))
                _release_hold(actor, referral, now, "expired")
            expired += 1
        except Conflict:
            continue
    return {"escalated": escalated, "expired": expired}


def create_emergency_referral(
    actor: Actor,
    *,
    to_facility: Facility,
    incident_ref: str,
    patient_name: str,
    sex: str | None,
    age_years: int | None,
    complaint: str,
    triage: str,
    service_code: str | None,
    bed_class: str | None,
    hold_bed: bool,
    now: datetime | None = None,
) -> Referral:
    """The emergency hand-off as a referral (rawat darurat, sent by PSC 119 / the crew).
    The patient is often unidentified: no NIK; the age, when known, becomes an approximate
    birth date (1 July of the year). The complaint goes to the anamnesis, the triage colour
    to the general condition; ICD-10 R69 (unknown cause) until the hospital diagnoses."""
    now = now or timezone.now()
    if actor.user is not None:
        require_role(actor, *UNIT_ROLES)
    birth = None
    if age_years is not None:
        if not 0 <= age_years <= 130:
            raise InvalidInput(_("Umur harus 0-130 tahun."), field="age_years")
        birth = date(timezone.localdate(now).year - age_years, 7, 1)
    data = ReferralInput(
        receiver=str(to_facility.public_id),
        kind=Referral.Kind.INPATIENT,
        urgency=Referral.Urgency.EMERGENCY,
        payer=Referral.Payer.GENERAL,  # unknown at hand-off; the hospital corrects it
        patient_name=patient_name or _("Pasien tanpa identitas"),
        patient_sex=sex or "",
        patient_birth_date=birth,
        diagnosis="R69",
        reason="GD",
        reason_text="",
        anamnesis=complaint,
        general_condition=_("Triase: %(t)s") % {"t": triage},
        service=service_code or "",
        bed_class=bed_class or "",
        sender_label=_("PSC 119"),
        incident_ref=incident_ref,
        hold_bed=hold_bed,
    )
    return send_referral(actor, data, now=now)


# --- hand-over from home care ---------------------------------------------------------------

# danger sign (home care's codes) -> (ICD-10 code of the sign, service the patient needs);
# the code names the sign, not a diagnosis: the hospital diagnoses
HOMECARE_SIGNS: dict[str, tuple[str, str]] = {
    "bengkak_kaki_kepala": ("R60.0", "obstetri"),  # oedema + headache in pregnancy
    "tidak_mau_makan": ("R63.3", "kia"),  # child not eating or drinking
    "perdarahan": ("R58", "igd"),
    "penurunan_kesadaran": ("R40.2", "igd"),
    "kejang": ("R56.8", "igd"),
    "sesak_berat": ("R06.0", "igd"),
    "nyeri_dada": ("R07.4", "igd"),
    "saturasi_rendah": ("R09.0", "igd"),
    "tekanan_darah": ("R03.0", ""),
    "suhu": ("R50.9", ""),
    "nadi": ("R00.8", ""),
    "napas_cepat": ("R06.8", ""),
}


def _homecare_payer(nik: str) -> str:
    """The payer of a home-care patient from the coverage capability: active JKN PBI ->
    jkn_pbi, other active JKN -> jkn_non_pbi, else general."""
    from sigap.coverage.services import coverage_status

    found = coverage_status(nik)
    if found is None or not found.active:
        return Referral.Payer.GENERAL
    if found.segment.upper().startswith("PBI"):
        return Referral.Payer.JKN_PBI
    return Referral.Payer.JKN_NON_PBI


def create_from_homecare(actor: Actor, escalation: object, *, now: datetime | None = None):
    """Danger signs found on a home visit, as a referral from the Puskesmas (called by
    `sigap.homecare.services.hand_over_escalation` inside its transaction, the escalation row
    locked). The patient comes from the care request, the vital signs and notes from the visit
    record; the receiver is the first hospital `selectors.recommend` ranks for the service the
    signs need, from the patient's home; urgency: emergency for an emergency escalation,
    elective otherwise. Returns the Referral (the same one when the escalation was handed over
    before), or None when no hospital offers the service (the escalation stays open)."""
    from . import selectors

    now = now or timezone.now()
    incident_ref = f"homecare.escalation:{escalation.public_id}"
    done = Referral.objects.filter(incident_ref=incident_ref).first()
    if done is not None:
        return done
    record = escalation.record
    request = record.visit.care_plan.request
    sender: Facility = escalation.facility
    signs = [str(s) for s in (escalation.reasons or [])]
    emergency = escalation.kind == "emergency"
    known = [HOMECARE_SIGNS[s] for s in signs if s in HOMECARE_SIGNS]
    diagnosis = known[0][0] if known else "R69"
    services_needed = [svc for _code, svc in known if svc]
    service = services_needed[0] if services_needed else ("igd" if emergency else "")
    lat = getattr(request, "latitude", None) or sender.latitude
    lon = getattr(request, "longitude", None) or sender.longitude
    ranked = selectors.recommend(lat=lat, lon=lon, service=service, limit=1, now=now)
    if not ranked:
        return None
    try:
        from sigap.homecare.services import sign_labels

        labels = sign_labels(signs)
    except ImportError:
        labels = signs
    payer = _homecare_payer(request.nik)
    pressure = (
        f"{record.systolic}/{record.diastolic}" if record.systolic and record.diastolic else ""
    )
    # a staff member of the Puskesmas sends as themselves; anyone else (the worker's own login
    # is not always an operator of the facility) as the home-care hand-over, named after them
    user = actor.user
    if user is None or not facility_services.can_operate(user, sender):
        actor = Actor(
            user=None,
            channel="system",
            label=f"homecare:{actor.display}"[:150],
            remote_addr=actor.remote_addr,
        )
    data = ReferralInput(
        sender=str(sender.public_id),
        receiver=ranked[0]["id"],
        kind=Referral.Kind.INPATIENT if emergency else Referral.Kind.OUTPATIENT,
        urgency=Referral.Urgency.EMERGENCY if emergency else Referral.Urgency.ELECTIVE,
        payer=payer,
        patient_name=request.name,
        patient_nik=request.nik,
        patient_contact=request.phone,
        patient_address=request.address,
        diagnosis=diagnosis,
        reason="GD" if emergency else "SP",
        reason_text=", ".join(labels)[:255],
        anamnesis=(
            _("Tanda bahaya pada kunjungan rumah: %(s)s. Kebutuhan: %(n)s. Catatan: %(c)s")
            % {"s": ", ".join(labels), "n": request.need, "c": record.notes or "-"}
        ),
        blood_pressure=pressure,
        pulse=record.pulse,
        temperature=record.temperature,
        respiration=record.respiration,
        general_condition=str(record.get_outcome_display()),
        service=service,
        officer_name=str(getattr(record.recorded_by, "get_full_name", lambda: "")() or ""),
        incident_ref=incident_ref,
        jkn_card_pending=payer != Referral.Payer.GENERAL,
    )
    return send_referral(actor, data, now=now)


# --- per-facility SIMRS webhooks ----------------------------------------------------------

WEBHOOK_EVENTS = {
    "send": "referral.received",
    "accept": "referral.accepted",
    "reject": "referral.rejected",
    "escalate": "referral.escalated",
    "redirect": "referral.redirected",
    "arrive": "referral.arrived",
    "close": "referral.closed",
    "cancel": "referral.cancelled",
    "expire": "referral.expired",
}
# what a registration receives, as the API and the settings page list it
WEBHOOK_EVENT_NAMES = sorted(set(WEBHOOK_EVENTS.values()))


def register_webhook(actor: Actor, facility: Facility, url: str) -> tuple[FacilityWebhook, str]:
    """Point the facility's referral events at its SIMRS `url` with a new signing secret,
    returned once (the caller shows it once; a new registration replaces URL and secret)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from sigap.core import webhooks
    from sigap.core.models import WebhookEndpoint

    facility_services.require_operator(actor, facility)
    if facility.kind_id not in ("rs", "puskesmas"):
        raise InvalidInput(_("Hanya rumah sakit dan Puskesmas yang menerima rujukan."))
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(_("Alamat URL tidak sah (https://)."), field="url") from None
    if len(url) > 500:
        raise InvalidInput(_("Alamat URL terlalu panjang."), field="url")
    try:
        # https to a public address only (no SSRF); checked again at every delivery
        webhooks.check_url(url)
    except webhooks.UnsafeUrl as exc:
        raise InvalidInput(str(exc), field="url") from None
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        hook = (
            FacilityWebhook.objects.select_for_update()
            .select_related("endpoint")
            .filter(facility=facility)
            .first()
        )
        before = {"url": hook.endpoint.url} if hook is not None else None
        if hook is None:
            try:
                with transaction.atomic():
                    endpoint = WebhookEndpoint.objects.create(
                        name=f"SIMRS rujukan {facility.public_id}",
                        url=url,
                        secret=secret,
                        events=[],
                        owner_label=facility.name[:150],
                    )
                    hook = FacilityWebhook.objects.create(facility=facility, endpoint=endpoint)
            except IntegrityError:
                # two first registrations at once: the other one won
                msg = _("Webhook baru saja didaftarkan pengguna lain; muat ulang.")
                raise Conflict(msg) from None
        else:
            endpoint = hook.endpoint
            endpoint.url, endpoint.secret, endpoint.is_active = url, secret, True
            endpoint.save(update_fields=["url", "secret", "is_active", "updated_at"])
        record_audit(
            actor, "referral_webhook.register", hook, object_label=facility.name,
            before=before, after={"url": url},
        )  # fmt: skip
    return hook, secret


def remove_webhook(actor: Actor, facility: Facility) -> None:
    facility_services.require_operator(actor, facility)
    with transaction.atomic():
        hook = FacilityWebhook.objects.select_related("endpoint").filter(facility=facility).first()
        if hook is None:
            raise NotFound(_("Fasilitas ini belum mendaftarkan webhook."))
        record_audit(
            actor, "referral_webhook.remove", hook, object_label=facility.name,
            before={"url": hook.endpoint.url},
        )  # fmt: skip
        hook.endpoint.delete()  # cascades to the registration and its delivery log


def push_event(referral: Referral, action: str, *, now: datetime) -> int:
    """Queue the signed call of a referral event for the SIMRS of its sender and of its
    (current) receiver, nobody else's; in the caller's transaction, so a move that rolls
    back sends nothing. Returns the number of deliveries queued.

    The call carries the minimum - event, ids, status - and no personal data (no NIK, name,
    address, JKN number, clinical notes): the SIMRS fetches the referral with its API key
    from `detail` (or SISRUTE's `GET /sisrute/rujukan?nomor=`), where access is checked."""
    from sigap.core import webhooks

    event = WEBHOOK_EVENTS.get(action)
    if event is None:
        return 0
    ids = {referral.sender_id, referral.receiver_id} - {None}
    hooks = list(
        FacilityWebhook.objects.filter(facility_id__in=ids, endpoint__is_active=True)
        .select_related("endpoint", "facility")
        .order_by("pk")
    )
    if not hooks:
        return 0
    body = {
        "nomor": referral.number,
        "id": str(referral.public_id),
        "action": action,
        "status": referral.status,
        "at": now.isoformat(),
        "detail": f"/api/v1/referrals/referrals/{referral.public_id}",
    }
    queued = 0
    for hook in hooks:
        role = "receiver" if hook.facility_id == referral.receiver_id else "sender"
        delivery = webhooks.enqueue(
            hook.endpoint, event, {**body, "facility_role": role}, ref=referral.ref
        )
        queued += delivery is not None
    return queued


def on_referral_moved(
    sender: object, referral: Referral, action: str, now: datetime, **kwargs: object
) -> None:
    """`referral_moved` receiver: every move is pushed to the parties' SIMRS."""
    push_event(referral, action, now=now)


# --- SISRUTE credentials --------------------------------------------------------------------


def issue_sisrute_credential(actor: Actor, facility: Facility) -> tuple[SisruteCredential, str]:
    """A new cons-id and password for the facility's SIMRS bridge (the password is shown
    once; only its MD5, SISRUTE's signing key, is stored)."""
    if actor.user is not None or actor.channel not in TRUSTED_CHANNELS:
        facility_services.require_operator(actor, facility)
    password = secrets.token_urlsafe(18)
    digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    with transaction.atomic():
        existing = SisruteCredential.objects.filter(facility=facility).first()
        if existing is None:
            cred = SisruteCredential.objects.create(
                facility=facility,
                cons_id=f"SR{facility.pk:06d}{secrets.token_hex(2)}",
                password_md5=digest,
            )
        else:
            existing.password_md5, existing.is_active = digest, True
            existing.save(update_fields=["password_md5", "is_active", "updated_at"])
            cred = existing
        record_audit(
            actor, "referral.sisrute_credential.issue", facility, after={"cons_id": cred.cons_id}
        )
    return cred, password


def set_sisrute_password(
    actor: Actor, facility: Facility, cons_id: str, password: str
) -> SisruteCredential:
    """A fixed credential (demo, tests, a bridge configured with a known password)."""
    if actor.user is not None or actor.channel not in TRUSTED_CHANNELS:
        require_role(actor, Role.ADMIN)
    digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    with transaction.atomic():
        cred, _created = SisruteCredential.objects.update_or_create(
            facility=facility,
            defaults={"cons_id": cons_id, "password_md5": digest, "is_active": True},
        )
        record_audit(actor, "referral.sisrute_credential.set", facility, after={"cons_id": cons_id})
    return cred


def audit_download(actor: Actor, what: str, count: int, params: dict) -> None:
    """Every export of referral data is in the audit trail."""
    record_audit(
        actor,
        "referral.download",
        object_type="referrals.report",
        object_id=what,
        object_label=what,
        after={"rows": count, **params},
    )


UPDATABLE = (
    "kind",
    "urgency",
    "payer",
    "patient_mrn",
    "patient_nik",
    "patient_jkn",
    "patient_name",
    "patient_sex",
    "patient_birth_date",
    "patient_birth_place",
    "patient_contact",
    "patient_address",
    "diagnosis_code",
    "diagnosis_name",
    "reason",
    "reason_text",
    "doctor_nik",
    "doctor_name",
    "officer_nik",
    "officer_name",
    "anamnesis",
    "consciousness",
    "blood_pressure",
    "pulse",
    "temperature",
    "respiration",
    "general_condition",
    "pain",
    "allergies",
    "lab_results",
    "radiology_results",
    "therapy",
    "service",
    "bed_class",
    "jkn_class",
    "room_class",
)


AUDITED = ("diagnosis_code", "payer", "kind", "service_id", "bed_class_id", "room_class_id")


def update_referral(
    actor: Actor, referral: Referral, data: ReferralInput, *, now: datetime | None = None
) -> Referral:
    """The sender corrects a referral that is not answered yet (SISRUTE `PUT rujukan/{no}`).
    The receiver and the deadline stay; a new hospital is a redirect."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_sender_or_office(actor, referral)
    values = clean_input(data)
    if values["urgency"] != referral.urgency:
        raise InvalidInput(_("Urgensi tidak dapat diubah setelah dikirim."), field="urgency")
    changes = {k: values[k] for k in UPDATABLE if k in values}
    with transaction.atomic():
        updated = Referral.objects.filter(
            pk=referral.pk, status=S.SENT, receiver_id=referral.receiver_id
        ).update(updated_at=now, **changes)
        if not updated:
            raise Conflict(_("Rujukan sudah dijawab atau diubah; tidak dapat diperbarui."))
        before = {k: str(getattr(referral, k)) for k in AUDITED}
        referral.refresh_from_db()
        ReferralEvent.objects.create(
            referral=referral,
            at=now,
            action="update",
            from_status=S.SENT,
            to_status=S.SENT,
            facility_id=referral.receiver_id,
            actor_label=actor.display[:150],
        )
        record_audit(
            actor,
            "referral.update",
            referral,
            before=before,
            after={k: str(getattr(referral, k)) for k in AUDITED},
        )
    return referral


def renotify(actor: Actor, referral: Referral) -> None:
    """SISRUTE `notifrujukan`: remind the receiving hospital of a waiting referral."""
    referral = _lock(referral)
    _require_sender_or_office(actor, referral)
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("Rujukan ini tidak sedang menunggu jawaban."))
    with transaction.atomic():
        _announce(
            _operators(referral.receiver),
            referral,
            "referral.reminder",
            _("Pengingat: rujukan %(no)s menunggu jawaban") % {"no": referral.number},
        )
        record_audit(actor, "referral.notify", referral, after={"receiver": referral.receiver_id})
