"""Home care's emergencies: danger signs found on a home visit open an incident
(`create_from_homecare`), and an escalation raised in error withdraws it."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from sigap.core.services import Actor, Channel
from sigap.facilities import services as facility_services
from sigap.homecare import services as homecare_services

from .. import areas, reference
from ..models import Incident
from ._text import NOTES_MAX, PHONE_RE, _label, clip
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


def create_from_homecare(actor: Actor, escalation) -> Incident:
    """Danger signs found on a home visit that need an emergency (called by home care's
    `hand_over_escalation`): an incident at the patient's home, category medical, triaged
    from the signs (at least kuning), with the signs, vital signs and the visiting
    Puskesmas in the notes so the call-taker can call back. One incident per escalation: a
    second hand-over returns the first."""
    if escalation.kind != "emergency":
        raise InvalidInput(_("Eskalasi ini bukan untuk gawat darurat."), field="kind")
    user = actor.user
    if user is None:
        if actor.channel not in {Channel.SYSTEM, Channel.CLI}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (
        user.is_admin_role
        or escalation.record.recorded_by_id == user.pk  # the worker who found the signs
        or facility_services.can_operate(user, escalation.facility)
    ):
        raise Forbidden(_("Hanya petugas Puskesmas yang merawat pasien ini."))
    ref = f"homecare:{escalation.public_id}"
    existing = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if existing is not None:
        return existing
    record = escalation.record
    patient = record.visit.care_plan.request
    answers = {
        HOMECARE_SIGN_ANSWERS[code]: True
        for code in escalation.reasons
        if code in HOMECARE_SIGN_ANSWERS
    }
    triage = reference.suggest_triage("medical", answers)
    if triage == "hijau":  # home care sent it as an emergency: never below kuning
        triage = "kuning"
    vitals = [
        f"{label} {value}"
        for label, value in (
            ("TD", f"{record.systolic}/{record.diastolic}" if record.systolic else None),
            ("nadi", record.pulse),
            ("napas", record.respiration),
            ("suhu", record.temperature),
            ("SpO2", record.spo2),
        )
        if value is not None
    ]
    notes = "\n".join(
        line
        for line in (
            _("Dari perawatan rumah (%(f)s): tanda bahaya %(s)s.")
            % {
                "f": escalation.facility.name,
                "s": ", ".join(homecare_services.sign_labels(list(escalation.reasons))),
            },
            _("Pasien: %(n)s.") % {"n": patient.name},
            (_("Tanda vital: %(v)s.") % {"v": ", ".join(vitals)}) if vitals else "",
            record.notes,
        )
        if line
    )
    worker = record.recorded_by
    caller = (worker.get_full_name() or worker.get_username()) if worker else ""
    data = IncidentInput(
        latitude=patient.latitude,
        longitude=patient.longitude,
        village_code=patient.village_id or "",
        address=clip(patient.address, Incident, "address"),
        caller_phone=patient.phone if PHONE_RE.match(patient.phone or "") else "",
        caller_name=clip(caller or escalation.facility.name, Incident, "caller_name"),
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
        placed = dataclasses.replace(placed, console_area=escalation.facility.village_id[:4])
    return _open_incident(actor, cleaned, placed, timezone.now())


def withdraw_from_homecare(
    actor: Actor, escalation, reason: str, *, now: datetime | None = None
) -> Incident | None:
    """Cancel the incident a home-care escalation raised in error (called by home care's
    `withdraw_escalation`, which checks that the actor recorded the visit). Only while no
    unit has been sent: once PSC 119 dispatched, the dispatcher decides (Conflict). None when
    the escalation raised no incident; an already cancelled one is returned as it is."""
    user = actor.user
    if user is None:
        if actor.channel not in {Channel.SYSTEM, Channel.CLI}:
            raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    elif not (user.is_admin_role or escalation.record.recorded_by_id == user.pk):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat menariknya."))
    ref = f"homecare:{escalation.public_id}"
    incident = Incident.objects.filter(source=Incident.Source.HOMECARE, partner_ref=ref).first()
    if incident is None or incident.status == I.CANCELLED:
        return incident
    if incident.status != I.OPEN:
        raise Conflict(
            _("PSC 119 sudah menangani kejadian %(no)s (%(s)s); batalkan melalui PSC 119.")
            % {"no": incident.number, "s": _label(incident.status, I)},
            field="status",
        )
    return _end_incident(actor, incident, I.CANCELLED, clip(reason, Incident, "close_reason"), now)
