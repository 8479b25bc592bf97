"""The access arithmetic on arrays: nearest by travel time, empty and tiny inputs, villages
without a position, shares with their denominators, and the same answer as brute force."""

from datetime import UTC, datetime

import numpy as np
import pytest

from sigap.access import engine
from sigap.core.travel import HaversineEstimator, haversine_km

EST = HaversineEstimator(1.3, [(0, 24, 30.0)], 30.0, modes={"car": ([(0, 24, 30.0)], 30.0)})
AT = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def test_no_facilities_gives_nan_and_minus_one():
    near = engine.nearest_minutes(np.array([-7.0]), np.array([110.0]), np.array([]),
                                  np.array([]), EST, at=AT)  # fmt: skip
    assert np.isnan(near.minutes[0]) and near.index[0] == -1


def test_no_villages():
    near = engine.nearest_minutes(np.array([]), np.array([]), np.array([-7.0]),
                                  np.array([110.0]), EST)  # fmt: skip
    assert near.minutes.size == 0


def test_one_facility_and_a_village_without_position():
    near = engine.nearest_minutes(
        np.array([-7.0, np.nan]), np.array([110.0, np.nan]), np.array([-7.0]),
        np.array([110.1]), EST, at=AT, mode="car",
    )  # fmt: skip
    expected = float(haversine_km(-7.0, 110.0, -7.0, 110.1)) * 1.3 / 30 * 60
    assert near.minutes[0] == pytest.approx(expected)
    assert near.index.tolist() == [0, -1] and np.isnan(near.minutes[1])


def test_matches_brute_force():
    rng = np.random.default_rng(5)
    v_lat, v_lon = rng.uniform(-7.5, -6.5, 300), rng.uniform(109.5, 111.0, 300)
    f_lat, f_lon = rng.uniform(-7.5, -6.5, 40), rng.uniform(109.5, 111.0, 40)
    near = engine.nearest_minutes(v_lat, v_lon, f_lat, f_lon, EST, at=AT)
    full = EST.minutes(v_lat[:, None], v_lon[:, None], f_lat, f_lon, at=AT)
    assert np.allclose(near.minutes, full.min(axis=1))
    assert (near.index == full.argmin(axis=1)).all()


def test_target_masks_and_indexes_into_all_facilities():
    kinds = ["puskesmas", "rs", "rs", "pustu"]
    services = [frozenset(), frozenset({"igd"}), frozenset({"igd", "obstetri"}), frozenset()]
    masks = engine.target_masks(kinds, services)
    assert masks["hospital_igd"].tolist() == [False, True, True, False]
    assert masks["hospital_ponek"].tolist() == [False, False, True, False]
    f_lat = np.array([-7.0, -7.0, -7.2, -7.0])
    f_lon = np.array([110.0, 110.01, 110.0, 110.02])
    near = engine.nearest_by_target(np.array([-7.0]), np.array([110.0]), f_lat, f_lon, masks,
                                    EST, at=AT)  # fmt: skip
    assert near["hospital_ponek"].index[0] == 2 and near["pustu"].index[0] == 3


def test_shares_boundaries_and_denominator():
    nearest = {"puskesmas": engine.Nearest(np.array([15.0, 15.01, np.nan, 5.0]),
                                           np.array([0, 0, -1, -1]))}  # fmt: skip
    pop = np.array([100, 200, 300, np.nan])
    placed = np.array([True, True, False, True])
    shares = {s.minutes: s for s in engine.shares_within(pop, placed, nearest)}
    # exactly 15 minutes is within 15; the unplaced village and the unknown figure are out
    assert shares[15].population == 100 and shares[15].denominator == 300
    assert shares[30].population == 300 and shares[30].share == 1.0
    empty = engine.shares_within(np.array([]), np.array([], dtype=bool),
                                 {"pustu": engine.Nearest(np.array([]), np.array([]))})  # fmt: skip
    assert all(s.share is None and s.denominator == 0 for s in empty)


def test_no_facility_of_a_kind_counts_in_the_denominator():
    nearest = {"pustu": engine.Nearest(np.array([np.nan, np.nan]), np.array([-1, -1]))}
    shares = engine.shares_within(np.array([10, 20]), np.array([True, True]), nearest)
    assert shares[0].denominator == 30 and shares[0].population == 0


def test_a_kind_with_no_facility_at_all_is_out_of_reach():
    """An area with hospitals but no Pustu (the fuzz found the 500): every village gets -1."""
    masks = engine.target_masks(["rs"], [frozenset()])
    v_lat, v_lon = np.array([-7.0, -7.1]), np.array([110.0, 110.1])
    near = engine.nearest_by_target(v_lat, v_lon, np.array([-7.0]), np.array([110.0]), masks, EST)
    assert near["pustu"].index.tolist() == [-1, -1] and np.isnan(near["pustu"].minutes).all()
    assert near["hospital"].index.tolist() == [0, 0]
