"""Referrals that other capabilities hand over: the emergency hand-off (PSC 119 / the crew)
and danger signs found on a home visit."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor, Channel, require_role
from sigap.core.text import clip
from sigap.coverage.services import coverage_status
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.homecare.contracts import HandOver, Withdrawal

from .. import selectors
from ..models import Referral, ReferralEvent
from .inputs import ReferralInput
from .operations import cancel_referral, send_referral
from .rules import REFERRALS, UNIT_ROLES


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
    found = coverage_status(nik)
    if found is None or not found.active:
        return Referral.Payer.GENERAL
    if found.segment.upper().startswith("PBI"):
        return Referral.Payer.JKN_PBI
    return Referral.Payer.JKN_NON_PBI


def _homecare_sender(actor: Actor, sender: Facility, model: type) -> Actor:
    """A staff member of the Puskesmas acts as themselves; anyone else (the worker's own login
    is not always an operator of the facility) as the home-care hand-over, named after them."""
    if actor.user is not None and facility_services.can_operate(actor.user, sender):
        return actor
    return Actor(
        user=None,
        channel=Channel.SYSTEM,
        label=clip(f"homecare:{actor.display}", model, "actor_label"),
        remote_addr=actor.remote_addr,
    )


def create_from_homecare(
    actor: Actor, handover: HandOver, *, now: datetime | None = None
) -> Referral | None:
    """Danger signs found on a home visit, as a referral from the Puskesmas (home care's
    receiver for kind "referral", see docs/contracts.md; called inside home care's
    transaction, the escalation row locked). The patient, vital signs and notes come from the
    payload; the receiver is the first hospital `selectors.recommend` ranks for the service the
    signs need, from the patient's home; urgency: emergency for an emergency escalation,
    elective otherwise. Returns the Referral (the same one when the escalation was handed over
    before), or None when no hospital offers the service (the escalation stays open)."""
    now = now or timezone.now()
    incident_ref = f"homecare.escalation:{handover.escalation_id}"
    done = Referral.objects.filter(incident_ref=incident_ref).first()
    if done is not None:
        return done
    visit = handover.visit
    patient = handover.patient
    sender: Facility = handover.facility
    signs = list(handover.signs)
    emergency = handover.kind == "emergency"
    known = [HOMECARE_SIGNS[s] for s in signs if s in HOMECARE_SIGNS]
    diagnosis = known[0][0] if known else "R69"
    services_needed = [svc for _code, svc in known if svc]
    service = services_needed[0] if services_needed else ("igd" if emergency else "")
    lat = patient.latitude or sender.latitude
    lon = patient.longitude or sender.longitude
    ranked = selectors.recommend(lat=lat, lon=lon, service=service, limit=1, now=now)
    if not ranked:
        return None
    labels = list(handover.sign_labels)
    payer = _homecare_payer(patient.nik)
    pressure = f"{visit.systolic}/{visit.diastolic}" if visit.systolic and visit.diastolic else ""
    data = ReferralInput(
        sender=str(sender.public_id),
        receiver=ranked[0]["id"],
        kind=Referral.Kind.INPATIENT if emergency else Referral.Kind.OUTPATIENT,
        urgency=Referral.Urgency.EMERGENCY if emergency else Referral.Urgency.ELECTIVE,
        payer=payer,
        patient_name=patient.name,
        patient_nik=patient.nik,
        patient_contact=patient.phone,
        patient_address=patient.address,
        diagnosis=diagnosis,
        reason="GD" if emergency else "SP",
        reason_text=clip(", ".join(labels), Referral, "reason_text"),
        anamnesis=(
            _("Tanda bahaya pada kunjungan rumah: %(s)s. Kebutuhan: %(n)s. Catatan: %(c)s")
            % {"s": ", ".join(labels), "n": patient.need, "c": visit.notes or "-"}
        ),
        blood_pressure=pressure,
        pulse=visit.pulse,
        temperature=visit.temperature,
        respiration=visit.respiration,
        general_condition=visit.outcome_label,
        service=service,
        officer_name=visit.worker_full_name,
        incident_ref=incident_ref,
        jkn_card_pending=payer != Referral.Payer.GENERAL,
    )
    return send_referral(_homecare_sender(actor, sender, ReferralEvent), data, now=now)


def withdraw_from_homecare(actor: Actor, withdrawal: Withdrawal) -> str:
    """Cancel the referral a home-care escalation raised in error (home care's withdraw for
    "referrals.referral"; home care checked that the actor recorded the visit). Returns the
    referral number, or home care's label when it is gone or already cancelled. Conflict once
    the hospital has moved it past cancelling."""
    referral = Referral.objects.filter(public_id=withdrawal.target_id).first()
    if referral is None or referral.status == Referral.Status.CANCELLED:
        return withdrawal.target_label
    if referral.status not in REFERRALS.actions["cancel"][0]:
        raise Conflict(
            _("Rujukan %(no)s sudah %(s)s dan tidak dapat ditarik; hubungi rumah sakit.")
            % {"no": referral.number, "s": referral.get_status_display()},
            field="escalation",
        )
    sender = _homecare_sender(actor, referral.sender, AuditEvent)
    cancel_referral(
        sender, referral, reason=clip(withdrawal.note, ReferralEvent, "note"), now=withdrawal.now
    )
    return referral.number


def homecare_page_url(target_id: UUID) -> str:
    """The page of a referral created from a home-care escalation (home care's `page_url` for
    "referrals.referral"), "" when there is no such referral."""
    referral = Referral.objects.filter(public_id=target_id).only("public_id").first()
    return referral.get_absolute_url() if referral is not None else ""
