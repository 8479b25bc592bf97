"""Home-care routing benchmark (issue 5).

(a) The Solomon VRPTW instances of `../shared/data/solomon/` solved by the same routing layer
    as the daily planner (`sigap.homecare.routing`), `--homecare-seconds` each, every answer
    re-checked by the independent checker, and the gap to the best-known distance.
(b) A synthetic Semarang day: 37 Puskesmas, 400 home visits, 90 workers with skills, shifts
    and household time windows, planned by the daily planner's code
    (`sigap.homecare.planning`) within `--homecare-day-seconds`, re-checked, and compared with
    a greedy nearest-neighbour plan built in the same run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import random
import time
from pathlib import Path

from bench import common
from bench.common import log

NAME = "homecare"
DESCRIPTION = "home-care routing: Solomon VRPTW gap and a 400-visit Semarang day (issue 5)"
SOLOMON_DIR = common.REPO.parent / "shared" / "data" / "solomon"
# Best-known distances (total distance objective) from the data set's README.
BEST_KNOWN = {
    "C101.100.10.vrptw": 827.3,
    "C201.100.3.vrptw": 589.1,
    "R101.100.20.vrptw": 1637.7,
    "R201.100.8.vrptw": 1143.2,
    "RC101.100.15.vrptw": 1619.8,
}
SKILL_MIX = [("nurse", 0.55), ("midwife", 0.2), ("nutritionist", 0.15), ("doctor", 0.1)]
H = 3600


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--homecare-seconds", type=float, default=10.0, help="per Solomon file")
    parser.add_argument("--homecare-day-seconds", type=float, default=25.0,
                        help="solver budget for the whole Semarang day")  # fmt: skip
    parser.add_argument("--homecare-solomon-dir", default=str(SOLOMON_DIR))
    parser.add_argument("--homecare-only", choices=["solomon", "day", "both"], default="both")


# --- (a) Solomon ------------------------------------------------------------------------------


def run_solomon(directory: Path, seconds: float, seed: int) -> tuple[list[list[str]], bool]:
    from sigap.homecare.checker import check_solomon
    from sigap.homecare.routing import solve_solomon

    rows, ok = [], True
    for name, best in BEST_KNOWN.items():
        path = directory / name
        if not path.exists():
            log(f"homecare: {path} missing, skipped")
            ok = False
            continue
        t0 = time.perf_counter()
        result = solve_solomon(str(path), seconds, seed=seed)
        elapsed = time.perf_counter() - t0
        check = check_solomon(str(path), result["routes"], result["distance"])
        gap = (check.distance - best) / best * 100
        ok &= check.ok and gap <= 1.0
        rows.append([
            name, f"{best:.1f}", f"{check.distance:.1f}", f"{gap:+.2f}%",
            str(len(result["routes"])), "yes" if check.ok else "NO: " + "; ".join(check.errors[:2]),
            f"{elapsed:.1f}",
        ])  # fmt: skip
    return rows, ok


# --- (b) a synthetic Semarang day -------------------------------------------------------------


def synthetic_day(seed: int, n_puskesmas: int = 37, n_visits: int = 400, n_workers: int = 90):
    """Puskesmas spread over Kota Semarang's extent; 90 workers (every Puskesmas has a nurse
    and a midwife, the rest are nurses, nutritionists and doctors); 400 homes within ~3 km of
    their Puskesmas, each needing a skill its Puskesmas has, with a household window and a
    priority (a quarter are priority 1)."""
    from sigap.homecare import planning

    rnd = random.Random(seed)
    sites = [
        planning.Site(f"pkm-{i:02d}", rnd.uniform(-7.10, -6.95), rnd.uniform(110.33, 110.50))
        for i in range(n_puskesmas)
    ]
    workers: dict[str, list[planning.WorkerSpec]] = {s.key: [] for s in sites}

    def add_worker(site, skills):
        start = rnd.choice([7 * H + 30 * 60, 8 * H])
        workers[site.key].append(
            planning.WorkerSpec(
                key=f"{site.key}-w{len(workers[site.key])}", skills=frozenset(skills),
                mode=rnd.choice(["motor", "motor", "motor", "car"]),
                shift=(start, start + 7 * H),
            )
        )  # fmt: skip

    for site in sites:
        add_worker(site, ["nurse"])
        add_worker(site, ["midwife"])
    extra = n_workers - 2 * n_puskesmas
    for i in range(extra):
        kind = ["nurse", "nutritionist", "doctor"][i % 3]
        add_worker(
            sites[rnd.randrange(n_puskesmas)], [kind] + (["nurse"] if kind == "doctor" else [])
        )
    visits: dict[str, list[planning.VisitSpec]] = {s.key: [] for s in sites}
    for i in range(n_visits):
        site = sites[rnd.randrange(n_puskesmas)]
        have = set().union(*(w.skills for w in workers[site.key]))
        mix = [(s, p) for s, p in SKILL_MIX if s in have]
        skill = rnd.choices([s for s, _ in mix], [p for _, p in mix])[0]
        start = rnd.choice([8, 8, 9, 10, 11, 13]) * H
        width = rnd.choice([2, 3, 4, 6]) * H
        service = rnd.choice([30, 45, 45, 60]) * 60
        visits[site.key].append(
            planning.VisitSpec(
                key=f"v{i:03d}",
                lat=site.lat + rnd.uniform(-0.025, 0.025),
                lon=site.lon + rnd.uniform(-0.025, 0.025),
                service_s=service, window=(start, max(start, start + width - service)),
                skill=skill, priority=rnd.choices([1, 2, 3], [0.25, 0.45, 0.30])[0],
            )
        )  # fmt: skip
    return sites, workers, visits


def greedy_plan(day) -> dict[str, list[str]]:
    """Nearest neighbour, one worker after another: from where the worker is, go to the
    nearest visit they can still serve in time (priority-1 visits first while any fit)."""
    problem = day.problem
    routes: dict[str, list[str]] = {}
    left = set(range(len(day.visits)))
    for vehicle, worker in zip(problem.vehicles, day.workers, strict=True):
        dist, dur = problem.matrices[worker.mode]
        here, clock = 0, worker.shift[0]
        route = []
        while True:
            best = None
            for urgent_only in (True, False):
                for i in left:
                    v = day.visits[i]
                    if urgent_only and v.priority > 1:
                        continue
                    if v.skill and v.skill not in worker.skills:
                        continue
                    loc = i + 1
                    begin = max(clock + dur[here, loc], v.window[0])
                    if begin > v.window[1] or begin + v.service_s + dur[loc, 0] > worker.shift[1]:
                        continue
                    if best is None or dist[here, loc] < best[0]:
                        best = (dist[here, loc], i, begin)
                if best is not None:
                    break
            if best is None:
                break
            _, i, begin = best
            left.discard(i)
            route.append(day.visits[i].key)
            here, clock = i + 1, begin + day.visits[i].service_s
        routes[vehicle.key] = route
    return routes


def run_day(seconds: float, seed: int) -> tuple[list[list[str]], bool, dict]:
    from sigap.core.travel import get_estimator
    from sigap.homecare import checker, planning

    sites, workers, visits = synthetic_day(seed)
    estimator = get_estimator()
    total_visits = sum(len(v) for v in visits.values())
    t0 = time.perf_counter()
    days = [planning.day_problem(s, workers[s.key], visits[s.key], estimator) for s in sites]
    build = time.perf_counter() - t0
    # The budget is shared in proportion to each Puskesmas's visits (at least 0.2 s each).
    budget = max(seconds - build, 1.0)
    weights = [max(len(d.visits), 1) for d in days]
    shares = [max(0.2, budget * w / sum(weights)) for w in weights]
    scale = min(1.0, budget / sum(shares))

    stats = {
        "pyvrp": dict(served=0, p1=0, km=0.0, errors=0),
        "greedy": dict(served=0, p1=0, km=0.0, errors=0),
    }
    p1_total = sum(1 for vs in visits.values() for v in vs if v.priority == 1)
    for day, share in zip(days, shares, strict=True):
        plan = planning.solve_day(day, share * scale)
        check = planning.check_plan(day, plan)
        served = {a.key for r in plan.routes for a in r.activities}
        s = stats["pyvrp"]
        s["served"] += len(served)
        s["p1"] += sum(1 for v in day.visits if v.priority == 1 and v.key in served)
        s["km"] += check.distance / 1000
        s["errors"] += len(check.errors)
        greedy = greedy_plan(day)
        gserved = {k for r in greedy.values() for k in r}
        unserved = [v.key for v in day.visits if v.key not in gserved]
        facts_check = planning.check_plan(day, _as_plan(greedy, unserved))
        g = stats["greedy"]
        g["served"] += len(gserved)
        g["p1"] += sum(1 for v in day.visits if v.priority == 1 and v.key in gserved)
        g["km"] += facts_check.distance / 1000
        # the greedy plan may leave priority-1 visits out; count only broken hard rules
        g["errors"] += sum(1 for e in facts_check.errors if "priority-1" not in e)
    elapsed = time.perf_counter() - t0
    del checker
    rows = []
    for name, label in (("pyvrp", "PyVRP daily planner"), ("greedy", "greedy nearest neighbour")):
        s = stats[name]
        rows.append([
            label, f"{s['served']}/{total_visits}", f"{s['p1']}/{p1_total}",
            f"{s['km']:.1f}", f"{s['km'] / max(s['served'], 1):.2f}", str(s["errors"]),
        ])  # fmt: skip
    ok = stats["pyvrp"]["errors"] == 0 and stats["pyvrp"]["p1"] == p1_total and elapsed <= 30.0
    info = {
        "elapsed": elapsed, "build": build, "puskesmas": len(sites),
        "workers": sum(len(w) for w in workers.values()), "visits": total_visits,
        "p1": p1_total,
    }  # fmt: skip
    return rows, ok, info


def _as_plan(routes: dict[str, list[str]], unserved: list[str]):
    from sigap.homecare import routing

    return routing.Plan(
        routes=[
            routing.Route(k, [routing.Activity("stop", key, 0, 0, 0) for key in keys], 0, 0, 0, 0)
            for k, keys in routes.items()
        ],
        unserved=unserved, unserved_trips=[], distance=0, feasible=True,
    )  # fmt: skip


def run(opts: argparse.Namespace) -> int:
    import os
    import platform

    ok = True
    parts = [
        "## homecare: routing core (issue 5)",
        "",
        f"Run `sigap bench homecare` on {os.cpu_count()} cores (shared with other work), "
        f"Python {platform.python_version()}, PyVRP {importlib.metadata.version('pyvrp')}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
    ]
    if opts.homecare_only in ("solomon", "both"):
        log(f"homecare: Solomon instances, {opts.homecare_seconds:g} s each")
        rows, sol_ok = run_solomon(Path(opts.homecare_solomon_dir), opts.homecare_seconds, 0)
        ok &= sol_ok
        parts += [
            "",
            f"**(a) Solomon VRPTW** (LKH-3 files, distance = floor(10 x Euclidean) / 10), "
            f"{opts.homecare_seconds:g} s per instance through `sigap.homecare.routing` (the "
            "daily planner's layer); every answer re-checked by `sigap.homecare.checker` "
            "(own parser, capacity, windows, each customer once, distance recomputed). "
            "Target: within 1% of the best-known distance.",
            "",
            common.print_table(
                ["instance", "best known", "SIGAP", "gap", "routes", "checker", "seconds"], rows
            ),
        ]
    if opts.homecare_only in ("day", "both"):
        log(f"homecare: synthetic Semarang day, {opts.homecare_day_seconds:g} s budget")
        rows, day_ok, info = run_day(opts.homecare_day_seconds, opts.seed)
        ok &= day_ok
        parts += [
            "",
            f"**(b) A synthetic Semarang day**: {info['puskesmas']} Puskesmas, "
            f"{info['visits']} visits ({info['p1']} priority 1), {info['workers']} workers "
            "with skills (nurse, midwife, nutritionist, doctor), 7-hour shifts, household "
            "time windows, motorbike or car travel from `sigap.core.travel`. Each Puskesmas "
            "is planned as its own multi-worker problem (workers serve their own catchment), "
            f"all {info['puskesmas']} within one budget: planned in {info['elapsed']:.1f} s "
            f"wall-clock including {info['build']:.2f} s building travel matrices "
            "(target <= 30 s). Hard-rule violations are counted by the independent checker "
            "(skill, window, shift end, visit twice).",
            "",
            common.print_table(
                [
                    "plan",
                    "visits served",
                    "priority 1 served",
                    "travel km",
                    "km per visit",
                    "hard violations",
                ],
                rows,
            ),  # fmt: skip
        ]
    parts += ["", "Targets met." if ok else "**Targets NOT met** (see the tables)."]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(parts))
    return 0 if ok else 1
