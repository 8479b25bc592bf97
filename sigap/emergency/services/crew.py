"""The crew phone's own acts besides status moves: accepting a job and recording the
patient's vital signs with a short handover note. Each is one idempotent request: a replay
with the same client key (the phone's offline queue) changes nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.services import Actor, record_audit
from sigap.core.workflow import ILLEGAL_TRANSITION
from sigap.homecare import services as homecare_services

from ..models import Assignment, CrewVitals, Unit
from ._text import _clean_text
from .transitions import ACTIVE_INCIDENT, A
from .units import require_unit_actor

CLIENT_KEY_MAX = 64
NOTE_MAX = 500
GCS_RANGE = (3, 15)
MEASURES = ("systolic", "diastolic", "pulse", "respiration", "spo2", "temperature", "gcs")


def clean_client_key(value: str | None) -> str:
    """The phone's key for one press: printable, at most 64 characters, empty for none."""
    key = (value or "").strip()
    if len(key) > CLIENT_KEY_MAX or any(not c.isprintable() for c in key):
        raise InvalidInput(_("Kunci permintaan tidak sah."), field="client_key")
    return key


def accept_assignment(
    actor: Actor, assignment: Assignment, *, now: datetime | None = None
) -> Assignment:
    """The crew's explicit "job accepted": records the time once; a second press (or a
    replay) leaves the first time. An ended assignment cannot be accepted."""
    unit = Unit.objects.get(pk=assignment.unit_id)
    require_unit_actor(actor, unit)
    assignment.refresh_from_db()
    if assignment.status != A.ACTIVE:
        raise Conflict(_("Penugasan ini sudah berakhir."), code=ILLEGAL_TRANSITION)
    if assignment.accepted_at is not None:
        return assignment
    now = now or timezone.now()
    with transaction.atomic():
        # compare-and-set: of two presses exactly one records the time
        won = Assignment.objects.filter(
            pk=assignment.pk, status=A.ACTIVE, accepted_at__isnull=True
        ).update(accepted_at=now, updated_at=timezone.now())
        if won:
            record_audit(
                actor,
                "emergency.assignment.accept",
                assignment,
                after={"unit": unit.code, "incident": assignment.incident.number},
            )
    assignment.refresh_from_db()
    return assignment


@dataclass(frozen=True)
class VitalsInput:
    systolic: Any = None
    diastolic: Any = None
    pulse: Any = None
    respiration: Any = None
    spo2: Any = None
    temperature: Any = None
    gcs: Any = None
    avpu: str = ""
    note: str = ""
    client_key: str = ""


def check_crew_vitals(data: VitalsInput) -> None:
    """Plausible ranges and the swapped-pressure rule of home care's visit record, plus the
    Glasgow Coma Scale (3-15) and AVPU; an empty record is refused."""
    homecare_services.check_vitals(
        homecare_services.RecordInput(
            outcome="",
            systolic=data.systolic,
            diastolic=data.diastolic,
            pulse=data.pulse,
            respiration=data.respiration,
            temperature=data.temperature,
            spo2=data.spo2,
        )
    )
    if data.gcs is not None:
        low, high = GCS_RANGE
        if (
            isinstance(data.gcs, bool)
            or not isinstance(data.gcs, (int, float))
            or not math.isfinite(data.gcs)
            or data.gcs != int(data.gcs)
            or not low <= data.gcs <= high
        ):
            raise InvalidInput(
                _("GCS harus bilangan bulat antara %(low)s dan %(high)s.")
                % {"low": low, "high": high},
                field="gcs",
            )
    if data.avpu and data.avpu not in CrewVitals.Avpu.values:
        raise InvalidInput(_("Pilih A, V, P atau U."), field="avpu")
    if (
        all(getattr(data, m) is None for m in MEASURES)
        and not data.avpu
        and not (data.note or "").strip()
    ):
        raise InvalidInput(_("Isi minimal satu tanda vital atau catatan."), field="systolic")


def record_vitals(
    actor: Actor, unit: Unit, data: VitalsInput, *, now: datetime | None = None
) -> CrewVitals:
    """Vital signs and a handover note for the patient of the unit's current job. A replay
    with the same client key returns the first record."""
    require_unit_actor(actor, unit)
    key = clean_client_key(data.client_key)
    if key:
        seen = CrewVitals.objects.filter(client_key=key).first()
        if seen is not None:
            if seen.unit_id != unit.pk:
                raise Conflict(_("Kunci permintaan sudah dipakai."), field="client_key")
            return seen
    note = _clean_text(data.note, "note", NOTE_MAX)
    check_crew_vitals(data)
    assignment = (
        Assignment.objects.select_related("incident")
        .filter(unit=unit, status=A.ACTIVE, incident__status__in=ACTIVE_INCIDENT)
        .first()
    )
    if assignment is None:
        raise Conflict(_("Ambulans tidak sedang bertugas."), field="unit")
    temperature = (
        None
        if data.temperature is None
        else Decimal(str(float(data.temperature))).quantize(Decimal("0.1"))
    )
    values = {m: getattr(data, m) for m in MEASURES if m != "temperature"}
    values = {k: (None if v is None else int(v)) for k, v in values.items()}
    try:
        with transaction.atomic():
            v = CrewVitals.objects.create(
                incident=assignment.incident,
                unit=unit,
                recorded_at=now or timezone.now(),
                recorded_by=actor.user,
                temperature=temperature,
                avpu=data.avpu or "",
                note=note,
                client_key=key,
                **values,
            )
            record_audit(
                actor,
                "emergency.vitals.record",
                v,
                after={
                    "incident": assignment.incident.number,
                    "unit": unit.code,
                    **{k: val for k, val in values.items() if val is not None},
                    **({"temperature": str(temperature)} if temperature is not None else {}),
                    **({"avpu": v.avpu} if v.avpu else {}),
                    **({"note": note} if note else {}),
                },
            )
    except IntegrityError:  # the same key arrived twice at once: the first one stands
        seen = CrewVitals.objects.filter(client_key=key).first() if key else None
        if seen is None:
            raise
        return seen
    return v
