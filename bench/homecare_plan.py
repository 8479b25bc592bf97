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
    parser.add_argument("--homecare-joint", action=argparse.BooleanOptionalAction, default=True,
                        help="also solve the Semarang day as one multi-depot model")  # fmt: skip


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
        dist, dur = problem.matrices[vehicle.profile]
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


DAY_MIDNIGHT = "2026-03-10T00:00:00+07:00"  # a Tuesday in WIB; only the hours matter


def _tally(stats: dict, day, plan, check, late: int) -> None:
    served = {a.key for r in plan.routes for a in r.activities}
    stats["served"] += len(served)
    stats["p1"] += sum(1 for v in day.visits if v.priority == 1 and v.key in served)
    stats["km"] += check.distance / 1000
    stats["errors"] += sum(1 for e in check.errors if "priority-1" not in e)
    stats["p1_missing"] += sum(1 for e in check.errors if "priority-1" in e)
    stats["late"] += late


def joint_problem(sites, workers, visits, estimator, midnight):
    """All Puskesmas in ONE PyVRP model: a depot each, every worker a vehicle type starting
    and ending at their own depot, and "only your own Puskesmas's workers" expressed the way
    the routing layer expresses skills (PyVRP 0.14 has no per-client allowed vehicle types):
    one load dimension per (skill, Puskesmas) pair."""
    import numpy as np

    from sigap.homecare import planning, routing

    lats = [s.lat for s in sites] + [v.lat for s in sites for v in visits[s.key]]
    lons = [s.lon for s in sites] + [v.lon for s in sites for v in visits[s.key]]
    crew = [w for s in sites for w in workers[s.key]]
    matrices, profile_of = planning.shift_profiles(
        np.array(lats), np.array(lons), crew, estimator, midnight
    )
    vehicles, stops = [], []
    for d, site in enumerate(sites):
        for w in workers[site.key]:
            vehicles.append(routing.Vehicle(
                key=w.key, depot=d, tw_early=w.shift[0], tw_late=w.shift[1],
                shift_duration=w.shift[1] - w.shift[0], profile=profile_of[w.key],
                skills=frozenset(f"{sk}@{site.key}" for sk in w.skills),
            ))  # fmt: skip
    loc = len(sites)
    for site in sites:
        for v in visits[site.key]:
            stops.append(routing.Stop(
                key=v.key, location=loc, service=v.service_s, tw_early=v.window[0],
                tw_late=max(v.window), skill=f"{v.skill}@{site.key}", priority=v.priority,
            ))  # fmt: skip
            loc += 1
    return routing.Problem(
        matrices=matrices,
        depots=[routing.DepotSpec(s.key, i, 0, 24 * H) for i, s in enumerate(sites)],
        vehicles=vehicles, stops=stops, coords=list(zip(lons, lats, strict=True)),
    )  # fmt: skip


def run_day(seconds: float, seed: int, joint: bool = True) -> tuple[list[list[str]], bool, dict]:
    from datetime import datetime, timedelta

    from sigap.core.travel import get_estimator
    from sigap.homecare import planning, routing

    sites, workers, visits = synthetic_day(seed)
    estimator = get_estimator()
    midnight = datetime.fromisoformat(DAY_MIDNIGHT)
    total_visits = sum(len(v) for v in visits.values())
    t0 = time.perf_counter()
    days = [
        planning.day_problem(s, workers[s.key], visits[s.key], estimator, midnight=midnight)
        for s in sites
    ]
    build = time.perf_counter() - t0
    # The budget is shared in proportion to each Puskesmas's visits (at least 0.2 s each).
    budget = max(seconds - build, 1.0)
    weights = [max(len(d.visits), 1) for d in days]
    shares = [max(0.2, budget * w / sum(weights)) for w in weights]
    scale = min(1.0, budget / sum(shares))

    names = ["split", "greedy", "fixed10"] + (["joint"] if joint else [])
    stats = {n: dict(served=0, p1=0, km=0.0, errors=0, p1_missing=0, late=0) for n in names}
    seconds_of = {}
    p1_total = sum(1 for vs in visits.values() for v in vs if v.priority == 1)
    for day, share in zip(days, shares, strict=True):
        plan = planning.solve_day(day, share * scale)
        check = planning.check_plan(day, plan)
        _tally(stats["split"], day, plan, check,
               planning.late_by_time_of_day(day, plan, estimator, midnight))  # fmt: skip
        greedy = greedy_plan(day)
        gserved = {k for r in greedy.values() for k in r}
        gplan = _as_plan(greedy, [v.key for v in day.visits if v.key not in gserved])
        _tally(stats["greedy"], day, gplan, planning.check_plan(day, gplan), 0)
    seconds_of["split"] = time.perf_counter() - t0
    # the former model: one matrix per mode at 10:00 for the whole day, judged by the same
    # time-of-day drive
    for day, share in zip(days, shares, strict=True):
        flat = planning.day_problem(day.depot, day.workers, day.visits, estimator,
                                    at=midnight + timedelta(hours=10))  # fmt: skip
        plan = planning.solve_day(flat, share * scale)
        _tally(stats["fixed10"], day, plan, planning.check_plan(flat, plan),
               planning.late_by_time_of_day(day, plan, estimator, midnight))  # fmt: skip
    if joint:
        t1 = time.perf_counter()
        problem = joint_problem(sites, workers, visits, estimator, midnight)
        plan = routing.solve(problem, max(seconds - (time.perf_counter() - t1), 1.0))
        seconds_of["joint"] = time.perf_counter() - t1
        seconds_of["joint_relaxed"] = plan.required_relaxed
        by_worker = {r.vehicle: r for r in plan.routes}
        unserved = set(plan.unserved)
        for day in days:
            keys = {v.key for v in day.visits}
            part = routing.Plan(
                routes=[by_worker[w.key] for w in day.workers if w.key in by_worker],
                unserved=[k for k in unserved if k in keys], unserved_trips=[],
                distance=0, feasible=plan.feasible,
            )  # fmt: skip
            _tally(stats["joint"], day, part, planning.check_plan(day, part),
                   planning.late_by_time_of_day(day, part, estimator, midnight))  # fmt: skip
    labels = {
        "split": f"PyVRP, one model per Puskesmas ({seconds_of['split']:.1f} s)",
        "joint": f"PyVRP, one multi-depot model ({seconds_of.get('joint', 0):.1f} s)",
        "fixed10": "PyVRP per Puskesmas, one 10:00 travel matrix (former model)",
        "greedy": "greedy nearest neighbour",
    }
    rows = []
    for name in ["split", "joint", "fixed10", "greedy"]:
        if name not in stats:
            continue
        s = stats[name]
        rows.append([
            labels[name], f"{s['served']}/{total_visits}", f"{s['p1']}/{p1_total}",
            f"{s['km']:.1f}", f"{s['km'] / max(s['served'], 1):.2f}", str(s["errors"]),
            str(s["late"]) if name != "greedy" else "-",
        ])  # fmt: skip
    main = stats["split"]
    ok = (
        main["errors"] == 0 and main["p1"] == p1_total and main["late"] == 0
        and seconds_of["split"] <= 30.0
    )  # fmt: skip
    info = {
        "elapsed": seconds_of["split"], "build": build, "puskesmas": len(sites),
        "workers": sum(len(w) for w in workers.values()), "visits": total_visits,
        "p1": p1_total, "stats": stats, "seconds": seconds_of,
    }  # fmt: skip
    return rows, ok, info


def _verdict(info: dict) -> list[str]:
    """The two comparisons of (b) in words, from this run's figures."""
    st, secs = info["stats"], info["seconds"]
    n, p1 = info["visits"], info["p1"]
    split, flat = st["split"], st["fixed10"]
    out = [
        "",
        f"Time of day: planning with the shift's hours serves {split['served']}/{n} visits, "
        f"the former single 10:00 matrix {flat['served']}/{n}, but {flat['late']} of that "
        "plan's visits or returns are late when driven at each hour's speed "
        f"({split['late']} for the shift-hours plan). The daily planner and the Jemput "
        "Sakit Antar Sehat schedule use the shift's hours.",
    ]
    greedy = st["greedy"]
    per_visit = (greedy["km"] / max(greedy["served"], 1)) / (split["km"] / max(split["served"], 1))
    out += [
        "",
        f"The greedy plan serves fewer visits ({greedy['served']}/{n}: it fills one worker's "
        "day after another and waits out time windows), so its total kilometres are lower; "
        f"per visit served it drives {(per_visit - 1) * 100:.0f}% more, and it drops "
        f"{split['p1'] - greedy['p1']} priority-1 visits that the planner serves. "
        "`sigap plan vrptw FILE --seconds 10` prints the Solomon routes as JSON (`--check` "
        "re-checks them on stderr).",
    ]
    if "joint" in st:
        joint = st["joint"]
        relaxed = (
            ", including a second solve with priority 1 made optional because the first "
            "found no plan serving them all"
            if secs.get("joint_relaxed") else ""
        )  # fmt: skip
        better = joint["p1"] > split["p1"] or (
            joint["p1"] == split["p1"] and joint["served"] > split["served"]
        )
        out += [
            "",
            f"One model for all depots served {joint['served']}/{n} visits "
            f"({joint['p1']}/{p1} priority 1) in {secs['joint']:.1f} s{relaxed}; one model "
            f"per Puskesmas {split['served']}/{n} ({split['p1']}/{p1}) in "
            f"{secs['split']:.1f} s. "
            + (
                "The joint model was better on this day: worth a closer look."
                if better else
                "The daily planner keeps the decomposition: the same optimum, reached by 37 "
                "small searches instead of one large one."
            ),
        ]  # fmt: skip
    return out


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
        rows, day_ok, info = run_day(opts.homecare_day_seconds, opts.seed, opts.homecare_joint)
        ok &= day_ok
        parts += [
            "",
            f"**(b) A synthetic Semarang day**: {info['puskesmas']} Puskesmas, "
            f"{info['visits']} visits ({info['p1']} priority 1), {info['workers']} workers "
            "with skills (nurse, midwife, nutritionist, doctor), 7-hour shifts from 07:30 or "
            "08:00, household time windows, motorbike or car travel from `sigap.core.travel`. "
            "Travel times follow the hours of each worker's shift: a leg takes its longest "
            "time over those hours (the 06-09 rush at 22 km/h for these shifts; PyVRP has no "
            "departure-time dependent travel, see `sigap/homecare/planning.py`). The daily "
            "planner solves each Puskesmas as its own multi-worker model, all "
            f"{info['puskesmas']} within one budget: {info['elapsed']:.1f} s wall-clock "
            f"including {info['build']:.2f} s building travel matrices (target <= 30 s). "
            "Hard-rule violations are counted by the independent checker (skill, window, "
            'shift end, visit twice); "late by time of day" drives every route again with '
            "the speed of each leg's departure hour and counts visits that would start after "
            "their window or workers back after their shift.",
            "",
            common.print_table(
                [
                    "plan",
                    "visits served",
                    "priority 1 served",
                    "travel km",
                    "km per visit",
                    "hard violations",
                    "late by time of day",
                ],
                rows,
            ),  # fmt: skip
            "",
            "Several depots in one model or one model per Puskesmas: a visit belongs to the "
            "Puskesmas whose catchment holds the home and only that Puskesmas's workers, who "
            "start and end there, may serve it. No worker, vehicle or limit is shared between "
            "Puskesmas, so the joint problem is block-diagonal: its cost is the sum of the "
            "Puskesmas' costs and its best plan is the union of the best plan of each "
            "Puskesmas. The decomposition is exact, not an approximation. PyVRP 0.14 has no "
            "per-client list of allowed vehicle types; the joint row above expresses the rule "
            "in one model with a load dimension per (skill, Puskesmas) pair, the way the "
            "routing layer already expresses skills, and solves it with the same total budget.",
        ]
        parts += _verdict(info)
    parts += ["", "Targets met." if ok else "**Targets NOT met** (see the tables)."]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(parts))
    return 0 if ok else 1
