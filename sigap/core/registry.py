"""What each capability plugs into the project's shared commands: its demo builder, its
benchmarks and its simulations. Each app registers them in its `AppConfig.ready()`, so core
names no capability; an app left out of INSTALLED_APPS simply is not there.

Modules are registered by dotted path and imported only when a command runs them (a
benchmark lives in the source checkout's `bench/`, a simulation pulls in the app's services).
"""

from __future__ import annotations

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
