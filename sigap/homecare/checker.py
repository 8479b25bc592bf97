"""An independent feasibility checker for routing results.

It shares no code with `routing.py` and does not use PyVRP: it reads the Solomon file with its
own parser, recomputes every distance from the coordinates, simulates every route's clock, and
for daily plans re-checks them against plain inputs (times, windows, skills, shifts). A solver
bug or a modelling slip therefore shows up here instead of in a quoted figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class CheckResult:
    ok: bool
    distance: float
    errors: list[str] = field(default_factory=list)


def _parse(path: str) -> dict:
    spec: dict[str, str] = {}
    rows: dict[str, dict[int, list[str]]] = {}
    current = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if not text or text == "EOF":
                continue
            if text.endswith("SECTION"):
                current = text
                rows[current] = {}
                continue
            if current is None:
                key, _, value = text.partition(":")
                spec[key.strip()] = value.strip()
                continue
            cols = text.split()
            if int(cols[0]) > 0:
                rows[current][int(cols[0])] = cols[1:]
    return {"spec": spec, "rows": rows}


def check_solomon(
    path: str, routes: Sequence[Sequence[int]], claimed: float | None = None
) -> CheckResult:
    """Re-check a VRPTW answer against the file: every customer exactly once, capacity, time
    windows (service may start at the window's opening at the earliest, must start by its
    close; the vehicle is back at the depot by its close), fleet size, and the distance."""
    parsed = _parse(path)
    spec, rows = parsed["spec"], parsed["rows"]
    scale = int(spec.get("SCALE", "1"))
    capacity = int(spec.get("CAPACITY", "0")) or math.inf
    fleet = int(spec.get("VEHICLES", "0")) or math.inf
    service = int(float(spec.get("SERVICE_TIME", "0"))) * scale
    xy = {n: (float(c[0]), float(c[1])) for n, c in rows["NODE_COORD_SECTION"].items()}
    demand = {n: int(c[0]) for n, c in rows.get("DEMAND_SECTION", {}).items()}
    window = {
        n: (int(c[0]) * scale, int(c[1]) * scale)
        for n, c in rows.get("TIME_WINDOW_SECTION", {}).items()
    }
    depot = min(rows.get("DEPOT_SECTION", {1: []}))

    def dist(a: int, b: int) -> int:
        (x1, y1), (x2, y2) = xy[a], xy[b]
        return int(math.floor(scale * math.hypot(x1 - x2, y1 - y2) + 1e-9))

    errors: list[str] = []
    seen: dict[int, int] = {}
    total = 0
    used = [r for r in routes if r]
    if len(used) > fleet:
        errors.append(f"{len(used)} routes but only {fleet} vehicles")
    for k, route in enumerate(used):
        load = 0
        clock = window.get(depot, (0, math.inf))[0]
        here = depot
        for node in route:
            if node not in xy or node == depot:
                errors.append(f"route {k}: unknown or depot node {node}")
                continue
            seen[node] = seen.get(node, 0) + 1
            load += demand.get(node, 0)
            d = dist(here, node)
            total += d
            early, late = window.get(node, (0, math.inf))
            clock = max(clock + d, early)
            if clock > late:
                errors.append(f"route {k}: node {node} starts at {clock} after its window {late}")
            clock += service
            here = node
        d = dist(here, depot)
        total += d
        clock += d
        if clock > window.get(depot, (0, math.inf))[1]:
            errors.append(f"route {k}: back at the depot at {clock}, after it closes")
        if load > capacity:
            errors.append(f"route {k}: load {load} exceeds capacity {capacity}")
    customers = set(xy) - {depot}
    missing = sorted(customers - set(seen))
    twice = sorted(n for n, c in seen.items() if c > 1)
    if missing:
        errors.append(f"customers not served: {missing[:10]}")
    if twice:
        errors.append(f"customers served more than once: {twice[:10]}")
    distance = total / scale
    if claimed is not None and abs(claimed - distance) > 0.05:
        errors.append(f"claimed distance {claimed} but the routes measure {distance}")
    return CheckResult(ok=not errors, distance=distance, errors=errors)


# --- daily plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFacts:
    """What the checker needs to know about one visit, independent of the planner."""

    key: object
    location: int
    service: int
    window: tuple[int, int]
    skill: str
    priority: int


@dataclass(frozen=True)
class WorkerFacts:
    key: object
    depot_location: int
    shift: tuple[int, int]  # may start no earlier, must be back no later
    skills: frozenset[str]
    travel: str  # which matrix
    start_location: int | None = None  # re-planned mid-day: starts here
    available_from: int | None = None


def check_day(
    visits: Iterable[VisitFacts],
    workers: Iterable[WorkerFacts],
    duration: Mapping[str, Sequence[Sequence[float]]],
    distance: Sequence[Sequence[float]],
    routes: Mapping[object, Sequence[object]],
    unserved: Iterable[object] = (),
) -> CheckResult:
    """Re-check a daily plan: each visit at most once and each priority-1 visit exactly once,
    only by a worker with its skill, service starting inside its window, every worker back
    at their Puskesmas by the end of their shift. `routes` maps a worker to visit keys in
    order; the clock is simulated here from the duration matrix of the worker's travel mode."""
    by_key = {v.key: v for v in visits}
    crew = {w.key: w for w in workers}
    errors: list[str] = []
    seen: dict[object, int] = {}
    total = 0.0
    for wkey, keys in routes.items():
        worker = crew.get(wkey)
        if worker is None:
            errors.append(f"unknown worker {wkey}")
            continue
        matrix = duration[worker.travel]
        here = worker.start_location if worker.start_location is not None else worker.depot_location
        clock = max(worker.shift[0], worker.available_from or worker.shift[0])
        for key in keys:
            visit = by_key.get(key)
            if visit is None:
                errors.append(f"worker {wkey}: unknown visit {key}")
                continue
            seen[key] = seen.get(key, 0) + 1
            if visit.skill and visit.skill not in worker.skills:
                errors.append(f"worker {wkey} lacks skill {visit.skill} for visit {key}")
            total += distance[here][visit.location]
            clock = max(clock + matrix[here][visit.location], visit.window[0])
            if clock > visit.window[1]:
                errors.append(f"worker {wkey}: visit {key} starts {clock} after {visit.window[1]}")
            clock += visit.service
            here = visit.location
        total += distance[here][worker.depot_location]
        clock += matrix[here][worker.depot_location]
        if keys and clock > worker.shift[1]:
            errors.append(f"worker {wkey}: back at {clock}, after the shift ends {worker.shift[1]}")
    twice = [k for k, c in seen.items() if c > 1]
    if twice:
        errors.append(f"visits planned more than once: {twice[:10]}")
    unserved = set(unserved)
    for key, visit in by_key.items():
        if key not in seen and key not in unserved:
            errors.append(f"visit {key} neither planned nor reported unserved")
        if visit.priority <= 1 and key not in seen:
            errors.append(f"priority-1 visit {key} not served")
    return CheckResult(ok=not errors, distance=total, errors=errors)
