"""What each capability plugs into the project's shared commands: its demo builder, its
benchmarks and its simulations; and the gauges it exports on /metrics (sigap.core.ops).
Each app registers them in its `AppConfig.ready()`, so core names no capability; an app
left out of INSTALLED_APPS simply is not there.

Modules are registered by dotted path and imported only when a command runs them (a
benchmark lives in the source checkout's `bench/`, a simulation pulls in the app's services).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Demo:
    app_label: str
    module: str  # has build(area, log) -> list[str]
    order: int  # demos run in this order: an app's demo may use the data of an earlier one


_DEMOS: dict[str, Demo] = {}
_BENCHMARKS: dict[str, str] = {}  # name -> module with NAME, DESCRIPTION, add_arguments, run
_SIMULATIONS: dict[str, str] = {}  # name -> module with DESCRIPTION, add_arguments, run


def add_demo(app_label: str, module: str, order: int) -> None:
    _DEMOS[app_label] = Demo(app_label, module, order)


def demos() -> list[Demo]:
    return sorted(_DEMOS.values(), key=lambda d: (d.order, d.app_label))


def add_benchmark(name: str, module: str) -> None:
    _BENCHMARKS[name] = module


def benchmarks() -> dict[str, str]:
    return dict(_BENCHMARKS)


def add_simulation(name: str, module: str) -> None:
    _SIMULATIONS[name] = module


def simulations() -> dict[str, str]:
    return dict(_SIMULATIONS)


# name -> module with DESCRIPTION, add_arguments(parser), run(options, stdout): the extra
# subcommands of `sigap plan` (the command itself belongs to home care's routing)
_PLANNERS: dict[str, str] = {}


def add_planner(name: str, module: str) -> None:
    _PLANNERS[name] = module


def planners() -> dict[str, str]:
    return dict(_PLANNERS)


# What a gauge's collector returns: one number (no labels), or {label values: number} where
# the key is a tuple in the order of `labels` (a plain string for a single label).
GaugeValues = float | int | Mapping[tuple[str, ...] | str, float | int]


@dataclass(frozen=True)
class Gauge:
    name: str  # Prometheus name, e.g. "sigap_referrals_waiting"
    help: str
    labels: tuple[str, ...]
    collect: Callable[[], GaugeValues]  # one cheap aggregate query, run at scrape time


_GAUGES: dict[str, Gauge] = {}


def add_gauge(
    name: str, help: str, labels: tuple[str, ...] | list[str], collect: Callable[[], GaugeValues]
) -> None:
    """Export `collect()` on /metrics as the gauge `name`, computed at each scrape."""
    _GAUGES[name] = Gauge(name, help, tuple(labels), collect)


def gauges() -> list[Gauge]:
    return sorted(_GAUGES.values(), key=lambda g: g.name)
