"""Spatial lookup: the nearest N of a set of points, vectorised.

A few thousand facilities or units fit in memory; a brute-force NumPy pass over them takes
microseconds and needs no spatial database, so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .travel import haversine_km


@dataclass(frozen=True)
class Nearby[T]:
    item: T
    distance_km: float


class PointIndex[T]:
    """Points with payloads; answers nearest-N queries by great-circle distance."""

    def __init__(self, items: Sequence[T], lats: Sequence[float], lons: Sequence[float]):
        if not (len(items) == len(lats) == len(lons)):
            raise ValueError("items, lats and lons must have the same length")
        self.items = list(items)
        self.lats = np.asarray(lats, dtype=float)
        self.lons = np.asarray(lons, dtype=float)

    def __len__(self) -> int:
        return len(self.items)

    def distances_km(self, lat: float, lon: float) -> np.ndarray:
        return haversine_km(lat, lon, self.lats, self.lons)

    def nearest(
        self, lat: float, lon: float, n: int = 10, mask: np.ndarray | None = None
    ) -> list[Nearby[T]]:
        """The `n` nearest items (optionally only where `mask` is True), nearest first."""
        if not self.items or n <= 0:
            return []
        dist = self.distances_km(lat, lon)
        candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(dist))
        if candidates.size == 0:
            return []
        if candidates.size > n:
            part = np.argpartition(dist[candidates], n - 1)[:n]
            candidates = candidates[part]
        order = candidates[np.argsort(dist[candidates], kind="stable")]
        return [Nearby(self.items[i], float(dist[i])) for i in order]
