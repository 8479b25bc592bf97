"""The coverage app's settings, each overridable in Django settings (or its environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class UhcThresholds:
    """UHC predicate and UHC Awards 2026 categories (reference/indonesia.md), as shares."""

    predicate_coverage: float = 0.98  # coverage must be above this
    predicate_active: float = 0.80  # active share of members must be above this
    utama_coverage: float = 0.99
    utama_active: float = 0.95
    utama_pemda: float = 0.18
    madya_coverage: float = 0.98
    madya_active: float = 0.85
    madya_alt_pemda: float = 0.25
    madya_alt_active: float = 0.80
    pratama_coverage: float = 0.98
    pratama_active: float = 0.80


def uhc() -> UhcThresholds:
    override = getattr(settings, "SIGAP_COVERAGE_UHC", None) or {}
    return UhcThresholds(**override)


def monthly_quota() -> int:
    """New residents the region enrols per month (Semarang 2025: 10,800)."""
    return int(getattr(settings, "SIGAP_COVERAGE_MONTHLY_QUOTA",
                       os.environ.get("SIGAP_COVERAGE_MONTHLY_QUOTA", 10_800)))  # fmt: skip


def premium() -> int:
    """JKN premium per person per month paid by the region (Rp; class III PBI: 42,000)."""
    return int(getattr(settings, "SIGAP_COVERAGE_PREMIUM",
                       os.environ.get("SIGAP_COVERAGE_PREMIUM", 42_000)))  # fmt: skip


def workers_quota() -> int:
    """Vulnerable workers the region covers per month."""
    return int(getattr(settings, "SIGAP_COVERAGE_WORKERS_QUOTA",
                       os.environ.get("SIGAP_COVERAGE_WORKERS_QUOTA", 5_000)))  # fmt: skip


def workers_premiums() -> dict[str, int]:
    """BPJS Ketenagakerjaan premiums per worker per month (Rp) for non-wage workers."""
    default = {"jkk": 10_000, "jkm": 6_800, "jht": 20_000}
    return {**default, **(getattr(settings, "SIGAP_COVERAGE_WORKERS_PREMIUMS", None) or {})}


def lookup_rate() -> tuple[int, int]:
    """Public NIK checks allowed per client address: (count, per seconds)."""
    return tuple(getattr(settings, "SIGAP_COVERAGE_LOOKUP_RATE", (20, 3600)))
