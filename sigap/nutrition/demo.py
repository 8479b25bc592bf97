"""Nutrition and maternal/child health demo: synthetic (clearly labelled) posyandu, children
with a year of monthly measurements, pregnancies, births, and a few maternal and infant deaths
with their reviews, for the demo area. Deterministic; a second run creates nothing new.

Children's growth is drawn from the WHO tables themselves (a z-score per child that drifts
from month to month, turned into a length and a weight with the LMS formula), so the
dashboard shows plausible prevalences (stunting about 12%, wasting about 5%).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from sigap.core.demo import demo_rng
from sigap.core.models import Role
from sigap.core.services import Actor
from sigap.core.text import max_length
from sigap.facilities import services as facility_services
from sigap.facilities.demo import ensure_demo_account
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

from . import services
from . import zscores as zs
from .models import Birth, CaseAction, Child, Death, DeathReview, Measurement, NutritionCase

CHILDREN_PER_POSYANDU = 12
MONTHS = 12
ATTENDANCE = 0.8
LIVE_BIRTHS_PER_KELURAHAN_YEAR = 20
STILL_BIRTH_RATE = 0.009
INFANT_DEATH_RATE = 0.008  # per live birth
MATERNAL_DEATHS_PER_YEAR = 5
FLOWERS = [
    "Melati",
    "Mawar",
    "Anggrek",
    "Dahlia",
    "Kenanga",
    "Cempaka",
    "Teratai",
    "Seruni",
    "Kamboja",
    "Flamboyan",
    "Bougenville",
    "Tulip",
    "Sakura",
    "Lili",
    "Asoka",
    "Nusa Indah",
]
BOYS = [
    "Budi",
    "Agus",
    "Rizky",
    "Dimas",
    "Fajar",
    "Bayu",
    "Arif",
    "Yoga",
    "Raka",
    "Dafa",
    "Ilham",
    "Putra",
    "Rafi",
    "Aditya",
    "Bima",
    "Galih",
]
GIRLS = [
    "Sari",
    "Dewi",
    "Ayu",
    "Putri",
    "Nadia",
    "Rina",
    "Intan",
    "Salsa",
    "Aulia",
    "Citra",
    "Nabila",
    "Zahra",
    "Kirana",
    "Laras",
    "Anisa",
    "Tiara",
]
FAMILY = [
    "Santoso",
    "Wibowo",
    "Lestari",
    "Rahayu",
    "Hartono",
    "Pratama",
    "Saputra",
    "Wulandari",
    "Kusuma",
    "Nugroho",
    "Setiawan",
    "Handayani",
]
MOTHERS = ["Siti", "Sri", "Ani", "Yuni", "Endang", "Tri", "Wahyuni", "Rini", "Lina", "Dwi"]
MATERNAL_CAUSES = [
    ("O72.1", "perdarahan pascapersalinan"),
    ("O14.1", "preeklampsia berat"),
    ("O85", "sepsis nifas"),
    ("O15.0", "eklampsia saat hamil"),
]
INFANT_CAUSES = [
    ("P07.3", "prematur"),
    ("P21.0", "asfiksia berat"),
    ("P36.9", "sepsis neonatal"),
    ("J18.9", "pneumonia"),
    ("A09", "diare"),
    ("Q24.9", "kelainan jantung bawaan"),
]


def _month(d: date, back: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - back, 12)
    return date(y, m + 1, 1)


class _Niks:
    """Synthetic NIKs: a real kecamatan code, the birth date (+40 for women), a serial."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def make(self, kecamatan: str, birth: date, sex: str) -> str:
        day = birth.day + (40 if sex == "P" else 0)
        stem = f"{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        n = self.used.get(stem, 0) + 1
        self.used[stem] = n
        return f"{stem}{n:04d}"


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    actor = Actor.system("demo")
    today = timezone.localdate()
    posyandu = _ensure_posyandu(actor, area, log)
    if not posyandu:
        log("nutrition: no kelurahan in the area, nothing to build")
        return []
    puskesmas = (
        Facility.objects.filter(
            kind_id=Kind.PUSKESMAS, is_synthetic=True, village__code__startswith=area.code
        )
        .order_by("name")
        .first()
    )
    kader = None
    if puskesmas is not None:
        kader = ensure_demo_account("demo-kader", Role.PUSKESMAS_STAFF, area.code, puskesmas)
    if not Child.objects.filter(is_synthetic=True, kelurahan__code__startswith=area.code).exists():
        _children(actor, area, posyandu, today, log)
        _case_actions(kader, area)
    if not Birth.objects.filter(is_synthetic=True, kelurahan_code__startswith=area.code).exists():
        _mothers_and_infants(actor, area, today, log)
    lines = [
        "Gizi & KIA (data sintetis): /gizi/ (dasbor, demo-dinkes), /gizi/kasus/, /kia/, "
        "/kia/kajian-kematian/",
    ]
    if kader is not None and puskesmas is not None:
        lines.append(
            f"Input posyandu /gizi/ukur/ dan impor e-PPGBM /gizi/impor/: demo-kader "
            f"({puskesmas.name})"
        )
    return lines


def _ensure_posyandu(actor: Actor, area: Region, log) -> list[Facility]:
    """One synthetic posyandu per kelurahan of the area (when it has none)."""
    villages = list(Region.objects.filter(level=4, code__startswith=area.code).order_by("code"))
    have = set(
        Facility.objects.filter(
            kind_id=Kind.POSYANDU, village__code__startswith=area.code
        ).values_list("village_id", flat=True)
    )
    created = 0
    room = max_length(Facility, "name") - len(" (demo)")  # the label stays whole
    for i, v in enumerate(villages):
        if v.code in have:
            continue
        rnd = demo_rng("posyandu", v.code)
        lat = (v.latitude or -7.0) + rnd.uniform(-0.002, 0.002)
        lon = (v.longitude or 110.4) + rnd.uniform(-0.002, 0.002)
        facility_services.create_facility(
            actor,
            facility_services.FacilityInput(
                name=f"Posyandu Contoh {FLOWERS[i % len(FLOWERS)]} {v.name}"[:room] + " (demo)",
                kind=Kind.POSYANDU,
                ownership="public",
                village_code=v.code,
                latitude=lat,
                longitude=lon,
                is_synthetic=True,
            ),
        )
        created += 1
    if created:
        log(f"nutrition: {created} synthetic posyandu")
    return list(
        Facility.objects.filter(
            kind_id=Kind.POSYANDU, village__code__startswith=area.code
        ).order_by("village_id", "name")
    )


def _children(actor: Actor, area: Region, posyandu: list[Facility], today: date, log) -> None:
    t = zs.tables()
    niks = _Niks()
    first_month = _month(today, MONTHS - 1)
    inputs: list[services.ChildInput] = []
    plans: list[tuple[str, list[tuple[date, float, float, str]]]] = []
    for p in posyandu:
        rnd = demo_rng("children", p.village_id, p.name)
        kec = p.village_id[:6]
        for k in range(CHILDREN_PER_POSYANDU):
            sex = "L" if rnd.random() < 0.51 else "P"
            # born between 5 years before the first month and a month before today
            span = (today - timedelta(days=30) - (first_month - timedelta(days=1800))).days
            birth = first_month - timedelta(days=1800) + timedelta(days=rnd.randrange(span))
            names = BOYS if sex == "L" else GIRLS
            name = f"{names[rnd.randrange(len(names))]} {FAMILY[rnd.randrange(len(FAMILY))]}"
            mother_birth = date(rnd.randint(1985, 2003), rnd.randint(1, 12), rnd.randint(1, 28))
            nik = niks.make(kec, birth, sex)
            inputs.append(
                services.ChildInput(
                    name=name,
                    sex=sex,
                    birth_date=birth,
                    kelurahan_code=p.village_id,
                    nik=nik,
                    mother_nik=niks.make(kec, mother_birth, "P"),
                    parent_name=f"{MOTHERS[rnd.randrange(len(MOTHERS))]} (sintetis)",
                    birth_weight_kg=round(rnd.gauss(3.1, 0.45), 1),
                    posyandu=p,
                    address=f"Jl. Contoh No. {k + 1}",
                    rt=f"{rnd.randint(1, 9):03d}",
                    rw=f"{rnd.randint(1, 5):03d}",
                    phone=f"0812-0000-{rnd.randint(0, 9999):04d}",
                    is_synthetic=True,
                )
            )
            # each child has its own level; visits wander around it (AR(1), total SD about 1)
            haz_mean, whz_mean = rnd.gauss(-0.8, 0.95), rnd.gauss(-0.2, 0.8)
            haz, whz = haz_mean, whz_mean + rnd.gauss(0, 0.6)
            visits = []
            for back in range(MONTHS - 1, -1, -1):
                month = _month(today, back)
                day = month + timedelta(days=rnd.randint(4, 22))
                haz += rnd.gauss(0, 0.08)
                whz = whz_mean + 0.7 * (whz - whz_mean) + rnd.gauss(0, 0.43)
                age = (day - birth).days
                if day > today or age < 0 or age > zs.MAX_AGE_DAYS or rnd.random() > ATTENDANCE:
                    continue
                visits.append((day, haz, whz, "wrong" if rnd.random() < 0.05 else "right"))
            plans.append((nik, visits))
    with transaction.atomic():
        services.create_children_bulk(actor, inputs, label="demo")
        by_nik = {c.nik: c for c in Child.objects.filter(nik__in=[c.nik for c in inputs])}
        rows: list[services.BulkRow] = []
        for nik, visits in plans:
            child = by_nik[nik]
            sex = zs.BOY if child.sex == "L" else zs.GIRL
            for day, haz, whz, way in visits:
                age = (day - child.birth_date).days
                L, M, S = (a[sex, age] for a in (t["lhfa"].L, t["lhfa"].M, t["lhfa"].S))
                length = float(zs.centile(haz, np.array(L), np.array(M), np.array(S)))
                young = age < zs.SWITCH_DAYS
                table = t["wfl"] if young else t["wfh"]
                lo, hi = zs.WFL_RANGE if young else zs.WFH_RANGE
                length = min(max(length, lo), hi)
                i = int(round((length - table.start) / table.step))
                weight = float(
                    zs.centile(
                        whz,
                        np.array(table.L[sex, i]),
                        np.array(table.M[sex, i]),
                        np.array(table.S[sex, i]),
                    )
                )
                position = "L" if young else "H"
                if way == "wrong":  # measured the other way: the recorded length differs by 0.7
                    position = "H" if young else "L"
                    length += -zs.CONVERSION_CM if young else zs.CONVERSION_CM
                data = services.MeasurementInput(
                    measured_on=day,
                    weight_kg=round(weight, 1),
                    length_cm=round(length, 1),
                    position=position,
                )
                rows.append(services.BulkRow(child, data, age))
        created, _replaced, cases = services.record_measurements_bulk(
            actor, rows, source=Measurement.Source.DEMO
        )
    log(
        f"nutrition: {len(inputs)} synthetic children, {created} measurements, "
        f"{len(cases)} severe cases"
    )


def _case_actions(kader, area: Region) -> None:
    """Some of the severe cases already have actions (home care, supplementary food)."""
    if kader is None:
        return
    actor = Actor.system("demo")
    cases = list(
        NutritionCase.objects.filter(kelurahan_code__startswith=area.code, child__is_synthetic=True)
        .select_related("child")
        .order_by("opened_on", "id")
    )
    for n, case in enumerate(cases):
        if n % 3 == 2:
            continue  # a third waits for action
        services.add_action(
            actor, case, CaseAction.Kind.FOOD, note="PMT pemulihan 90 hari", owner=kader
        )
        if n % 3 == 0:
            services.add_action(
                actor,
                case,
                CaseAction.Kind.HOMECARE,
                note="kunjungan rumah oleh tenaga gizi",
                owner=kader,
            )


def _mothers_and_infants(actor: Actor, area: Region, today: date, log) -> None:
    villages = list(
        Region.objects.filter(level=4, code__startswith=area.code).values_list("code", flat=True)
    )
    if not villages:
        return
    niks = _Niks()
    rnd = demo_rng("mch", area.code)
    births: list[services.BirthInput] = []
    live_by_year: dict[int, list[services.BirthInput]] = {}
    for year in (today.year - 1, today.year):
        last = today if year == today.year else date(year, 12, 31)
        days = (last - date(year, 1, 1)).days + 1
        per_kel = max(1, round(LIVE_BIRTHS_PER_KELURAHAN_YEAR * days / 365))
        for code in villages:
            for _ in range(per_kel):
                born = date(year, 1, 1) + timedelta(days=rnd.randrange(days))
                outcome = "still" if rnd.random() < STILL_BIRTH_RATE else "live"
                mother = date(rnd.randint(1985, 2005), rnd.randint(1, 12), rnd.randint(1, 28))
                b = services.BirthInput(
                    born_on=born,
                    outcome=outcome,
                    kelurahan_code=code,
                    mother_nik=niks.make(code[:6], mother, "P"),
                    sex="L" if rnd.random() < 0.51 else "P",
                    weight_kg=round(max(0.8, rnd.gauss(3.1, 0.5)), 2),
                    is_synthetic=True,
                )
                births.append(b)
                if outcome == "live":
                    live_by_year.setdefault(year, []).append(b)
    services.register_births_bulk(actor, births, label="demo")

    # pregnancies: one in three kelurahan, with first-visit values drawn so that about two in
    # five carry a KSPR risk factor (age, stature, LiLA, Hb, blood pressure, a ticked item)
    prnd = demo_rng("mch-pregnancies", area.code)
    checklist = list(services.CHECKLIST_RISKS)
    pregnancies = 0
    for code in villages[::3]:
        mother = date(prnd.randint(1988, 2005), prnd.randint(1, 12), prnd.randint(1, 28))
        last_period = today - timedelta(days=prnd.randint(40, 250))
        gravida = prnd.randint(1, 5)
        parity = prnd.randint(0, gravida - 1)
        last_birth = last_period - timedelta(days=prnd.randint(300, 3000)) if parity else None
        systolic = round(prnd.gauss(114, 10))
        services.register_pregnancy(
            actor,
            services.PregnancyInput(
                mother_nik=niks.make(code[:6], mother, "P"),
                mother_name=f"{prnd.choice(MOTHERS)} {prnd.choice(FAMILY)} (sintetis)",
                kelurahan_code=code,
                risk_factors=[prnd.choice(checklist)] if prnd.random() < 0.08 else [],
                last_period=last_period,
                gravida=gravida,
                parity=parity,
                last_birth_date=last_birth,
                height_cm=round(prnd.gauss(155, 5), 1),
                muac_cm=round(prnd.gauss(26, 2), 1),
                hb_g_dl=round(prnd.gauss(12.2, 0.9), 1),
                systolic_mmhg=systolic,
                diastolic_mmhg=min(systolic - 20, round(prnd.gauss(74, 8))),
                phone=f"0813-0000-{prnd.randint(0, 9999):04d}",
                address="Jl. Contoh",
                is_synthetic=True,
            ),
        )
        pregnancies += 1

    # deaths, each with its review; older ones already reviewed or closed
    deaths = 0
    for year, live in live_by_year.items():
        for b in rnd.sample(live, k=max(1, round(len(live) * INFANT_DEATH_RATE))):
            age = min(int(rnd.expovariate(1 / 40)), 364)
            died = b.born_on + timedelta(days=age)
            if died > today:
                continue
            code, cause = INFANT_CAUSES[rnd.randrange(len(INFANT_CAUSES))]
            d = services.register_death(
                actor,
                services.DeathInput(
                    kind="infant",
                    died_on=died,
                    birth_date=b.born_on,
                    kelurahan_code=b.kelurahan_code,
                    mother_nik=b.mother_nik,
                    cause_icd10=code,
                    cause=cause,
                    is_synthetic=True,
                ),
            )
            _review(actor, d, today, rnd)
            deaths += 1
        last = today if year == today.year else date(year, 12, 31)
        span = (last - date(year, 1, 1)).days + 1
        for _ in range(max(1, round(MATERNAL_DEATHS_PER_YEAR * span / 365))):
            code, cause = MATERNAL_CAUSES[rnd.randrange(len(MATERNAL_CAUSES))]
            d = services.register_death(
                actor,
                services.DeathInput(
                    kind="maternal",
                    died_on=date(year, 1, 1) + timedelta(days=rnd.randrange(span)),
                    kelurahan_code=villages[rnd.randrange(len(villages))],
                    timing=rnd.choice(["pregnancy", "delivery", "postpartum", "postpartum"]),
                    cause_icd10=code,
                    cause=cause,
                    is_synthetic=True,
                ),
            )
            _review(actor, d, today, rnd)
            deaths += 1
    log(
        f"nutrition: {len(births)} synthetic births, {pregnancies} pregnancies, {deaths} deaths "
        f"with reviews"
    )


def _review(actor: Actor, death: Death, today: date, rnd: random.Random) -> None:
    age = (today - death.died_on).days
    if age < 60:
        return  # recent: still pending
    services.move_review(
        actor,
        death.review,
        DeathReview.Status.REVIEWED,
        findings="Kajian sintetis: rujukan terlambat dan pemeriksaan kehamilan kurang.",
        avoidable=rnd.random() < 0.6,
        delays=rnd.sample(["1", "2", "3"], k=rnd.randint(1, 2)),
        recommendations="Perkuat deteksi dini risiko tinggi dan rujukan tepat waktu.",
    )
    if age > 150:
        services.move_review(actor, death.review, DeathReview.Status.CLOSED)
