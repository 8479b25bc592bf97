"""Beds demo: the rooms of every synthetic hospital of the area with three days of reports,
and the hospitals' Aplicare and SIRS credentials. Deterministic from the hospital codes; a
run on an existing demo only tops the history up to now, so the board stays fresh except
for the hospitals meant to look stale."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from sigap.core.demo import demo_rng
from sigap.core.services import Actor
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

from . import services as bed_services
from .models import AplicareCredential, BedUpdate, Room, SirsCredential

HISTORY_DAYS = 3
STALE_SHARE = 0.1  # share of hospitals whose last report is older than the stale limit
# hospital class -> target number of beds (min, max)
BEDS_BY_CLASS = {"A": (450, 700), "B": (200, 400), "C": (100, 200), "D": (50, 100)}
# bed class -> (needs service, fixed range of beds)
SPECIAL_ROOMS = {
    "ICU": ("icu", (6, 20)),
    "HCU": ("hcu", (4, 12)),
    "ICC": ("iccu", (4, 10)),
    "NIC": ("nicu", (6, 16)),
    "PIC": ("picu", (4, 10)),
    "ISO": ("isolasi", (4, 12)),
    "SAL": ("bersalin", (4, 10)),
}
WARD_NAMES = ["Melati", "Mawar", "Anggrek", "Dahlia", "Kenanga", "Flamboyan", "Cempaka",
              "Teratai", "Bougenville", "Seruni", "Kamboja", "Lavender"]  # fmt: skip
SPECIAL_NAMES = {
    "ICU": "ICU",
    "HCU": "HCU",
    "ICC": "ICCU",
    "NIC": "NICU",
    "PIC": "PICU",
    "ISO": "Isolasi",
    "SAL": "Ruang Bersalin",
    "VVP": "Paviliun VVIP",
    "VIP": "Paviliun VIP",
    "UTM": "Paviliun Utama",
}


@dataclass
class BedsDemo:
    rooms: int = 0
    history_rows: int = 0
    aplicare: tuple[str, str, str] | None = None  # facility, cons_id, secret
    sirs: tuple[str, str, str] | None = None  # facility, rs_id, password


def _split(items: list, parts: int) -> list[list]:
    """`items` in `parts` contiguous, nearly equal chunks."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _with_sex(room: bed_services.RoomInput) -> bed_services.RoomInput:
    """Class I-III wards report free beds for men and women separately (as Aplicare allows)."""
    if room.bed_class not in {"KL1", "KL2", "KL3"}:
        return room
    male = room.free // 2
    return replace(room, free_male=male, free_female=room.free - male)


def demo_hospitals(area_code: str):
    return Facility.objects.filter(
        is_synthetic=True, kind_id=Kind.HOSPITAL, village__code__startswith=area_code
    ).order_by("bpjs_kodeppk")


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    """Credentials, rooms and history of the area's demo hospitals; lines for the summary."""
    result = BedsDemo()
    with transaction.atomic():
        build_credentials(area.code, result)
    build_beds(area.code, result)
    return _summary(result)


def _summary(result: BedsDemo) -> list[str]:
    lines = [f"\nTempat tidur: {result.rooms} ruang, {result.history_rows} riwayat baru."]
    if result.aplicare:
        name, cons_id, secret = result.aplicare
        lines.append(f"Aplicare (/aplicaresws/rest/) untuk {name}:")
        lines.append(f"  X-cons-id: {cons_id}   secret: {secret}   kodeppk: {cons_id}")
    if result.sirs:
        name, rs_id, password = result.sirs
        lines.append(f"SIRS Online (/fo/index.php/Fasyankes) untuk {name}:")
        lines.append(f"  X-rs-id: {rs_id}   password: {password}   (X-pass: password or MD5)")
    lines.append(
        "Rumah sakit demo lain: cons_id <kodeppk>, secret demo-aplicare-<kodeppk huruf kecil>;"
    )
    lines.append("  SIRS rs_id <kode Kemenkes>, password demo-sirs-<kode Kemenkes>.")
    return lines


def build_credentials(area_code: str, result: BedsDemo) -> None:
    for i, h in enumerate(demo_hospitals(area_code)):
        secret = f"demo-aplicare-{h.bpjs_kodeppk.lower()}"
        AplicareCredential.objects.get_or_create(
            facility=h, defaults={"cons_id": h.bpjs_kodeppk, "secret": secret}
        )
        sirs_password = f"demo-sirs-{h.kemenkes_code}"
        SirsCredential.objects.get_or_create(
            facility=h,
            defaults={
                "rs_id": h.kemenkes_code,
                "password_md5": hashlib.md5(sirs_password.encode()).hexdigest(),  # noqa: S324 - SIRS protocol
            },
        )
        if i == 0:
            apl = h.aplicare_credential
            sirs = h.sirs_credential
            result.aplicare = (h.name, apl.cons_id, apl.secret)
            result.sirs = (h.name, sirs.rs_id, sirs_password)


def room_plan(h: Facility) -> list[bed_services.RoomInput]:
    """Rooms of a hospital by class: wards for VIP/I/II/III, units for its services."""
    rng = demo_rng("rooms", h.bpjs_kodeppk)
    lo, hi = BEDS_BY_CLASS[h.hospital_class]
    target = rng.randint(lo, hi)
    svc = set(h.services.values_list("code", flat=True))
    plan: list[tuple[str, str, str, int]] = []
    special = 0
    for cls, (service, (a, b)) in SPECIAL_ROOMS.items():
        if service in svc:
            cap = rng.randint(a, b) * (2 if h.hospital_class == "A" else 1)
            plan.append((cls, f"{cls}01", SPECIAL_NAMES[cls], cap))
            special += cap
    ward = max(20, target - special)
    shares = {"VIP": 0.1, "KL1": 0.15, "KL2": 0.25, "KL3": 0.5}
    if h.hospital_class == "A":
        shares = {"VVP": 0.02, "UTM": 0.05, "VIP": 0.08, "KL1": 0.15, "KL2": 0.25, "KL3": 0.45}
    names = iter(rng.sample(WARD_NAMES, len(WARD_NAMES)))
    for cls, share in shares.items():
        beds = max(2, round(ward * share))
        rooms = 1 if beds <= 30 else min(4, (beds + 29) // 30)
        for k, cap in enumerate(_split(list(range(beds)), rooms), start=1):
            if cls in SPECIAL_NAMES:
                name = SPECIAL_NAMES[cls] + (f" {k}" if rooms > 1 else "")
            else:
                name = f"{next(names, 'Bangsal')} ({cls.replace('KL', 'Kelas ')})"
            plan.append((cls, f"{cls}{k:02d}", name, len(cap)))
    out = []
    for cls, code, name, cap in plan:
        busy = 0.9 if cls in {"ICU", "NIC", "PIC", "HCU", "ICC"} else 0.75
        free = max(0, min(cap, round(cap * (1 - busy) + rng.randint(-2, 2))))
        out.append(_with_sex(bed_services.RoomInput(bed_class=cls, code=code, name=name,
                                                    capacity=cap, free=free)))  # fmt: skip
    return out


def is_stale(h: Facility) -> bool:
    """A few hospitals "stopped reporting"; never the ones with demo operator accounts."""
    code = h.bpjs_kodeppk or ""
    if code.endswith(("R001", "R002")):
        return False
    return code.endswith("R003") or demo_rng("stale", code).random() < STALE_SHARE


def _walk(
    rng: random.Random, room: bed_services.RoomInput, start: datetime, end: datetime
) -> list[tuple[datetime, bed_services.RoomInput]]:
    """Reports every 1.5-5 hours between `start` and `end`, the last one at `end`. Each
    report changes the numbers (an unchanged report leaves no history in the service)."""
    points: list[tuple[datetime, bed_services.RoomInput]] = []
    t, cur = start, room
    while True:
        t = t + timedelta(minutes=rng.randint(90, 300))
        last = t >= end
        t = min(t, end)
        free = max(0, min(cur.capacity, cur.free + rng.choice([-2, -1, -1, 1, 1, 2])))
        if free == cur.free:  # at 0 or at capacity: move the other way
            free = cur.free + 1 if cur.free < cur.capacity else cur.free - 1
        if last and free == room.free:
            # the final report goes through the service, which records only a change
            # against the stored room, i.e. against `room`
            options = [
                f
                for f in range(max(0, free - 2), min(cur.capacity, free + 2) + 1)
                if f not in (room.free, cur.free)
            ]
            free = options[0] if options else (1 - room.free if cur.capacity else 0)
        waiting = rng.randint(0, 3) if free == 0 and cur.bed_class in SPECIAL_ROOMS else 0
        cur = _with_sex(bed_services.RoomInput(
            bed_class=cur.bed_class, code=cur.code, name=cur.name,
            capacity=cur.capacity, free=free, waiting=waiting,
        ))  # fmt: skip
        points.append((t, cur))
        if last:
            return points


def _bulk_history(h: Facility, room: Room, points, result: BedsDemo) -> None:
    rows = [
        BedUpdate(
            at=at,
            facility=h,
            room=room,
            bed_class_id=room.bed_class_id,
            room_code=room.code,
            kind=BedUpdate.Kind.UPDATE,
            source=Room.Source.IMPORT,
            actor_label="demo (riwayat sintetis)",
            capacity=p.capacity,
            free=p.free,
            reserved=p.reserved or 0,
            waiting=p.waiting or 0,
            preparing=0,
        )  # fmt: skip
        for at, p in points
    ]
    BedUpdate.objects.bulk_create(rows, batch_size=1000)
    result.history_rows += len(rows)


def build_beds(area_code: str, result: BedsDemo) -> None:
    """Per hospital: create its rooms three days ago, write the past reports in bulk and
    the latest report through the bed service, so every room equals its last history row.
    On an existing demo, top the history up to now."""
    actor = Actor.system("demo")
    now = timezone.now()
    start_all = now - timedelta(days=HISTORY_DAYS)
    recent = now - timedelta(hours=1)
    for h in demo_hospitals(area_code).prefetch_related("services"):
        rng = demo_rng("history", h.bpjs_kodeppk, now.isoformat())
        stale = is_stale(h)
        end = now - (
            timedelta(hours=rng.uniform(7, 30)) if stale else timedelta(minutes=rng.uniform(1, 50))
        )
        existing = {(r.bed_class_id, r.code): r for r in Room.objects.filter(facility=h)}
        with transaction.atomic():
            for plan in room_plan(h):
                room = existing.get((plan.bed_class, plan.code))
                if room is None:
                    change = bed_services.upsert_room(
                        actor, h, plan, source=Room.Source.IMPORT, at=start_all
                    )
                    room, current, since = change.room, plan, start_all
                    result.history_rows += 1
                else:
                    current = bed_services.RoomInput(
                        bed_class=room.bed_class_id, code=room.code, name=room.name,
                        capacity=room.capacity, free=room.free, waiting=room.waiting,
                        reserved=room.reserved,
                    )  # fmt: skip
                    since = room.reported_at
                    if stale:
                        result.rooms += 1
                        continue  # it stopped reporting: no new history
                result.rooms += 1
                if since >= end - timedelta(minutes=30) or since >= recent:
                    continue  # reported recently (or a stale hospital): leave as it is
                points = _walk(rng, current, since, end)
                _bulk_history(h, room, points[:-1], result)
                at, last = points[-1]
                bed_services.upsert_room(
                    actor, h, last, source=Room.Source.IMPORT, mode="update", at=at
                )
                result.history_rows += 1
