"""Matters handed to partner agencies (police, fire brigade, PMI...): the request, its
signed webhook call, and the agency's reports back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import webhooks
from sigap.core.errors import InvalidInput, NotFound
from sigap.core.services import Actor
from sigap.core.text import max_length

from ..models import Agency, Incident, IncidentAgency
from ._text import _clean_text
from .transitions import AGENCY_REQUESTS


def request_agencies(
    actor: Actor, incident: Incident, kinds: list[str], *, now: datetime | None = None
) -> list[IncidentAgency]:
    """Ask the area's agencies of these kinds to act; each with a webhook gets a signed
    `incident.handover` call (retries and delivery log in sigap.core.webhooks)."""
    out = []
    agencies = Agency.objects.filter(
        is_active=True, kind__in=kinds, area_code__in=[incident.area_code, incident.area_code[:2]]
    ).select_related("webhook")
    with transaction.atomic():
        for agency in agencies:
            req, created = IncidentAgency.objects.get_or_create(incident=incident, agency=agency)
            if not created:
                out.append(req)
                continue
            delivery = None
            if agency.webhook is not None:
                delivery = webhooks.enqueue(
                    agency.webhook,
                    "incident.handover",
                    handover_payload(incident, agency),
                    ref=f"emergency.incident:{incident.public_id}",
                )
            AGENCY_REQUESTS.move(
                actor,
                req,
                IncidentAgency.Status.SENT if delivery else IncidentAgency.Status.NO_CHANNEL,
                now=now,
                changes={"delivery": delivery},
                audit={"agency": agency.name, "incident": incident.number},
                audit_as="emergency.agency.request",
            )
            out.append(req)
        needed = sorted(set(incident.agencies_needed) | set(kinds))
        if needed != sorted(incident.agencies_needed):
            Incident.objects.filter(pk=incident.pk).update(agencies_needed=needed)
            incident.agencies_needed = needed
    return out


def handover_payload(incident: Incident, agency: Agency) -> dict[str, Any]:
    """What a partner agency receives: the place and the matter, the caller's number (it
    must call back), no medical detail beyond the triage colour."""
    return {
        "incident": str(incident.public_id),
        "number": incident.number,
        "agency": agency.kind,
        "category": incident.category,
        "triage": incident.triage,
        "victims": incident.victims,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "village": incident.village_id,
        "address": incident.address,
        "caller_phone": incident.caller_phone,
        "received_at": incident.received_at.isoformat(),
    }


def agency_status(
    actor: Actor, agency: Agency, incident: Incident, *, status: str, now: datetime | None = None
) -> IncidentAgency:
    """A partner agency reports on a matter handed to it (acknowledged, on scene, done...)."""
    req = IncidentAgency.objects.filter(incident=incident, agency=agency).first()
    if req is None:
        raise NotFound(_("Kejadian ini tidak diserahkan ke instansi tersebut."))
    status = _clean_text(status, "status", max_length(IncidentAgency, "partner_status"))
    if not status:
        raise InvalidInput(_("Status wajib diisi."), field="status")
    now = now or timezone.now()
    changes = {"partner_status": status}
    if req.acknowledged_at is None:
        changes["acknowledged_at"] = now
    # an agency reports again and again (on scene, done...): it stays acknowledged
    AGENCY_REQUESTS.move(
        actor,
        req,
        IncidentAgency.Status.ACKNOWLEDGED,
        now=now,
        changes=changes,
        # "status" is the agency's own word, as before; the row's status is in before/after
        audit={"agency": agency.name, "incident": incident.number, "partner_status": status},
        audit_as="emergency.agency.status",
    )
    return req
