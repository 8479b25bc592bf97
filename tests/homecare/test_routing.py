"""The routing core: Solomon reader and solver, the independent checker, and the home-care
modelling rules (skills, priorities, shifts, re-planning, transport)."""

import json

import numpy as np
import pytest
from django.core.management import call_command

from sigap.homecare import routing
from sigap.homecare.checker import VisitFacts, WorkerFacts, check_day, check_solomon

SMALL = """NAME : SMALL
TYPE : CVRPTW
DIMENSION : 9
VEHICLES : 3
CAPACITY : 30
SERVICE_TIME : 10
SCALE : 10
EDGE_WEIGHT_TYPE : FLOOR_2D
NODE_COORD_SECTION
1 50 50
2 60 50
3 70 50
4 50 60
5 50 70
6 40 50
7 30 50
8 50 40
9 50 30
DEMAND_SECTION
1 0
2 10
3 10
4 10
5 10
6 10
7 10
8 10
9 10
TIME_WINDOW_SECTION
1 0 400
2 0 120
3 0 300
4 0 200
5 0 300
6 0 200
7 0 300
8 100 200
9 0 300
DEPOT_SECTION
1
-1
EOF
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.vrptw"
    path.write_text(SMALL)
    return str(path)


def test_reader_keeps_file_numbering_and_scales(small):
    inst = routing.read_solomon(small)
    assert inst.node_ids[0] == 1 and sorted(inst.node_ids[1:]) == list(range(2, 10))
    assert inst.capacity == 30 and inst.vehicles == 3 and inst.scale == 10
    problem = routing.solomon_problem(inst)
    # time windows and service are scaled like the distances (LKH-3 SCALE)
    stop8 = next(s for s in problem.stops if s.key == 8)
    assert (stop8.tw_early, stop8.tw_late, stop8.service) == (1000, 2000, 100)
    assert problem.matrices["default"][0][0, 1] == 100  # floor(10 x 10)


def test_small_instance_solved_and_checked(small):
    result = routing.solve_solomon(small, seconds=1)
    assert result["feasible"]
    check = check_solomon(small, result["routes"], result["distance"])
    assert check.ok, check.errors
    assert sorted(n for r in result["routes"] for n in r) == list(range(2, 10))
    assert result["distance"] == pytest.approx(check.distance)


def test_plan_vrptw_command_prints_routes_and_distance(small, capsys):
    call_command("plan", "vrptw", small, "--seconds", "1")
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"routes", "distance"}
    assert check_solomon(small, out["routes"], out["distance"]).ok


def test_checker_rejects_broken_solutions(small):
    good = routing.solve_solomon(small, seconds=1)["routes"]
    assert check_solomon(small, good).ok
    missing = [r[:] for r in good]
    missing[0] = missing[0][1:]
    assert any("not served" in e for e in check_solomon(small, missing).errors)
    twice = [r[:] for r in good] + [[good[0][0]]]
    assert any("more than once" in e for e in check_solomon(small, twice).errors)
    everything = [[n for r in good for n in r]]
    assert any("exceeds capacity" in e for e in check_solomon(small, everything).errors)
    # 8 opens at 1000 (scaled): after 8 and 9, node 2 (closes at 1200) is reached too late
    late = [[8, 9, 2], [3, 4, 5], [6, 7]]
    assert any("after its window" in e for e in check_solomon(small, late).errors)
    assert any("claimed distance" in e for e in check_solomon(small, good, claimed=1.0).errors)
    assert any("unknown" in e for e in check_solomon(small, [[1, 2]] + good).errors)


def _line_problem(stops, vehicles, depots=None):
    """Points on a line every 1 km; travel 1 minute per km."""
    n = 12
    pos = np.arange(n)
    dist = np.abs(pos[:, None] - pos[None, :]) * 1000
    dur = np.abs(pos[:, None] - pos[None, :]) * 60
    return routing.Problem(
        matrices={"motor": (dist, dur)},
        depots=depots or [routing.DepotSpec("pkm", 0, 0, 86400)],
        vehicles=vehicles,
        stops=stops,
        coords=[(float(i), 0.0) for i in range(n)],
    )


H = 3600


def test_skills_only_the_midwife_sees_the_pregnant_woman():
    stops = [
        routing.Stop("bumil", 5, service=1800, skill="midwife"),
        routing.Stop("lansia", 6, service=1800, skill="nurse"),
    ]
    vehicles = [
        routing.Vehicle("ners", 0, 8 * H, 14 * H, skills=frozenset({"nurse"}), profile="motor"),
        routing.Vehicle("bidan", 0, 8 * H, 14 * H, skills=frozenset({"midwife"}), profile="motor"),
    ]
    plan = routing.solve(_line_problem(stops, vehicles), seconds=0.5)
    assert plan.feasible and not plan.unserved
    by_worker = {r.vehicle: [a.key for a in r.activities] for r in plan.routes}
    assert by_worker["bidan"] == ["bumil"] and by_worker["ners"] == ["lansia"]


def test_priority_one_is_kept_when_the_shift_is_too_short():
    # One 2-hour shift, three 50-minute visits: only two fit; the urgent one must be among them.
    stops = [
        routing.Stop("p3", 1, service=3000, priority=3),
        routing.Stop("p1", 9, service=3000, priority=1),
        routing.Stop("p2", 2, service=3000, priority=2),
    ]
    vehicles = [routing.Vehicle("ners", 0, 8 * H, 10 * H, profile="motor")]
    plan = routing.solve(_line_problem(stops, vehicles), seconds=0.5)
    assert plan.feasible and not plan.required_relaxed
    served = [a.key for r in plan.routes for a in r.activities]
    assert "p1" in served and len(served) == 2
    assert plan.unserved == ["p3"]


def test_required_visits_that_cannot_fit_are_reported_not_hidden():
    stops = [routing.Stop(f"p1-{i}", i + 1, service=3600, priority=1) for i in range(4)]
    vehicles = [routing.Vehicle("ners", 0, 8 * H, 10 * H, profile="motor")]
    plan = routing.solve(_line_problem(stops, vehicles), seconds=0.5)
    assert plan.required_relaxed
    assert len(plan.unserved) >= 2
    served = [a.key for r in plan.routes for a in r.activities]
    assert set(served) | set(plan.unserved) == {s.key for s in stops}


def test_time_windows_arrival_times_and_the_checker_agree():
    stops = [
        routing.Stop("a", 3, service=600, tw_early=9 * H, tw_late=10 * H),
        routing.Stop("b", 6, service=600, tw_early=13 * H, tw_late=14 * H, priority=2),
    ]
    vehicles = [routing.Vehicle("ners", 0, 8 * H, 16 * H, profile="motor")]
    problem = _line_problem(stops, vehicles)
    plan = routing.solve(problem, seconds=0.5)
    acts = plan.routes[0].activities
    assert [a.key for a in acts] == ["a", "b"]
    assert acts[0].start >= 9 * H and acts[1].start >= 13 * H
    assert acts[1].arrival == acts[0].end + 3 * 60  # 3 km at 1 min/km
    facts = [
        VisitFacts(s.key, s.location, s.service, (s.tw_early, s.tw_late), "", s.priority)
        for s in stops
    ]
    worker = WorkerFacts("ners", 0, (8 * H, 16 * H), frozenset({"nurse"}), "motor")
    dist, dur = problem.matrices["motor"]
    assert check_day(facts, [worker], {"motor": dur}, dist, {"ners": ["a", "b"]}).ok
    # the checker catches a wrong skill, a broken window and a dropped priority-1 visit
    facts_skill = [VisitFacts("a", 3, 600, (9 * H, 10 * H), "midwife", 1)]
    assert not check_day(facts_skill, [worker], {"motor": dur}, dist, {"ners": ["a"]}).ok
    assert not check_day(facts, [worker], {"motor": dur}, dist, {"ners": ["b", "a"]}).ok
    assert not check_day(facts, [worker], {"motor": dur}, dist, {"ners": ["b"]}, ["a"]).ok


def test_replan_starts_a_worker_where_their_started_visit_ends():
    stops = [routing.Stop("next", 8, service=600)]
    vehicles = [
        routing.Vehicle(
            "ners", 0, 8 * H, 16 * H, profile="motor", start_location=7, available_from=11 * H
        )
    ]
    plan = routing.solve(_line_problem(stops, vehicles), seconds=0.3)
    act = plan.routes[0].activities[0]
    assert act.arrival == 11 * H + 60  # 1 km from the started visit, not 8 km from base
    assert plan.routes[0].distance == 1000 + 8000


def test_transport_trip_picks_up_before_it_drops_off():
    trips = [
        routing.Trip("jemput", 4, 0, pickup_tw=(8 * H, 9 * H), delivery_tw=(0, 10 * H),
                     pickup_service=300, delivery_service=300),
        routing.Trip("antar", 0, 7, pickup_tw=(11 * H, 12 * H), pickup_service=300,
                     delivery_service=300),
    ]  # fmt: skip
    vehicle = routing.Vehicle("ambulans", 0, 7 * H, 17 * H, capacity=1, profile="motor")
    problem = _line_problem([], [vehicle])
    problem.trips = trips
    plan = routing.solve(problem, seconds=0.5)
    assert plan.feasible and not plan.unserved_trips
    acts = [(a.kind, a.key) for a in plan.routes[0].activities]
    assert acts.index(("pickup", "jemput")) < acts.index(("delivery", "jemput"))
    assert acts.index(("pickup", "antar")) < acts.index(("delivery", "antar"))
    pick = next(a for a in plan.routes[0].activities if a.key == "antar" and a.kind == "pickup")
    assert 11 * H <= pick.start <= 12 * H


def test_travel_times_follow_the_shift_hours_and_plans_hold_at_rush_hour():
    """A motorbike worker on an early shift (07:00-09:00, the 06-09 rush): a home 10 km away
    with a window that only 10:00 traffic could make. Planned with one 10:00 matrix the visit
    is planned and then late when driven at rush-hour speed; planned with the shift's hours
    it is not promised."""
    from datetime import datetime

    from sigap.core.travel import HaversineEstimator
    from sigap.homecare import planning

    estimator = HaversineEstimator(1.35, [(6, 9, 22.0), (9, 16, 28.0)], 28.0)
    midnight = datetime.fromisoformat("2026-03-10T00:00:00+07:00")
    depot = planning.Site("pkm", -7.0, 110.40)
    home_lat = -7.0 + 10 / 111.2  # 10 km south-north
    worker = planning.WorkerSpec("w", frozenset({"nurse"}), "motor", (7 * 3600, 9 * 3600))
    minutes_fast = float(estimator.minutes(-7.0, 110.40, home_lat, 110.40,
                                           at=midnight.replace(hour=10))) / 1.2  # fmt: skip
    late = 7 * 3600 + int(minutes_fast * 60) + 60  # just reachable at 10:00 speed
    visit = planning.VisitSpec("v", home_lat, 110.40, 600, (7 * 3600, late), "nurse", 2)

    day = planning.day_problem(depot, [worker], [visit], estimator, midnight=midnight)
    (profile,) = day.problem.matrices
    assert profile == "motor@07-09"
    rush = day.problem.matrices[profile][1][0, 1]
    flat = planning.day_problem(depot, [worker], [visit], estimator,
                                at=midnight.replace(hour=10))  # fmt: skip
    assert rush > flat.problem.matrices["motor"][1][0, 1] * 1.2  # 22 vs 28 km/h

    old = planning.solve_day(flat, 0.3)
    assert [a.key for r in old.routes for a in r.activities] == ["v"]
    assert planning.late_by_time_of_day(day, old, estimator, midnight) == 1
    new = planning.solve_day(day, 0.3)
    assert new.unserved == ["v"]
    assert planning.late_by_time_of_day(day, new, estimator, midnight) == 0
