"""The siting core (sigap.access.planning): exact maximal covering and p-median proved
optimal against brute-force enumeration on small seeded instances, greedy never above the
exact plan, the edge cases, and `sigap plan sites` end to end."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sigap.access.planning import (
    SitingProblem,
    greedy_max_covering,
    greedy_p_median,
    solve_max_covering,
    solve_p_median,
)

SECONDS = 20.0


def _subsets(problem: SitingProblem):
    free = [j for j in range(problem.candidate_count) if j not in problem.open]
    for size in range(min(problem.k, len(free)) + 1):
        yield from itertools.combinations(free, size)


def brute_covering(problem: SitingProblem) -> float:
    return max(problem.covered(s) for s in _subsets(problem))


def brute_median(problem: SitingProblem) -> float:
    return min(problem.travel(s) for s in _subsets(problem))


def random_problem(seed: int) -> SitingProblem:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 10)), int(rng.integers(1, 8))
    weights = rng.uniform(0.5, 2.0, n) if seed % 3 == 0 else None
    return SitingProblem(
        population=rng.integers(0, 200, n).astype(float),
        minutes=rng.integers(0, 60, (n, m)).astype(float),
        open=tuple(j for j in range(m) if rng.random() < 0.2),
        k=int(rng.integers(0, 4)),
        limit_minutes=float(rng.integers(5, 40)),
        weights=weights,
    )


@pytest.mark.parametrize("seed", range(60))
def test_max_covering_is_optimal_and_greedy_is_not_above_it(seed):
    problem = random_problem(seed)
    best = brute_covering(problem)
    plan = solve_max_covering(problem, SECONDS)
    greedy = greedy_max_covering(problem)
    assert plan.covered_population == pytest.approx(best)
    assert plan.status == "optimal" and plan.gap == 0
    assert plan.bound >= plan.covered_population - 1e-6
    assert plan.covered_population == pytest.approx(problem.covered(plan.chosen))
    assert greedy.covered_population <= best + 1e-6
    for p in (plan, greedy):
        assert len(p.chosen) <= problem.k
        assert not set(p.chosen) & set(problem.open)
        assert list(p.chosen) == sorted(set(p.chosen))


@pytest.mark.parametrize("seed", range(60))
def test_p_median_is_optimal_and_greedy_is_not_below_it(seed):
    problem = random_problem(seed)
    best = brute_median(problem)
    plan = solve_p_median(problem, SECONDS)
    greedy = greedy_p_median(problem)
    if not np.isfinite(best):  # nobody can be served (no site at all) while someone lives
        assert plan.status == greedy.status == "infeasible" and plan.chosen == ()
        return
    assert plan.objective == pytest.approx(best)
    assert plan.status == "optimal" and plan.gap == 0
    assert plan.objective == pytest.approx(problem.travel(plan.chosen))
    assert plan.covered_population == pytest.approx(problem.covered(plan.chosen))
    assert greedy.objective >= best - 1e-6
    assert len(plan.chosen) <= problem.k and not set(plan.chosen) & set(problem.open)


def test_bigger_instance_against_enumeration():
    """60 demand points x 14 candidates, k = 3: enough overlap for the solver to branch."""
    rng = np.random.default_rng(7)
    points, sites = rng.uniform(0, 20, (60, 2)), rng.uniform(0, 20, (14, 2))
    minutes = np.linalg.norm(points[:, None] - sites[None], axis=2) * 3
    problem = SitingProblem(rng.integers(10, 500, 60).astype(float), minutes, (2,), 3, 15.0)
    assert solve_max_covering(problem, SECONDS).covered_population == pytest.approx(
        brute_covering(problem)
    )
    assert solve_p_median(problem, SECONDS).objective == pytest.approx(brute_median(problem))


# --- edge cases ------------------------------------------------------------------------------

MINUTES = np.array([[5.0, 40.0, 50.0], [40.0, 10.0, 60.0], [45.0, 12.0, 8.0], [90, 90, 90]])
PEOPLE = np.array([100.0, 50.0, 30.0, 20.0])


def test_k_zero_chooses_nothing():
    problem = SitingProblem(PEOPLE, MINUTES, (0,), 0, 15.0)
    for plan in (solve_max_covering(problem), greedy_max_covering(problem)):
        assert plan.chosen == () and plan.covered_population == 100
    assert solve_p_median(problem).chosen == ()
    assert solve_p_median(problem).objective == pytest.approx(PEOPLE @ MINUTES[:, 0])


def test_everyone_already_covered_chooses_nothing():
    problem = SitingProblem(PEOPLE[:3], MINUTES[:3], (0, 1, 2), 2, 15.0)
    plan = solve_max_covering(problem)
    assert plan.chosen == () and plan.covered_population == 180 and plan.status == "optimal"
    open_all = SitingProblem(PEOPLE[:3], MINUTES[:3], (1, 2), 2, 15.0)
    assert solve_max_covering(open_all).chosen == (0,)


def test_no_candidate_within_reach_of_anybody():
    problem = SitingProblem(PEOPLE, MINUTES, (), 2, 4.0)
    plan = solve_max_covering(problem)
    assert plan.chosen == () and plan.covered_population == 0 and plan.status == "optimal"
    assert greedy_max_covering(problem).chosen == ()


def test_k_at_least_the_useful_candidates_takes_only_useful_ones():
    problem = SitingProblem(PEOPLE, MINUTES, (), 10, 15.0)
    plan = solve_max_covering(problem)
    assert plan.chosen == (0, 1) and plan.covered_population == 180  # 2 adds nobody new
    assert plan.method == "reduction" and plan.status == "optimal"


def test_zero_population_and_zero_weights():
    problem = SitingProblem(np.zeros(4), MINUTES, (), 2, 15.0)
    plan = solve_max_covering(problem)
    assert plan.chosen == () and plan.covered_population == 0
    assert solve_p_median(problem).objective == 0
    weighted = SitingProblem(PEOPLE, MINUTES, (), 1, 15.0, weights=np.array([0, 1, 1, 1.0]))
    assert solve_max_covering(weighted).chosen == (1,)  # the weight hides the 100 at site 0
    assert solve_max_covering(weighted).covered_population == 80


def test_ties_go_to_the_lowest_index():
    minutes = np.array([[9.0, 1.0, 1.0, 1.0], [9.0, 9.0, 9.0, 9.0]])
    problem = SitingProblem(np.array([10.0, 10.0]), minutes, (), 1, 5.0)
    assert solve_max_covering(problem).chosen == (1,)
    assert greedy_max_covering(problem).chosen == (1,)
    assert solve_p_median(problem).chosen == (1,)
    # two different sets of equal weight: the lower index wins, in both directions
    swap = np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 9.0]])
    for people in ([5.0, 5.0, 1.0],):
        problem = SitingProblem(np.array(people), swap, (), 1, 5.0)
        assert solve_max_covering(problem).chosen == (0,)
        assert greedy_max_covering(problem).chosen == (0,)


def test_same_problem_twice_gives_the_same_plan():
    problem = random_problem(11)
    first, second = solve_max_covering(problem, 5), solve_max_covering(problem, 5)
    assert (first.chosen, first.covered_population) == (second.chosen, second.covered_population)


def test_limit_is_inclusive_and_just_outside_is_not():
    minutes = np.array([[15.0], [15.000001]])
    problem = SitingProblem(np.array([3.0, 4.0]), minutes, (), 1, 15.0)
    assert solve_max_covering(problem).covered_population == 3


def test_p_median_without_any_site():
    problem = SitingProblem(PEOPLE, MINUTES, (), 0, 15.0)
    assert solve_p_median(problem).status == "infeasible"
    assert solve_p_median(SitingProblem(PEOPLE, np.zeros((4, 0)), (), 3, 15.0)).status == (
        "infeasible"
    )


def test_empty_problem():
    problem = SitingProblem(np.zeros(0), np.zeros((0, 0)), (), 3, 15.0)
    assert solve_max_covering(problem).chosen == ()
    assert solve_p_median(problem).objective == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"population": np.ones(3)}, "3 rows"),
        ({"population": -PEOPLE}, "non-negative"),
        ({"minutes": -MINUTES}, "non-negative"),
        ({"minutes": MINUTES * np.nan}, "finite"),
        ({"k": -1}, "k"),
        ({"k": 1.5}, "k"),
        ({"open": (3,)}, "open site 3"),
        ({"open": (-1,)}, "open site -1"),
        ({"limit_minutes": -1.0}, "limit_minutes"),
        ({"weights": np.ones(2)}, "weights"),
        ({"weights": -np.ones(4)}, "weights"),
    ],
)
def test_invalid_problems_are_refused(kwargs, message):
    args = dict(population=PEOPLE, minutes=MINUTES, open=(), k=1, limit_minutes=15.0)
    with pytest.raises(ValueError, match=message):
        SitingProblem(**(args | kwargs))


# --- sigap plan sites ------------------------------------------------------------------------

INSTANCE = {
    "population": [100, 50, 30, 20],
    "time": MINUTES.tolist(),
    "open": [0],
    "k": 1,
    "minutes": 15,
}


def _write(tmp_path: Path, data, name: str = "instance.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_plan_sites_prints_chosen_and_covered_first(tmp_path, capsys):
    call_command("plan", "sites", _write(tmp_path, INSTANCE), "--seconds", "5")
    out = capsys.readouterr().out
    answer = json.loads(out)
    assert list(answer)[:2] == ["chosen", "covered_population"]
    assert answer["chosen"] == [1] and answer["covered_population"] == 180
    assert out.startswith('{"chosen": [1], "covered_population": 180,')
    assert answer["status"] == "optimal" and answer["gap"] == 0
    assert answer["greedy"]["covered_population"] <= 180


def test_plan_sites_matches_the_solver_on_a_random_file(tmp_path, capsys):
    problem = random_problem(5)
    data = {
        "population": problem.population.tolist(),
        "time": problem.minutes.tolist(),
        "open": list(problem.open),
        "k": problem.k,
        "minutes": problem.limit_minutes,
    }
    call_command("plan", "sites", _write(tmp_path, data))
    answer = json.loads(capsys.readouterr().out)
    assert answer["covered_population"] == pytest.approx(brute_covering(problem))


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ({"population": [1]}, "missing key"),
        (INSTANCE | {"population": [1, "x", 3, 4]}, "population"),
        (INSTANCE | {"population": [1, 2]}, "rows"),
        (INSTANCE | {"time": [[1, 2, 3], [1], [1, 2, 3], [1, 2, 3]]}, "same number"),
        (INSTANCE | {"open": [7]}, "open site 7"),
        (INSTANCE | {"open": [True]}, "open"),
        (INSTANCE | {"k": -2}, "k"),
        (INSTANCE | {"k": "2"}, "k"),
        (INSTANCE | {"minutes": None}, "minutes"),
        (INSTANCE | {"population": [-1, 2, 3, 4]}, "non-negative"),
    ],
)
def test_plan_sites_refuses_a_bad_file_with_status_2(tmp_path, content, message):
    with pytest.raises(CommandError, match=message) as refused:
        call_command("plan", "sites", _write(tmp_path, content))
    assert refused.value.returncode == 2


def test_plan_sites_missing_file(tmp_path):
    with pytest.raises(CommandError, match="file not found") as refused:
        call_command("plan", "sites", str(tmp_path / "nowhere.json"))
    assert refused.value.returncode == 2


def _sigap(*args: str) -> subprocess.CompletedProcess:
    script = "import sys; from sigap.cli import main; sys.argv = ['sigap', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
    )


def test_the_sigap_entry_point_end_to_end(tmp_path):
    good = _sigap("plan", "sites", _write(tmp_path, INSTANCE), "--seconds", "5")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["chosen"] == [1]
    bad = _sigap("plan", "sites", _write(tmp_path, "{oops", "bad.json"))
    assert bad.returncode == 2
    assert "not valid JSON" in bad.stderr and "Traceback" not in bad.stderr
