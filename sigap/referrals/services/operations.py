"""The referral's life from the sender's and the hospital's side: send, answer (with a bed
hold), arrival, back-referral, cancel, redirect, correction and reminder."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.services import Actor, record_audit, require_role
from sigap.core.text import clip, max_length
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.services import mask_nik

from ..models import Referral, ReferralAnswer, ReferralEvent
from ._fields import CONTROL_CHARS, LONG_TEXT, check_staff_id, check_text
from .access import _require_receiver, _require_sender_or_office
from .escalation import _propose_next
from .facility_webhooks import push_event
from .holds import _hold_for, _release_hold
from .inputs import ReferralInput, clean_input, find_facility
from .notifications import _announce, _operators, _page_hospital, _sender_users
from .rules import OPEN_STATUSES, SENDER_ROLES, TRUSTED_CHANNELS, UNIT_ROLES, S, answer_minutes
from .workflow import _lock, _move, _record_answer


def _new_number(now: datetime) -> str:
    # RJ + local date + 8 random hex digits: unique enough to retry on the rare collision
    return f"RJ{timezone.localtime(now):%y%m%d}{secrets.token_hex(4).upper()}"


def _check_receiver(receiver: Facility, sender: Facility | None) -> None:
    if receiver.kind_id != Kind.HOSPITAL:
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
        sender_label = check_text(data.sender_label, "sender_label") or _("PSC 119")
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
            actor_label=clip(actor.display, ReferralEvent, "actor_label"),
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


def answer_referral(
    actor: Actor,
    referral: Referral,
    *,
    accept: bool,
    note: str = "",
    hold_bed: bool = False,
    hold_minutes: int | None = None,
    now: datetime | None = None,
    officer_id: str = "",
    officer_name: str = "",
) -> Referral:
    """The receiving hospital accepts (optionally holding a bed of the room class) or rejects
    with a reason. Two answers at once: the compare-and-set lets exactly one through.
    `officer_id`/`officer_name`: the answering officer as the answering system names them
    (SISRUTE's `PETUGAS`), kept as sent."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_receiver(actor, referral)
    note = clip(check_text(note, "note"), Referral, "answer_note")
    officer_id = check_staff_id(
        officer_id, "answer_officer_id", max_length(Referral, "answer_officer_id")
    )
    officer_name = clip(
        check_text(officer_name, "answer_officer_name"), Referral, "answer_officer_name"
    )
    if not (officer_id or officer_name) and actor.user is not None:
        # answered on SIGAP's page or API: the officer is the signed-in user
        officer_id = clip(actor.user.get_username(), Referral, "answer_officer_id")
        officer_name = clip(actor.user.get_full_name(), Referral, "answer_officer_name")
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
            answered_by=clip(actor.display, Referral, "answered_by"),
            answer_officer_id=officer_id,
            answer_officer_name=officer_name,
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


def record_arrival(actor: Actor, referral: Referral, *, now: datetime | None = None) -> Referral:
    """The patient arrived: the held bed becomes an occupied bed."""
    now = now or timezone.now()
    referral = _lock(referral)
    _require_receiver(actor, referral)
    with transaction.atomic():
        referral = _move(actor, referral, "arrive", now=now, arrived_at=now)
        # a hold that expired just before stays expired: the patient still arrived
        bed_services.finish_hold(actor, referral.bed_hold, arrived=True, reason="arrived", now=now)
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
    if len(note) > LONG_TEXT or CONTROL_CHARS.search(note):
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
    reason = check_text(reason, "reason")
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
            answer_officer_id="",
            answer_officer_name="",
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


# --- corrections and reminders (SISRUTE PUT rujukan, notifrujukan) -------------------------

# fields the sender may correct before the referral is answered
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
            actor_label=clip(actor.display, ReferralEvent, "actor_label"),
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
