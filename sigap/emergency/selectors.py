"""Read side of the emergency centre: unit and hospital recommendations, the dispatcher's
queue and map, the "Satu Ambulans, Satu Desa" coverage and the response-time report.

Unit recommendation at province scale (thousands of ambulances) must answer in a few
milliseconds, so each process keeps every unit (position, kind, status and the fields a
recommendation shows) in NumPy arrays and a list of rows, and answers from them without the
ORM. Before each answer one cheap query lists the units written in the last few seconds
(`updated_at` is indexed); only units whose row changed since the last look are re-read and
patched into a copy of the arrays, so the answer is as fresh as the database and identical
to the naive full scan (`recommend_units_full_scan`), which the tests check on random data.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.models import Role, User
from sigap.core.spatial import PointIndex
from sigap.core.travel import get_estimator, haversine_km
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from . import reference
from .areas import responsible_psc
from .models import (
    Assignment,
    CrewVitals,
    Handoff,
    Incident,
    IncidentAgency,
    Unit,
    UnitStatusChange,
)
from .services import ACTIVE_INCIDENT, ON_JOB, UNITS, area_settings, is_rural

HS = Handoff.Status

# Seconds between change checks per process. 0: every recommendation first asks the
# database what changed (one indexed query), so it never offers a unit that just left.
CHECK_INTERVAL = 0.0
FULL_REBUILD_EVERY = 60.0  # seconds (drops deleted units, catches very late commits)
# Units written from a little before the newest change seen are listed at every check, so a
# write whose transaction committed after a later one is not missed.
CHANGE_LAG = timedelta(seconds=5)
CANDIDATES = 4  # nearest units (by distance) whose travel time is estimated, per unit wanted
STATUS_CODES = {s: i for i, s in enumerate(Unit.Status.values)}
KIND_CODES = {k: i for i, k in enumerate(reference.UNIT_KINDS)}
AVAILABLE = STATUS_CODES[Unit.Status.AVAILABLE]

UNIT_FIELDS = (
    "pk",
    "public_id",
    "code",
    "name",
    "kind",
    "status",
    "latitude",
    "longitude",
    "base_village__name",
    "crew_on_shift",
    "area_code",
)
INDEX_FIELDS = (*UNIT_FIELDS, "updated_at")


@dataclass
class _UnitIndex:
    count: int = -1
    since: datetime | None = None  # the change check lists units written from here on
    seen: frozenset = frozenset()  # (pk, updated_at as stored) written since `since`
    built_at: float = 0.0
    checked_at: float = 0.0
    position: dict[int, int] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)  # in code order, as the full scan reads
    bases: list[str] = field(default_factory=list)  # base village codes (rows show the name)
    kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    statuses: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    areas: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U10"))
    lats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    points: PointIndex | None = None
    area_masks: dict[str, np.ndarray] = field(default_factory=dict)
    kind_masks: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)

    def in_area(self, prefix: str) -> np.ndarray:
        """Units whose area starts with `prefix` (areas do not change between rebuilds)."""
        mask = self.area_masks.get(prefix)
        if mask is None:
            mask = self.area_masks[prefix] = np.char.startswith(self.areas, prefix)
        return mask

    def of_kinds(self, kinds: tuple[int, ...]) -> np.ndarray:
        mask = self.kind_masks.get(kinds)
        if mask is None:
            mask = self.kind_masks[kinds] = np.isin(self.kinds, kinds)
        return mask


_lock = threading.Lock()
_index = _UnitIndex()


def _row(r: tuple) -> dict:
    return dict(zip(UNIT_FIELDS, r[: len(UNIT_FIELDS)], strict=True))


# What the change query reads of each unit written lately: enough to patch the index
# without a second query (the public id never changes; a new base village means a rebuild).
CHANGE_COLUMNS = (
    "id",
    "updated_at",
    "status",
    "latitude",
    "longitude",
    "kind",
    "area_code",
    "code",
    "name",
    "crew_on_shift",
    "base_village_id",
)


def _changes_sql() -> str:
    # identifiers from the model's own metadata; the one value is a bound parameter
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in CHANGE_COLUMNS)
    t, at = q(Unit._meta.db_table), q("updated_at")
    return f"SELECT {cols} FROM {t} WHERE {at} >= %s"  # noqa: S608


def _as_datetime(value: datetime | str) -> datetime:
    """A stored updated_at as the database driver gives it (SQLite: naive UTC)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _recent(since: datetime) -> dict[tuple, tuple]:
    """The units written since `since`, keyed by (pk, updated_at as stored): one indexed
    query without the ORM."""
    with connection.cursor() as cur:
        cur.execute(_changes_sql(), [connection.ops.adapt_datetimefield_value(since)])
        return {(r[0], r[1]): r for r in cur.fetchall()}


def _full(now: float) -> _UnitIndex:
    # the change list first: a unit written while the rows are read is patched again later
    last = Unit.objects.aggregate(last=Max("updated_at"))["last"] or timezone.now()
    since = last - CHANGE_LAG
    seen = frozenset(_recent(since))
    rows = list(Unit.objects.order_by("code").values_list(*INDEX_FIELDS, "base_village_id"))
    new = _UnitIndex(count=len(rows), since=since, seen=seen, built_at=now, checked_at=now)
    new.position = {r[0]: i for i, r in enumerate(rows)}
    new.rows = [_row(r) for r in rows]
    new.bases = [r[-1] for r in rows]
    new.kinds = np.array([KIND_CODES.get(r[4], -1) for r in rows], dtype=np.int8)
    new.statuses = np.array([STATUS_CODES.get(r[5], -1) for r in rows], dtype=np.int8)
    new.lats = np.array([r[6] for r in rows], dtype=float)
    new.lons = np.array([r[7] for r in rows], dtype=float)
    new.areas = np.array([r[10] for r in rows], dtype="<U10")
    new.points = PointIndex(range(len(rows)), new.lats, new.lons)
    return new


def _patched(old: _UnitIndex, recent: dict[tuple, tuple], now: float) -> _UnitIndex | None:
    """A copy of the index with the units written since the last look replaced by what the
    change query read; None when a unit is new, or changed its area or base village (a full
    rebuild is needed). Readers keep the old copy meanwhile."""
    seen = frozenset(recent)
    changed = [recent[key] for key in seen - old.seen]
    new = _UnitIndex(
        count=old.count,
        since=max([old.since, *(_as_datetime(r[1]) - CHANGE_LAG for r in changed)]),
        seen=seen,
        built_at=old.built_at,
        checked_at=now,
        position=old.position,
        rows=list(old.rows),
        bases=old.bases,
        kinds=old.kinds.copy(),
        statuses=old.statuses.copy(),
        areas=old.areas,
        lats=old.lats.copy(),
        lons=old.lons.copy(),
        area_masks=old.area_masks,
    )
    for pk, _at, status, lat, lon, kind, area, code, name, crew, base in changed:
        i = old.position.get(pk)
        if i is None or area != old.areas[i] or base != old.bases[i]:
            return None
        new.rows[i] = dict(
            new.rows[i],
            status=status,
            latitude=lat,
            longitude=lon,
            kind=kind,
            code=code,
            name=name,
            crew_on_shift=crew,
        )
        new.kinds[i] = KIND_CODES.get(kind, -1)
        new.statuses[i] = STATUS_CODES.get(status, -1)
        new.lats[i], new.lons[i] = lat, lon
    new.kind_masks = old.kind_masks if np.array_equal(new.kinds, old.kinds) else {}
    new.points = PointIndex(range(len(new.rows)), new.lats, new.lons)
    return new


def unit_index() -> _UnitIndex:
    """The process's unit arrays, patched with the units written since the last look
    (checked at most every CHECK_INTERVAL seconds), rebuilt every FULL_REBUILD_EVERY
    seconds and when a unit is new."""
    global _index
    now = time.monotonic()
    idx = _index
    if idx.count >= 0 and now - idx.checked_at < CHECK_INTERVAL:
        return idx
    with _lock:
        idx = _index
        if idx.count >= 0 and now - idx.checked_at < CHECK_INTERVAL:
            return idx
        new = None
        if idx.count >= 0 and now - idx.built_at < FULL_REBUILD_EVERY:
            recent = _recent(idx.since)
            if recent.keys() <= idx.seen:
                idx.checked_at = now
                return idx
            new = _patched(idx, recent, now)
        _index = new or _full(now)
        return _index


def reset_unit_index() -> None:
    global _index
    with _lock:
        _index = _UnitIndex()


def unit_kinds_for(triage: str) -> list[str]:
    return reference.TRIAGE_UNIT_KINDS.get(triage, list(reference.UNIT_KINDS))


def _ranked(rows: list[dict], lat: float, lon: float, at: datetime | None, n: int) -> list[dict]:
    """The `n` rows with the shortest estimated arrival (ties in the rows' order)."""
    if not rows:
        return []
    est = get_estimator()
    lats = np.array([r["latitude"] for r in rows], dtype=float)
    lons = np.array([r["longitude"] for r in rows], dtype=float)
    km = est.road_km(lat, lon, lats, lons)
    minutes = est.minutes(lat, lon, lats, lons, at=at)
    order = np.argsort(minutes, kind="stable")[:n]
    out = []
    for i in order:
        r = dict(rows[i])
        r["distance_km"] = round(float(km[i]), 2)
        r["eta_minutes"] = round(float(minutes[i]), 1)
        out.append(r)
    return out


def recommend_units(
    lat: float,
    lon: float,
    triage: str,
    *,
    area: str = "",
    n: int = 5,
    at: datetime | None = None,
) -> list[dict]:
    """Available units of a kind fit for the triage colour, nearest by estimated arrival
    first: the `n` best, each with `eta_minutes` and `distance_km`. `area` is the region
    prefix of the units that may be sent (an incident's kab/kota: its dispatchers can assign
    them; a province code at province scale).

    From the in-process index: the available units of the right kinds are masked, the
    nearest `CANDIDATES * n` by distance get a travel-time estimate, ranked as the full scan
    ranks (ties in code order)."""
    if n <= 0:
        return []
    kinds = tuple(KIND_CODES[k] for k in unit_kinds_for(triage) if k in KIND_CODES)
    idx = unit_index()
    if idx.points is None or not len(idx.points):
        return []
    mask = (idx.statuses == AVAILABLE) & idx.of_kinds(kinds)
    if area:
        mask &= idx.in_area(area)
    near = idx.points.nearest(lat, lon, n=n * CANDIDATES, mask=mask)
    # back in code order, so that equal travel times rank as in the full scan
    rows = [idx.rows[i] for i in sorted(p.item for p in near)]
    return _ranked(rows, lat, lon, at, n)


def recommend_units_full_scan(
    lat: float,
    lon: float,
    triage: str,
    *,
    area: str = "",
    n: int = 5,
    at: datetime | None = None,
) -> list[dict]:
    """The naive answer (every available unit read and timed); the benchmark's baseline and
    the tests' reference."""
    qs = Unit.objects.filter(status=Unit.Status.AVAILABLE, kind__in=unit_kinds_for(triage))
    if area:
        qs = qs.filter(area_code__startswith=area)
    return _ranked(list(qs.values(*UNIT_FIELDS)), lat, lon, at, n)


def recommend_for_incident(incident: Incident, n: int = 5) -> list[dict]:
    return recommend_units(
        incident.latitude, incident.longitude, incident.triage, area=incident.area_code, n=n
    )


def recommend_hospitals(
    incident: Incident, *, n: int = 5, bed_class: str | None = None
) -> list[dict]:
    """Hospitals offering the service the patient needs, those with a free bed of the wanted
    class first, then by travel time from the incident."""
    bed_class = (
        reference.TRIAGE_BED_CLASS.get(incident.triage, "") if bed_class is None else (bed_class)
    )
    board = bed_services.public_board(
        kelas=None,
        lat=incident.latitude,
        lon=incident.longitude,
        area=incident.area_code[:2],
        limit=None,
    )
    with_service = set(
        str(u)
        for u in Facility.objects.filter(
            kind_id="rs", is_active=True, services__code=incident.service_needed
        ).values_list("public_id", flat=True)
    )
    out = []
    for h in board:
        if h["id"] not in with_service:
            continue
        free_class = next((b["free"] for b in h["beds"] if b["kodekelas"] == bed_class), 0)
        out.append(
            {
                "id": h["id"],
                "name": h["name"],
                "kecamatan": h["kecamatan"]["name"],
                "travel_minutes": h.get("travel_minutes"),
                "distance_km": h.get("distance_km"),
                "bed_class": bed_class,
                "free_in_class": free_class,
                "total_free": h["total_free"],
                "emergency_phone": h["emergency_phone"],
                "stale": h["stale"],
            }
        )
    out.sort(
        key=lambda h: (
            h["free_in_class"] <= 0 if bed_class else h["total_free"] <= 0,
            h["travel_minutes"] or 0,
        )
    )
    out = out[:n]
    policies = {
        f.public_id: bed_services.hold_policy(f).allows_holds
        for f in Facility.objects.filter(public_id__in=[h["id"] for h in out])
    }
    for h in out:
        h["allows_holds"] = next((v for k, v in policies.items() if str(k) == h["id"]), True)
    return out


# --- console -------------------------------------------------------------------------------


def triage_rank(triage: str) -> int:
    return reference.TRIAGE.get(triage, ("", 9))[1]


_RELATED = [
    Prefetch(
        "assignments",
        Assignment.objects.filter(status=Assignment.Status.ACTIVE).select_related("unit"),
        to_attr="active_assignments",
    ),
    Prefetch(
        "handoffs",
        Handoff.objects.filter(status__in=[HS.PENDING, HS.ACKNOWLEDGED, HS.REJECTED])
        .select_related("hospital")
        .order_by("-created_at", "-id"),
        to_attr="live_handoffs",
    ),
    Prefetch(
        "agency_requests",
        IncidentAgency.objects.select_related("agency").order_by("id"),
        to_attr="agency_list",
    ),
]


def active_incidents(area: str = "") -> list[Incident]:
    """The live queue: waiting incidents first, by triage colour then waiting time."""
    qs = (
        Incident.objects.filter(
            status__in=[s for s in Incident.Status.values if s not in ("closed", "cancelled")]
        )
        .select_related("village", "village__parent")
        .prefetch_related(*_RELATED)
    )
    if area:
        qs = qs.filter(area_code__startswith=area[:4])
    rows = list(qs[:500])
    rows.sort(key=lambda i: (i.status != "open", triage_rank(i.triage), i.received_at))
    # the responsible PSC of the out-of-area ones: one lookup per area, not per incident
    labels = {
        a: responsible_psc(a).label for a in {i.responsible_area for i in rows if i.out_of_area}
    }
    for i in rows:
        i.responsible_label = labels.get(i.responsible_area, "") if i.out_of_area else ""
    return rows


def active_incidents_by_pk(pk: int) -> Incident:
    """One incident with what `incident_json` needs."""
    return (
        Incident.objects.select_related("village", "village__parent")
        .prefetch_related(*_RELATED)
        .get(pk=pk)
    )


def incident_json(i: Incident, now: datetime) -> dict:
    handoff = _open_handoff(i)
    return {
        "id": str(i.public_id),
        "number": i.number,
        "status": i.status,
        "status_label": i.get_status_display(),
        "category": i.category,
        "category_label": i.get_category_display(),
        "triage": i.triage,
        "victims": i.victims,
        "lat": i.latitude,
        "lon": i.longitude,
        "village": i.village.name if i.village else "",
        "kecamatan": i.village.parent.name if i.village and i.village.parent else "",
        "address": i.address,
        "caller_phone": i.caller_phone,
        "calls": i.call_count,
        "source": i.source,
        "source_label": i.get_source_display(),
        "out_of_area": i.out_of_area,
        "responsible_psc": _responsible(i),
        "received_at": i.received_at.isoformat(),
        "waiting_min": int((now - i.received_at).total_seconds() // 60),
        "units": [a.unit.code for a in getattr(i, "active_assignments", [])],
        "assignments": [
            {
                "id": str(a.public_id),
                "unit": a.unit.code,
                "unit_status": a.unit.status,
                "eta_minutes": a.eta_minutes,
                "accepted_at": a.accepted_at.isoformat() if a.accepted_at else None,
            }
            for a in getattr(i, "active_assignments", [])
        ],
        "hospital": handoff.hospital.name if handoff else "",
        "handoff_status": handoff.status if handoff else "",
        "needs_hospital": _needs_hospital(i),
        "agencies": [
            {
                "name": r.agency.name,
                "status": r.status,
                "status_label": r.get_status_display(),
                "partner_status": r.partner_status,
            }
            for r in getattr(i, "agency_list", [])
        ],
    }


def _responsible(i: Incident) -> str:
    """Out of area: the PSC 119 responsible for the place (with its number); the queue
    (`active_incidents`) has looked it up already."""
    if not i.out_of_area:
        return ""
    label = getattr(i, "responsible_label", None)
    return label if label is not None else responsible_psc(i.responsible_area).label


def _open_handoff(i: Incident) -> Handoff | None:
    """The newest hand-off still waiting for or accepted by its hospital."""
    return next(
        (h for h in getattr(i, "live_handoffs", []) if h.status in ("pending", "acknowledged")),
        None,
    )


def _needs_hospital(i: Incident) -> str:
    """Why the patient needs another hospital (the last one refused, or its referral was
    cancelled or expired), or "" when a hand-off is open or none was made."""
    handoffs = getattr(i, "live_handoffs", [])
    if not handoffs or handoffs[0].status != "rejected":
        return ""
    return handoffs[0].ended_reason or str(Handoff.Status.REJECTED.label)


def units_json(area: str = "") -> list[dict]:
    qs = Unit.objects.select_related("base_village")
    if area:
        qs = qs.filter(area_code__startswith=area[:4])
    active = {
        unit_id: (number, accepted_at)
        for unit_id, number, accepted_at in Assignment.objects.filter(
            status=Assignment.Status.ACTIVE
        ).values_list("unit_id", "incident__number", "accepted_at")
    }
    return [_unit_row(u, *active.get(u.pk, ("", None))) for u in qs]


def unit_json(pk: int) -> dict:
    u = Unit.objects.select_related("base_village").get(pk=pk)
    a = (
        Assignment.objects.filter(unit=u, status=Assignment.Status.ACTIVE)
        .select_related("incident")
        .first()
    )
    return _unit_row(u, a.incident.number if a else "", a.accepted_at if a else None)


def _unit_row(u: Unit, incident: str, accepted_at: datetime | None = None) -> dict:
    """A unit as the console and the crew phone show it; `incident` is its active job's number,
    `accepted_at` when its crew accepted that job (the dispatcher reads it in the label)."""
    label = u.get_status_display()
    if incident and u.status == Unit.Status.DISPATCHED:
        label = (
            _("%(s)s · diterima kru %(t)s")
            % {"s": label, "t": timezone.localtime(accepted_at).strftime("%H:%M")}
            if accepted_at
            else _("%(s)s · belum diterima kru") % {"s": label}
        )
    return {
        "id": str(u.public_id),
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "status": u.status,
        "status_label": label,
        "accepted_at": accepted_at.isoformat() if accepted_at else None,
        "lat": u.latitude,
        "lon": u.longitude,
        "base": u.base_village.name,
        "incident": incident,
    }


def crew_job(unit: Unit) -> dict:
    """What the crew phone shows: the unit, its current job (accepted or not), the
    destination hospital, the latest vital signs, and the moves the crew may make now:
    none on the job before it is accepted, no "to hospital" without a destination, no
    "Siaga" while the unit works for an open incident."""
    unit.refresh_from_db()
    a = (
        Assignment.objects.filter(unit=unit, status=Assignment.Status.ACTIVE)
        .select_related("incident", "incident__village")
        .first()
    )
    allowed = {s for s in UNITS.next_states(unit.status) if s != Unit.Status.DISPATCHED}
    job = None
    if a is not None:
        i = a.incident
        h = (
            i.handoffs.filter(status__in=[HS.PENDING, HS.ACKNOWLEDGED])
            .select_related("hospital")
            .first()
        )
        if i.status in ACTIVE_INCIDENT:
            allowed.discard(Unit.Status.AVAILABLE)
        if a.accepted_at is None:
            allowed -= ON_JOB
        if h is None:
            allowed.discard(Unit.Status.TRANSPORTING)
        job = {
            "assignment": str(a.public_id),
            "accepted_at": a.accepted_at,
            "incident": i.number,
            "category": i.get_category_display(),
            "triage": i.triage,
            "triage_label": i.get_triage_display(),
            "victims": i.victims,
            "lat": i.latitude,
            "lon": i.longitude,
            "village": i.village.name if i.village else "",
            "address": i.address,
            "caller_phone": i.caller_phone,
            "notes": i.notes,
            "hospital": (
                {
                    "id": str(h.hospital.public_id),
                    "name": h.hospital.name,
                    "lat": h.hospital.latitude,
                    "lon": h.hospital.longitude,
                    "phone": h.hospital.emergency_phone,
                }
                if h
                else None
            ),
            "vitals": vitals_json(i.crew_vitals.first()),
        }
    return {
        "unit": unit_json(unit.pk),
        "job": job,
        "next": sorted(allowed),
    }


def vitals_json(v: CrewVitals | None) -> dict | None:
    """The crew's record as people read it: labelled values with units, its local time."""
    if v is None:
        return None
    values = []
    if v.systolic is not None:
        values.append((_("Tekanan darah"), f"{v.systolic}/{v.diastolic} mmHg"))
    for name, label, unit_ in (
        ("pulse", _("Nadi"), _("/menit")),
        ("respiration", _("Napas"), _("/menit")),
        ("spo2", _("SpO2"), "%"),
        ("temperature", _("Suhu"), "°C"),
        ("gcs", _("GCS"), ""),
    ):
        value = getattr(v, name)
        if value is not None:
            values.append((label, f"{value}{' ' if unit_ and unit_ != '%' else ''}{unit_}"))
    if v.avpu:
        values.append((_("AVPU"), v.get_avpu_display()))
    return {
        "at": timezone.localtime(v.recorded_at).strftime("%H:%M"),
        "values": [{"label": str(label), "value": value} for label, value in values],
        "note": v.note,
    }


def handoff_summary(h: Handoff, now: datetime | None = None) -> dict:
    """The incoming patient as the receiving emergency room reads it: triage colour and the
    call-taker's answers and notes, the crew's latest vital signs and note, and the arrival
    estimate from the unit's last known position to the hospital."""
    now = now or timezone.now()
    i = h.incident
    texts = {q["key"]: q["text"] for q in reference.triage_questions(i.category)}
    answers = [
        texts.get(key, key.replace("_", " "))
        for key, yes in sorted((i.triage_answers or {}).items())
        if yes is True
    ]
    call_notes = [c.note for c in i.calls.all() if c.note and c.note != i.notes]
    unit = h.unit
    eta: dict = {"minutes": None, "at": "", "from": ""}
    if unit is not None:
        unit.refresh_from_db()
        if unit.status == Unit.Status.AT_HOSPITAL or h.status == HS.ARRIVED:
            eta = {"minutes": 0, "at": timezone.localtime(now).strftime("%H:%M"), "from": ""}
        else:
            minutes = float(
                get_estimator().minutes(
                    unit.latitude, unit.longitude, h.hospital.latitude, h.hospital.longitude, at=now
                )
            )
            eta = {
                "minutes": max(1, round(minutes)),
                "at": timezone.localtime(now + timedelta(minutes=minutes)).strftime("%H:%M"),
                "from": (
                    timezone.localtime(unit.position_at).strftime("%H:%M")
                    if unit.position_at
                    else ""
                ),
            }
    return {
        "id": str(h.public_id),
        "incident": i.number,
        "status": h.status,
        "status_label": h.get_status_display(),
        "triage": i.triage,
        "triage_label": i.get_triage_display(),
        "category_label": i.get_category_display(),
        "victims": i.victims,
        "answers": answers,
        "notes": i.notes,
        "call_notes": call_notes,
        "summary": h.patient_summary,
        "unit": unit.code if unit else "",
        "unit_status_label": unit.get_status_display() if unit else "",
        "vitals": vitals_json(i.crew_vitals.first()),
        "eta": eta,
    }


# --- coverage: Satu Ambulans, Satu Desa --------------------------------------------------------


def coverage(area: str) -> dict:
    """Per kelurahan/desa: its units, and whether it is covered right now (a unit based
    there is available) or uncovered because its units are out."""
    villages = list(
        Region.objects.filter(level=4, code__startswith=area)
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    by_village: dict[str, list[Unit]] = {}
    for u in Unit.objects.filter(base_village__code__startswith=area).order_by("code"):
        by_village.setdefault(u.base_village_id, []).append(u)
    rows = []
    counts = {"covered": 0, "out": 0, "none": 0}
    for v in villages:
        units = by_village.get(v.code, [])
        if not units:
            state = "none"
        elif any(u.status == Unit.Status.AVAILABLE for u in units):
            state = "covered"
        else:
            state = "out"
        counts[state] += 1
        rows.append(
            {
                "code": v.code,
                "name": v.name,
                "kecamatan": v.parent.name if v.parent else "",
                "lat": v.latitude,
                "lon": v.longitude,
                "state": state,
                "units": [
                    {"code": u.code, "status": u.status, "status_label": u.get_status_display()}
                    for u in units
                ],
            }
        )
    return {"villages": rows, "counts": counts}


# --- response-time report ---------------------------------------------------------------------


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds() / 60)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def day_bounds(day: date, tz: str | None = None) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz or settings.TIME_ZONE)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start, start + timedelta(days=1)


def incident_rows(area: str, start: datetime, end: datetime) -> list[dict]:
    """One row per incident received in [start, end): its phase times in minutes and whether
    the response met the target of its place (urban/rural per area settings)."""

    qs = (
        Incident.objects.filter(received_at__gte=start, received_at__lt=end)
        .filter(area_code__startswith=area[:4])
        .select_related("village", "village__parent")
        .order_by("received_at")
    )
    settings_cache: dict[str, object] = {}
    rows = []
    for i in qs:
        key = i.area_code
        if key not in settings_cache:
            settings_cache[key] = area_settings(key)
        s = settings_cache[key]
        rural = is_rural(i.village)
        target = s.rural_target_min if rural else s.urban_target_min
        response = _minutes(i.received_at, i.on_scene_at)
        rows.append(
            {
                "number": i.number,
                "received_at": i.received_at,
                "triage": i.triage,
                "category": i.category,
                "status": i.status,
                "kecamatan": i.village.parent.name if i.village and i.village.parent else "-",
                "kelurahan": i.village.name if i.village else "-",
                "rural": rural,
                "kelurahan_code": i.village_id or "",
                "call_to_dispatch": _minutes(i.received_at, i.dispatched_at),
                "dispatch_to_scene": _minutes(i.dispatched_at, i.on_scene_at),
                "response": response,
                "scene_to_hospital": _minutes(i.on_scene_at, i.hospital_at),
                "target": target,
                "within_target": None if response is None else response <= target,
            }
        )
    return rows


def summarise(rows: list[dict], key: str) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    out = []
    for name, rs in groups.items():
        judged = [r["within_target"] for r in rs if r["within_target"] is not None]
        out.append(
            {
                "name": name,
                "incidents": len(rs),
                "call_to_dispatch": _median(
                    [r["call_to_dispatch"] for r in rs if r["call_to_dispatch"] is not None]
                ),
                "response": _median([r["response"] for r in rs if r["response"] is not None]),
                "scene_to_hospital": _median(
                    [r["scene_to_hospital"] for r in rs if r["scene_to_hospital"] is not None]
                ),
                "within_target_pct": round(100 * sum(judged) / len(judged), 1) if judged else None,
            }
        )
    if key == "triage":
        out.sort(key=lambda g: triage_rank(g["name"]))
    else:
        out.sort(key=lambda g: (-g["incidents"], g["name"]))
    return out


def utilisation(area: str, start: datetime, end: datetime) -> list[dict]:
    """Per unit: the share of [start, end) it spent on a job (dispatched to at hospital),
    from its status history."""

    units = list(Unit.objects.filter(area_code__startswith=area[:4]).order_by("code"))
    changes: dict[int, list[UnitStatusChange]] = {}
    for c in (
        UnitStatusChange.objects.filter(unit__in=units, at__lt=end)
        .filter(Q(at__gte=start - timedelta(days=2)))
        .order_by("at", "id")
    ):
        changes.setdefault(c.unit_id, []).append(c)
    span = (end - start).total_seconds()
    horizon = min(end, timezone.now())
    out = []
    for u in units:
        busy, jobs = 0.0, 0
        status, since = Unit.Status.AVAILABLE, start
        for c in changes.get(u.pk, []):
            at = max(c.at, start)
            if status in ON_JOB and at > since:
                busy += (at - since).total_seconds()
            status, since = c.to_status, at
            if c.to_status == Unit.Status.DISPATCHED and c.at >= start:
                jobs += 1
        if status in ON_JOB and horizon > since:
            busy += (horizon - since).total_seconds()
        if jobs or busy:
            out.append(
                {
                    "code": u.code,
                    "name": u.name,
                    "jobs": jobs,
                    "busy_pct": round(100 * busy / span, 1),
                }
            )
    out.sort(key=lambda r: -r["busy_pct"])
    return out


def response_report(area: str, day: date) -> dict:
    start, end = day_bounds(day)
    rows = incident_rows(area, start, end)
    util = utilisation(area, start, end)
    judged = [r["within_target"] for r in rows if r["within_target"] is not None]
    return {
        "day": day,
        "rows": rows,
        "total": {
            "incidents": len(rows),
            "call_to_dispatch": _median(
                [r["call_to_dispatch"] for r in rows if r["call_to_dispatch"] is not None]
            ),
            "response": _median([r["response"] for r in rows if r["response"] is not None]),
            "scene_to_hospital": _median(
                [r["scene_to_hospital"] for r in rows if r["scene_to_hospital"] is not None]
            ),
            "within_target_pct": round(100 * sum(judged) / len(judged), 1) if judged else None,
        },
        "by_kecamatan": summarise(rows, "kecamatan"),
        "by_kelurahan": summarise(rows, "kelurahan"),
        "by_triage": summarise(rows, "triage"),
        "utilisation": util,
        "units_used": len(util),
        "mean_busy_pct": round(sum(u["busy_pct"] for u in util) / len(util), 1) if util else None,
    }


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(haversine_km(lat1, lon1, lat2, lon2))


def open_incident_counts(area: str = "") -> dict[str, int]:
    """Incidents not yet closed or cancelled in `area` (a region code prefix), per triage
    colour (every colour present, zero when none)."""

    done = (Incident.Status.CLOSED, Incident.Status.CANCELLED)
    counts = dict(
        Incident.objects.filter(area_code__startswith=area)
        .exclude(status__in=done)
        .values("triage")
        .annotate(n=Count("id"))
        .values_list("triage", "n")
    )
    return {colour: counts.get(colour, 0) for colour in reference.TRIAGE_ORDER}


def units_out(area: str = "") -> dict[str, int]:
    """Units of `area` on a job now, of the units in service (not out of service)."""

    units = Unit.objects.filter(area_code__startswith=area).exclude(
        status=Unit.Status.OUT_OF_SERVICE
    )
    return {"out": units.filter(status__in=ON_JOB).count(), "in_service": units.count()}


def visible_handoffs(user: User | None) -> QuerySet[Handoff]:
    """Hand-offs a user may read, as one query: admins all; PSC call-takers and dispatchers
    those of incidents in their area (as the incident endpoints allow); otherwise those to the
    hospitals the user operates (as the hospital's acknowledge/arrival endpoint allows)."""
    qs = Handoff.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.role in (Role.PSC_CALL_TAKER, Role.DISPATCHER):
        return qs.filter(incident__area_code__startswith=user.area_code)
    return qs.filter(hospital__in=facility_services.facilities_operated_by(user))


def handoffs_for_exchange() -> QuerySet[Handoff]:
    """Every hand-off with its incident, hospital and referral, unscoped: for the office's own
    submission to SATUSEHAT (background jobs), never for a request."""
    return Handoff.objects.select_related("incident", "hospital", "referral")


def triage_labels() -> list[tuple[str, str]]:
    """(colour, label) of the triage colours, most urgent first."""
    return [(c, str(reference.TRIAGE[c][0])) for c in reference.TRIAGE_ORDER]
