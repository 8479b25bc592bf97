"""Referrals that other capabilities hand over: the emergency hand-off (PSC 119 / the crew)
and danger signs found on a home visit."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.services import Actor, Channel, require_role
from sigap.coverage.services import coverage_status
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility

from .. import selectors
from ..models import Referral, ReferralEvent
from ._fields import clip
from .inputs import ReferralInput
from .operations import send_referral
from .rules import UNIT_ROLES


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


def create_from_homecare(actor: Actor, escalation: object, *, now: datetime | None = None):
    """Danger signs found on a home visit, as a referral from the Puskesmas (called by
    `sigap.homecare.services.hand_over_escalation` inside its transaction, the escalation row
    locked). The patient comes from the care request, the vital signs and notes from the visit
    record; the receiver is the first hospital `selectors.recommend` ranks for the service the
    signs need, from the patient's home; urgency: emergency for an emergency escalation,
    elective otherwise. Returns the Referral (the same one when the escalation was handed over
    before), or None when no hospital offers the service (the escalation stays open)."""
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
        # local: home care imports this package (withdrawing a hand-over cancels the
        # referral), so a top-level import here would close a homecare <-> referrals cycle
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
            channel=Channel.SYSTEM,
            label=clip(f"homecare:{actor.display}", ReferralEvent, "actor_label"),
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
        reason_text=clip(", ".join(labels), Referral, "reason_text"),
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
