"""The coverage app's settings, each overridable in Django settings (or its environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings


def _setting(name: str, default):
    """A Django setting, else the environment variable of the same name, else `default`."""
    return getattr(settings, name, os.environ.get(name, default))


def _rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A (count, per seconds) limit from Django settings."""
    return tuple(getattr(settings, name, default))


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
    return int(_setting("SIGAP_COVERAGE_MONTHLY_QUOTA", 10_800))


def premium() -> int:
    """JKN premium per person per month paid by the region (Rp; class III PBI: 42,000)."""
    return int(_setting("SIGAP_COVERAGE_PREMIUM", 42_000))


def workers_quota() -> int:
    """Vulnerable workers the region covers per month."""
    return int(_setting("SIGAP_COVERAGE_WORKERS_QUOTA", 5_000))


def workers_premiums() -> dict[str, int]:
    """BPJS Ketenagakerjaan premiums per worker per month (Rp) for non-wage workers."""
    default = {"jkk": 10_000, "jkm": 6_800, "jht": 20_000}
    return {**default, **(getattr(settings, "SIGAP_COVERAGE_WORKERS_PREMIUMS", None) or {})}


def lookup_rate() -> tuple[int, int]:
    """Public NIK checks allowed per client address: (count, per seconds)."""
    return _rate("SIGAP_COVERAGE_LOOKUP_RATE", (20, 3600))


def min_accepted_share() -> float:
    """A complete list (membership, welfare) whose accepted share of rows is below this is
    held for an analyst's confirmation instead of being applied."""
    return float(_setting("SIGAP_COVERAGE_MIN_ACCEPTED_SHARE", 0.90))


def max_removed_share() -> float:
    """A complete list that would remove more than this share of the people in force is
    held for an analyst's confirmation."""
    return float(_setting("SIGAP_COVERAGE_MAX_REMOVED_SHARE", 0.05))


def kept_snapshots() -> int:
    """Applied snapshots per kind whose rows are kept (so the previous one can be restored)."""
    return max(2, int(_setting("SIGAP_COVERAGE_KEPT_SNAPSHOTS", 3)))


def max_upload_bytes() -> int:
    """Largest register file accepted through the page (bigger ones: the command line)."""
    return int(_setting("SIGAP_COVERAGE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def max_import_rows() -> int:
    """Most data rows a register file may hold (any channel)."""
    return int(_setting("SIGAP_COVERAGE_MAX_IMPORT_ROWS", 5_000_000))


def lookup_miss_rate() -> tuple[int, int]:
    """Public checks that find nothing, allowed per client address: (count, per seconds)."""
    return _rate("SIGAP_COVERAGE_LOOKUP_MISS_RATE", (5, 3600))


def lookup_nik_miss_rate() -> tuple[int, int]:
    """Public checks that find nothing for one NIK, from any address: (count, per seconds)."""
    return _rate("SIGAP_COVERAGE_LOOKUP_NIK_MISS_RATE", (5, 86400))


def staff_lookup_rate() -> tuple[int, int]:
    """Staff NIK look-ups allowed per user: (count, per seconds)."""
    return _rate("SIGAP_COVERAGE_STAFF_LOOKUP_RATE", (300, 3600))
