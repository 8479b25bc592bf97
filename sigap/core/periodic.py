"""Periodic sweeps (SLA escalation, webhook retries, stale-data alerts).

Django's tasks API runs one-off work; it has no clock. An app registers a sweep with
`@every(seconds)` in its `tasks.py`; `sigap worker` calls `run_due()` about once a second.
A `PeriodicRun` row per sweep, taken with a compare-and-set on `next_run_at`, makes sure that
several workers run a sweep once per interval, not once each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from sigap.core.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    seconds: int
    func: Callable[[], object]


_SWEEPS: dict[str, Sweep] = {}


def every(seconds: int, name: str | None = None) -> Callable[[Callable], Callable]:
    """Register a zero-argument function to run every `seconds` in the worker."""

    def register(func: Callable[[], object]) -> Callable[[], object]:
        key = name or f"{func.__module__}.{func.__qualname__}"
        _SWEEPS[key] = Sweep(key, int(seconds), func)
        return func

    return register


def sweeps() -> list[Sweep]:
    return sorted(_SWEEPS.values(), key=lambda s: s.name)


def _claim(sweep: Sweep, now: datetime) -> bool:
    nxt = now + timedelta(seconds=sweep.seconds)
    claimed = PeriodicRun.objects.filter(name=sweep.name, next_run_at__lte=now).update(
        next_run_at=nxt, last_started_at=now
    )
    if claimed:
        return True
    if PeriodicRun.objects.filter(name=sweep.name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=sweep.name, next_run_at=nxt, last_started_at=now)
    except IntegrityError:
        return False  # another worker created it first
    return True


def run_due(now: datetime | None = None) -> list[str]:
    """Run every sweep whose interval has passed; return the names run. A failing sweep is
    logged and does not stop the others."""
    now = now or timezone.now()
    ran = []
    for sweep in sweeps():
        if not _claim(sweep, now):
            continue
        ok = True
        try:
            sweep.func()
        except Exception:  # a sweep bug must not stop the worker
            ok = False
            log.exception("periodic sweep %s failed", sweep.name)
        PeriodicRun.objects.filter(name=sweep.name).update(
            last_finished_at=timezone.now(), last_ok=ok
        )
        ran.append(sweep.name)
    return ran
