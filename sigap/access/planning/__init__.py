"""Siting of new health facilities: maximal covering and p-median, exact (HiGHS MILP through
`scipy.optimize.milp`) and greedy. Pure NumPy/SciPy, no ORM: the planning page, the
`sigap plan sites` command and the benchmark all call these functions.
"""

from .covering import greedy_max_covering, solve_max_covering
from .median import greedy_p_median, solve_p_median
from .problem import SitingPlan, SitingProblem

__all__ = [
    "SitingPlan",
    "SitingProblem",
    "greedy_max_covering",
    "greedy_p_median",
    "solve_max_covering",
    "solve_p_median",
]
