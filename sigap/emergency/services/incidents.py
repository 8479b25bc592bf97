"""The incident workflow: opening an incident from a call, an SOS or a partner system,
repeat calls, re-triage, and `move_incident`, the one function that changes its status."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput, NotFound
from sigap.core.services import Actor, record_audit, require_area, require_role
from sigap.core.text import clip, max_length

from .. import areas, reference
from ..models import Assignment, Incident, IncidentCall

# units and incidents move each other (a unit's move drives its incident, closing an
# incident releases its units): imported as a module to break the import cycle
from . import units
from ._text import NOTES_MAX, _clean_text, _normal_phone
from .agencies import request_agencies
from .handoffs import move_handoff
from .intake import IncidentInput, callback_phone, place_call
from .transitions import CALL_ROLES, INCIDENT_TIME, INCIDENTS, H, I

NUMBER_RE = re.compile(r"GD[0-9]{6}-[0-9A-F]{6}")


def _incident_number(now: datetime) -> str:
    # the local date, as call-takers read it (a call at 05:00 WIB is not "yesterday")
    return f"GD{timezone.localtime(now):%y%m%d}-{secrets.token_hex(3).upper()}"


def create_incident(actor: Actor, data: IncidentInput, *, now: datetime | None = None) -> Incident:
    """Open an incident from a call, an SOS or a partner system; asks the agencies its
    category needs. Bad input raises before anything is written. Every incident is stored
    under an area that a console shows (`areas`)."""
    if data.source == Incident.Source.HOMECARE:
        raise InvalidInput(_("Sumber tidak dikenal."), field="source")  # create_from_homecare
    if data.source != Incident.Source.SOS:
        # SOS is public: anyone may press it (the API limits it per address)
        require_role(actor, *CALL_ROLES)
    cleaned, placed = place_call(actor, data)
    if data.source != Incident.Source.SOS and not placed.out_of_area:
        require_area(actor, placed.village.code if placed.village else placed.console_area)
    return _open_incident(actor, cleaned, placed, now or timezone.now())


def submit_sos(actor: Actor, data: IncidentInput) -> tuple[Incident, bool]:
    """The public SOS button: (incident, created). The page's idempotency key makes one
    press one incident: the same key again (a second press, a retry, two requests at once)
    answers the incident the first one opened; the key with another phone is refused. The
    number of victims is the one the note names (reference.triage_from_text), else 1."""
    data.source = Incident.Source.SOS
    data.caller_phone = callback_phone(data.caller_phone)
    data.victims = reference.triage_from_text(data.notes).victims or 1
    key = data.idempotency_key
    if key:
        existing = _sos_by_key(key, data.caller_phone)
        if existing is not None:
            return existing, False
    try:
        return create_incident(actor, data), True
    except IntegrityError:
        existing = _sos_by_key(key, data.caller_phone) if key else None
        if existing is None:
            raise
        return existing, False


def _sos_by_key(key: str, phone: str) -> Incident | None:
    inc = Incident.objects.filter(idempotency_key=key).first()
    if inc is not None and _normal_phone(inc.caller_phone) != _normal_phone(phone):
        raise InvalidInput(
            _("Kunci permintaan ini sudah dipakai untuk permintaan lain."),
            field="idempotency_key",
            code="idempotency_mismatch",
        )
    return inc


def _open_incident(
    actor: Actor, cleaned: IncidentInput, placed: areas.Placement, now: datetime
) -> Incident:
    village = placed.village
    with transaction.atomic():
        inc = Incident.objects.create(
            number=_incident_number(now),
            area_code=placed.console_area,
            out_of_area=placed.out_of_area,
            responsible_area=placed.regency_code if placed.out_of_area else "",
            idempotency_key=cleaned.idempotency_key,
            source=cleaned.source,
            caller_phone=cleaned.caller_phone,
            caller_name=cleaned.caller_name,
            latitude=cleaned.latitude,
            longitude=cleaned.longitude,
            village=village,
            address=cleaned.address,
            category=cleaned.category,
            triage=cleaned.triage,
            triage_answers=cleaned.triage_answers,
            victims=cleaned.victims,
            notes=cleaned.notes,
            service_needed=cleaned.service_needed,
            agencies_needed=cleaned.agencies,
            partner_ref=cleaned.partner_ref,
            created_by=actor.user,
            received_at=now,
        )
        IncidentCall.objects.create(
            incident=inc, phone=cleaned.caller_phone, at=now, taken_by=actor.user
        )
        record_audit(actor, "emergency.incident.create", inc, after=incident_snapshot(inc))
        if cleaned.agencies:
            request_agencies(actor, inc, cleaned.agencies, now=now)
    return inc


def add_call(
    actor: Actor,
    incident: Incident,
    *,
    phone: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """A repeat call the call-taker confirmed is about an existing incident."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    phone = _clean_text(phone, "caller_phone", max_length(IncidentCall, "phone"))
    note = _clean_text(note, "note", max_length(IncidentCall, "note"))
    now = now or timezone.now()
    with transaction.atomic():
        IncidentCall.objects.create(
            incident=incident, phone=phone, note=note, at=now, taken_by=actor.user
        )
        Incident.objects.filter(pk=incident.pk).update(
            call_count=F("call_count") + 1, updated_at=now
        )
        incident.refresh_from_db()
        record_audit(actor, "emergency.incident.repeat_call", incident, after={"note": note})
    return incident


def update_triage(
    actor: Actor,
    incident: Incident,
    *,
    triage: str,
    answers: dict | None = None,
    victims: int | None = None,
    notes: str | None = None,
    reason: str = "",
) -> Incident:
    """Re-triage after more information (the colour may go up or down); `reason` (why the
    colour changed) goes into the audit record."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    if triage not in reference.TRIAGE:
        raise InvalidInput(_("Warna triase tidak dikenal."), field="triage")
    if victims is not None and not (isinstance(victims, int) and 1 <= victims <= 500):
        raise InvalidInput(_("Jumlah korban 1-500."), field="victims")
    before = incident_snapshot(incident)
    with transaction.atomic():
        incident.triage = triage
        if answers is not None:
            keys = {q["key"] for q in reference.triage_questions(incident.category)}
            incident.triage_answers = {k: bool(v) for k, v in answers.items() if k in keys}
        if victims is not None:
            incident.victims = victims
        if notes is not None:
            incident.notes = _clean_text(notes, "notes", NOTES_MAX)
        incident.save(update_fields=["triage", "triage_answers", "victims", "notes", "updated_at"])
        record_audit(
            actor,
            "emergency.incident.triage",
            incident,
            before=before,
            after={**incident_snapshot(incident), **({"reason": reason} if reason else {})},
        )
    return incident


def incident_snapshot(inc: Incident) -> dict[str, Any]:
    return {
        "number": inc.number,
        "status": inc.status,
        "category": inc.category,
        "triage": inc.triage,
        "victims": inc.victims,
        "village": inc.village_id,
        "lat": inc.latitude,
        "lon": inc.longitude,
        "out_of_area": inc.out_of_area,
        "responsible_area": inc.responsible_area,
    }


def move_incident(
    actor: Actor,
    incident: Incident,
    to: str,
    *,
    reason: str = "",
    now: datetime | None = None,
    only_forward: bool = False,
) -> bool:
    """The one function that changes an incident's status (INCIDENTS.move, a compare-and-set
    on the status it reads now). With `only_forward`, a move the table does not allow is
    skipped quietly (a second unit reaching the scene); otherwise it raises Conflict."""
    now = now or timezone.now()
    time_field = INCIDENT_TIME.get(to)
    fields = ["status"] + ([time_field] if time_field else [])
    row = Incident.objects.filter(pk=incident.pk).values(*fields).first()
    if row is None:
        raise NotFound(_("Kejadian tidak ditemukan."))
    current = row["status"]
    if only_forward and not INCIDENTS.can(current, to):
        return False
    changes: dict[str, Any] = {}
    # the first unit sets a phase time; later ones do not move it (closing always stamps)
    if time_field and (time_field == "closed_at" or row[time_field] is None):
        changes[time_field] = now
    clipped = clip(reason, Incident, "close_reason")
    if to in (I.CLOSED, I.CANCELLED):
        changes["close_reason"] = clipped
    incident.status = current
    INCIDENTS.move(
        actor,
        incident,
        to,
        now=now,
        changes=changes,
        audit={"reason": clipped},
        stale=_("Kejadian baru saja diubah orang lain; muat ulang."),
    )
    incident.refresh_from_db()
    return True


def close_incident(
    actor: Actor,
    incident: Incident,
    *,
    reason: str = "",
    cancel: bool = False,
    now: datetime | None = None,
) -> Incident:
    """Close (or cancel) an incident; active units are released first."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    return _end_incident(actor, incident, I.CANCELLED if cancel else I.CLOSED, reason, now)


def _end_incident(
    actor: Actor, incident: Incident, to: str, reason: str, now: datetime | None
) -> Incident:
    """Release the active units, cancel the open hand-offs, then close or cancel; one
    transaction. The callers check who may."""
    with transaction.atomic():
        # the incident ends first, with its own reason: a unit called off after it does not
        # close it again as "penanganan selesai"
        if incident.status not in (I.CLOSED, I.CANCELLED):
            move_incident(actor, incident, to, reason=reason, now=now)
        for a in incident.assignments.filter(status=Assignment.Status.ACTIVE).select_related(
            "unit"
        ):
            units.cancel_assignment(actor, a, reason=reason or _("kejadian ditutup"), now=now)
        for h in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED]):
            move_handoff(actor, h, H.CANCELLED, reason=reason or _("kejadian ditutup"), now=now)
        incident.refresh_from_db()
    return incident
