"""Access arithmetic on arrays (no database): nearest facility of each kind and its travel
time from every kelurahan centroid, and the share of the population within T minutes.

Nearest candidates come from a KD-tree over unit vectors on the sphere (the chord between
two unit vectors grows with the great-circle distance), then the travel-time module times the
few nearest ones, so a routing engine that replaces `sigap.core.travel.get_estimator()` still
picks the quickest of them. No Python loop over kelurahan-facility pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.spatial import cKDTree

from sigap.core.travel import TravelTimeEstimator

# Each kind of care analysed: Puskesmas, Pustu, any hospital, hospital with an emergency
# department (service "igd"), hospital with obstetric emergency care (service "obstetri").
TARGETS = ("puskesmas", "pustu", "hospital", "hospital_igd", "hospital_ponek")
THRESHOLDS = (15, 30, 60)
# candidates timed per kelurahan (by straight-line distance, then by travel time)
CANDIDATES = 4


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


@dataclass(frozen=True)
class Nearest:
    """Per kelurahan: minutes to the nearest facility (NaN without one or without position)
    and its index in the facility arrays (-1 when none)."""

    minutes: np.ndarray
    index: np.ndarray


def nearest_minutes(
    v_lat: np.ndarray,
    v_lon: np.ndarray,
    f_lat: np.ndarray,
    f_lon: np.ndarray,
    estimator: TravelTimeEstimator,
    *,
    at: datetime | None = None,
    mode: str | None = None,
    candidates: int = CANDIDATES,
) -> Nearest:
    """The quickest of the `candidates` nearest facilities from every kelurahan."""
    v_lat, v_lon = np.asarray(v_lat, dtype=float), np.asarray(v_lon, dtype=float)
    f_lat, f_lon = np.asarray(f_lat, dtype=float), np.asarray(f_lon, dtype=float)
    n = v_lat.size
    minutes = np.full(n, np.nan)
    index = np.full(n, -1, dtype=np.int64)
    placed = np.isfinite(v_lat) & np.isfinite(v_lon)
    if f_lat.size == 0 or not placed.any():
        return Nearest(minutes, index)
    k = min(candidates, f_lat.size)
    tree = cKDTree(unit_vectors(f_lat, f_lon))
    _dist, idx = tree.query(unit_vectors(v_lat[placed], v_lon[placed]), k=k)
    idx = idx.reshape(-1, k)
    times = np.asarray(
        estimator.minutes(
            v_lat[placed][:, None],
            v_lon[placed][:, None],
            f_lat[idx],
            f_lon[idx],
            at=at,
            mode=mode,
        ),  # fmt: skip
        dtype=float,
    ).reshape(-1, k)
    best = np.argmin(times, axis=1)
    rows = np.arange(idx.shape[0])
    minutes[placed] = times[rows, best]
    index[placed] = idx[rows, best]
    return Nearest(minutes, index)


def target_masks(kinds: Sequence[str], services: Sequence[frozenset[str]]) -> dict[str, np.ndarray]:
    """Which facilities count for each target, from their kind code and service codes."""
    from sigap.facilities.models import Kind

    kinds_a = np.asarray(kinds, dtype=object)
    hospital = kinds_a == Kind.HOSPITAL
    igd = np.fromiter(("igd" in s for s in services), dtype=bool, count=len(services))
    ponek = np.fromiter(("obstetri" in s for s in services), dtype=bool, count=len(services))
    return {
        "puskesmas": kinds_a == Kind.PUSKESMAS,
        "pustu": kinds_a == Kind.PUSTU,
        "hospital": hospital,
        "hospital_igd": hospital & igd,
        "hospital_ponek": hospital & ponek,
    }


def nearest_by_target(
    v_lat: np.ndarray,
    v_lon: np.ndarray,
    f_lat: np.ndarray,
    f_lon: np.ndarray,
    masks: Mapping[str, np.ndarray],
    estimator: TravelTimeEstimator,
    *,
    at: datetime | None = None,
    mode: str | None = None,
) -> dict[str, Nearest]:
    """`nearest_minutes` for each target; indexes point into the full facility arrays."""
    f_lat, f_lon = np.asarray(f_lat, dtype=float), np.asarray(f_lon, dtype=float)
    out: dict[str, Nearest] = {}
    for target, mask in masks.items():
        chosen = np.flatnonzero(mask)
        near = nearest_minutes(
            v_lat, v_lon, f_lat[chosen], f_lon[chosen], estimator, at=at, mode=mode
        )
        if chosen.size == 0:  # no facility of this kind: nobody has one within reach
            index = np.full(near.index.shape, -1, dtype=near.index.dtype)
        else:
            index = np.where(near.index >= 0, chosen[np.maximum(near.index, 0)], -1)
        out[target] = Nearest(near.minutes, index)
    return out


@dataclass(frozen=True)
class Share:
    """Population within `minutes` of a target, over the population with a known figure and a
    position (the denominator); `share` is None when the denominator is 0."""

    target: str
    minutes: int
    population: int
    denominator: int
    share: float | None


def shares_within(
    population: np.ndarray,
    placed: np.ndarray,
    nearest: Mapping[str, Nearest],
    thresholds: Sequence[int] = THRESHOLDS,
) -> list[Share]:
    """Share of the population within each threshold of each target. A kelurahan without a
    position (`placed` False) or without a figure is left out of the denominator; one with
    no facility of the kind anywhere counts and is never within reach."""
    pop = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    placed = np.asarray(placed, dtype=bool)
    den = int(pop[placed].sum())
    out: list[Share] = []
    for target, near in nearest.items():
        mins = np.where(np.isnan(near.minutes), np.inf, near.minutes)
        for t in thresholds:
            within = int(pop[placed & (mins <= t)].sum())
            out.append(Share(target, int(t), within, den, within / den if den else None))
    return out
