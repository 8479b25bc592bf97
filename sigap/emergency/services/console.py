"""What the dispatcher does from the console besides sending a unit: re-triage with a reason,
hand a matter to police, fire, PMI or BPBD by choice, and end an incident with a reason from
the reference list. Each is one transaction through the existing moves (`update_triage`,
`request_agencies`, `close_incident`, `move_incident`), audited, 4xx on bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.services import Actor, record_audit, require_area, require_role
from sigap.core.text import max_length
from sigap.core.workflow import ILLEGAL_TRANSITION

from .. import reference
from ..models import Assignment, Incident, IncidentAgency
from ._text import _clean_text, _label
from .agencies import request_agencies
from .incidents import close_incident, move_incident, update_triage
from .transitions import CALL_ROLES, INCIDENTS, I

REASON_MAX = 200
ENDED = (I.CLOSED, I.CANCELLED)


def _fresh_open(incident: Incident) -> Incident:
    incident.refresh_from_db()
    if incident.status in ENDED:
        raise Conflict(
            _("Kejadian %(n)s sudah %(s)s.")
            % {"n": incident.number, "s": _label(incident.status, I)},
            code=ILLEGAL_TRANSITION,
            field="incident",
        )
    return incident


def _reason(text: str, *, required: bool = True) -> str:
    cleaned = _clean_text(text, "reason", REASON_MAX)
    if required and len(cleaned) < 3:
        raise InvalidInput(_("Tulis alasannya (paling sedikit 3 huruf)."), field="reason")
    return cleaned


def retriage(actor: Actor, incident: Incident, *, triage: str, reason: str) -> Incident:
    """Change the triage colour with the reason the dispatcher gives; the queue, sorted by
    colour, follows. The same colour again is refused (nothing to change)."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    if triage not in reference.TRIAGE:
        raise InvalidInput(_("Warna triase tidak dikenal."), field="triage")
    reason = _reason(reason)
    with transaction.atomic():
        incident = _fresh_open(incident)
        if incident.triage == triage:
            raise InvalidInput(
                _("Triase sudah %(t)s.") % {"t": reference.TRIAGE[triage][0]}, field="triage"
            )
        return update_triage(actor, incident, triage=triage, reason=reason)


@dataclass(frozen=True)
class AgencyHandover:
    requests: list[IncidentAgency]
    created: int  # how many requests this call made (0: all had been made before)


def hand_to_agency(
    actor: Actor,
    incident: Incident,
    *,
    kind: str,
    reason: str = "",
    ambulance_needed: bool = True,
    now: datetime | None = None,
) -> AgencyHandover:
    """Hand the matter to the area's agencies of `kind` (police, fire, PMI, BPBD), through
    the agency-request workflow and its signed webhooks. Asking again is answered with the
    requests already made (no second call to the agency). Without an ambulance needed, an
    incident still waiting for one becomes "handed over" and leaves the ambulance queue."""
    require_role(actor, *CALL_ROLES)
    require_area(actor, incident.area_code)
    if kind not in reference.HANDOVER_AGENCIES:
        raise InvalidInput(_("Instansi tidak dikenal."), field="kind")
    reason = _reason(reason, required=False)
    now = now or timezone.now()
    with transaction.atomic():
        incident = _fresh_open(incident)
        before = set(
            IncidentAgency.objects.filter(incident=incident, agency__kind=kind).values_list(
                "pk", flat=True
            )
        )
        requests = [r for r in request_agencies(actor, incident, [kind], now=now)]
        if not requests:
            raise InvalidInput(
                _("Tidak ada %(a)s yang terdaftar untuk wilayah ini; hubungi per telepon.")
                % {"a": reference.AGENCY_KINDS[kind]},
                field="kind",
                code="no_agency",
            )
        created = sum(1 for r in requests if r.pk not in before)
        if created:
            record_audit(
                actor,
                "emergency.incident.agency_handover",
                incident,
                after={
                    "agency": kind,
                    "reason": reason,
                    "ambulance_needed": ambulance_needed,
                },
            )
        if (
            not ambulance_needed
            and incident.status == I.OPEN
            and not incident.assignments.filter(status=Assignment.Status.ACTIVE).exists()
        ):
            move_incident(
                actor,
                incident,
                I.HANDED_OVER,
                reason=reason or str(reference.AGENCY_KINDS[kind]),
                now=now,
            )
    return AgencyHandover(requests=requests, created=created)


def close_reasons(status: str | None = None) -> list[tuple[str, str, str]]:
    """(code, label, ends as) of the reasons an incident may end with; for an incident in
    `status`, only those its workflow allows from there."""
    return [
        (code, str(label), to)
        for code, (label, to) in reference.CLOSE_REASONS.items()
        if status is None or INCIDENTS.can(status, to)
    ]


def end_incident(
    actor: Actor,
    incident: Incident,
    *,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """Close or cancel an incident with a reason from the reference list (which says which of
    the two it is) and an optional note; its units are released and open hand-offs cancelled
    in the same transaction. A move the incident's state does not allow (cancelling once a
    unit is on scene, ending an ended incident) is a 409 and writes nothing."""
    if reason not in reference.CLOSE_REASONS:
        raise InvalidInput(_("Pilih alasan dari daftar."), field="reason")
    label, to = reference.CLOSE_REASONS[reason]
    note = _clean_text(note, "note", max_length(Incident, "close_reason"))
    with transaction.atomic():
        incident = _fresh_open(incident)
        if not INCIDENTS.can(incident.status, to):
            raise Conflict(
                _("Kejadian berstatus %(s)s tidak dapat dibatalkan; tutup dengan alasan lain.")
                % {"s": _label(incident.status, I)},
                code=ILLEGAL_TRANSITION,
                field="reason",
            )
        text = f"{label}: {note}" if note else str(label)
        return close_incident(actor, incident, reason=text, cancel=to == I.CANCELLED, now=now)
