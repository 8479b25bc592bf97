"""The hospital hand-off workflow: announcing the patient to a hospital as an emergency
referral (with a bed hold where the hospital allows), `move_handoff`, the one function that
moves a hand-off, and keeping it in step with its referral."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.errors import Conflict, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor, Channel, record_audit, require_area, require_role
from sigap.core.text import clip
from sigap.core.travel import get_estimator
from sigap.core.workflow import ILLEGAL_TRANSITION, STALE
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.referrals import services as referral_services

from .. import reference
from ..models import Assignment, Handoff, Incident, Unit
from ._text import _clean_text
from .transitions import DISPATCH_ROLES, HANDOFFS, H, I


def create_handoff(
    actor: Actor,
    incident: Incident,
    hospital: Facility,
    *,
    unit: Unit | None = None,
    eta_minutes: float | None = None,
    summary: str = "",
    bed_class: str = "",
    hold_bed: bool = False,
    now: datetime | None = None,
) -> Handoff:
    """Announce the patient to a hospital as an emergency referral, in one transaction: the
    hospital answers it in its referral inbox (with the answer clock) and, where it allows,
    the referral holds a bed of `bed_class` until arrival (a hold that cannot be taken is
    reported on the hand-off, not fatal). A previous open hand-off is cancelled with its
    referral."""
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, incident.area_code)
    if hospital.kind_id != Kind.HOSPITAL or not hospital.is_active:
        raise InvalidInput(_("Tujuan harus rumah sakit yang aktif."), field="hospital")
    if incident.status in (I.CLOSED, I.CANCELLED):
        raise Conflict(_("Kejadian sudah ditutup."), field="incident")
    if incident.handoffs.filter(status=H.ARRIVED).exists():
        raise Conflict(
            _("Pasien sudah diserahkan ke RS."), code=ILLEGAL_TRANSITION, field="hospital"
        )
    summary = _clean_text(summary, "patient_summary", 2000)
    if eta_minutes is not None and not (0 <= eta_minutes <= 24 * 60):
        raise InvalidInput(_("Perkiraan tiba tidak sah."), field="eta_minutes")
    if unit is None:
        a = (
            incident.assignments.filter(status=Assignment.Status.ACTIVE)
            .select_related("unit")
            .first()
        )
        unit = a.unit if a else None
    now = now or timezone.now()
    if eta_minutes is None:
        origin = unit or incident
        eta_minutes = float(
            get_estimator().minutes(
                origin.latitude, origin.longitude, hospital.latitude, hospital.longitude, at=now
            )
        )
    bed_class = (bed_class or "").strip().upper()
    with transaction.atomic():
        for old in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED]):
            move_handoff(actor, old, H.CANCELLED, reason=_("tujuan diganti"), now=now)
        # a rejected referral still waits in the sender's list: the new hospital replaces it
        for old in incident.handoffs.filter(status=H.REJECTED, referral__isnull=False):
            _cancel_referral(actor, old, _("tujuan diganti"), now)
        referral, hold_problem = _send_referral(
            actor, incident, hospital, summary, bed_class, hold_bed and bool(bed_class), now
        )
        handoff = Handoff.objects.create(
            incident=incident,
            hospital=hospital,
            unit=unit,
            status=H.PENDING,
            eta_at=now + timedelta(minutes=eta_minutes),
            patient_summary=summary,
            bed_class=bed_class,
            bed_hold_id=referral.bed_hold_id,  # the referral's hold, shown on the hand-off
            referral=referral,
            ended_reason=clip(hold_problem, Handoff, "ended_reason"),
        )
        record_audit(
            actor,
            "emergency.handoff.create",
            handoff,
            after={
                "incident": incident.number,
                "hospital": hospital.name,
                "referral": referral.number,
                "bed_hold": bool(handoff.bed_hold_id),
            },
        )
    return handoff


def _send_referral(
    actor: Actor,
    incident: Incident,
    hospital: Facility,
    summary: str,
    bed_class: str,
    hold_bed: bool,
    now: datetime,
):
    """The emergency referral for a hand-off; when the bed hold is refused (no free bed, the
    hospital takes no holds) the referral goes without it and the reason comes back."""
    # Ambulances cross kab/kota borders: a hospital outside the dispatcher's own area (which
    # referrals would refuse to a unit role) is sent on the centre's behalf, labelled with
    # the dispatcher, who was checked for the incident above.
    user = actor.user
    sender = actor if user is None or user.covers_area(hospital.village_id) else _system_for(actor)

    def send(hold: bool):
        return referral_services.create_emergency_referral(
            sender,
            to_facility=hospital,
            incident_ref=incident.number,
            patient_name="",
            sex=None,
            age_years=None,
            complaint=summary
            or incident.notes[:500]
            or str(dict(reference.CATEGORIES).get(incident.category, incident.category)),
            triage=incident.triage,
            service_code=incident.service_needed,
            bed_class=bed_class or None,
            hold_bed=hold,
            now=now,
        )

    if hold_bed:
        try:
            with transaction.atomic():
                return send(True), ""
        except (Conflict, InvalidInput) as exc:
            problem = str(exc.message)
        return send(False), problem
    return send(False), ""


def _system_for(actor: Actor) -> Actor:
    """The referral moves that the emergency centre makes on behalf of an authorised
    dispatcher or crew (already checked here), labelled with who it was."""
    return Actor(
        user=None,
        channel=Channel.SYSTEM,
        label=clip(f"PSC 119: {actor.display}", AuditEvent, "actor_label"),
        remote_addr=actor.remote_addr,
    )


def _unit_at_hospital(actor: Actor, h: Handoff, now: datetime) -> None:
    """The crew reports arrival: a referral the hospital accepted records the arrival (its
    bed hold becomes an occupied bed, the hand-off follows); one still unanswered waits for
    the hospital, which receives the patient in its referral inbox."""
    if h.referral_id is None:
        move_handoff(actor, h, H.ARRIVED, reason=_("ambulans tiba di RS"), now=now)
        return
    state = referral_services.referral_state(pk=h.referral_id)
    if state is not None and state.allows("arrive"):  # accepted
        referral_services.record_arrival(_system_for(actor), h.referral, now=now)


def _cancel_referral(actor: Actor, handoff: Handoff, reason: str, now: datetime) -> None:
    state = referral_services.referral_state(pk=handoff.referral_id)
    if state is None or not state.allows("cancel"):
        return
    referral_services.cancel_referral(
        _system_for(actor), handoff.referral, reason=reason or _("dibatalkan PSC"), now=now
    )


def move_handoff(
    actor: Actor, handoff: Handoff, to: str, *, reason: str = "", now: datetime | None = None
) -> Handoff:
    """The one function that moves a hand-off. Cancelling it here cancels its referral (which
    releases the referral's bed hold); a hand-off without a referral ends its own hold."""
    stale = _("Serah terima baru saja diubah; muat ulang.")
    current = Handoff.objects.filter(pk=handoff.pk).values_list("status", flat=True).first()
    if current is None:
        raise Conflict(stale, code=STALE)
    now = now or timezone.now()
    changes: dict[str, Any] = {}
    if to == H.ACKNOWLEDGED:
        changes.update(acknowledged_at=now, acknowledged_by=actor.user)
    if to == H.ARRIVED:
        changes["arrived_at"] = now
    clipped = clip(reason, Handoff, "ended_reason")
    if reason:
        changes["ended_reason"] = clipped
    with transaction.atomic():
        handoff.status = current
        HANDOFFS.move(
            actor,
            handoff,
            to,
            now=now,
            changes=changes,
            audit={"reason": clipped},
            stale=stale,
        )
        handoff.refresh_from_db()
        if handoff.referral_id:
            if to == H.CANCELLED:
                _cancel_referral(actor, handoff, reason, now)
        elif handoff.bed_hold_id and to in (H.ARRIVED, H.CANCELLED):
            bed_services.finish_hold(
                actor, handoff.bed_hold_id, arrived=to == H.ARRIVED,
                reason=reason or handoff.incident.number, now=now,
            )  # fmt: skip
    return handoff


# referral action -> the hand-off status it means ("cancel" by someone other than the
# emergency centre, an accepted patient who never came, a refusal: another hospital is needed)
REFERRAL_MOVES_HANDOFF = {
    "accept": H.ACKNOWLEDGED,
    "arrive": H.ARRIVED,
    "reject": H.REJECTED,
    "cancel": H.REJECTED,
    "expire": H.REJECTED,
}


def follow_referral(
    referral, action: str, from_status: str, actor: Actor, now: datetime, **_kw: Any
) -> Handoff | None:
    """Keep a hand-off in step with its referral (connected to `referral_moved`, so it runs
    inside the transaction that moved the referral). A move the hand-off already made (the
    centre cancelled it first) is skipped."""
    if action == "redirect":
        return _follow_redirect(referral, actor, now)
    to = REFERRAL_MOVES_HANDOFF.get(action)
    if to is None:
        return None
    handoff = (
        Handoff.objects.filter(referral_id=referral.pk, status__in=[H.PENDING, H.ACKNOWLEDGED])
        .select_related("incident")
        .first()
    )
    if handoff is None or not HANDOFFS.can(handoff.status, to):
        return None
    reason = {
        "accept": "",
        "arrive": _("pasien tiba di RS"),
        "reject": _("ditolak RS: %(n)s") % {"n": referral.answer_note or "-"},
        "cancel": _("rujukan dibatalkan"),
        "expire": _("rujukan kedaluwarsa, pasien tidak tiba"),
    }[action]
    return move_handoff(actor, handoff, to, reason=reason, now=now)


def _follow_redirect(referral, actor: Actor, now: datetime) -> Handoff | None:
    """The health office sent an unanswered (escalated) referral to another hospital: the
    open hand-off follows it there (the old hold went with the redirect)."""
    handoff = Handoff.objects.filter(
        referral_id=referral.pk, status__in=[H.PENDING, H.ACKNOWLEDGED]
    ).first()
    if handoff is None or handoff.hospital_id == referral.receiver_id:
        return None
    before = handoff.hospital_id
    Handoff.objects.filter(pk=handoff.pk).update(
        hospital_id=referral.receiver_id, bed_hold=None, updated_at=now
    )
    handoff.refresh_from_db()
    record_audit(
        actor,
        "emergency.handoff.redirect",
        handoff,
        before={"hospital": before},
        after={"hospital": handoff.hospital_id, "referral": referral.number},
    )
    return handoff


def hospital_handoff_action(actor: Actor, handoff: Handoff, to: str) -> Handoff:
    """The hospital operator acknowledges the incoming patient or records the arrival: the
    answer goes to the referral (accept / arrive), whose move moves the hand-off."""
    facility_services.require_operator(actor, handoff.hospital)
    if to not in (H.ACKNOWLEDGED, H.ARRIVED):
        raise InvalidInput(_("Aksi tidak dikenal."), field="status")
    if handoff.referral_id is None:
        return move_handoff(actor, handoff, to)
    referral = handoff.referral  # selected with the hand-off by the API
    with transaction.atomic():
        if referral_services.state_of(referral).allows("accept"):
            referral = referral_services.answer_referral(actor, referral, accept=True)
        if to == H.ARRIVED:
            referral_services.record_arrival(actor, referral)
    handoff.refresh_from_db()
    return handoff
