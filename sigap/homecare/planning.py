"""A Puskesmas day in routing terms, without the database: the daily planner, the benchmark
and the tests all build their problems here, so they plan the same way.

Travel comes from `sigap.core.travel` (haversine x circuity / the speed of the hour). A
motorbike moves faster than a car through city traffic; the factor is a setting per mode.
Times are seconds after local midnight of the planned day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sigap.core.travel import TravelTimeEstimator

from . import checker, routing

# Speed of a travel mode relative to the estimator's (car) speed of the hour.
MODE_SPEED = {"motor": 1.2, "car": 1.0}


@dataclass(frozen=True)
class Site:
    key: str | int
    lat: float
    lon: float


@dataclass(frozen=True)
class VisitSpec:
    key: str | int
    lat: float
    lon: float
    service_s: int
    window: tuple[int, int]  # service starts inside this window
    skill: str
    priority: int


@dataclass(frozen=True)
class WorkerSpec:
    key: str | int
    skills: frozenset[str]
    mode: str
    shift: tuple[int, int]
    # re-planning after the day started: where and when the worker is free again
    start: tuple[float, float] | None = None
    available_from: int | None = None


@dataclass
class DayProblem:
    problem: routing.Problem
    depot: Site
    workers: list[WorkerSpec]
    visits: list[VisitSpec]


def travel_matrices(
    lats: np.ndarray,
    lons: np.ndarray,
    modes: Sequence[str],
    estimator: TravelTimeEstimator,
    at: datetime | None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Distance (m) and duration (s) between all points, one duration matrix per mode."""
    km = estimator.road_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
    dist = np.rint(km * 1000).astype(np.int64)
    minutes = estimator.minutes(lats[:, None], lons[:, None], lats[None, :], lons[None, :], at=at)
    out = {}
    for mode in sorted(set(modes)):
        dur = np.rint(minutes * 60 / MODE_SPEED.get(mode, 1.0)).astype(np.int64)
        np.fill_diagonal(dur, 0)
        out[mode] = (dist, dur)
    return out


def day_problem(
    depot: Site,
    workers: Sequence[WorkerSpec],
    visits: Sequence[VisitSpec],
    estimator: TravelTimeEstimator,
    at: datetime | None = None,
) -> DayProblem:
    """Location 0 is the Puskesmas; then the homes; then re-planned workers' positions."""
    lats = [depot.lat] + [v.lat for v in visits]
    lons = [depot.lon] + [v.lon for v in visits]
    start_loc: dict[str | int, int] = {}
    for w in workers:
        if w.start is not None:
            start_loc[w.key] = len(lats)
            lats.append(w.start[0])
            lons.append(w.start[1])
    modes = [w.mode for w in workers] or ["car"]
    matrices = travel_matrices(np.array(lats), np.array(lons), modes, estimator, at)
    day_end = max((w.shift[1] for w in workers), default=24 * 3600)
    problem = routing.Problem(
        matrices=matrices,
        depots=[routing.DepotSpec(depot.key, 0, 0, max(day_end, 24 * 3600))],
        vehicles=[
            routing.Vehicle(
                key=w.key,
                depot=0,
                tw_early=w.shift[0],
                tw_late=w.shift[1],
                shift_duration=w.shift[1] - w.shift[0],
                skills=w.skills,
                profile=w.mode,
                start_location=start_loc.get(w.key),
                available_from=w.available_from,
            )
            for w in workers
        ],
        stops=[
            routing.Stop(
                key=v.key,
                location=i + 1,
                service=v.service_s,
                tw_early=v.window[0],
                tw_late=max(v.window[0], v.window[1]),
                skill=v.skill,
                priority=v.priority,
            )
            for i, v in enumerate(visits)
        ],
        # PyVRP's neighbourhoods only need relative positions
        coords=list(zip(lons, lats, strict=True)),
    )
    return DayProblem(problem, depot, list(workers), list(visits))


def solve_day(day: DayProblem, seconds: float, seed: int = 0) -> routing.Plan:
    return routing.solve(day.problem, seconds, seed=seed)


def check_plan(day: DayProblem, plan: routing.Plan) -> checker.CheckResult:
    """Re-check a plan with the independent checker, from the specs (not from PyVRP)."""
    facts = [
        checker.VisitFacts(v.key, i + 1, v.service_s, v.window, v.skill, v.priority)
        for i, v in enumerate(day.visits)
    ]
    starts = {veh.key: veh.start_location for veh in day.problem.vehicles}
    crew = [
        checker.WorkerFacts(
            w.key, 0, w.shift, w.skills, w.mode, starts.get(w.key), w.available_from
        )
        for w in day.workers
    ]
    durations = {m: mats[1].tolist() for m, mats in day.problem.matrices.items()}
    distance = next(iter(day.problem.matrices.values()))[0].tolist()
    routes = {r.vehicle: [a.key for a in r.activities] for r in plan.routes}
    return checker.check_day(facts, crew, durations, distance, routes, plan.unserved)
