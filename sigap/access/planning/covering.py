"""Maximal covering: at most k new sites that maximise the demand within T minutes of an open
or chosen site. Exact through HiGHS (`scipy.optimize.milp`) on a reduced model; greedy beside.

Reduction before the solver (each step keeps an optimal plan of the full problem):
demand already within reach of an open site, with no demand, or out of reach of every
candidate drops out; demand points with the same set of candidates merge (weights add up);
candidates that reach no remaining demand drop; candidates with the same reach merge into the
lowest index; a candidate whose reach is a strict subset of another's drops. When the greedy
plan already meets a simple upper bound, or k covers every remaining candidate, no solver runs.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .problem import TOLERANCE, SitingPlan, SitingProblem, relative_gap

# Skip the subset test when the candidate-overlap matrix would be larger than this.
DOMINANCE_MAX_PAIRS = 25_000_000
# At most this long (or a tenth of the budget) improving the greedy plan before the solver.
SWAP_SECONDS = 5.0


class _Reduced:
    """The covering model after reduction: `reach` (rows x columns, CSC, 0/1) over the
    remaining demand `weight`, columns named by original candidate index `columns`."""

    def __init__(self, problem: SitingProblem) -> None:
        demand = problem.demand
        within = problem.minutes <= problem.limit_minutes
        opened = problem.open_mask()
        served = within[:, opened].any(axis=1) if opened.any() else np.zeros(len(demand), bool)
        self.base = float(demand[served].sum())
        rows = ~served & (demand > 0)
        cand = ~opened
        sub = within[np.ix_(rows, cand)]
        keep_rows = sub.any(axis=1)
        sub = sub[keep_rows]
        weight = demand[rows][keep_rows]
        columns = np.flatnonzero(cand)
        useful = sub.any(axis=0)
        sub, columns = sub[:, useful], columns[useful]
        self.unreachable = float(demand[rows][~keep_rows].sum())
        if sub.shape[0]:
            # merge demand points with the same reach
            packed = np.packbits(sub, axis=1)
            _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
            merged = np.zeros(len(first))
            np.add.at(merged, inverse.ravel(), weight)
            sub, weight = sub[first], merged
            # merge candidates with the same reach into the lowest index (np.unique keeps
            # the first occurrence, and columns are in ascending order)
            packed = np.packbits(sub.T, axis=1)
            _, first = np.unique(packed, axis=0, return_index=True)
            first.sort()
            sub, columns = sub[:, first], columns[first]
        self.reach = sparse.csc_matrix(sub, dtype=float)
        self.weight = weight
        self.columns = columns
        self._drop_dominated()

    def _drop_dominated(self) -> None:
        """Drop a candidate whose reach is a strict subset of another candidate's."""
        reach = self.reach
        if reach.shape[1] < 2:
            return
        per_row = np.diff(reach.tocsr().indptr)
        if float(per_row @ per_row) > DOMINANCE_MAX_PAIRS:
            return
        size = np.asarray(reach.sum(axis=0)).ravel()
        overlap = (reach.T @ reach).tocoo()
        # j is inside j2 when they share all of j's rows; identical reaches were merged, so
        # any such j2 != j has strictly more rows
        inside = (overlap.row != overlap.col) & (overlap.data >= size[overlap.row] - 0.5)
        dominated = np.zeros(reach.shape[1], bool)
        dominated[overlap.row[inside]] = True
        if dominated.any():
            self.reach = reach[:, ~dominated]
            self.columns = self.columns[~dominated]

    def gains(self, uncovered: np.ndarray) -> np.ndarray:
        return self.reach.T @ (self.weight * uncovered)


def _greedy_columns(model: _Reduced, k: int) -> list[int]:
    """Reduced-column positions, the largest added demand first (ties: lowest index)."""
    uncovered = np.ones(len(model.weight))
    picked: list[int] = []
    reach = model.reach
    for _ in range(min(k, reach.shape[1])):
        gains = model.gains(uncovered)
        best = int(np.argmax(gains))  # first maximum = lowest candidate index
        if gains[best] <= 0:
            break
        picked.append(best)
        rows = reach.indices[reach.indptr[best] : reach.indptr[best + 1]]
        uncovered[rows] = 0.0
    return picked


def _swap_improve(model: _Reduced, picked: set[int], deadline: float) -> set[int]:
    """Best single swaps (one picked column out, one other in) while one adds demand."""
    reach = model.reach
    if not picked or len(picked) >= reach.shape[1]:
        return picked
    count = np.asarray(reach[:, sorted(picked)].sum(axis=1)).ravel()
    while time.perf_counter() < deadline:
        best = (TOLERANCE * max(1.0, float(model.weight.sum())), -1, -1)
        for c in sorted(picked):
            rows = reach.indices[reach.indptr[c] : reach.indptr[c + 1]]
            lost = float(model.weight[rows][count[rows] == 1].sum())
            after = count.copy()
            after[rows] -= 1
            gains = model.gains((after == 0).astype(float))
            gains[sorted(picked)] = -np.inf
            j = int(np.argmax(gains))
            if gains[j] - lost > best[0]:
                best = (gains[j] - lost, c, j)
        if best[1] < 0:
            break
        _, out, into = best
        picked = (picked - {out}) | {into}
        count[reach.indices[reach.indptr[out] : reach.indptr[out + 1]]] -= 1
        count[reach.indices[reach.indptr[into] : reach.indptr[into + 1]]] += 1
    return picked


def greedy_max_covering(problem: SitingProblem) -> SitingPlan:
    """Add, k times, the candidate that brings the most uncovered demand within reach."""
    start = time.perf_counter()
    model = _Reduced(problem)
    chosen = tuple(sorted(int(model.columns[c]) for c in _greedy_columns(model, problem.k)))
    covered = problem.covered(chosen)
    bound = model.base + _upper_bound(model, problem.k)
    return SitingPlan(
        chosen=chosen,
        covered_population=covered,
        objective=covered,
        bound=bound,
        gap=relative_gap(covered, bound),
        status="optimal" if relative_gap(covered, bound) == 0 else "heuristic",
        seconds=time.perf_counter() - start,
        method="greedy",
    )


def _upper_bound(model: _Reduced, k: int) -> float:
    """No plan covers more than all remaining demand, nor more than its k best columns."""
    if k == 0 or not model.reach.shape[1]:
        return 0.0
    column_weight = np.sort(model.reach.T @ model.weight)[::-1]
    return float(min(model.weight.sum(), column_weight[:k].sum()))


def _prune_and_canonicalise(problem: SitingProblem, model: _Reduced, picked: set[int]) -> set[int]:
    """Drop picked columns that add nothing, then move each to the lowest-index column that
    covers as much in its place (deterministic among equal plans)."""
    reach = model.reach

    def count(sites: set[int]) -> np.ndarray:
        if not sites:
            return np.zeros(reach.shape[0])
        return np.asarray(reach[:, sorted(sites)].sum(axis=1)).ravel()

    for c in sorted(picked, reverse=True):
        rows = reach.indices[reach.indptr[c] : reach.indptr[c + 1]]
        if np.all(count(picked)[rows] >= 2):
            picked = picked - {c}
    for c in sorted(picked):
        rest = picked - {c}
        uncovered = (count(rest) == 0).astype(float)
        gains = model.gains(uncovered)
        lost = gains[c]
        better = np.flatnonzero(gains[:c] >= lost - TOLERANCE * max(1.0, lost))
        better = [b for b in better if b not in rest]
        if better:
            picked = rest | {int(better[0])}
    return picked


def solve_max_covering(problem: SitingProblem, seconds: float = 60.0) -> SitingPlan:
    """Exact maximal covering (HiGHS branch and bound within `seconds`)."""
    start = time.perf_counter()
    model = _Reduced(problem)
    k = problem.k
    n_cols = model.reach.shape[1]
    details = {
        "demand_points": int(model.reach.shape[0]),
        "candidates": int(n_cols),
        "greedy_covered": None,
    }
    greedy = set(_greedy_columns(model, k))
    # the greedy plan improved by swaps: the fallback if the solver finds nothing better
    greedy = _swap_improve(model, greedy, start + min(seconds / 10, SWAP_SECONDS))
    greedy_value = float(model.weight[_covered_rows(model, greedy)].sum())
    details["greedy_covered"] = model.base + greedy_value
    upper = _upper_bound(model, k)
    status, method, bound, picked = "optimal", "reduction", upper, greedy
    if k >= n_cols:
        picked, bound = set(range(n_cols)), float(model.weight.sum())
    elif upper - greedy_value > TOLERANCE * max(1.0, upper):
        remaining = seconds - (time.perf_counter() - start)
        picked, bound, status = _milp(model, k, max(remaining, 0.5), greedy, greedy_value)
        method = "milp"
    picked = _prune_and_canonicalise(problem, model, picked)
    chosen = tuple(sorted(int(model.columns[c]) for c in picked))
    covered = problem.covered(chosen)
    bound = model.base + bound
    gap = 0.0 if status == "optimal" else relative_gap(covered, bound)
    if status != "optimal" and gap == 0.0:
        status = "optimal"
    return SitingPlan(
        chosen=chosen,
        covered_population=covered,
        objective=covered,
        bound=max(bound, covered) if status == "optimal" else bound,
        gap=gap,
        status=status,
        seconds=time.perf_counter() - start,
        method=method,
        details=details,
    )


def _covered_rows(model: _Reduced, picked: set[int]) -> np.ndarray:
    if not picked:
        return np.zeros(model.reach.shape[0], bool)
    return np.asarray(model.reach[:, sorted(picked)].sum(axis=1)).ravel() > 0


def _matrix(model: _Reduced) -> sparse.csr_matrix:
    """Rows: z_i - sum_{j reaches i} y_j <= 0, then sum_j y_j <= k; columns: y, then z."""
    rows, cols = model.reach.shape
    link = sparse.hstack([-model.reach.tocsr(), sparse.identity(rows, format="csr")], format="csr")
    budget = sparse.csr_matrix(np.concatenate([np.ones(cols), np.zeros(rows)])[None, :])
    return sparse.vstack([link, budget], format="csr")


def _lp_start(
    model: _Reduced, k: int, best: set[int], best_value: float, deadline: float
) -> tuple[set[int], float, np.ndarray, np.ndarray, float]:
    """Solve the LP relaxation once: its top-k columns, improved by swaps, may beat the
    greedy start; and reduced costs fix a column wherever flipping it from its LP value
    would bring the LP bound below the best plan known (no better plan has it flipped)."""
    rows, cols = model.reach.shape
    cost = np.concatenate([np.zeros(cols), -model.weight])
    bounds_upper = np.concatenate([np.zeros(rows), [float(k)]])
    lp = linprog(
        cost, A_ub=_matrix(model), b_ub=bounds_upper, bounds=(0, 1), method="highs",
        options={"time_limit": max(deadline - time.perf_counter(), 0.5)},
    )  # fmt: skip
    lower, upper = np.zeros(cols), np.ones(cols)
    if lp.status != 0:
        return best, best_value, lower, upper, np.inf
    y = lp.x[:cols]
    rounded = {int(c) for c in np.argsort(-y, kind="stable")[:k] if y[c] > 0}
    rounded = _swap_improve(model, rounded, min(deadline, time.perf_counter() + SWAP_SECONDS))
    value = float(model.weight[_covered_rows(model, rounded)].sum())
    if value > best_value:
        best, best_value = rounded, value
    bound = -float(lp.fun)
    slack = TOLERANCE * max(1.0, bound)
    at_zero = bound - lp.lower.marginals[:cols] < best_value - slack
    at_one = bound + lp.upper.marginals[:cols] < best_value - slack
    upper[at_zero & (y < 0.5)] = 0.0
    lower[at_one & (y > 0.5)] = 1.0
    return best, best_value, lower, upper, bound


def _milp(
    model: _Reduced, k: int, seconds: float, greedy: set[int], greedy_value: float
) -> tuple[set[int], float, str]:
    """max sum w_i z_i  s.t.  z_i <= sum_{j reaches i} y_j,  sum y_j <= k,  y binary,
    0 <= z <= 1 (z is integral at an optimum once y is)."""
    start = time.perf_counter()
    rows, cols = model.reach.shape
    # at most a quarter of the budget for the LP start
    greedy, greedy_value, y_lower, y_upper, lp_bound = _lp_start(
        model, k, greedy, greedy_value, start + seconds / 4
    )
    constraints = [
        LinearConstraint(_matrix(model), -np.inf, np.concatenate([np.zeros(rows), [float(k)]]))
    ]
    cost = np.concatenate([np.zeros(cols), -model.weight])
    integrality = np.concatenate([np.ones(cols), np.zeros(rows)])
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(
            np.concatenate([y_lower, np.zeros(rows)]), np.concatenate([y_upper, np.ones(rows)])
        ),
        options={
            "time_limit": max(seconds - (time.perf_counter() - start), 0.5),
            "mip_rel_gap": 0.0,
            "presolve": True,
        },
    )
    bound = -float(result.mip_dual_bound) if result.mip_dual_bound is not None else np.inf
    # the LP bound stands when the solver stops before proving any
    upper = min(_upper_bound(model, k), lp_bound)
    bound = min(bound, upper) if np.isfinite(bound) else upper
    picked = greedy
    if result.x is not None:
        found = {int(c) for c in np.flatnonzero(result.x[:cols] > 0.5)}
        value = float(model.weight[_covered_rows(model, found)].sum())
        if value > greedy_value:
            picked = found
    status = "optimal" if result.status == 0 else "time_limit"
    return picked, bound, status
