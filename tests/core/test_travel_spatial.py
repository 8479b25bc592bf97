from datetime import UTC, datetime

import numpy as np
import pytest

from sigap.core.spatial import PointIndex
from sigap.core.travel import HaversineEstimator, haversine_km


def test_haversine_known_distance():
    # Semarang Tugu Muda to Simpang Lima is about 1.9 km as the crow flies.
    d = float(haversine_km(-6.9840, 110.4093, -6.9903, 110.4229))
    assert 1.5 < d < 1.8


def test_haversine_broadcasts():
    d = haversine_km(0.0, 0.0, np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert d.shape == (2,)
    assert d[0] == pytest.approx(111.2, rel=0.01)


def test_estimator_uses_speed_of_local_hour():
    est = HaversineEstimator(1.5, [(0, 6, 60.0), (6, 24, 30.0)], 30.0, tz="Asia/Jakarta")
    night = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)  # 03:00 WIB
    day = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB
    km = float(est.road_km(0, 0, 0, 1))
    assert km == pytest.approx(111.2 * 1.5, rel=0.01)
    assert float(est.minutes(0, 0, 0, 1, at=night)) == pytest.approx(km / 60 * 60, rel=1e-6)
    assert float(est.minutes(0, 0, 0, 1, at=day)) == pytest.approx(km / 30 * 60, rel=1e-6)


def test_estimator_rejects_circuity_below_one():
    with pytest.raises(ValueError):
        HaversineEstimator(0.9, [], 30.0)


def test_point_index_nearest_with_mask():
    idx = PointIndex(["a", "b", "c", "d"], [0, 0, 0, 0], [0.0, 0.1, 0.2, 0.3])
    assert [n.item for n in idx.nearest(0, 0.21, n=2)] == ["c", "d"]
    mask = np.array([True, True, False, False])
    assert [n.item for n in idx.nearest(0, 0.21, n=3, mask=mask)] == ["b", "a"]
    assert idx.nearest(0, 0, n=2, mask=np.zeros(4, bool)) == []
    assert PointIndex([], [], []).nearest(0, 0) == []
