"""Travel time without a road network.

There is no routing engine offline, so every capability asks this module: great-circle
distance x a circuity factor / a speed that depends on the local hour. A deployment with a
routing engine (OSRM, Valhalla) replaces `get_estimator()` with a class of the same shape.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; any argument may be a scalar or an array (broadcast)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class TravelTimeEstimator(Protocol):
    def road_km(self, lat, lon, lats, lons) -> np.ndarray: ...

    def minutes(
        self, lat, lon, lats, lons, at: datetime | None = None, mode: str | None = None
    ) -> np.ndarray: ...


# A speed profile: (start hour local, end hour local, km/h) rows and the km/h of other hours.
SpeedProfile = tuple[list[tuple[int, int, float]], float]


class HaversineEstimator:
    """Road distance = haversine x circuity; time = road distance / speed of the hour."""

    def __init__(
        self,
        circuity: float,
        speed_profile: list[tuple[int, int, float]],
        default_kmh: float,
        tz: str = "Asia/Jakarta",
        modes: dict[str, SpeedProfile] | None = None,
    ):
        if circuity < 1.0:
            raise ValueError("circuity must be >= 1")
        self.circuity = circuity
        self.speed_profile = speed_profile
        self.default_kmh = default_kmh
        self.tz = ZoneInfo(tz)
        # named modes (e.g. "car", "motorbike") with their own profile; None = the default
        self.modes = dict(modes or {})

    def speed_kmh(self, at: datetime | None = None, mode: str | None = None) -> float:
        profile, default = self.speed_profile, self.default_kmh
        if mode is not None:
            if mode not in self.modes:
                raise ValueError(f"unknown travel mode {mode!r}")
            profile, default = self.modes[mode]
        hour = (at or timezone.now()).astimezone(self.tz).hour
        for start, end, kmh in profile:
            if start <= hour < end:
                return kmh
        return default

    def road_km(self, lat, lon, lats, lons) -> np.ndarray:
        return haversine_km(lat, lon, lats, lons) * self.circuity

    def minutes(
        self, lat, lon, lats, lons, at: datetime | None = None, mode: str | None = None
    ) -> np.ndarray:
        return self.road_km(lat, lon, lats, lons) / self.speed_kmh(at, mode) * 60.0


@lru_cache(maxsize=1)
def get_estimator() -> TravelTimeEstimator:
    cfg = settings.SIGAP_TRAVEL
    return HaversineEstimator(
        circuity=cfg["circuity"],
        speed_profile=cfg["speed_profile"],
        default_kmh=cfg["default_kmh"],
        tz=settings.TIME_ZONE,
        modes={
            name: (m["speed_profile"], m["default_kmh"]) for name, m in cfg.get("modes", {}).items()
        },
    )
