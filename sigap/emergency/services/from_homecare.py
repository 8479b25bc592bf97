"""Home care's emergencies: danger signs found on a home visit open an incident
(`create_from_homecare`), and an escalation raised in error withdraws it."""

from __future__ import annotations

import dataclasses

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from sigap.core.services import Actor, Channel
from sigap.core.text import clip
from sigap.facilities import services as facility_services
from sigap.homecare.contracts import HandOver, Withdrawal

from .. import areas, reference
from ..models import Incident
from ._text import NOTES_MAX, PHONE_RE, _label
from .incidents import _end_incident, _open_incident
from .intake import IncidentInput, validate_incident
from .transitions import I

# home-care danger signs -> the medical triage question a "yes" answers (reference.py)
HOMECARE_SIGN_ANSWERS = {
    "sesak_berat": "tidak_napas",
    "saturasi_rendah": "tidak_napas",
    "perdarahan": "perdarahan",
    "nyeri_dada": "nyeri_dada",
    "penurunan_kesadaran": "kesadaran_turun",
    "kejang": "kesadaran_turun",
}


def create_from_homecare(actor: Actor, handover: HandOver) -> Incident:
    """Danger signs found on a home visit that need an emergency (home care's receiver for
    kind "emergency", see docs/contracts.md): an incident at the patient's home, category
    medical, triaged from the signs (at least kuning), with the signs, vital signs and the
    visiting Puskesmas in the notes so the call-taker can call back. One incident per
    escalation: a second hand-over returns the first."""
    if handover.kind != "emergency":
        raise InvalidInput(_("Eskalasi ini bukan untuk gawat darurat."), field="kind")
    facility = handover.facility
    visit = handover.visit
    user = actor.user
    if user is None:
        if actor.channel not in {Channel.SYSTEM, Channel.CLI}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (
        user.is_admin_role
        or visit.worker_id == user.pk  # the worker who found the signs
        or facility_services.can_operate(user, facility)
    ):
        raise Forbidden(_("Hanya petugas Puskesmas yang merawat pasien ini."))
    ref = f"homecare:{handover.escalation_id}"
    existing = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if existing is not None:
        return existing
    patient = handover.patient
    answers = {
        HOMECARE_SIGN_ANSWERS[code]: True
        for code in handover.signs
        if code in HOMECARE_SIGN_ANSWERS
    }
    triage = reference.suggest_triage("medical", answers)
    if triage == "hijau":  # home care sent it as an emergency: never below kuning
        triage = "kuning"
    vitals = [
        f"{label} {value}"
        for label, value in (
            ("TD", f"{visit.systolic}/{visit.diastolic}" if visit.systolic else None),
            ("nadi", visit.pulse),
            ("napas", visit.respiration),
            ("suhu", visit.temperature),
            ("SpO2", visit.spo2),
        )
        if value is not None
    ]
    notes = "\n".join(
        line
        for line in (
            _("Dari perawatan rumah (%(f)s): tanda bahaya %(s)s.")
            % {"f": facility.name, "s": ", ".join(handover.sign_labels)},
            _("Pasien: %(n)s.") % {"n": patient.name},
            (_("Tanda vital: %(v)s.") % {"v": ", ".join(vitals)}) if vitals else "",
            visit.notes,
        )
        if line
    )
    caller = visit.worker_full_name or visit.worker_username
    data = IncidentInput(
        latitude=patient.latitude,
        longitude=patient.longitude,
        village_code=patient.village_code,
        address=clip(patient.address, Incident, "address"),
        caller_phone=patient.phone if PHONE_RE.match(patient.phone or "") else "",
        caller_name=clip(caller or facility.name, Incident, "caller_name"),
        category="medical",
        triage=triage,
        triage_answers=answers,
        notes=notes[:NOTES_MAX],
        source=Incident.Source.HOMECARE,
        partner_ref=ref,
    )
    cleaned, village = validate_incident(data)
    # the patient's home, on the console that serves it (see `areas`); a home SIGAP cannot
    # place goes to the Puskesmas' console, out of area
    placed = areas.place(cleaned.latitude, cleaned.longitude, village)
    if not placed.known:
        placed = dataclasses.replace(placed, console_area=facility.village_id[:4])
    return _open_incident(actor, cleaned, placed, timezone.now())


def withdraw_from_homecare(actor: Actor, withdrawal: Withdrawal) -> Incident | None:
    """Cancel the incident a home-care escalation raised in error (home care's withdraw for
    "emergency.incident"; home care checks that the actor recorded the visit). Only while no
    unit has been sent: once PSC 119 dispatched, the dispatcher decides (Conflict). None when
    the escalation raised no incident; an already cancelled one is returned as it is."""
    user = actor.user
    if user is None:
        if actor.channel not in {Channel.SYSTEM, Channel.CLI}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (user.is_admin_role or withdrawal.worker_id == user.pk):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat menariknya."))
    ref = f"homecare:{withdrawal.escalation_id}"
    incident = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if incident is None or incident.status == I.CANCELLED:
        return incident
    if incident.status != I.OPEN:
        raise Conflict(
            _("PSC 119 sudah menangani kejadian %(no)s (%(s)s); batalkan melalui PSC 119.")
            % {"no": incident.number, "s": _label(incident.status, I)},
            field="status",
        )
    reason = clip(withdrawal.note, Incident, "close_reason")
    return _end_incident(actor, incident, I.CANCELLED, reason, withdrawal.now)
