"""The routing core: one modelling layer on PyVRP for every plan SIGAP makes.

The daily home-visit planner, the Jemput Sakit Antar Sehat schedule and the `sigap plan vrptw`
command all describe their problem with the dataclasses below and call `solve()`; so the
Solomon figures in bench/README.md measure the same code that plans a Puskesmas day.

How each real-world rule maps onto PyVRP 0.14:

- Puskesmas -> `Depot`; a worker -> a `VehicleType` with one vehicle, starting and ending at
  their Puskesmas, with the shift as its time window and `shift_duration`.
- Skills -> load dimensions. PyVRP has no "this client may only be served by these vehicles"
  field; its documented capacity dimensions express it exactly: every skill is one dimension,
  a visit needing skill s delivers 1 unit in dimension s, and a worker holds capacity in the
  dimensions of the skills they have (0 elsewhere). One problem solves every skill together,
  so a multi-skilled worker (a doctor who can also do a nurse visit) is shared optimally;
  separate per-skill problems could not do that.
- Travel modes (motorbike, car) -> routing profiles: one distance/duration matrix each.
- Optional visits -> `required=False` with a prize from the priority; priority-1 visits are
  `required=True`, so a plan that drops one is infeasible and never returned as feasible.
  When even the required visits do not fit, `solve()` falls back to very large prizes and
  reports the unserved ones instead of returning nothing.
- Re-planning mid-day: a worker whose day has started gets a start depot at the place and
  time where their last started visit ends (`Vehicle.start_location`, `available_from`).
- Transport (pick-up -> drop-off) -> PyVRP `Shipment`s with a pick-up and a drop-off time
  window and a seat count on its own load dimension.

Units are integers: seconds for time, metres (or the instance's scaled units) for distance.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pyvrp import (
    Client,
    Depot,
    Location,
    ProblemData,
    Shipment,
    Solution,
    VehicleType,
)
from pyvrp import solve as pyvrp_solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime

HORIZON = 10**9
# Prize of an optional visit per priority level, in distance units (metres): dropping a
# priority-2 visit costs as much as 60 km of extra driving, priority 3 as much as 15 km.
PRIORITY_PRIZES = {2: 60_000, 3: 15_000, 4: 5_000}
FALLBACK_PRIZE = 10**8  # stands in for "required" when the required visits cannot all fit


@dataclass(frozen=True)
class Stop:
    """A place to serve once: a home visit or a Solomon customer."""

    key: str | int
    location: int
    service: int = 0
    tw_early: int = 0
    tw_late: int = HORIZON
    demand: int = 0
    skill: str = ""
    priority: int = 1  # 1 = must be served; higher numbers are optional
    prize: int | None = None  # overrides PRIORITY_PRIZES for optional stops


@dataclass(frozen=True)
class DepotSpec:
    key: str | int
    location: int
    tw_early: int = 0
    tw_late: int = HORIZON


@dataclass(frozen=True)
class Vehicle:
    """A worker (or driver and car, or a Solomon fleet of `count` identical trucks)."""

    key: str | int
    depot: int  # index into Problem.depots, where the day starts and ends
    tw_early: int = 0
    tw_late: int = HORIZON
    shift_duration: int | None = None
    capacity: int = 0
    skills: frozenset[str] = frozenset()
    profile: str = "default"
    count: int = 1
    # Re-planning: the day already started; be here at this time, then go on.
    start_location: int | None = None
    available_from: int | None = None
    max_stops: int | None = None


@dataclass(frozen=True)
class Trip:
    """Carry someone from a pick-up to a drop-off (Jemput Sakit Antar Sehat)."""

    key: str | int
    pickup_location: int
    delivery_location: int
    pickup_tw: tuple[int, int] = (0, HORIZON)
    delivery_tw: tuple[int, int] = (0, HORIZON)
    pickup_service: int = 0
    delivery_service: int = 0
    seats: int = 1
    priority: int = 1


@dataclass
class Problem:
    """Locations are matrix indices; `matrices` maps a profile name to (distance, duration)."""

    matrices: dict[str, tuple[np.ndarray, np.ndarray]]
    depots: list[DepotSpec]
    vehicles: list[Vehicle]
    stops: list[Stop] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    coords: Sequence[tuple[float, float]] | None = None  # for PyVRP's neighbourhoods

    @property
    def num_locations(self) -> int:
        return next(iter(self.matrices.values()))[0].shape[0]


@dataclass(frozen=True)
class Activity:
    kind: str  # "stop", "pickup", "delivery"
    key: str | int
    arrival: int  # when the vehicle gets there
    start: int  # when service starts (after any wait)
    end: int


@dataclass
class Route:
    vehicle: str | int
    activities: list[Activity]
    distance: int
    duration: int
    start: int
    end: int


@dataclass
class Plan:
    routes: list[Route]
    unserved: list[str | int]
    unserved_trips: list[str | int]
    distance: int
    feasible: bool
    required_relaxed: bool = False  # True when priority-1 stops had to become optional


# --- building the PyVRP data -----------------------------------------------------------


def _prize(stop: Stop) -> int:
    if stop.prize is not None:
        return stop.prize
    return PRIORITY_PRIZES.get(stop.priority, min(PRIORITY_PRIZES.values()))


@dataclass
class _Built:
    data: ProblemData
    vehicle_of_type: list[Vehicle]
    profiles: list[str]


def _build(problem: Problem, relax_required: bool = False) -> _Built:
    n = problem.num_locations
    coords = problem.coords or [(0.0, 0.0)] * n
    profiles = sorted(problem.matrices)
    # A re-planned worker starts at an extra location copy: same matrix row, own depot.
    skills = sorted({s.skill for s in problem.stops if s.skill})
    dim_of = {s: i for i, s in enumerate(skills)}
    # Only the load dimensions this problem uses: each one slows the search a little.
    dims = ["demand"] + [f"skill:{s}" for s in skills]
    seat_dim = stops_dim = -1
    if problem.trips:
        seat_dim = len(dims)
        dims.append("seats")
    if any(v.max_stops is not None for v in problem.vehicles):
        stops_dim = len(dims)
        dims.append("stops")

    locations = [Location(x=float(x), y=float(y)) for x, y in coords]
    depots = [
        Depot(location=d.location, tw_early=d.tw_early, tw_late=d.tw_late, name=str(d.key))
        for d in problem.depots
    ]
    vehicle_types: list[VehicleType] = []
    for v in problem.vehicles:
        start = v.depot
        if v.start_location is not None:
            depots.append(
                Depot(
                    location=v.start_location,
                    tw_early=v.available_from or v.tw_early,
                    tw_late=problem.depots[v.depot].tw_late,
                    name=f"start:{v.key}",
                )
            )
            start = len(depots) - 1
        capacity = [0] * len(dims)
        capacity[0] = v.capacity
        for s in v.skills:
            if s in dim_of:
                capacity[1 + dim_of[s]] = len(problem.stops)
        if seat_dim >= 0:
            capacity[seat_dim] = v.capacity
        if stops_dim >= 0:
            capacity[stops_dim] = v.max_stops if v.max_stops is not None else len(problem.stops)
        early = v.available_from if v.available_from is not None else v.tw_early
        vehicle_types.append(
            VehicleType(
                num_available=v.count,
                capacity=capacity,
                start_depot=start,
                end_depot=v.depot,
                tw_early=early,
                tw_late=v.tw_late,
                shift_duration=v.shift_duration if v.shift_duration is not None else HORIZON,
                profile=profiles.index(v.profile),
                name=str(v.key),
            )
        )
    clients = []
    for s in problem.stops:
        delivery = [0] * len(dims)
        delivery[0] = s.demand
        if s.skill:
            delivery[1 + dim_of[s.skill]] = 1
        if stops_dim >= 0:
            delivery[stops_dim] = 1
        required = s.priority <= 1 and not relax_required
        clients.append(
            Client(
                location=s.location,
                delivery=delivery,
                service_duration=s.service,
                tw_early=s.tw_early,
                tw_late=s.tw_late,
                required=required,
                prize=0 if required else (FALLBACK_PRIZE if s.priority <= 1 else _prize(s)),
                name=str(s.key),
            )
        )
    shipments = []
    for t in problem.trips:
        amount = [0] * len(dims)
        amount[seat_dim] = t.seats
        required = t.priority <= 1 and not relax_required
        shipments.append(
            Shipment(
                pickup_location=t.pickup_location,
                delivery_location=t.delivery_location,
                pickup_tw_early=t.pickup_tw[0],
                pickup_tw_late=t.pickup_tw[1],
                pickup_service_duration=t.pickup_service,
                delivery_tw_early=t.delivery_tw[0],
                delivery_tw_late=t.delivery_tw[1],
                delivery_service_duration=t.delivery_service,
                amount=amount,
                required=required,
                prize=0 if required else FALLBACK_PRIZE // 10,
                name=str(t.key),
            )
        )
    dist = [np.ascontiguousarray(problem.matrices[p][0], dtype=np.int64) for p in profiles]
    dur = [np.ascontiguousarray(problem.matrices[p][1], dtype=np.int64) for p in profiles]
    data = ProblemData(locations, clients, depots, vehicle_types, dist, dur, [], shipments)
    return _Built(data=data, vehicle_of_type=list(problem.vehicles), profiles=profiles)


def _read(problem: Problem, built: _Built, sol: Solution, drop_infeasible: bool = False) -> Plan:
    """The solution in the caller's keys. With `drop_infeasible`, a route that breaks a hard
    rule (a skill, a window, the shift) is left out and its stops reported unserved."""
    routes = []
    served: set[int] = set()
    served_trips: set[int] = set()
    total = 0
    for r in sol.routes():
        if drop_infeasible and not r.is_feasible():
            continue
        vehicle = built.vehicle_of_type[r.vehicle_type()]
        profile = built.profiles.index(vehicle.profile)
        duration_m = built.data.duration_matrix(profile)
        acts: list[Activity] = []
        prev_loc: int | None = None
        prev_end: int | None = None
        for act in r.schedule():
            if act.is_depot():
                prev_loc = built.data.depot(act.idx).location
                prev_end = act.end_time
                continue
            if act.is_client():
                stop = problem.stops[act.idx]
                loc, kind, key = stop.location, "stop", stop.key
                served.add(act.idx)
            else:
                trip = problem.trips[act.idx]
                served_trips.add(act.idx)
                if act.is_pickup():
                    loc, kind = trip.pickup_location, "pickup"
                else:
                    loc, kind = trip.delivery_location, "delivery"
                key = trip.key
            arrival = act.start_time - act.wait_duration
            if prev_loc is not None and prev_end is not None:
                arrival = prev_end + int(duration_m[prev_loc, loc])
            acts.append(Activity(kind, key, arrival, act.start_time, act.end_time))
            prev_loc, prev_end = loc, act.end_time
        total += r.distance()
        routes.append(
            Route(
                vehicle=vehicle.key,
                activities=acts,
                distance=r.distance(),
                duration=r.duration(),
                start=r.start_time(),
                end=r.end_time(),
            )
        )
    unserved = [s.key for i, s in enumerate(problem.stops) if i not in served]
    unserved_trips = [t.key for i, t in enumerate(problem.trips) if i not in served_trips]
    return Plan(
        routes=routes,
        unserved=unserved,
        unserved_trips=unserved_trips,
        distance=total,
        feasible=True if drop_infeasible else sol.is_feasible(),
    )


def _run(data: ProblemData, seconds: float, seed: int):
    # An over-full day raises PyVRP's penalties to their bound; that is the case the
    # relaxed second attempt handles, not something to warn the caller about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return pyvrp_solve(data, MaxRuntime(seconds), seed=seed, collect_stats=False)


def solve(problem: Problem, seconds: float, seed: int = 0) -> Plan:
    """Plan `problem` with PyVRP's iterated local search for at most `seconds`.

    If the priority-1 stops cannot all be served, solve again with them optional (very high
    prizes) so that the caller gets the best plan and the list of what did not fit.
    """
    if not problem.vehicles:
        return Plan([], [s.key for s in problem.stops], [t.key for t in problem.trips], 0, True)
    if not problem.stops and not problem.trips:
        return Plan([], [], [], 0, True)
    built = _build(problem)
    result = _run(built.data, seconds, seed)
    if result.best.is_feasible():
        return _read(problem, built, result.best)
    relaxed = _build(problem, relax_required=True)
    again = _run(relaxed.data, seconds, seed)
    plan = _read(problem, relaxed, again.best, drop_infeasible=True)
    plan.required_relaxed = True
    return plan


# --- matrices ----------------------------------------------------------------------------


def euclidean_matrix(coords: Sequence[tuple[float, float]], scale: int = 10) -> np.ndarray:
    """floor(scale x Euclidean distance), the FLOOR_2D rule of the Solomon/LKH-3 files."""
    xy = np.asarray(coords, dtype=float)
    diff = xy[:, None, :] - xy[None, :, :]
    return np.floor(scale * np.sqrt((diff**2).sum(axis=2)) + 1e-9).astype(np.int64)


# --- Solomon instances (LKH-3 format) ------------------------------------------------------


@dataclass
class SolomonInstance:
    name: str
    vehicles: int
    capacity: int
    scale: int
    service_time: int  # unscaled, as in the file
    node_ids: list[int]  # as numbered in the file; node_ids[0] is the depot
    coords: list[tuple[float, float]]
    demand: list[int]
    windows: list[tuple[int, int]]  # unscaled, as in the file


def read_solomon(path: str) -> SolomonInstance:
    """Read an LKH-3 `.vrptw` file: header `KEY : value` lines, then the sections."""
    header: dict[str, str] = {}
    coords: dict[int, tuple[float, float]] = {}
    demand: dict[int, int] = {}
    windows: dict[int, tuple[int, int]] = {}
    depots: list[int] = []
    section = ""
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if not line or line == "EOF":
                continue
            if line.endswith("_SECTION"):
                section = line
                continue
            if ":" in line and not section:
                key, value = line.split(":", 1)
                header[key.strip().upper()] = value.strip()
                continue
            parts = line.split()
            if section == "NODE_COORD_SECTION":
                coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
            elif section == "DEMAND_SECTION":
                demand[int(parts[0])] = int(parts[1])
            elif section == "TIME_WINDOW_SECTION":
                windows[int(parts[0])] = (int(parts[1]), int(parts[2]))
            elif section == "DEPOT_SECTION" and int(parts[0]) > 0:
                depots.append(int(parts[0]))
    depot = depots[0] if depots else 1
    ids = [depot] + sorted(i for i in coords if i != depot)
    return SolomonInstance(
        name=header.get("NAME", path),
        vehicles=int(header.get("VEHICLES", len(ids))),
        capacity=int(header.get("CAPACITY", 10**9)),
        scale=int(header.get("SCALE", "1")),
        service_time=int(float(header.get("SERVICE_TIME", "0"))),
        node_ids=ids,
        coords=[coords[i] for i in ids],
        demand=[demand.get(i, 0) for i in ids],
        windows=[windows.get(i, (0, HORIZON)) for i in ids],
    )


def solomon_problem(inst: SolomonInstance) -> Problem:
    """The instance in the planner's terms. LKH-3 multiplies time windows and service times
    by SCALE as well as distances, so that time and distance stay in the same unit."""
    matrix = euclidean_matrix(inst.coords, inst.scale)
    s = inst.scale
    depot_tw = inst.windows[0]
    stops = [
        Stop(
            key=inst.node_ids[i],
            location=i,
            service=inst.service_time * s,
            tw_early=inst.windows[i][0] * s,
            tw_late=inst.windows[i][1] * s,
            demand=inst.demand[i],
        )
        for i in range(1, len(inst.node_ids))
    ]
    return Problem(
        matrices={"default": (matrix, matrix)},
        depots=[DepotSpec(inst.node_ids[0], 0, depot_tw[0] * s, depot_tw[1] * s)],
        vehicles=[
            Vehicle(
                key="truck",
                depot=0,
                tw_early=depot_tw[0] * s,
                tw_late=depot_tw[1] * s,
                capacity=inst.capacity,
                count=inst.vehicles,
            )
        ],
        stops=stops,
        coords=inst.coords,
    )


def solve_solomon(path: str, seconds: float, seed: int = 0) -> dict:
    """`{"routes": [[node ids], ...], "distance": total / scale}` for a Solomon file."""
    inst = read_solomon(path)
    plan = solve(solomon_problem(inst), seconds, seed=seed)
    routes = [[a.key for a in r.activities] for r in plan.routes if r.activities]
    return {
        "routes": routes,
        "distance": round(plan.distance / inst.scale, 1),
        "feasible": plan.feasible and not plan.unserved,
    }
