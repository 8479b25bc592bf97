"""A Puskesmas day in routing terms, without the database: the daily planner, the benchmark
and the tests all build their problems here, so they plan the same way.

Travel comes from `sigap.core.travel` (haversine x circuity / the speed of the hour). A
motorbike moves faster than a car through city traffic; the factor is a setting per mode.
Times are seconds after local midnight of the planned day.

Time of day: PyVRP 0.14 has one duration matrix per routing profile and no travel time that
depends on the departure time. Given the planned day's local midnight, `day_problem` builds a
profile per travel mode and shift: each leg takes the longest of the estimator's times over
the hours the shift covers (the morning rush for a 08:00-15:00 shift). Travel that is faster
at the hour actually driven only makes the worker early, and waiting is allowed, so a plan
built this way keeps every window under the time-of-day speeds; `late_by_time_of_day`
re-checks that by driving each route with the speed of each leg's departure hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    return {mode: (dist, _seconds(minutes, mode)) for mode in sorted(set(modes))}


def _seconds(minutes: np.ndarray, mode: str) -> np.ndarray:
    """Car minutes as whole seconds of `mode` (zero on the diagonal)."""
    dur = np.rint(minutes * 60 / MODE_SPEED.get(mode, 1.0)).astype(np.int64)
    np.fill_diagonal(dur, 0)
    return dur


def _shift_hours(shift: tuple[int, int]) -> range:
    start_h = max(0, shift[0] // 3600)
    end_h = min(24, max(start_h + 1, -(-shift[1] // 3600)))
    return range(start_h, end_h)


def shift_profiles(
    lats: np.ndarray,
    lons: np.ndarray,
    workers: Sequence[WorkerSpec],
    estimator: TravelTimeEstimator,
    midnight: datetime,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str | int, str]]:
    """One (distance, duration) pair per travel mode and span of shift hours, the duration of
    each leg being its longest over those hours; and the profile name of each worker. With
    no workers, one "car" matrix at `midnight` (a problem needs a matrix)."""
    if not workers:
        return travel_matrices(lats, lons, ["car"], estimator, midnight), {}
    km = estimator.road_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
    dist = np.rint(km * 1000).astype(np.int64)
    by_hour: dict[int, np.ndarray] = {}

    def minutes_at(hour: int) -> np.ndarray:
        if hour not in by_hour:
            by_hour[hour] = estimator.minutes(
                lats[:, None], lons[:, None], lats[None, :], lons[None, :],
                at=midnight + timedelta(hours=hour, minutes=30),
            )  # fmt: skip
        return by_hour[hour]

    matrices: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    profile_of: dict[str | int, str] = {}
    for w in workers:
        hours = _shift_hours(w.shift)
        name = f"{w.mode}@{hours.start:02d}-{hours.stop:02d}"
        if name not in matrices:
            slowest = np.maximum.reduce([minutes_at(h) for h in hours])
            matrices[name] = (dist, _seconds(slowest, w.mode))
        profile_of[w.key] = name
    return matrices, profile_of


def day_problem(
    depot: Site,
    workers: Sequence[WorkerSpec],
    visits: Sequence[VisitSpec],
    estimator: TravelTimeEstimator,
    at: datetime | None = None,
    *,
    midnight: datetime | None = None,
) -> DayProblem:
    """Location 0 is the Puskesmas; then the homes; then re-planned workers' positions.

    With `midnight` (local midnight of the planned day) travel times follow the hours of each
    worker's shift (see the module docstring); otherwise one matrix per mode at `at`."""
    lats = [depot.lat] + [v.lat for v in visits]
    lons = [depot.lon] + [v.lon for v in visits]
    start_loc: dict[str | int, int] = {}
    for w in workers:
        if w.start is not None:
            start_loc[w.key] = len(lats)
            lats.append(w.start[0])
            lons.append(w.start[1])
    if midnight is not None and workers:
        matrices, profile_of = shift_profiles(
            np.array(lats), np.array(lons), workers, estimator, midnight
        )
    else:
        modes = [w.mode for w in workers] or ["car"]
        matrices = travel_matrices(np.array(lats), np.array(lons), modes, estimator, at)
        profile_of = {w.key: w.mode for w in workers}
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
                profile=profile_of[w.key],
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
    profiles = {veh.key: veh.profile for veh in day.problem.vehicles}
    crew = [
        checker.WorkerFacts(
            w.key, 0, w.shift, w.skills, profiles[w.key], starts.get(w.key), w.available_from
        )
        for w in day.workers
    ]
    durations = {m: mats[1].tolist() for m, mats in day.problem.matrices.items()}
    distance = next(iter(day.problem.matrices.values()))[0].tolist()
    routes = {r.vehicle: [a.key for a in r.activities] for r in plan.routes}
    return checker.check_day(facts, crew, durations, distance, routes, plan.unserved)


def late_by_time_of_day(
    day: DayProblem, plan: routing.Plan, estimator: TravelTimeEstimator, midnight: datetime
) -> int:
    """Drive every route of `plan` again with the estimator's speed at each leg's departure
    hour (leaving as early as the shift allows, waiting for a window to open) and count the
    visits that would start after their window and the workers back after their shift."""
    places = [(day.depot.lat, day.depot.lon)] + [(v.lat, v.lon) for v in day.visits]
    index = {v.key: i + 1 for i, v in enumerate(day.visits)}
    workers = {w.key: w for w in day.workers}
    late = 0
    for route in plan.routes:
        w = workers[route.vehicle]
        here = w.start or places[0]
        clock = max(w.shift[0], w.available_from or w.shift[0])

        def leg(a, b, clock=0, mode=w.mode) -> float:
            minutes = estimator.minutes(a[0], a[1], b[0], b[1],
                                        at=midnight + timedelta(seconds=clock))  # fmt: skip
            return float(minutes) * 60 / MODE_SPEED.get(mode, 1.0)

        for act in route.activities:
            visit = day.visits[index[act.key] - 1]
            there = places[index[act.key]]
            clock = max(clock + leg(here, there, clock), visit.window[0])
            if clock > visit.window[1] + 1:  # one second of rounding
                late += 1
            clock += visit.service_s
            here = there
        if route.activities and clock + leg(here, places[0], clock) > w.shift[1] + 1:
            late += 1
    return late
