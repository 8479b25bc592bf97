"""Read side of the bed board: the public board (list, nearest, export).

The public board is read far more often than it changes, so every app process keeps an
in-memory snapshot (NumPy arrays for the spatial and class filters) and refreshes it from the
board version at most every `CHECK_INTERVAL` seconds, reloading only the hospitals that
changed. An update therefore shows on the board within about a quarter of a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from sigap.core.travel import get_estimator
from sigap.facilities.models import Facility

from .models import BedClass, BedHold, BedUpdate, BoardChange, BoardState, Room

CHECK_INTERVAL = 0.25  # seconds between version checks per process
FULL_REBUILD_EVERY = 60.0  # seconds; also picks up facility edits (name, phone)
MAX_LIMIT = 500


@dataclass
class _Snapshot:
    version: int = -1
    built_at: float = 0.0
    checked_at: float = 0.0
    entries: dict[int, dict] = field(default_factory=dict)
    # arrays, aligned with `order`
    order: list[int] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    lats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    regions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U10"))
    reported: np.ndarray = field(default_factory=lambda: np.zeros(0))
    free_by_class: dict[str, np.ndarray] = field(default_factory=dict)
    has_class: dict[str, np.ndarray] = field(default_factory=dict)
    total_free: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


_lock = threading.Lock()
_snapshot = _Snapshot()


def _class_names() -> dict[str, str]:
    return dict(BedClass.objects.values_list("code", "name"))


def _load_entries(facility_ids: list[int] | None) -> dict[int, dict]:
    """Board entries of the given hospitals (all hospitals with rooms when None)."""
    rooms = Room.objects.all()
    if facility_ids is not None:
        rooms = rooms.filter(facility_id__in=facility_ids)
    per_facility: dict[int, list[dict]] = {}
    for r in rooms.order_by("facility_id", "bed_class__sort", "code").values(
        "facility_id", "bed_class_id", "capacity", "free", "reserved", "waiting", "preparing",
        "free_male", "free_female", "reported_at",
    ):  # fmt: skip
        per_facility.setdefault(r["facility_id"], []).append(r)
    if not per_facility:
        return {}
    names = _class_names()
    facilities = Facility.objects.filter(pk__in=per_facility, is_active=True).values(
        "pk", "public_id", "name", "kind_id", "ownership", "hospital_class", "address",
        "latitude", "longitude", "phone", "emergency_phone", "is_synthetic", "village_id",
        "village__name", "village__parent_id", "village__parent__name",
    )  # fmt: skip
    entries: dict[int, dict] = {}
    for f in facilities:
        classes: dict[str, dict] = {}
        for r in per_facility[f["pk"]]:
            c = classes.setdefault(
                r["bed_class_id"],
                {
                    "kodekelas": r["bed_class_id"],
                    "class_name": names.get(r["bed_class_id"], r["bed_class_id"]),
                    "capacity": 0,
                    "free": 0,
                    "reserved": 0,
                    "waiting": 0,
                    "free_male": None,
                    "free_female": None,
                },
            )
            for key in ("capacity", "free", "reserved", "waiting"):
                c[key] += r[key]
            for key in ("free_male", "free_female"):
                if r[key] is not None:
                    c[key] = (c[key] or 0) + r[key]
        reported_at = max(r["reported_at"] for r in per_facility[f["pk"]])
        entries[f["pk"]] = {
            "id": str(f["public_id"]),
            "name": f["name"],
            "kind": f["kind_id"],
            "ownership": f["ownership"],
            "hospital_class": f["hospital_class"] or None,
            "address": f["address"],
            "kecamatan": {"code": f["village__parent_id"], "name": f["village__parent__name"]},
            "kelurahan": {"code": f["village_id"], "name": f["village__name"]},
            "lat": f["latitude"],
            "lon": f["longitude"],
            "phone": f["phone"],
            "emergency_phone": f["emergency_phone"],
            "synthetic": f["is_synthetic"],
            "beds": list(classes.values()),
            "total_free": sum(c["free"] for c in classes.values()),
            "updated_at": reported_at,
        }
    return entries


def _index(snap: _Snapshot) -> None:
    """Build the arrays from the entries (one pass over every room class)."""
    snap.order = sorted(snap.entries, key=lambda pk: snap.entries[pk]["name"])
    snap.position = {pk: i for i, pk in enumerate(snap.order)}
    es = [snap.entries[pk] for pk in snap.order]
    n = len(es)
    snap.lats = np.array([e["lat"] for e in es], dtype=float)
    snap.lons = np.array([e["lon"] for e in es], dtype=float)
    snap.regions = np.array([e["kelurahan"]["code"] for e in es], dtype="<U10")
    snap.reported = np.array([e["updated_at"].timestamp() for e in es], dtype=float)
    snap.total_free = np.array([e["total_free"] for e in es], dtype=int)
    snap.free_by_class, snap.has_class = {}, {}
    for i, e in enumerate(es):
        for b in e["beds"]:
            code = b["kodekelas"]
            if code not in snap.free_by_class:
                snap.free_by_class[code] = np.zeros(n, dtype=int)
                snap.has_class[code] = np.zeros(n, dtype=bool)
            snap.free_by_class[code][i] = b["free"]
            snap.has_class[code][i] = True


def _patched(old: _Snapshot, version: int, now: float, reloaded: dict[int, dict],
             changed: list[int]) -> _Snapshot:  # fmt: skip
    """A new snapshot with the changed hospitals replaced in copies of the old arrays.
    Readers keep using the old snapshot meanwhile, so nothing is modified in place."""
    new = _Snapshot(version=version, built_at=old.built_at, checked_at=now)
    new.entries = dict(old.entries)
    for pk in changed:
        if pk in reloaded:
            new.entries[pk] = reloaded[pk]
        else:
            new.entries.pop(pk, None)
    same_set = all((pk in reloaded) == (pk in old.position) for pk in changed)
    renamed = any(
        pk in reloaded and reloaded[pk]["name"] != old.entries[pk]["name"]
        for pk in changed
        if pk in old.position
    )
    if not same_set or renamed:
        _index(new)  # a hospital appeared, vanished or moved in the order
        return new
    new.order, new.position = old.order, old.position
    new.lats, new.lons, new.regions = old.lats.copy(), old.lons.copy(), old.regions.copy()
    new.reported, new.total_free = old.reported.copy(), old.total_free.copy()
    new.free_by_class = {c: a.copy() for c, a in old.free_by_class.items()}
    new.has_class = {c: a.copy() for c, a in old.has_class.items()}
    n = len(new.order)
    for pk in changed:
        i, e = new.position[pk], reloaded[pk]
        new.lats[i], new.lons[i] = e["lat"], e["lon"]
        new.regions[i] = e["kelurahan"]["code"]
        new.reported[i] = e["updated_at"].timestamp()
        new.total_free[i] = e["total_free"]
        for code in new.free_by_class:
            new.free_by_class[code][i], new.has_class[code][i] = 0, False
        for b in e["beds"]:
            code = b["kodekelas"]
            if code not in new.free_by_class:
                new.free_by_class[code] = np.zeros(n, dtype=int)
                new.has_class[code] = np.zeros(n, dtype=bool)
            new.free_by_class[code][i], new.has_class[code][i] = b["free"], True
    return new


def _current_version() -> int:
    return BoardState.objects.values_list("version", flat=True).get(id=1)


def get_snapshot() -> _Snapshot:
    """The process's board, refreshed when the board version has moved."""
    global _snapshot
    now = time.monotonic()
    snap = _snapshot
    if now - snap.checked_at < CHECK_INTERVAL:
        return snap
    with _lock:
        snap = _snapshot
        if now - snap.checked_at < CHECK_INTERVAL:
            return snap
        version = _current_version()
        if version == snap.version and now - snap.built_at < FULL_REBUILD_EVERY:
            snap.checked_at = now
            return snap
        changed: list[int] | None = None
        if snap.version >= 0 and now - snap.built_at < FULL_REBUILD_EVERY:
            rows = list(
                BoardChange.objects.filter(
                    version__gt=snap.version, version__lte=version
                ).values_list("version", "facility_id")
            )
            # Incremental only if no change was pruned in between.
            if len(rows) and min(v for v, _ in rows) == snap.version + 1:
                changed = sorted({f for _, f in rows})
        if changed is None:
            new = _Snapshot(version=version, built_at=now, checked_at=now)
            new.entries = _load_entries(None)
            _index(new)
        else:
            new = _patched(snap, version, now, _load_entries(changed), changed)
        _snapshot = new
        return new


def reset_snapshot() -> None:
    """Forget the cached board (tests, after bulk loads)."""
    global _snapshot
    with _lock:
        _snapshot = _Snapshot()


def known_class_codes() -> frozenset[str]:
    """Bed class codes, cached per process: checked on every public query."""
    global _class_codes, _class_codes_at
    now = time.monotonic()
    if _class_codes is None or now - _class_codes_at > FULL_REBUILD_EVERY:
        _class_codes = frozenset(BedClass.objects.values_list("code", flat=True))
        _class_codes_at = now
    return _class_codes


_class_codes: frozenset[str] | None = None
_class_codes_at = 0.0


def stale_after() -> timedelta:
    return timedelta(minutes=settings.SIGAP_BED_STALE_AFTER_MINUTES)


def _present(entry: dict, now: datetime, stale_seconds: float) -> dict:
    age = max(0.0, (now - entry["updated_at"]).total_seconds())
    out = dict(entry)
    out["updated_at"] = entry["updated_at"].isoformat()
    out["age_minutes"] = int(age // 60)
    out["stale"] = age > stale_seconds
    return out


def _shown(
    snap: _Snapshot, kelas: str | None, prefixes: tuple, *, include_full: bool
) -> np.ndarray | None:
    """The hospitals a board filter shows, as a mask over the snapshot (None for a bed class
    no hospital has): with `kelas`, those with a free bed of it (with `include_full`, any bed
    of it); each non-empty region prefix narrows further."""
    mask = np.ones(len(snap.order), dtype=bool)
    if kelas:
        code = kelas.upper()
        if code not in snap.has_class:
            return None
        mask &= snap.has_class[code] if include_full else snap.free_by_class[code] > 0
    for prefix in prefixes:
        if prefix:
            mask &= np.char.startswith(snap.regions, prefix)
    return mask


def public_board(
    *,
    kelas: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    kecamatan: str | None = None,
    area: str | None = None,
    limit: int | None = 50,
    include_full: bool = False,
    now: datetime | None = None,
) -> list[dict]:
    """Hospitals with their free beds per class, as the public sees them (no personal data).

    With `kelas`, only hospitals that have a free bed of that class (or, with `include_full`,
    any bed of that class). With a position, nearest first by travel time, each with
    `distance_km` and `travel_minutes`; otherwise the most free beds first.
    """
    snap = get_snapshot()
    now = now or timezone.now()
    n = len(snap.order)
    mask = _shown(snap, kelas, (kecamatan, area), include_full=include_full)
    if mask is None:
        return []
    idx = np.flatnonzero(mask)
    limit = n if limit is None else max(1, min(int(limit), MAX_LIMIT))
    minutes = km = None
    if lat is not None and lon is not None and idx.size:
        est = get_estimator()
        km = est.road_km(lat, lon, snap.lats[idx], snap.lons[idx])
        minutes = est.minutes(lat, lon, snap.lats[idx], snap.lons[idx], at=now)
        if idx.size > limit:
            part = np.argpartition(minutes, limit - 1)[:limit]
        else:
            part = np.arange(idx.size)
        part = part[np.argsort(minutes[part], kind="stable")]
    else:
        free = snap.free_by_class[kelas.upper()][idx] if kelas else snap.total_free[idx]
        part = np.argsort(-free, kind="stable")[:limit]
    stale_seconds = stale_after().total_seconds()
    result = []
    for j in part:
        entry = _present(snap.entries[snap.order[idx[j]]], now, stale_seconds)
        if minutes is not None:
            entry["distance_km"] = round(float(km[j]), 2)
            entry["travel_minutes"] = round(float(minutes[j]), 1)
        result.append(entry)
    return result


def board_summary(
    area: str | None = None, *, kecamatan: str | None = None, kelas: str | None = None
) -> dict:
    """Totals for the board's header over the hospitals the filter shows: hospitals, free
    beds, stale hospitals. With `kelas`, the hospitals that have beds of that class and the
    free beds of that class; with `kecamatan`, only that kecamatan. Empty values are no filter."""
    snap = get_snapshot()
    mask = _shown(snap, kelas, (area, kecamatan), include_full=True)
    if mask is None:  # a class no hospital has
        mask = np.zeros(len(snap.order), bool)
    free = snap.free_by_class.get(kelas.upper(), snap.total_free) if kelas else snap.total_free
    cutoff = (timezone.now() - stale_after()).timestamp()
    return {
        "hospitals": int(mask.sum()),
        "free": int(free[mask].sum()),
        "stale": int(((snap.reported < cutoff) & mask).sum()),
        "version": snap.version,
    }


EXPORT_COLUMNS = [
    "rumah_sakit", "kecamatan", "kelurahan", "telepon", "telepon_igd", "kodekelas", "kelas",
    "kapasitas", "tersedia", "dipesan", "antrian", "diperbarui", "data_lama",
]  # fmt: skip


def export_rows(*, kelas: str | None = None, kecamatan: str | None = None) -> list[list]:
    """The board as rows (one per hospital and class) for CSV/XLSX export."""
    rows = []
    entries = public_board(kelas=kelas, kecamatan=kecamatan, limit=None, include_full=True)
    for e in sorted(entries, key=lambda e: e["name"]):
        for b in e["beds"]:
            if kelas and b["kodekelas"] != kelas.upper():
                continue
            rows.append([
                e["name"], e["kecamatan"]["name"], e["kelurahan"]["name"], e["phone"],
                e["emergency_phone"], b["kodekelas"], b["class_name"], b["capacity"], b["free"],
                b["reserved"], b["waiting"], e["updated_at"], "ya" if e["stale"] else "tidak",
            ])  # fmt: skip
    return rows


def bucket_times(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """`start`, `start + step`, ... up to and including `end`."""
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    times, t = [], start
    while t <= end:
        times.append(t)
        t += step
    return times


def occupancy_series(
    *,
    times: list[datetime],
    area: str | None = None,
    facility_ids: list[int] | None = None,
    bed_class: str | None = None,
) -> dict:
    """Bed occupancy (BOR = occupied / capacity) at each of `times`, from the update history.

    The state of a room at time t is its last update at or before t (a deletion removes it);
    occupied = capacity - free - reserved - preparing, as `Room.occupied`. Returns
    `{"times", "classes": {kodekelas: [bor or None]}, "total": [bor or None],
    "capacity": [beds], "occupied": [beds]}`; BOR is a fraction, None where there is no
    capacity.
    """
    from .models import BedUpdate

    if not times:
        return {"times": [], "classes": {}, "total": [], "capacity": [], "occupied": []}
    updates = BedUpdate.objects.filter(at__lte=times[-1])
    if area:
        updates = updates.filter(facility__village__code__startswith=area)
    if facility_ids is not None:
        updates = updates.filter(facility_id__in=facility_ids)
    if bed_class:
        updates = updates.filter(bed_class_id=bed_class.upper())
    rows = updates.order_by("at", "id").values_list(
        "at", "facility_id", "bed_class_id", "room_code", "kind", "capacity", "free",
        "reserved", "preparing",
    )  # fmt: skip
    state: dict[tuple, tuple[str, int, int]] = {}
    per_class: dict[str, list[tuple[int, int]]] = {}
    totals: list[tuple[int, int]] = []
    it = iter(rows.iterator(chunk_size=5000))
    pending = next(it, None)
    for i, t in enumerate(times):
        while pending is not None and pending[0] <= t:
            at, fac, cls, code, kind, cap, free, reserved, preparing = pending
            key = (fac, cls, code)
            if kind == "delete":
                state.pop(key, None)
            else:
                state[key] = (cls, cap, max(0, cap - free - reserved - preparing))
            pending = next(it, None)
        sums: dict[str, list[int]] = {}
        for cls, cap, occ in state.values():
            s = sums.setdefault(cls, [0, 0])
            s[0] += occ
            s[1] += cap
        for cls in sums.keys() - per_class.keys():
            per_class[cls] = [(0, 0)] * i
        for cls, series in per_class.items():
            occ, cap = sums.get(cls, (0, 0))
            series.append((occ, cap))
        totals.append((sum(s[0] for s in sums.values()), sum(s[1] for s in sums.values())))

    def ratio(occ: int, cap: int) -> float | None:
        return occ / cap if cap else None

    order = {c: s for s, c in enumerate(BedClass.objects.values_list("code", flat=True))}
    return {
        "times": list(times),
        "classes": {
            cls: [ratio(o, c) for o, c in per_class[cls]]
            for cls in sorted(per_class, key=lambda c: order.get(c, 999))
        },
        "total": [ratio(o, c) for o, c in totals],
        "capacity": [c for _, c in totals],
        "occupied": [o for o, _ in totals],
    }


def hospital_report(area: str | None = None, *, now: datetime | None = None) -> list[dict]:
    """Per hospital with rooms: beds, occupancy now, and the age of its last report
    (oldest report first), for the health office."""
    from django.db.models import F, Sum

    now = now or timezone.now()
    rooms = Room.objects.filter(facility__is_active=True)
    if area:
        rooms = rooms.filter(facility__village__code__startswith=area)
    rows = rooms.values(
        "facility_id", "facility__public_id", "facility__name", "facility__village__parent__name",
        "facility__phone", "facility__is_synthetic",
    ).annotate(
        capacity=Sum("capacity"),
        free=Sum("free"),
        held=Sum(F("reserved") + F("preparing")),
        last=Max("reported_at"),
    )  # fmt: skip
    limit = stale_after()
    out = []
    for r in rows:
        occupied = max(0, r["capacity"] - r["free"] - r["held"])
        age = max(timedelta(0), now - r["last"])
        out.append({
            "facility_id": r["facility_id"],
            "id": str(r["facility__public_id"]),
            "name": r["facility__name"],
            "kecamatan": r["facility__village__parent__name"],
            "phone": r["facility__phone"],
            "synthetic": r["facility__is_synthetic"],
            "capacity": r["capacity"],
            "free": r["free"],
            "occupied": occupied,
            "bor": occupied / r["capacity"] if r["capacity"] else None,
            "last_report": r["last"],
            "age_minutes": int(age.total_seconds() // 60),
            "stale": age > limit,
        })  # fmt: skip
    out.sort(key=lambda h: (h["last_report"], h["name"]))
    return out


def free_by_class(area: str = "") -> list[dict]:
    """Free beds and capacity per bed class over the active hospitals of `area` (a region
    code prefix; empty = everywhere), in the classes' reference order; for the health office."""
    from django.db.models import Sum

    rows = (
        Room.objects.filter(facility__is_active=True, facility__village__code__startswith=area)
        .values("bed_class_id", "bed_class__name", "bed_class__sort")
        .annotate(free=Sum("free"), capacity=Sum("capacity"))
        .order_by("bed_class__sort", "bed_class_id")
    )
    return [
        {"code": r["bed_class_id"], "name": r["bed_class__name"], "free": r["free"],
         "capacity": r["capacity"]}
        for r in rows
    ]  # fmt: skip


def rooms_of_active_facilities() -> QuerySet[Room]:
    """Every room of an active facility with its class and facility (and the facility's
    region chain) selected, in a stable order: for readers that page through rooms (FHIR)."""
    return (
        Room.objects.filter(facility__is_active=True)
        .select_related("bed_class", "facility__kind", "facility__village__parent__parent__parent")
        .order_by("facility__name", "facility_id", "bed_class__sort", "code", "pk")
    )


def update_rows(area: str, until: datetime) -> list[tuple]:
    """The bed-update history of the hospitals in `area` up to `until`, oldest first, as
    (at, facility_id, facility name, kodekelas, room_code, kind, source, capacity, free,
    reserved, preparing): the health office's reports replay it with NumPy."""
    return list(
        BedUpdate.objects.filter(at__lte=until, facility__village__code__startswith=area)
        .order_by("at", "id")
        .values_list(
            "at",
            "facility_id",
            "facility__name",
            "bed_class_id",
            "room_code",
            "kind",
            "source",
            "capacity",
            "free",
            "reserved",
            "preparing",
        )  # fmt: skip
    )


def hold_rows(area: str, start: datetime, end: datetime) -> list[dict]:
    """Bed holds taken in [start, end) in `area`'s hospitals: facility, class, status."""
    return list(
        BedHold.objects.filter(
            created_at__gte=start, created_at__lt=end, facility__village__code__startswith=area
        ).values("facility_id", "facility__name", "bed_class_id", "status")
    )
