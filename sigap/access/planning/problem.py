"""The siting problem and its answer, shared by the covering and the p-median solvers.

Pure NumPy: no ORM, no Django. A demand point i is served by a site j when
`minutes[i, j] <= limit_minutes` (the limit itself counts as within reach).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Relative tolerance when comparing objective values (floats summed in different orders).
TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """Demand points (rows) and candidate sites (columns).

    population: (n,) people per demand point; minutes: (n, m) travel minutes from demand
    point i to candidate j; open: candidates already open (they serve, cost nothing, are
    never "chosen"); k: at most this many new sites; limit_minutes: the covering radius T;
    weights: optional (n,) need weights multiplying the population.
    """

    population: np.ndarray
    minutes: np.ndarray
    open: tuple[int, ...]
    k: int
    limit_minutes: float
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        population = np.asarray(self.population, dtype=float)
        minutes = np.asarray(self.minutes, dtype=float)
        if population.ndim != 1:
            raise ValueError("population must be a list of numbers (one per demand point)")
        n = population.shape[0]
        if n == 0 and minutes.size == 0 and minutes.ndim != 2:
            minutes = minutes.reshape(0, 0)  # no demand points and no table at all
        if minutes.ndim != 2 or minutes.shape[0] != n:
            raise ValueError(
                f"minutes must be a table of {n} rows (one per demand point), "
                f"got shape {minutes.shape}"
            )
        m = minutes.shape[1]
        if not np.all(np.isfinite(population)) or np.any(population < 0):
            raise ValueError("population must be finite and non-negative")
        if not np.all(np.isfinite(minutes)) or np.any(minutes < 0):
            raise ValueError("travel minutes must be finite and non-negative")
        weights = None
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=float)
            if weights.shape != (n,):
                raise ValueError(f"weights must have one value per demand point ({n})")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError("weights must be finite and non-negative")
        if isinstance(self.k, bool) or int(self.k) != self.k or self.k < 0:
            raise ValueError("k (new sites at most) must be a whole number >= 0")
        limit = float(self.limit_minutes)
        if not np.isfinite(limit) or limit < 0:
            raise ValueError("limit_minutes must be a finite number >= 0")
        opened = []
        for j in self.open:
            if isinstance(j, bool) or int(j) != j or not 0 <= int(j) < m:
                raise ValueError(f"open site {j!r} is not a candidate index (0..{m - 1})")
            opened.append(int(j))
        object.__setattr__(self, "population", population)
        object.__setattr__(self, "minutes", minutes)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "open", tuple(sorted(set(opened))))
        object.__setattr__(self, "k", int(self.k))
        object.__setattr__(self, "limit_minutes", limit)

    @property
    def demand_count(self) -> int:
        return self.population.shape[0]

    @property
    def candidate_count(self) -> int:
        return self.minutes.shape[1]

    @property
    def demand(self) -> np.ndarray:
        """Population times need weight: what the objectives count."""
        return self.population if self.weights is None else self.population * self.weights

    def open_mask(self) -> np.ndarray:
        mask = np.zeros(self.candidate_count, dtype=bool)
        mask[list(self.open)] = True
        return mask

    def covered(self, sites: tuple[int, ...] | list[int]) -> float:
        """Demand (weighted) within the limit of an open site or one of `sites`."""
        columns = sorted(set(self.open) | {int(j) for j in sites})
        if not columns or self.demand_count == 0:
            return 0.0
        reached = (self.minutes[:, columns] <= self.limit_minutes).any(axis=1)
        return float(self.demand[reached].sum())

    def travel(self, sites: tuple[int, ...] | list[int]) -> float:
        """Demand-weighted minutes to the nearest open or given site (inf if none at all)."""
        columns = sorted(set(self.open) | {int(j) for j in sites})
        if self.demand_count == 0:
            return 0.0
        if not columns:
            return 0.0 if not np.any(self.demand > 0) else float("inf")
        nearest = self.minutes[:, columns].min(axis=1)
        return float(self.demand @ nearest)


@dataclass(frozen=True)
class SitingPlan:
    """chosen: new sites (sorted candidate indices, never an open one); covered_population:
    demand within the limit of an open or chosen site (weighted when the problem has weights);
    objective: what the method optimises (covered demand, or weighted minutes for p-median);
    bound: the best proven bound on it; gap: relative distance between them (0 = optimal)."""

    chosen: tuple[int, ...]
    covered_population: float
    objective: float
    bound: float
    gap: float
    status: str  # "optimal", "time_limit", "infeasible", "heuristic"
    seconds: float
    method: str  # "milp", "reduction" (solved without the solver), "greedy"
    details: dict = field(default_factory=dict, compare=False)


def relative_gap(objective: float, bound: float) -> float:
    """|bound - objective| / max(|bound|, |objective|), 0 when both are (nearly) equal."""
    if not np.isfinite(bound) or not np.isfinite(objective):
        return float("inf") if bound != objective else 0.0
    scale = max(abs(bound), abs(objective))
    if scale == 0 or abs(bound - objective) <= TOLERANCE * max(scale, 1.0):
        return 0.0
    return abs(bound - objective) / scale
