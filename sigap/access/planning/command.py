"""`sigap plan sites INSTANCE.json --seconds S`: the maximal-covering core on a file.

The file is `{"population": [p_i], "time": [[minutes from demand i to candidate j]],
"open": [j already open], "k": K, "minutes": T}`; the answer, on one line of JSON, starts with
`{"chosen": [j, ...], "covered_population": X}` (then the gap, the status and the greedy plan).
A file that cannot be read or breaks the format ends with a message and exit status 2.
Registered with `core.registry.add_planner` from the access app's `ready()`.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np
from django.core.management.base import CommandError

from .covering import greedy_max_covering, solve_max_covering
from .problem import SitingProblem

DESCRIPTION = "choose at most K new sites covering the most people within T minutes (JSON file)"
BAD_INPUT = 2
KEYS = ("population", "time", "open", "k", "minutes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instance", help="JSON file: population, time, open, k, minutes")
    parser.add_argument("--seconds", type=float, default=60.0, help="solver time limit")


def read_instance(path: str) -> SitingProblem:
    """The file as a SitingProblem; ValueError with a readable message when it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError as exc:
        raise ValueError(f"file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"not valid JSON ({where}): {exc.msg}") from exc
    return problem_from_dict(data)


def problem_from_dict(data: Any) -> SitingProblem:
    if not isinstance(data, dict):
        raise ValueError("the file must hold one JSON object with " + ", ".join(KEYS))
    missing = [key for key in KEYS if key not in data]
    if missing:
        raise ValueError("missing key(s): " + ", ".join(missing))
    population, time, opened, k, minutes = (data[key] for key in KEYS)
    if not isinstance(population, list) or not all(_is_number(p) for p in population):
        raise ValueError('"population" must be a list of numbers')
    if not isinstance(time, list) or not all(
        isinstance(row, list) and all(_is_number(x) for x in row) for row in time
    ):
        raise ValueError('"time" must be a list of rows of numbers (minutes)')
    if len(time) != len(population):
        raise ValueError(
            f'"time" has {len(time)} rows but "population" has {len(population)} entries'
        )
    widths = {len(row) for row in time}
    if len(widths) > 1:
        raise ValueError('every row of "time" must have the same number of candidates')
    if not isinstance(opened, list) or not all(_is_whole(j) for j in opened):
        raise ValueError('"open" must be a list of candidate indices')
    if not _is_whole(k):
        raise ValueError('"k" must be a whole number')
    if not _is_number(minutes):
        raise ValueError('"minutes" must be a number')
    width = widths.pop() if widths else 0
    table = np.asarray(time, dtype=float).reshape(len(time), width)
    return SitingProblem(
        population=np.asarray(population, dtype=float),
        minutes=table,
        open=tuple(int(j) for j in opened),
        k=int(k),
        limit_minutes=float(minutes),
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_whole(x: Any) -> bool:
    return _is_number(x) and float(x).is_integer()


def _number(x: float, whole: bool) -> int | float:
    return int(round(x)) if whole and abs(x - round(x)) < 1e-6 else x


def solve_file(path: str, seconds: float) -> dict[str, Any]:
    problem = read_instance(path)
    plan = solve_max_covering(problem, seconds=seconds)
    greedy = greedy_max_covering(problem)
    whole = bool(np.all(np.mod(problem.population, 1) == 0))
    return {
        "chosen": list(plan.chosen),
        "covered_population": _number(plan.covered_population, whole),
        "gap": plan.gap,
        "status": plan.status,
        "bound": _number(plan.bound, whole),
        "seconds": round(plan.seconds, 3),
        "greedy": {
            "chosen": list(greedy.chosen),
            "covered_population": _number(greedy.covered_population, whole),
        },
    }


def run(options: dict, stdout) -> None:
    if options["seconds"] <= 0:
        raise CommandError("--seconds must be > 0", returncode=BAD_INPUT)
    try:
        answer = solve_file(options["instance"], options["seconds"])
    except ValueError as exc:
        raise CommandError(f"{options['instance']}: {exc}", returncode=BAD_INPUT) from exc
    stdout.write(json.dumps(answer))
