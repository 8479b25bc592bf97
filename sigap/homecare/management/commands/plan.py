"""`sigap plan vrptw FILE --seconds S` and `sigap plan daily [--date D] [--seconds S]`
(plus the planners other apps register, e.g. `sigap plan sites`).

`vrptw` solves a Solomon instance (LKH-3 format) with the same routing layer as the daily
home-visit planner and prints `{"routes": [[node ids], ...], "distance": total / 10}`.
`daily` plans the home visits of a day (tomorrow by default) for every Puskesmas.
"""

from __future__ import annotations

import argparse
import importlib
import json
import warnings
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sigap.core import registry


class Command(BaseCommand):
    help = "Plan routes: a Solomon VRPTW file, or the home visits of a day."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        vrptw = sub.add_parser("vrptw", help="solve a Solomon VRPTW instance (LKH-3 format)")
        vrptw.add_argument("file")
        vrptw.add_argument("--seconds", type=float, default=10.0)
        vrptw.add_argument("--seed", type=int, default=0)
        vrptw.add_argument("--check", action="store_true", help="re-check; report on stderr")
        daily = sub.add_parser("daily", help="plan the home visits of a day")
        daily.add_argument("--date", type=date.fromisoformat, default=None)
        daily.add_argument("--seconds", type=float, default=5.0, help="per Puskesmas")
        # other apps' planners (core.registry.add_planner), e.g. `sites` from access
        for name, path in registry.planners().items():
            module = importlib.import_module(path)
            module.add_arguments(sub.add_parser(name, help=module.DESCRIPTION))

    def handle(self, *args, **opts) -> None:
        planner = registry.planners().get(opts["what"])
        if planner:
            importlib.import_module(planner).run(opts, self.stdout)
        elif opts["what"] == "vrptw":
            self._vrptw(opts)
        else:
            self._daily(opts)

    def _vrptw(self, opts: dict) -> None:
        from sigap.homecare.checker import check_solomon
        from sigap.homecare.routing import solve_solomon

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = solve_solomon(opts["file"], opts["seconds"], seed=opts["seed"])
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc}") from exc
        self.stdout.write(json.dumps({"routes": result["routes"], "distance": result["distance"]}))
        if opts["check"]:
            check = check_solomon(opts["file"], result["routes"], result["distance"])
            self.stderr.write("feasible" if check.ok else "INFEASIBLE: " + "; ".join(check.errors))
            if not check.ok:
                raise CommandError("the solution failed the independent check")

    def _daily(self, opts: dict) -> None:
        from sigap.core.services import Actor
        from sigap.homecare import services

        day = opts["date"] or timezone.localdate() + timedelta(days=1)
        plans = services.plan_day(Actor.system("sigap plan daily"), day, seconds=opts["seconds"])
        for plan in plans:
            self.stdout.write(
                f"{plan.facility.name}: {plan.summary.get('planned', 0)} visits planned, "
                f"{plan.summary.get('unserved', 0)} unserved, "
                f"{plan.summary.get('distance_km', 0)} km"
            )
