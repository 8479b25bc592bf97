"""Home-care demo: synthetic (clearly labelled) requests, care plans and workers for every demo
Puskesmas of the area, a few transport trips, and tomorrow's plan. Deterministic and
idempotent: requests are keyed by a demo reference, workers by name."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.utils import timezone

from sigap.core.models import Role
from sigap.core.services import Actor
from sigap.facilities.demo import ensure_demo_account
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

from . import services
from .models import (
    CarePlan,
    HomecareRequest,
    PlanStatus,
    TargetGroup,
    TransportTrip,
    TransportVehicle,
    Worker,
)

FIRST = ["Sumarni", "Slamet", "Wagiyem", "Suparman", "Rukmini", "Darmi", "Tukiran", "Sri",
         "Painem", "Joko", "Siti", "Budi", "Karsini", "Mulyono", "Yuliana", "Dewi", "Aisyah",
         "Rahmat", "Ningsih", "Bambang"]  # fmt: skip
LAST = ["Wibowo", "Lestari", "Susanto", "Rahayu", "Hartono", "Wulandari", "Prasetyo", "Utami"]
GROUP_MIX = [("lansia_imobil", 0.35), ("kronis_imobil", 0.25), ("disabilitas_fisik", 0.1),
             ("bumil_risti", 0.18), ("gizi_buruk", 0.12)]  # fmt: skip
NEEDS = {
    "lansia_imobil": "Lansia tirah baring, perlu kontrol tekanan darah dan perawatan kulit",
    "kronis_imobil": "Pasca stroke, perlu pemantauan dan latihan gerak",
    "disabilitas_fisik": "Disabilitas fisik, perlu perawatan luka dan kontrol rutin",
    "bumil_risti": "Ibu hamil risiko tinggi (hipertensi), perlu pemantauan bidan",
    "gizi_buruk": "Balita gizi buruk, perlu pendampingan PMT dan penimbangan",
}
PLANS_PER_PUSKESMAS = (7, 13)
PLAN_SECONDS = 0.6


def _nik(rng: random.Random, district: str, female: bool) -> str:
    day = rng.randint(1, 28) + (40 if female else 0)
    month = rng.randint(1, 12)
    year = rng.randint(40, 99) if rng.random() < 0.7 else rng.randint(0, 20)
    return f"{district}{day:02d}{month:02d}{year:02d}{rng.randint(1, 9999):04d}"


def _workers(actor: Actor, facility: Facility, rng: random.Random) -> list[Worker]:
    existing = {w.name: w for w in Worker.objects.filter(facility=facility, is_synthetic=True)}
    short = facility.name.replace("Puskesmas Contoh ", "").replace(" (demo)", "")
    wanted = [
        (f"Ners {rng.choice(FIRST)} ({short}, demo)", ["nurse"], "motor"),
        (f"Bidan {rng.choice(FIRST)} ({short}, demo)", ["midwife"], "motor"),
    ]
    if rng.random() < 0.5:
        wanted.append(
            (f"Gizi {rng.choice(FIRST)} ({short}, demo)", ["nutritionist", "nurse"], "motor")
        )
    else:
        wanted.append(
            (f"dr. {rng.choice(FIRST)} ({short}, demo)", ["doctor", "nurse", "nutritionist"], "car")
        )
    out = []
    for name, skills, mode in wanted:
        worker = existing.get(name)
        # drawn for existing workers too, so that a second run draws the same numbers after
        start = rng.choice([time(7, 30), time(8)])
        if worker is None:
            end = time(start.hour + 7, start.minute)
            worker = services.create_worker(
                actor, facility,
                services.WorkerInput(name=name, skills=skills, shift_start=start, shift_end=end,
                                     travel_mode=mode, is_synthetic=True),
            )  # fmt: skip
        out.append(worker)
    return out


def _plans(actor: Actor, facility: Facility, rng: random.Random, today) -> int:
    villages = list(facility.catchment.filter(latitude__isnull=False).order_by("code"))
    if not villages:
        return 0
    groups = {g.code: g for g in TargetGroup.objects.all()}
    made = 0
    for i in range(rng.randint(*PLANS_PER_PUSKESMAS)):
        code = rng.choices([c for c, _ in GROUP_MIX], [w for _, w in GROUP_MIX])[0]
        village = rng.choice(villages)
        female = code == "bumil_risti" or rng.random() < 0.55
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} (demo)"
        data = services.RequestInput(
            nik=_nik(rng, village.code[:6], female), name=name,
            phone=f"08{rng.randint(1000000000, 9999999999)}",
            address=f"Jl. Contoh RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 9):02d}",
            village_code=village.code, need=NEEDS[code], target_group=code,
            latitude=village.latitude + rng.uniform(-0.006, 0.006),
            longitude=village.longitude + rng.uniform(-0.006, 0.006),
        )  # fmt: skip
        priority = rng.choices([1, 2, 3], [0.3, 0.45, 0.25])[0]
        start_h = rng.choice([8, 8, 9, 10, 13])
        length = rng.choice([3, 4, 6])
        minutes = rng.choice([30, 45, 60])
        frequency = rng.choice([1, 3, 7, 7, 14])
        req = services.create_request(actor, data, source=HomecareRequest.Source.STAFF,
                                      source_ref=f"demo:{facility.pk}:{i}")  # fmt: skip
        if not req.is_synthetic:
            HomecareRequest.objects.filter(pk=req.pk).update(is_synthetic=True)
        leave_in_inbox = rng.random() < 0.15  # drawn every run: same numbers on a rerun
        if req.status == HomecareRequest.Status.SUBMITTED:
            if leave_in_inbox:
                continue  # for the demo user to decide
            checklist = groups[code].checklist
            req = services.decide_eligibility(
                actor, req, target_group=code, answers={c: True for c in checklist}
            )
        if req.status == HomecareRequest.Status.ELIGIBLE:
            services.create_care_plan(
                actor, req,
                services.CarePlanInput(
                    frequency_days=frequency, skill=groups[code].skill, visit_minutes=minutes,
                    preferred_start=time(start_h), preferred_end=time(min(start_h + length, 16)),
                    priority=priority, start_date=today + timedelta(days=1),
                    notes="Data demo sintetis",
                ),
            )  # fmt: skip
            made += 1
    return made


def _transport(actor: Actor, facility: Facility, rng: random.Random, tomorrow) -> None:
    if TransportVehicle.objects.filter(facility=facility).exists():
        return
    services.save_vehicle(actor, facility, services.VehicleInput(
        "Mobil Jemput Sehat (demo)", f"H {rng.randint(1000, 9999)} DM", 3))  # fmt: skip
    services.save_driver(actor, facility, services.DriverInput(
        f"Pak {rng.choice(FIRST)} (demo)", time(6), time(18)))  # fmt: skip
    hospitals = list(
        Facility.objects.filter(kind_id=Kind.HOSPITAL, is_synthetic=True,
                                village__code__startswith=facility.village_id[:4]).order_by("pk")[:5]
    )  # fmt: skip
    villages = list(facility.catchment.filter(latitude__isnull=False).order_by("code"))
    if not hospitals or not villages:
        return
    tz = timezone.get_current_timezone()
    for j in range(3):
        village = rng.choice(villages)
        direction = "to_facility" if j < 2 else "to_home"
        at = datetime.combine(tomorrow, time(rng.choice([8, 9, 10, 11])), tzinfo=tz)
        services.create_trip(
            actor,
            services.TripInput(
                direction=direction, destination_id=rng.choice(hospitals).pk,
                nik=_nik(rng, village.code[:6], rng.random() < 0.5),
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)} (demo)",
                phone=f"08{rng.randint(1000000000, 9999999999)}", address="Jl. Contoh (demo)",
                village_code=village.code, date=tomorrow,
                appointment_at=at if direction == "to_facility" else None,
                ready_at=at if direction == "to_home" else None,
            ),
            is_synthetic=True,
        )  # fmt: skip
    services.schedule_transport(actor, facility, tomorrow, seconds=0.5)


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    actor = Actor.system("demo homecare")
    puskesmas = list(
        Facility.objects.filter(kind_id=Kind.PUSKESMAS, is_synthetic=True,
                                village__code__startswith=area.code).order_by("kemenkes_code")
    )  # fmt: skip
    if not puskesmas:
        return []
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    plans = 0
    for n, facility in enumerate(puskesmas):
        rng = random.Random(f"homecare:{area.code}:{facility.kemenkes_code}:{n}")
        workers = _workers(actor, facility, rng)
        plans += _plans(actor, facility, rng, today)
        if n < 3:
            _transport(actor, facility, rng, tomorrow)
        if n == 0:
            nurse_user = ensure_demo_account("demo-perawat", Role.PUSKESMAS_STAFF, area.code,
                                             facility=facility)  # fmt: skip
            Worker.objects.filter(pk=workers[0].pk).update(user=nurse_user)
    log(f"homecare: {len(puskesmas)} Puskesmas, {plans} new care plans; planning {tomorrow}")
    day_plans = services.plan_day(actor, tomorrow, seconds=PLAN_SECONDS, area=area.code)
    planned = sum(p.summary.get("planned", 0) for p in day_plans)
    unserved = sum(p.summary.get("unserved", 0) for p in day_plans)
    first = puskesmas[0]
    active = CarePlan.objects.filter(facility__in=puskesmas, status=PlanStatus.ACTIVE).count()
    trips = TransportTrip.objects.filter(base__in=puskesmas, date=tomorrow).count()
    return [
        f"Home care (synthetic): {active} active care plans in {len(puskesmas)} Puskesmas; "
        f"tomorrow {planned} visits planned, {unserved} unserved; {trips} transport trips.",
        f"  demo-perawat (Puskesmas nurse, {first.name}, also a worker with a route): "
        "/perawatan-rumah/puskesmas/ , /perawatan-rumah/rencana/ ,"
        " /perawatan-rumah/kunjungan-saya/",
        "  public home-visit request form: /perawatan-rumah/minta/",
    ]
