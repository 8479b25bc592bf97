"""The demo: real regions, synthetic and labelled facilities and accounts, then each
capability's own demo (`sigap/<app>/demo.py`, registered in sigap.core.registry: the beds and
their history first).

Everything is deterministic from the area code (same names, codes and places on every run),
so building twice creates nothing new.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import PROTECT, ProtectedError

from sigap.core import registry
from sigap.core.demo import DEMO_OWNER_PREFIX, DEMO_PASSWORD, DEMO_USER_PREFIX, demo_rng, demo_user
from sigap.core.models import Role, User, WebhookEndpoint
from sigap.core.services import Actor
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

__all__ = ["DEMO_PASSWORD", "DemoBuilder", "DemoResult", "wipe_demo"]
# Semarang: 30 hospitals and 37 Puskesmas for 1,702,379 residents.
RESIDENTS_PER_HOSPITAL = 56_000
RESIDENTS_PER_PUSKESMAS = 46_000
PHONE_PREFIX = {"3374": "024", "3322": "024", "3371": "0293", "1671": "0711", "33": "0298"}

# class -> (services always, services sometimes)
CLASS_PROFILE = {
    "A": ({"igd", "icu", "hcu", "iccu", "nicu", "picu", "obstetri", "bersalin",
                       "isolasi", "bedah", "hemodialisa", "stroke", "jantung", "trauma",
                       "rawat_inap", "rawat_jalan", "ambulans"}, set()),
    "B": ({"igd", "icu", "hcu", "nicu", "obstetri", "bersalin", "isolasi", "bedah",
                       "hemodialisa", "rawat_inap", "rawat_jalan", "ambulans"},
          {"picu", "iccu", "stroke", "jantung"}),
    "C": ({"igd", "obstetri", "bersalin", "bedah", "rawat_inap", "rawat_jalan"},
          {"icu", "nicu", "isolasi", "hcu", "hemodialisa", "ambulans"}),
    "D": ({"igd", "bersalin", "rawat_inap", "rawat_jalan"},
          {"obstetri", "isolasi", "icu", "ambulans"}),
}  # fmt: skip
CLASS_MIX = ["A"] * 1 + ["B"] * 6 + ["C"] * 13 + ["D"] * 10  # per 30 hospitals
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
    created_facilities: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)
    capability_lines: list[str] = field(default_factory=list)  # printed after the accounts


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


def _delete_capability_rows(facility_ids: list[int]) -> None:
    """Delete the capabilities' rows that keep a synthetic facility from being deleted (keys
    with on_delete=PROTECT), newest app and model first; what hangs off them cascades."""
    labels = [demo.app_label for demo in reversed(registry.demos())]
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
        self.build_capabilities()
        return self.result

    def build_capabilities(self) -> None:
        """Each capability's own demo (`sigap/<app>/demo.py: build(area, log) -> list[str]`),
        built through that capability's services after the facilities and accounts, in the
        order the apps registered (sigap.core.registry)."""
        area = Region.objects.get(code=self.area_code)
        for demo in registry.demos():
            module = importlib.import_module(demo.module)
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
                        kind=Kind.PUSKESMAS,
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
                    kind=Kind.PUSTU,
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
                always, sometimes = CLASS_PROFILE[hclass]
                svc = set(always) | {s for s in sorted(sometimes) if hrng.random() < 0.5}
                lat, lon = _jitter(hrng, village.latitude, village.longitude)
                self._get_or_create(
                    facility_services.FacilityInput(
                        name=name,
                        kind=Kind.HOSPITAL,
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

    # --- accounts ----------------------------------------------------------------------------

    def build_accounts(self) -> None:
        hospitals = list(
            Facility.objects.filter(
                is_synthetic=True, kind_id=Kind.HOSPITAL, village__code__startswith=self.area_code
            ).order_by("bpjs_kodeppk")[:2]
        )
        puskesmas = (
            Facility.objects.filter(
                is_synthetic=True,
                kind_id=Kind.PUSKESMAS,
                village__code__startswith=self.area_code,
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
            user = demo_user(
                username,
                role,
                self.area_code,
                password=password,
                is_staff=extra.get("is_staff", False),
                is_superuser=extra.get("is_superuser", False),
            )
            if facility is not None:
                # an operator account belongs to one demo facility at a time
                for link in user.facilityoperator_set.exclude(facility=facility):
                    facility_services.remove_operator(self.actor, link.facility, user)
                facility_services.add_operator(self.actor, facility, user)
            self.result.accounts.append(
                DemoAccount(username, str(Role(role).label), facility.name if facility else "")
            )
