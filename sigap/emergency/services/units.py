"""The unit (ambulance) workflow: `move_unit`, the one function that changes a unit's
status, and what each move means for its assignment, incident and hand-off; sending a unit
(a compare-and-set on `available`), calling it off, the crew phone, the unit registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit, require_area, require_role
from sigap.core.text import clip
from sigap.core.travel import get_estimator
from sigap.core.workflow import ILLEGAL_TRANSITION, STALE
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from .. import reference
from ..models import Assignment, Incident, Unit, UnitStatusChange

# incidents and units move each other (a unit's move drives its incident, closing an
# incident releases its units): imported as a module to break the import cycle
from . import incidents
from ._text import _label
from .handoffs import _unit_at_hospital
from .transitions import (
    ACTIVE_INCIDENT,
    ASSIGNMENT_TIME,
    ASSIGNMENTS,
    DISPATCH_ROLES,
    ON_JOB,
    UNIT_DRIVES_INCIDENT,
    UNITS,
    A,
    H,
    I,
    S,
)


def unit_snapshot(u: Unit) -> dict[str, Any]:
    return {"code": u.code, "status": u.status, "lat": u.latitude, "lon": u.longitude}


def _active_assignment(unit: Unit) -> Assignment | None:
    return (
        Assignment.objects.select_related("incident")
        .filter(unit=unit, status=Assignment.Status.ACTIVE)
        .first()
    )


def require_unit_actor(actor: Actor, unit: Unit) -> None:
    """Dispatchers of the unit's area, or a crew member of the unit."""
    user = actor.user
    if user is None:
        if actor.channel in {Channel.SYSTEM, Channel.CLI}:
            return
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if user.role == Role.AMBULANCE_CREW and not user.is_admin_role:
        if not unit.crew.filter(pk=user.pk).exists():
            raise Forbidden(_("Anda bukan kru ambulans ini."))
        return
    if actor.channel in {Channel.SYSTEM, Channel.CLI}:
        return
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, unit.area_code)


def move_unit(
    actor: Actor,
    unit: Unit,
    to: str,
    *,
    reason: str = "",
    now: datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    incident: Incident | None = None,
    client_key: str = "",
) -> Unit:
    """The one function that changes a unit's status: compare-and-set from the status it
    was read with, a history row, the audit record, and what the move means for its
    assignment, incident and hand-off. A unit another person moved first raises Conflict."""
    now = now or timezone.now()
    current = unit.status
    if not UNITS.can(current, to):
        raise Conflict(
            _("Ambulans %(u)s berstatus %(s)s, tidak dapat menjadi %(t)s.")
            % {"u": unit.code, "s": _label(current, S), "t": _label(to, S)},
            field="status",
            code=ILLEGAL_TRANSITION,
        )
    if to == S.DISPATCHED and incident is None:
        raise InvalidInput(_("Penugasan memerlukan kejadian."), field="incident")
    # updated_at is wall-clock time (the unit index follows it), `now` the business time
    changes: dict[str, Any] = {"status_changed_at": now, "updated_at": timezone.now()}
    if latitude is not None and longitude is not None:
        changes.update(latitude=latitude, longitude=longitude, position_at=now)
    clipped = clip(reason, UnitStatusChange, "reason")
    with transaction.atomic():
        # the assignment does not change with the unit's move: read it first for the audit
        assignment = None if to == S.DISPATCHED else _active_assignment(unit)
        inc = incident or (assignment.incident if assignment else None)
        try:
            UNITS.move(
                actor,
                unit,
                to,
                now=now,
                changes=changes,
                audit={"reason": clipped, "incident": inc.number if inc else None},
            )
        except Conflict as exc:
            if exc.code != STALE:
                raise
            fresh = Unit.objects.filter(pk=unit.pk).values_list("status", flat=True).first()
            raise Conflict(
                _(
                    "Ambulans %(u)s sudah %(s)s (diubah orang lain); pilih ambulans lain atau "
                    "muat ulang."
                )
                % {"u": unit.code, "s": _label(fresh or "", S)},
                code="unit_taken",
                field="unit",
            ) from exc
        UnitStatusChange.objects.create(
            unit=unit,
            from_status=current,
            to_status=to,
            at=now,
            incident=inc,
            actor_label=clip(actor.display, UnitStatusChange, "actor_label"),
            reason=clipped,
            latitude=unit.latitude,
            longitude=unit.longitude,
            client_key=client_key,
        )
        if assignment is not None:
            _follow_unit(actor, unit, assignment, current, to, reason, now)
    return unit


def _follow_unit(
    actor: Actor, unit: Unit, a: Assignment, was: str, to: str, reason: str, now: datetime
) -> None:
    """What a unit's move means for its assignment, incident and hand-off."""
    time_field = ASSIGNMENT_TIME.get(to)
    if time_field:
        setattr(a, time_field, now)
        a.save(update_fields=[time_field, "updated_at"])
    incident = a.incident
    if to in UNIT_DRIVES_INCIDENT:
        incidents.move_incident(
            actor, incident, UNIT_DRIVES_INCIDENT[to], now=now, only_forward=True
        )
    if to == S.AT_HOSPITAL:
        for h in incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED], unit=unit):
            _unit_at_hospital(actor, h, now)
    if to == S.AVAILABLE and was in ON_JOB:  # cancelled before reaching the patient
        _end_assignment(actor, a, A.CANCELLED, reason, now)
        if not incident.assignments.filter(status=Assignment.Status.ACTIVE).exists():
            incidents.move_incident(
                actor, incident, I.OPEN, reason=reason, now=now, only_forward=True
            )
    if to == S.RETURNING:
        _end_assignment(actor, a, A.COMPLETED, reason, now)
        incident.refresh_from_db()
        if (
            incident.status in (I.ON_SCENE, I.TRANSPORTING, I.AT_HOSPITAL)
            and not incident.assignments.filter(status=Assignment.Status.ACTIVE).exists()
        ):
            incidents.move_incident(
                actor, incident, I.CLOSED, reason=_("penanganan selesai"), now=now
            )


def _end_assignment(actor: Actor, a: Assignment, status: str, reason: str, now: datetime) -> bool:
    """End an assignment that is still active (ASSIGNMENTS.move); one another move already
    ended is left as it is. Returns whether this call ended it."""
    if a.status != A.ACTIVE:
        return False
    try:
        ASSIGNMENTS.move(
            actor,
            a,
            status,
            now=now,
            reason=reason,
            changes={"ended_at": now, "end_reason": clip(reason, Assignment, "end_reason")},
        )
    except Conflict as exc:
        if exc.code != STALE:
            raise
        return False
    return True


def assign_unit(
    actor: Actor,
    incident: Incident,
    unit: Unit,
    *,
    now: datetime | None = None,
    eta_minutes: float | None = None,
) -> Assignment:
    """Send a unit to an incident with one action. The unit is taken with a compare-and-set
    on `available`; if another dispatcher took it first this raises Conflict (409) and
    writes nothing."""
    require_role(actor, *DISPATCH_ROLES)
    require_area(actor, incident.area_code)
    require_area(actor, unit.area_code)
    incident.refresh_from_db()
    if incident.status in (I.CLOSED, I.CANCELLED):
        raise Conflict(_("Kejadian sudah ditutup."), field="incident")
    now = now or timezone.now()
    if unit.status != S.AVAILABLE:
        raise Conflict(
            _("Ambulans %(u)s tidak siaga (%(s)s); pilih ambulans lain.")
            % {"u": unit.code, "s": _label(unit.status, S)},
            code="unit_taken",
            field="unit",
        )
    km = float(
        get_estimator().road_km(
            unit.latitude, unit.longitude, incident.latitude, incident.longitude
        )
    )
    if eta_minutes is None:
        eta_minutes = float(
            get_estimator().minutes(
                unit.latitude, unit.longitude, incident.latitude, incident.longitude, at=now
            )
        )
    try:
        with transaction.atomic():
            move_unit(actor, unit, S.DISPATCHED, incident=incident, now=now, reason=incident.number)
            a = Assignment.objects.create(
                incident=incident,
                unit=unit,
                assigned_at=now,
                assigned_by=actor.user,
                eta_minutes=round(eta_minutes, 1),
                distance_km=round(km, 2),
            )
            if incident.status in (I.OPEN, I.HANDED_OVER):
                incidents.move_incident(actor, incident, I.DISPATCHED, now=now)
            record_audit(
                actor,
                "emergency.assignment.create",
                a,
                after={"incident": incident.number, "unit": unit.code},
            )
    except IntegrityError as exc:  # the one-active-assignment rule caught a race
        raise Conflict(
            _("Ambulans %(u)s baru saja ditugaskan dispatcher lain.") % {"u": unit.code},
            code="unit_taken",
            field="unit",
        ) from exc
    return a


def cancel_assignment(
    actor: Actor, assignment: Assignment, *, reason: str = "", now: datetime | None = None
) -> Assignment:
    """Call a unit off. Before it reaches the patient it is available again; after, it
    returns to base."""
    unit = Unit.objects.get(pk=assignment.unit_id)
    require_unit_actor(actor, unit)
    if assignment.status != Assignment.Status.ACTIVE:
        raise Conflict(_("Penugasan ini sudah berakhir."), code=ILLEGAL_TRANSITION)
    to = S.AVAILABLE if unit.status in (S.DISPATCHED, S.EN_ROUTE) else S.RETURNING
    if to == S.RETURNING and unit.status not in (S.ON_SCENE, S.AT_HOSPITAL):
        raise Conflict(_("Ambulans sedang membawa pasien; selesaikan di RS."), field="status")
    move_unit(actor, unit, to, reason=reason or _("dibatalkan"), now=now)
    assignment.refresh_from_db()
    if _end_assignment(actor, assignment, A.CANCELLED, reason, now or timezone.now()):
        assignment.refresh_from_db()
    return assignment


def reassign(
    actor: Actor,
    assignment: Assignment,
    new_unit: Unit,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Send another unit instead (e.g. a nearer one became free): the new unit is taken
    first, so if it is gone the old assignment stays."""
    require_role(actor, *DISPATCH_ROLES)
    if assignment.unit_id == new_unit.pk:
        raise InvalidInput(_("Ambulans pengganti sama dengan yang lama."), field="unit")
    with transaction.atomic():
        incident = assignment.incident
        new = assign_unit(actor, incident, new_unit, now=now)
        cancel_assignment(
            actor,
            assignment,
            reason=reason or _("dialihkan ke %(u)s") % {"u": new_unit.code},
            now=now,
        )
    return new


def update_position(
    actor: Actor, unit: Unit, latitude: float, longitude: float, *, now: datetime | None = None
) -> Unit:
    """The crew phone's position (not audited: it is not a decision, and it is frequent)."""
    require_unit_actor(actor, unit)
    for value, name, limit in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not (-limit <= value <= limit)
        ):
            raise InvalidInput(_("Koordinat tidak sah."), field=name)
    now = now or timezone.now()
    Unit.objects.filter(pk=unit.pk).update(
        latitude=latitude, longitude=longitude, position_at=now, updated_at=timezone.now()
    )
    unit.latitude, unit.longitude, unit.position_at = latitude, longitude, now
    return unit


def crew_status(
    actor: Actor,
    unit: Unit,
    to: str,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    reason: str = "",
    now: datetime | None = None,
    client_key: str = "",
    destination: str = "",
) -> Unit:
    """A status button on the crew phone (or the dispatcher on the crew's behalf).

    One idempotent request: a press replayed with the same `client_key` does not move the
    unit again. The crew accepts a job before moving on it; "to hospital" needs the
    incident's destination hospital (the crew confirms it by sending its id as
    `destination`); "Siaga" is refused while the unit works for an open incident."""
    require_unit_actor(actor, unit)
    key = (client_key or "").strip()
    if len(key) > 64 or any(not c.isprintable() for c in key):
        raise InvalidInput(_("Kunci permintaan tidak sah."), field="client_key")
    if key:
        seen = UnitStatusChange.objects.filter(client_key=key).first()
        if seen is not None:
            if seen.unit_id != unit.pk:
                raise Conflict(_("Kunci permintaan sudah dipakai."), field="client_key")
            unit.refresh_from_db()
            return unit
    if to == S.DISPATCHED:
        raise InvalidInput(_("Penugasan dilakukan oleh dispatcher."), field="status")
    if to not in S.values:
        raise InvalidInput(_("Status tidak dikenal."), field="status")
    is_crew = actor.user is not None and actor.user.role == Role.AMBULANCE_CREW
    assignment = _active_assignment(unit)
    if assignment is not None and to in ON_JOB and is_crew and assignment.accepted_at is None:
        raise Conflict(
            _("Terima tugas %(n)s terlebih dahulu.") % {"n": assignment.incident.number},
            code="not_accepted",
            field="status",
        )
    if to == S.TRANSPORTING and assignment is not None and UNITS.can(unit.status, to):
        _check_destination(assignment.incident, destination, required=is_crew)
    if to == S.AVAILABLE and assignment is not None:
        if assignment.incident.status in ACTIVE_INCIDENT:
            raise Conflict(
                _(
                    "Ambulans masih bertugas pada kejadian %(n)s; status Siaga hanya setelah "
                    "tugas selesai atau dibatalkan dispatcher."
                )
                % {"n": assignment.incident.number},
                code="assigned",
                field="status",
            )
        if unit.status in (S.DISPATCHED, S.EN_ROUTE):  # the incident ended meanwhile
            cancel_assignment(actor, assignment, reason=reason or _("dibatalkan kru"), now=now)
            unit.refresh_from_db()
            return unit
    try:
        return move_unit(
            actor,
            unit,
            to,
            reason=reason,
            now=now,
            latitude=latitude,
            longitude=longitude,
            client_key=key,
        )
    except IntegrityError:  # the same press arrived twice at once: the first one moved it
        if not key or not UnitStatusChange.objects.filter(client_key=key).exists():
            raise
        unit.refresh_from_db()
        return unit


def _check_destination(incident: Incident, destination: str, *, required: bool) -> None:
    """The destination hospital is the incident's open hand-off; the crew confirms it by
    sending that hospital's id (a changed destination is refused, to be confirmed anew)."""
    handoff = (
        incident.handoffs.filter(status__in=[H.PENDING, H.ACKNOWLEDGED])
        .select_related("hospital")
        .first()
    )
    if handoff is None:
        raise Conflict(
            _("RS tujuan belum ditentukan; minta dispatcher memilih RS tujuan."),
            code="no_destination",
            field="destination",
        )
    destination = (destination or "").strip()
    if not destination:
        if required:
            raise InvalidInput(
                _("Konfirmasi RS tujuan (%(rs)s) sebelum membawa pasien.")
                % {"rs": handoff.hospital.name},
                field="destination",
            )
        return
    if destination != str(handoff.hospital.public_id):
        raise Conflict(
            _("RS tujuan sudah berubah menjadi %(rs)s; konfirmasi ulang.")
            % {"rs": handoff.hospital.name},
            code=STALE,
            field="destination",
        )


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    kind: str
    base_kind: str
    base_village: str
    area_code: str
    latitude: float
    longitude: float
    base_facility: Facility | None = None
    equipment: list[str] = field(default_factory=list)
    crew_on_shift: str = ""
    phone: str = ""
    is_synthetic: bool = False


def save_unit(actor: Actor, data: UnitInput) -> Unit:
    """Create or update a unit's registry data (not its status)."""
    user = actor.user
    if user is not None and not user.is_admin_role:
        raise Forbidden(_("Hanya admin yang dapat mengubah data ambulans."))
    if user is None and actor.channel not in {Channel.SYSTEM, Channel.CLI}:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if data.kind not in reference.UNIT_KINDS:
        raise InvalidInput(_("Jenis ambulans tidak dikenal."), field="kind")
    if data.base_kind not in Unit.BaseKind.values:
        raise InvalidInput(_("Jenis pos tidak dikenal."), field="base_kind")
    village = Region.objects.filter(code=data.base_village, level=4).first()
    if village is None:
        raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="base_village")
    defaults = dict(
        name=data.name,
        kind=data.kind,
        base_kind=data.base_kind,
        base_village=village,
        base_facility=data.base_facility,
        area_code=data.area_code,
        base_latitude=data.latitude,
        base_longitude=data.longitude,
        equipment=list(data.equipment),
        crew_on_shift=data.crew_on_shift,
        phone=data.phone,
        is_synthetic=data.is_synthetic,
    )
    with transaction.atomic():
        unit = Unit.objects.filter(code=data.code).first()
        if unit is None:
            unit = Unit.objects.create(
                code=data.code, latitude=data.latitude, longitude=data.longitude, **defaults
            )
            record_audit(actor, "emergency.unit.create", unit, after=unit_snapshot(unit))
        else:
            changed = {k: v for k, v in defaults.items() if getattr(unit, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(unit, k, v)
                unit.save()
                record_audit(
                    actor,
                    "emergency.unit.update",
                    unit,
                    after={k: str(v) for k, v in changed.items()},
                )
    return unit
