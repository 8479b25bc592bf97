"""p-median: at most k new sites that minimise the demand-weighted minutes to the nearest open
or chosen site. Exact through HiGHS (`scipy.optimize.milp`); greedy beside.

The model is the radius formulation (Elloumi 2010), written with one chain per demand point
so that it stays linear in size: for demand point i with the distinct minutes D_1 < ... < D_L
of the candidates nearer than its nearest open site (D_{L+1} = that site's minutes),
z_il = 1 means "i travels more than D_l", and
    minimise sum_i w_i (D_1 + sum_l (D_{l+1} - D_l) z_il)
    z_i1 >= 1 - sum_{j: d_ij = D_1} y_j,   z_il >= z_i,l-1 - sum_{j: d_ij = D_l} y_j,
    sum_j y_j <= k,  y binary,  0 <= z <= 1.
Summed along the chain, the constraints are Elloumi's; the LP relaxation is the same.
Reduction: demand with no weight drops; demand points with the same minutes merge;
candidates nearer than the open sites for nobody drop; candidates with the same minutes merge
into the lowest index.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .problem import TOLERANCE, SitingPlan, SitingProblem, relative_gap


class _Reduced:
    def __init__(self, problem: SitingProblem) -> None:
        demand = problem.demand
        rows = demand > 0
        minutes = problem.minutes[rows]
        weight = demand[rows]
        opened = problem.open_mask()
        # minutes to the nearest open site: only candidates nearer than that matter
        cap = minutes[:, opened].min(axis=1) if opened.any() else np.full(len(weight), np.inf)
        cand = np.flatnonzero(~opened)
        sub = minutes[:, cand]
        useful = (sub < cap[:, None]).any(axis=0) if len(weight) else np.zeros(len(cand), bool)
        sub, cand = sub[:, useful], cand[useful]
        if sub.shape[0] and sub.shape[1]:
            # same minutes to every useful candidate and the same open cap: one point
            table = np.column_stack([sub, np.where(np.isinf(cap), -1.0, cap)])
            _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
            merged = np.zeros(len(first))
            np.add.at(merged, inverse.ravel(), weight)
            sub, cap, weight = sub[first], cap[first], merged
            _, firstc = np.unique(sub.T, axis=0, return_index=True)
            firstc.sort()
            sub, cand = sub[:, firstc], cand[firstc]
        self.minutes = sub
        self.cap = cap
        self.weight = weight
        self.columns = cand

    def value(self, picked: set[int]) -> float:
        nearest = self.cap.copy()
        if picked:
            nearest = np.minimum(nearest, self.minutes[:, sorted(picked)].min(axis=1))
        if not len(self.weight):
            return 0.0
        return float(self.weight @ nearest) if np.isfinite(nearest).all() else float("inf")


def _greedy_columns(model: _Reduced, k: int) -> list[int]:
    """Add the candidate that saves the most weighted minutes, while one saves any."""
    if not model.minutes.shape[1] or not len(model.weight):
        return []
    # an unreachable cap counts as a very long trip, so the first pick is the 1-median
    big = 2.0 * float(model.minutes.max()) + 1.0
    current = np.where(np.isinf(model.cap), big, model.cap)
    picked: list[int] = []
    for _ in range(min(k, model.minutes.shape[1])):
        saving = model.weight @ np.maximum(current[:, None] - model.minutes, 0.0)
        best = int(np.argmax(saving))
        if saving[best] <= 0:
            break
        picked.append(best)
        current = np.minimum(current, model.minutes[:, best])
    return picked


def _plan(
    problem: SitingProblem,
    model: _Reduced,
    picked: set[int],
    bound: float,
    status: str,
    method: str,
    start: float,
    details: dict | None = None,
) -> SitingPlan:
    # drop picked sites that save nothing (highest index first)
    value = model.value(picked)
    for c in sorted(picked, reverse=True):
        rest = picked - {c}
        if model.value(rest) <= value + TOLERANCE * max(1.0, abs(value)):
            picked = rest
    chosen = tuple(sorted(int(model.columns[c]) for c in picked))
    travel = problem.travel(chosen)
    if not np.isfinite(travel):
        status = "infeasible"
    gap = 0.0 if status == "optimal" else relative_gap(travel, bound)
    return SitingPlan(
        chosen=chosen,
        covered_population=problem.covered(chosen),
        objective=travel,
        bound=min(bound, travel) if status == "optimal" else bound,
        gap=gap,
        status=status,
        seconds=time.perf_counter() - start,
        method=method,
        details=details or {},
    )


def greedy_p_median(problem: SitingProblem) -> SitingPlan:
    start = time.perf_counter()
    model = _Reduced(problem)
    picked = set(_greedy_columns(model, problem.k))
    value = model.value(picked)
    done = problem.k == 0 or not model.minutes.shape[1]
    return _plan(
        problem, model, picked, value if done else 0.0,
        "optimal" if done else "heuristic", "greedy", start,
    )  # fmt: skip


def solve_p_median(problem: SitingProblem, seconds: float = 60.0) -> SitingPlan:
    """Exact p-median (HiGHS branch and bound within `seconds`)."""
    start = time.perf_counter()
    model = _Reduced(problem)
    n_cols = model.minutes.shape[1]
    greedy = set(_greedy_columns(model, problem.k))
    greedy_value = model.value(greedy)
    details = {
        "demand_points": int(len(model.weight)),
        "candidates": int(n_cols),
        "greedy_travel": greedy_value,
    }
    if problem.k == 0 or n_cols == 0 or not len(model.weight):
        return _plan(problem, model, set(), model.value(set()), "optimal", "reduction", start,
                     details)  # fmt: skip
    if problem.k >= n_cols:
        picked = set(range(n_cols))
        return _plan(problem, model, picked, model.value(picked), "optimal", "reduction", start,
                     details)  # fmt: skip
    remaining = max(seconds - (time.perf_counter() - start), 0.5)
    picked, bound, status = _milp(model, problem.k, remaining, greedy, greedy_value)
    return _plan(problem, model, picked, bound, status, "milp", start, details)


def _milp(
    model: _Reduced, k: int, seconds: float, greedy: set[int], greedy_value: float
) -> tuple[set[int], float, str]:
    n, m = model.minutes.shape
    constant = 0.0
    cost_z: list[float] = []
    upper_z: list[float] = []
    # constraint rows: one per (i, level); columns: y (m) then z (in order)
    rows_y: list[np.ndarray] = []
    cols_y: list[np.ndarray] = []
    rows_prev: list[int] = []
    cols_prev: list[int] = []
    lower: list[float] = []
    z = 0  # next z index
    for i in range(n):
        d = model.minutes[i]
        near = np.flatnonzero(d < model.cap[i])
        levels, level_of = np.unique(d[near], return_inverse=True)
        steps = np.append(levels, model.cap[i])
        constant += model.weight[i] * steps[0]
        first_row = z
        for l_ in range(len(levels)):
            row = first_row + l_
            members = near[level_of == l_]
            rows_y.append(np.full(len(members), row))
            cols_y.append(members)
            # z_il + sum y >= z_i,l-1 (or >= 1 on the first level)
            if l_ == 0:
                lower.append(1.0)
            else:
                rows_prev.append(row)
                cols_prev.append(m + row - 1)
                lower.append(0.0)
            span = steps[l_ + 1] - steps[l_]
            if np.isfinite(span):
                cost_z.append(model.weight[i] * span)
                upper_z.append(1.0)
            else:  # no open site behind the last level: i must be served by a chosen one
                cost_z.append(0.0)
                upper_z.append(0.0)
        z += len(levels)
    n_rows = z
    ry = np.concatenate(rows_y) if rows_y else np.zeros(0, int)
    cy = np.concatenate(cols_y) if cols_y else np.zeros(0, int)
    data = np.concatenate([
        np.ones(len(ry)), np.ones(n_rows), -np.ones(len(rows_prev)),
    ])  # fmt: skip
    rr = np.concatenate([ry, np.arange(n_rows), np.asarray(rows_prev, int)])
    cc = np.concatenate([cy, m + np.arange(n_rows), np.asarray(cols_prev, int)])
    link = sparse.csr_matrix((data, (rr, cc)), shape=(n_rows, m + n_rows))
    budget = sparse.csr_matrix(np.concatenate([np.ones(m), np.zeros(n_rows)])[None, :])
    cost = np.concatenate([np.zeros(m), np.asarray(cost_z)])
    result = milp(
        cost,
        constraints=[
            LinearConstraint(link, np.asarray(lower), np.inf),
            LinearConstraint(budget, -np.inf, float(k)),
        ],
        integrality=np.concatenate([np.ones(m), np.zeros(n_rows)]),
        bounds=Bounds(np.zeros(m + n_rows), np.concatenate([np.ones(m), upper_z])),
        options={"time_limit": seconds, "mip_rel_gap": 0.0, "presolve": True},
    )
    bound = constant + float(result.mip_dual_bound) if result.mip_dual_bound is not None else 0.0
    picked = greedy
    if result.x is not None:
        found = {int(c) for c in np.flatnonzero(result.x[:m] > 0.5)}
        if model.value(found) < greedy_value:
            picked = found
    status = "optimal" if result.status == 0 else "time_limit"
    return picked, bound, status
