"""The one travel-time module knows named modes (car, motorbike), each with its own speed
profile; the default (no mode) stays what every other capability already uses."""

from datetime import UTC, datetime

import pytest

from sigap.core.travel import HaversineEstimator, get_estimator

PEAK = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)  # 07:30 WIB


def test_mode_uses_its_own_profile():
    est = HaversineEstimator(
        1.0,
        [(0, 24, 20.0)],
        20.0,
        modes={"car": ([(6, 9, 20.0)], 30.0), "motorbike": ([(6, 9, 40.0)], 30.0)},
    )
    car = float(est.minutes(0, 0, 0, 0.1, at=PEAK, mode="car"))
    bike = float(est.minutes(0, 0, 0, 0.1, at=PEAK, mode="motorbike"))
    assert car == pytest.approx(2 * bike)
    assert float(est.minutes(0, 0, 0, 0.1, at=PEAK)) == pytest.approx(car)
    night = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)  # 03:00 WIB: the mode's default speed
    assert est.speed_kmh(night, "motorbike") == 30.0


def test_unknown_mode_is_refused():
    est = HaversineEstimator(1.2, [(0, 24, 20.0)], 20.0)
    with pytest.raises(ValueError):
        est.minutes(0, 0, 0, 1, mode="helicopter")


def test_settings_define_car_and_motorbike():
    est = get_estimator()
    assert {"car", "motorbike"} <= set(est.modes)
    # in the morning peak a motorbike is faster than a car
    assert est.speed_kmh(PEAK, "motorbike") > est.speed_kmh(PEAK, "car")
    # the default profile (no mode) is the car's, as before
    assert est.speed_kmh(PEAK) == est.speed_kmh(PEAK, "car")


def test_matrix_broadcast():
    import numpy as np

    est = get_estimator()
    lat = np.array([-7.0, -6.9])[:, None]
    lon = np.array([110.4, 110.5])[:, None]
    m = est.minutes(lat, lon, np.array([-7.0, -7.1, -6.95]), np.array([110.4, 110.4, 110.45]),
                    at=PEAK, mode="car")  # fmt: skip
    assert m.shape == (2, 3) and m[0, 0] == 0.0
