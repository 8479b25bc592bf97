"""The demo: real regions, synthetic and labelled facilities, accounts, beds and history.

Everything is deterministic from the area code (same names, codes and places on every run),
so building twice creates nothing new. A run on an existing demo only tops up the bed
history up to now, so the board stays fresh except for the hospitals meant to look stale.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import PROTECT, ProtectedError
from django.utils import timezone

from sigap.beds import services as bed_services
from sigap.beds.models import AplicareCredential, BedUpdate, Room, SirsCredential
from sigap.core.models import Role, User, WebhookEndpoint
from sigap.core.services import Actor
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.regions.models import Region

DEMO_PASSWORD = "sigap-demo-2026"  # noqa: S105 - published demo password
DEMO_USER_PREFIX = "demo-"
# webhook endpoints a capability's demo registers carry this owner label (wiped with the demo)
DEMO_OWNER_PREFIX = "SIGAP demo"
# Semarang: 30 hospitals and 37 Puskesmas for 1,702,379 residents.
RESIDENTS_PER_HOSPITAL = 56_000
RESIDENTS_PER_PUSKESMAS = 46_000
HISTORY_DAYS = 3
STALE_SHARE = 0.1  # share of hospitals whose last report is older than the stale limit
# the capabilities' demo builders, in dependency order
CAPABILITY_DEMOS = [
    "sigap.coverage.demo",
    "sigap.referrals.demo",
    "sigap.emergency.demo",
    "sigap.homecare.demo",
    "sigap.nutrition.demo",
]
PHONE_PREFIX = {"3374": "024", "3322": "024", "3371": "0293", "1671": "0711", "33": "0298"}

# class -> (target beds (min, max), services always, services sometimes)
CLASS_PROFILE = {
    "A": ((450, 700), {"igd", "icu", "hcu", "iccu", "nicu", "picu", "obstetri", "bersalin",
                       "isolasi", "bedah", "hemodialisa", "stroke", "jantung", "trauma",
                       "rawat_inap", "rawat_jalan", "ambulans"}, set()),
    "B": ((200, 400), {"igd", "icu", "hcu", "nicu", "obstetri", "bersalin", "isolasi", "bedah",
                       "hemodialisa", "rawat_inap", "rawat_jalan", "ambulans"},
          {"picu", "iccu", "stroke", "jantung"}),
    "C": ((100, 200), {"igd", "obstetri", "bersalin", "bedah", "rawat_inap", "rawat_jalan"},
          {"icu", "nicu", "isolasi", "hcu", "hemodialisa", "ambulans"}),
    "D": ((50, 100), {"igd", "bersalin", "rawat_inap", "rawat_jalan"},
          {"obstetri", "isolasi", "icu", "ambulans"}),
}  # fmt: skip
CLASS_MIX = ["A"] * 1 + ["B"] * 6 + ["C"] * 13 + ["D"] * 10  # per 30 hospitals
# bed class -> (share of ward beds or fixed range, needs service)
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
HOSPITAL_STYLES = [
    ("RSUD Contoh {place}", "public"),
    ("RS Contoh Sehat {place}", "private"),
    ("RS Contoh Medika {place}", "private"),
    ("RS Contoh Husada {place}", "private"),
    ("RS Contoh Bhakti {place}", "public"),
    ("RS Contoh Permata {place}", "private"),
]


@dataclass
class DemoAccount:
    username: str
    role: str
    facility: str = ""


@dataclass
class DemoResult:
    area: Region
    hospitals: int = 0
    puskesmas: int = 0
    pustu: int = 0
    rooms: int = 0
    history_rows: int = 0
    created_facilities: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)
    aplicare: tuple[str, str, str] | None = None  # facility, cons_id, secret
    sirs: tuple[str, str, str] | None = None  # facility, rs_id, password
    capability_lines: list[str] = field(default_factory=list)  # printed after the accounts


def demo_rng(*parts: object) -> random.Random:
    """A random generator fixed by `parts`: the same demo on every run."""
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(seed[:16], 16))  # noqa: S311 - synthetic data, not security


def _jitter(rng: random.Random, lat: float, lon: float, deg: float = 0.004) -> tuple[float, float]:
    return round(lat + rng.uniform(-deg, deg), 6), round(lon + rng.uniform(-deg, deg), 6)


def _phone(regency: str, n: int) -> str:
    prefix = PHONE_PREFIX.get(regency) or PHONE_PREFIX.get(regency[:2]) or "021"
    return f"({prefix}) 555-{n:04d}"


def _split(items: list, parts: int) -> list[list]:
    """`items` in `parts` contiguous, nearly equal chunks."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _largest_remainder(weights: list[float], total: int, minimum: int = 0) -> list[int]:
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0 or not weights:
        return base
    wsum = sum(weights) or 1.0
    exact = [w / wsum * rest for w in weights]
    counts = [int(x) for x in exact]
    left = rest - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[:left]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts, strict=True)]


def _with_sex(room: bed_services.RoomInput) -> bed_services.RoomInput:
    """Class I-III wards report free beds for men and women separately (as Aplicare allows)."""
    if room.bed_class not in {"KL1", "KL2", "KL3"}:
        return room
    male = room.free // 2
    return replace(room, free_male=male, free_female=room.free - male)


def ensure_demo_account(
    username: str, role: str, area_code: str, facility: Facility | None = None
) -> User:
    """A demo login (password DEMO_PASSWORD) for a capability's demo; operator of `facility`."""
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "area_code": area_code,
            "password": make_password(DEMO_PASSWORD),
            "first_name": "Demo",
            "last_name": str(Role(role).label),
            "is_active": True,
        },
    )
    if facility is not None and not user.facilityoperator_set.filter(facility=facility).exists():
        facility_services.add_operator(Actor.system("demo"), facility, user)
    return user


def _delete_capability_rows(facility_ids: list[int]) -> None:
    """Delete the capabilities' rows that keep a synthetic facility from being deleted (keys
    with on_delete=PROTECT), newest app and model first; what hangs off them cascades."""
    labels = [name.split(".")[1] for name in reversed(CAPABILITY_DEMOS)]
    models = [
        m for label in labels for m in reversed(list(apps.get_app_config(label).get_models()))
    ]
    for _pass in range(3):  # a row may be protected by another app's row deleted later
        blocked = False
        for model in models:
            for f in model._meta.fields:
                if not (f.is_relation and f.related_model is Facility):
                    continue
                if f.remote_field.on_delete is not PROTECT:
                    continue
                try:
                    with transaction.atomic():
                        model.objects.filter(**{f"{f.name}__in": facility_ids}).delete()
                except ProtectedError:
                    blocked = True
        if not blocked:
            return


def wipe_demo() -> int:
    """Delete every synthetic facility (rooms, history and the capabilities' records of them
    go with them), the demo accounts and the demo's webhook endpoints."""
    with transaction.atomic():
        ids = list(Facility.objects.filter(is_synthetic=True).values_list("pk", flat=True))
        _delete_capability_rows(ids)
        Facility.objects.filter(pk__in=ids, parent__isnull=False).delete()
        Facility.objects.filter(pk__in=ids).delete()
        User.objects.filter(username__startswith=DEMO_USER_PREFIX).delete()
        # their delivery log goes with them
        WebhookEndpoint.objects.filter(owner_label__startswith=DEMO_OWNER_PREFIX).delete()
    return len(ids)


class DemoBuilder:
    def __init__(self, area_code: str, *, log: Callable[[str], None] | None = None):
        self.area_code = area_code
        self.area = Region.objects.get(code=area_code)
        self.actor = Actor.system("demo")
        self.now = timezone.now()
        self.log = log or (lambda msg: None)
        self.result = DemoResult(area=self.area)

    # --- facilities ----------------------------------------------------------------------

    def regencies(self) -> list[Region]:
        if self.area.level == Region.Level.REGENCY:
            return [self.area]
        if self.area.level == Region.Level.PROVINCE:
            return list(Region.objects.filter(parent=self.area).order_by("code"))
        raise ValueError("area must be a province or a kabupaten/kota")

    def build(self) -> DemoResult:
        with transaction.atomic():
            for regency in self.regencies():
                self.build_regency(regency)
            self.build_accounts()
            self.build_credentials()
        self.build_beds()
        self.build_capabilities()
        return self.result

    def build_capabilities(self) -> None:
        """Each capability's own demo (`sigap/<app>/demo.py: build(area, log) -> list[str]`),
        built through that capability's services after the facilities and beds."""
        area = Region.objects.get(code=self.area_code)
        for module_name in CAPABILITY_DEMOS:
            if importlib.util.find_spec(module_name) is None:
                continue  # capability not in this build
            module = importlib.import_module(module_name)
            self.result.capability_lines.extend(module.build(area, self.log))

    def _get_or_create(self, data: facility_services.FacilityInput) -> Facility:
        # a demo hospital is known by its kodeppk (names may change between SIGAP versions)
        same = {"bpjs_kodeppk": data.bpjs_kodeppk} if data.bpjs_kodeppk else {"name": data.name}
        existing = Facility.objects.filter(
            is_synthetic=True, village__code__startswith=data.village_code[:4], **same
        ).first()
        if existing is not None:
            return existing
        self.result.created_facilities += 1
        return facility_services.create_facility(self.actor, data)

    def build_regency(self, regency: Region) -> None:
        districts = list(Region.objects.filter(parent=regency).order_by("code"))
        villages_by_district: dict[str, list[Region]] = {d.code: [] for d in districts}
        for v in Region.objects.filter(
            level=Region.Level.VILLAGE, code__startswith=regency.code, latitude__isnull=False
        ).order_by("code"):
            villages_by_district.setdefault(v.parent_id, []).append(v)
        districts = [d for d in districts if villages_by_district.get(d.code)]
        if not districts:
            return
        n_villages = sum(len(v) for v in villages_by_district.values())
        population = regency.population or n_villages * 9_600
        self._build_puskesmas(regency, districts, villages_by_district, population)
        self._build_hospitals(regency, districts, villages_by_district, population)

    def _build_puskesmas(self, regency, districts, villages_by_district, population) -> None:
        total = max(len(districts), round(population / RESIDENTS_PER_PUSKESMAS))
        weights = [len(villages_by_district[d.code]) for d in districts]
        counts = _largest_remainder(weights, total, minimum=1)
        n = 0
        for district, count in zip(districts, counts, strict=True):
            villages = villages_by_district[district.code]
            count = min(count, len(villages))
            for chunk in _split(villages, count):
                n += 1
                rng = demo_rng("puskesmas", regency.code, n)
                home = chunk[0]
                lat, lon = _jitter(rng, home.latitude, home.longitude, 0.002)
                pkm = self._get_or_create(
                    facility_services.FacilityInput(
                        name=f"Puskesmas Contoh {home.name} (demo)",
                        kind="puskesmas",
                        ownership="public",
                        village_code=home.code,
                        latitude=lat,
                        longitude=lon,
                        kemenkes_code=f"P{district.code}{n % 100:02d}",
                        address=f"Jl. Contoh Sehat No. {n}, {home.name}, {district.name}",
                        phone=_phone(regency.code, 3000 + n),
                        services=["rawat_jalan", "kia", "gizi"]
                        + (["igd", "bersalin", "rawat_inap"] if rng.random() < 0.4 else []),
                        is_synthetic=True,
                    )
                )
                facility_services.assign_catchment(self.actor, pkm, [v.code for v in chunk])
                self.result.puskesmas += 1
                self._build_pustu(regency, pkm, chunk, rng, n)

    def _build_pustu(self, regency, pkm, chunk, rng, n) -> None:
        count = rng.randint(1, 3)
        others = chunk[1:] or chunk
        for j in range(count):
            v = others[j % len(others)]
            lat, lon = _jitter(rng, v.latitude, v.longitude, 0.003)
            self._get_or_create(
                facility_services.FacilityInput(
                    name=f"Pustu Contoh {v.name} {j + 1} (demo)",
                    kind="pustu",
                    ownership="public",
                    village_code=v.code,
                    latitude=lat,
                    longitude=lon,
                    parent=pkm,
                    address=f"Jl. Contoh Pustu No. {j + 1}, {v.name}",
                    phone=_phone(regency.code, 5000 + n * 10 + j),
                    services=["rawat_jalan", "kia"],
                    is_synthetic=True,
                )
            )
            self.result.pustu += 1

    def _build_hospitals(self, regency, districts, villages_by_district, population) -> None:
        total = max(1, round(population / RESIDENTS_PER_HOSPITAL))
        # more hospitals where there are more kelurahan; the centre gets the big ones
        weights = [len(villages_by_district[d.code]) for d in districts]
        counts = _largest_remainder(weights, total)
        classes = [
            CLASS_MIX[round(i * len(CLASS_MIX) / total) % len(CLASS_MIX)] for i in range(total)
        ]
        if total < 15:  # a class A hospital is the referral centre of a big city or province
            classes = ["B" if c == "A" else c for c in classes]
        n = 0
        used: set[str] = set()
        for district, count in zip(districts, counts, strict=True):
            villages = villages_by_district[district.code]
            for _ in range(count):
                n += 1
                hrng = demo_rng("hospital", regency.code, n)
                village = hrng.choice(villages)
                hclass = classes[n - 1]
                style, ownership = HOSPITAL_STYLES[(n - 1) % len(HOSPITAL_STYLES)]
                if hclass == "A":
                    style, ownership = "RSUP Contoh {place}", "public"
                name = style.format(place=district.name) + " (demo)"
                if name in used:
                    name = style.format(place=village.name) + " (demo)"
                if name in used:
                    name = style.format(place=f"{district.name} {n}") + " (demo)"
                used.add(name)
                _, always, sometimes = CLASS_PROFILE[hclass]
                svc = set(always) | {s for s in sorted(sometimes) if hrng.random() < 0.5}
                lat, lon = _jitter(hrng, village.latitude, village.longitude)
                self._get_or_create(
                    facility_services.FacilityInput(
                        name=name,
                        kind="rs",
                        ownership=ownership,
                        hospital_class=hclass,
                        village_code=village.code,
                        latitude=lat,
                        longitude=lon,
                        kemenkes_code=f"{regency.code}{n:03d}",
                        bpjs_kodeppk=f"{regency.code}R{n:03d}",
                        address=f"Jl. Contoh Raya No. {n}, {village.name}, {district.name}",
                        phone=_phone(regency.code, 1000 + n),
                        emergency_phone=_phone(regency.code, 2000 + n),
                        services=sorted(svc),
                        is_synthetic=True,
                    )
                )
                self.result.hospitals += 1

    # --- accounts and credentials -----------------------------------------------------------

    def demo_hospitals(self):
        return Facility.objects.filter(
            is_synthetic=True, kind_id="rs", village__code__startswith=self.area_code
        ).order_by("bpjs_kodeppk")

    def build_accounts(self) -> None:
        hospitals = list(self.demo_hospitals()[:2])
        puskesmas = (
            Facility.objects.filter(
                is_synthetic=True, kind_id="puskesmas", village__code__startswith=self.area_code
            )
            .order_by("kemenkes_code")
            .first()
        )
        password = make_password(DEMO_PASSWORD)
        specs: list[tuple[str, str, Facility | None, dict]] = [
            ("demo-admin", Role.ADMIN, None, {"is_staff": True, "is_superuser": True}),
            ("demo-dinkes", Role.ANALYST, None, {}),
            ("demo-psc", Role.PSC_CALL_TAKER, None, {}),
            ("demo-dispatcher", Role.DISPATCHER, None, {}),
            ("demo-crew", Role.AMBULANCE_CREW, None, {}),
            ("demo-puskesmas", Role.PUSKESMAS_STAFF, puskesmas, {}),
            ("demo-warga", Role.PUBLIC, None, {}),
        ]
        for i, h in enumerate(hospitals, start=1):
            specs.insert(1 + i - 1, (f"demo-operator-rs{i}", Role.HOSPITAL_OPERATOR, h, {}))
        for username, role, facility, extra in specs:
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={
                    "role": role,
                    "area_code": self.area_code,
                    "password": password,
                    "first_name": "Demo",
                    "last_name": str(Role(role).label),
                    "is_active": True,
                    "is_staff": extra.get("is_staff", False),
                    "is_superuser": extra.get("is_superuser", False),
                },
            )
            if facility is not None:
                # an operator account belongs to one demo facility at a time
                for link in user.facilityoperator_set.exclude(facility=facility):
                    facility_services.remove_operator(self.actor, link.facility, user)
                facility_services.add_operator(self.actor, facility, user)
            self.result.accounts.append(
                DemoAccount(username, str(Role(role).label), facility.name if facility else "")
            )

    def build_credentials(self) -> None:
        for i, h in enumerate(self.demo_hospitals()):
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
                self.result.aplicare = (h.name, apl.cons_id, apl.secret)
                self.result.sirs = (h.name, sirs.rs_id, sirs_password)

    # --- beds and history --------------------------------------------------------------------

    def room_plan(self, h: Facility) -> list[bed_services.RoomInput]:
        """Rooms of a hospital by class: wards for VIP/I/II/III, units for its services."""
        rng = demo_rng("rooms", h.bpjs_kodeppk)
        (lo, hi), _, _ = CLASS_PROFILE[h.hospital_class]
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

    def is_stale(self, h: Facility) -> bool:
        """A few hospitals "stopped reporting"; never the ones with demo operator accounts."""
        code = h.bpjs_kodeppk or ""
        if code.endswith(("R001", "R002")):
            return False
        return code.endswith("R003") or demo_rng("stale", code).random() < STALE_SHARE

    def _walk(
        self, rng: random.Random, room: bed_services.RoomInput, start: datetime, end: datetime
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

    def _bulk_history(self, h: Facility, room: Room, points) -> None:
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
        self.result.history_rows += len(rows)

    def build_beds(self) -> None:
        """Per hospital: create its rooms three days ago, write the past reports in bulk and
        the latest report through the bed service, so every room equals its last history row.
        On an existing demo, top the history up to now."""
        start_all = self.now - timedelta(days=HISTORY_DAYS)
        recent = self.now - timedelta(hours=1)
        for h in self.demo_hospitals().prefetch_related("services"):
            rng = demo_rng("history", h.bpjs_kodeppk, self.now.isoformat())
            stale = self.is_stale(h)
            end = self.now - (
                timedelta(hours=rng.uniform(7, 30))
                if stale
                else timedelta(minutes=rng.uniform(1, 50))
            )
            existing = {(r.bed_class_id, r.code): r for r in Room.objects.filter(facility=h)}
            with transaction.atomic():
                for plan in self.room_plan(h):
                    room = existing.get((plan.bed_class, plan.code))
                    if room is None:
                        change = bed_services.upsert_room(
                            self.actor, h, plan, source=Room.Source.IMPORT, at=start_all
                        )
                        room, current, since = change.room, plan, start_all
                        self.result.history_rows += 1
                    else:
                        current = bed_services.RoomInput(
                            bed_class=room.bed_class_id, code=room.code, name=room.name,
                            capacity=room.capacity, free=room.free, waiting=room.waiting,
                            reserved=room.reserved,
                        )  # fmt: skip
                        since = room.reported_at
                        if stale:
                            self.result.rooms += 1
                            continue  # it stopped reporting: no new history
                    self.result.rooms += 1
                    if since >= end - timedelta(minutes=30) or since >= recent:
                        continue  # reported recently (or a stale hospital): leave as it is
                    points = self._walk(rng, current, since, end)
                    self._bulk_history(h, room, points[:-1])
                    at, last = points[-1]
                    bed_services.upsert_room(
                        self.actor, h, last, source=Room.Source.IMPORT, mode="update", at=at
                    )
                    self.result.history_rows += 1
