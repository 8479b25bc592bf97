"""Coverage demo: a SYNTHETIC population register, JKN membership lists for three months,
a welfare register, priority flags, one quota run and vulnerable workers, all written
through the coverage services (the same import path as real files).

Deterministic (fixed seed) and idempotent: the files come out byte-identical, so a second
build finds the same snapshots and changes nothing.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from django.utils import timezone

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.regions.models import Region

from . import selectors, services
from .models import FlagReason, QuotaRun, ResidentStatus, SnapshotKind, Worker, WorkerEnrolment

RESIDENTS = 30_000
SEED = 3374
# Share of residents covered in each of the three months (oldest first) and active share.
COVERAGE_BY_MONTH = (0.962, 0.971, 0.981)
ACTIVE_SHARE = 0.91
SEGMENTS = (
    ("PBI-APBN", 0.36), ("PBI-APBD", 0.21), ("PPU", 0.28), ("PBPU", 0.10), ("BP", 0.05)
)  # fmt: skip
FIRST = ("Budi", "Siti", "Agus", "Dewi", "Eko", "Rina", "Joko", "Sri", "Andi", "Wati", "Hadi",
         "Nur", "Yanto", "Lestari", "Bambang", "Ayu", "Slamet", "Fitri", "Teguh",
         "Indah")  # fmt: skip
LAST = ("Santoso", "Wijaya", "Rahayu", "Susanto", "Pratama", "Lestari", "Saputra", "Hidayat",
        "Kurniawan", "Setiawan", "Utomo", "Purnomo", "Wibowo", "Handayani", "Nugroho")  # fmt: skip
OCCUPATIONS = ("ojek", "pedagang kaki lima", "nelayan", "buruh harian", "pemulung", "petani")
DEMO_QUOTA = 190  # Semarang's 10,800 a month scaled to the demo's population


def _months(today: date) -> list[date]:
    this = today.replace(day=1)
    prev = (this - timedelta(days=1)).replace(day=1)
    prev2 = (prev - timedelta(days=1)).replace(day=1)
    return [prev2, prev, this]


def synthetic_population(villages: list[str], today: date, n: int = RESIDENTS) -> list[list]:
    """Residents spread over the real kelurahan codes; NIKs follow the NIK rules."""
    rng = np.random.default_rng(SEED)
    kel = rng.choice(np.array(villages), size=n)
    female = rng.random(n) < 0.5
    ages_days = (rng.gamma(2.2, 13.5, n) * 365.25).astype(int).clip(30, 95 * 365)
    statuses = np.array(
        [ResidentStatus.ALIVE, ResidentStatus.MOVED, ResidentStatus.DEAD], dtype=str
    )
    status = rng.choice(statuses, size=n, p=[0.975, 0.015, 0.01])
    # family card numbers: region, an issue date and a serial, none of them from the NIK
    # (a separate generator, so the rest of the population stays as it was)
    kk_rng = np.random.default_rng(SEED + 3)
    kk_days = kk_rng.integers(0, 25 * 365, n)
    kk_serial = kk_rng.integers(1, 10_000, n)
    rows, seen = [], set()
    for i in range(n):
        born = today - timedelta(days=int(ages_days[i]))
        day = born.day + (40 if female[i] else 0)
        serial = 1 + (i % 9998)
        nik = f"{kel[i][:6]}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
        if nik in seen:
            continue
        seen.add(nik)
        issued = today - timedelta(days=int(kk_days[i]))
        kk = f"{kel[i][:6]}{issued:%d%m%y}{int(kk_serial[i]):04d}"
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        rows.append([nik, kk, name, "P" if female[i] else "L", born.isoformat(), kel[i],
                     f"Jl. Contoh No. {1 + i % 200} (sintetis)", str(status[i])])  # fmt: skip
    return rows


def synthetic_membership(people: list[list], month_index: int) -> list[list]:
    """The month's JKN list: the first COVERAGE share of a fixed shuffle, so each month
    extends the previous one; a few rows repeated or broken, as real lists are."""
    rng = np.random.default_rng(SEED + 1)
    order = rng.permutation(len(people))
    share = COVERAGE_BY_MONTH[month_index]
    covered = order[: int(len(people) * share)]
    seg_names = np.array([s for s, _ in SEGMENTS])
    segments = rng.choice(seg_names, size=len(people), p=[p for _, p in SEGMENTS])
    active = rng.random(len(people)) < ACTIVE_SHARE + 0.02 * month_index
    # JKN card numbers (13 digits) not derived from the NIK
    cards = np.random.default_rng(SEED + 4).integers(0, 10**10, len(people))
    rows = []
    for j in sorted(covered):
        nik = people[j][0]
        is_active = bool(active[j]) or segments[j].startswith("PBI")
        rows.append([nik, f"000{int(cards[j]):010d}", str(segments[j]), "1" if is_active else "0",
                     "" if is_active else "menunggak iuran", f"{people[j][5][:6]}P01",
                     "3" if segments[j].startswith("PBI") else "2"])  # fmt: skip
    rows.append(["33740112", "", "PPU", "1", "", "", ""])  # a broken NIK, for the report
    rows.append(list(rows[0]))  # a repeated row
    return rows


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    actor = Actor.system("demo")
    today = timezone.localdate()
    villages = list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area.code)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not villages:
        return []
    months = _months(today)
    people = synthetic_population(villages, today)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        pop = _write(tmpdir / "penduduk-sintetis.csv",
                     ["nik", "no_kk", "nama", "jenis_kelamin", "tanggal_lahir", "kelurahan_code",
                      "alamat", "status"], people)  # fmt: skip
        result = services.import_snapshot(actor, SnapshotKind.POPULATION, pop, months[0])
        log(f"coverage: population {result.snapshot.rows_accepted} residents (synthetic)")
        for i, month in enumerate(months):
            path = _write(tmpdir / f"jkn-{month:%Y-%m}.csv",
                          ["nik", "no_kartu", "segmen", "aktif", "alasan_nonaktif", "kode_faskes",
                           "kelas"], synthetic_membership(people, i))  # fmt: skip
            services.import_snapshot(actor, SnapshotKind.MEMBERSHIP, path, month)
        rng = np.random.default_rng(SEED + 2)
        welfare = [[p[0], int(rng.integers(1, 11))] for p in people if rng.random() < 0.45]
        path = _write(tmpdir / "dtks-sintetis.csv", ["nik", "desil"], welfare)
        services.import_snapshot(actor, SnapshotKind.WELFARE, path, months[-1])
    # priority flags, as home care and maternal health would send them
    alive = [p for p in people if p[7] == ResidentStatus.ALIVE]
    for p in alive[:: len(alive) // 60 or 1][:60]:
        reason = FlagReason.PREGNANT if p[3] == "P" else FlagReason.CHRONIC
        services.flag_resident(actor, p[0], reason, "demo")
    run = QuotaRun.objects.filter(
        program=QuotaRun.Program.JKN, period=months[-1], area_code=area.code,
        status=QuotaRun.Status.DONE,
    ).first()  # fmt: skip
    if run is None:
        try:
            run = services.run_quota(actor, months[-1], area_code=area.code, quota=DEMO_QUOTA)
            services.submit_run(actor, run)
            first_half = list(run.enrolments.order_by("rank").values_list("nik", flat=True))
            services.record_activations(actor, run, first_half[: len(first_half) // 2])
        except Conflict:
            pass
    _workers(actor, area, alive, months[-1], villages)
    summary = services_summary(area.code)
    return [
        f"JKN coverage (synthetic): {summary} - /dinkes/jkn/ (login demo-dinkes)",
        f"Public JKN check /cek-jkn/: e.g. NIK {alive[0][0]}, KK {alive[0][1]} (synthetic)",
    ]


def _workers(actor: Actor, area: Region, alive: list[list], month: date, villages) -> None:
    if Worker.objects.filter(kelurahan_code__startswith=area.code).exists():
        return
    adults = [p for p in alive if "1960" < p[4][:4] < "2005"][:40]
    for i, p in enumerate(adults):
        services.register_worker(actor, nik=p[0], name=p[2], occupation=OCCUPATIONS[i % 6],
                                 kelurahan_code=p[5], wants_jht=i % 3 == 0)  # fmt: skip
    try:
        run = services.run_workers_month(actor, month, area_code=area.code, quota=30)
    except Conflict:
        return
    listed = list(run.worker_enrolments.values_list("worker__nik", flat=True))
    services.set_worker_enrolments(actor, run, listed[:25], WorkerEnrolment.Status.ACTIVE)


def services_summary(area_code: str) -> str:
    s = selectors.area_summary(area_code)
    if not s["population"]:
        return "no data"
    return (f"{s['covered']:,} of {s['population']:,} residents covered "
            f"({s['covered'] / s['population']:.2%})")  # fmt: skip
