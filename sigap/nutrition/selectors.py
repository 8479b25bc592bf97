"""Read side: prevalence dashboards, severe cases, growth faltering, mortality indicators.

Dashboards read the monthly counts (`GrowthMonthly`, one row per posyandu and month) and
aggregate them with NumPy, so that a city of 120,000 children answers from a few thousand
rows. Mortality indicators carry exact confidence intervals (numbers are small).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from scipy import stats

from sigap.core.models import User
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from .models import (
    Birth,
    Child,
    Death,
    DeathReview,
    GrowthMonthly,
    Measurement,
    NutritionCase,
    Pregnancy,
)
from .services import READ_ROLES, scope_filter

LEVELS = {"kecamatan": 6, "kelurahan": 10, "posyandu": 0}
COUNT_FIELDS = [
    "measured",
    "haz_n",
    "stunted",
    "severely_stunted",
    "whz_n",
    "wasted",
    "severely_wasted",
    "overweight",
    "waz_n",
    "underweight",
    "severely_underweight",
    "faltering",
    "gain_n",
    "faltering_2t",
]

# WHO/UNICEF 2018 prevalence thresholds (percent): upper bounds of very low, low, medium, high
BANDS = {
    "stunting": (2.5, 10.0, 20.0, 30.0),
    "wasting": (2.5, 5.0, 10.0, 15.0),
}
BAND_KEYS = ("very_low", "low", "medium", "high", "very_high")
BAND_LABELS = {
    # "tinggi" is also the HAZ class "tall": the context keeps the two apart
    "very_low": pgettext_lazy("pita prevalensi", "sangat rendah"),
    "low": pgettext_lazy("pita prevalensi", "rendah"),
    "medium": pgettext_lazy("pita prevalensi", "sedang"),
    "high": pgettext_lazy("pita prevalensi", "tinggi"),
    "very_high": pgettext_lazy("pita prevalensi", "sangat tinggi"),
}


def band(indicator: str, percent: float | None) -> str:
    """The WHO prevalence band of a percentage ('' when not computable)."""
    if percent is None:
        return ""
    for key, upper in zip(BAND_KEYS, BANDS[indicator], strict=False):
        if percent < upper:
            return key
    return "very_high"


def _pct(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num * 100.0 / np.maximum(den, 1), np.nan)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


@dataclass
class Dashboard:
    month: date
    months: list[date]
    level: str
    units: list[dict]
    totals: dict
    trend: dict[str, list]
    map_points: list[dict]
    in_progress: bool = False
    min_denominator: int = 30


def _counts(user: User, area: str, first: date, last: date) -> dict[str, np.ndarray]:
    rows = list(
        GrowthMonthly.objects.filter(scope_filter(user), month__gte=first, month__lte=last)
        .filter(kelurahan_code__startswith=area)
        .values_list("month", "kelurahan_code", "posyandu_id", *COUNT_FIELDS)
    )
    if not rows:
        return {
            "month": np.zeros(0, "datetime64[D]"),
            "kel": np.zeros(0, "U10"),
            "posyandu": np.zeros(0, np.int64),
            "counts": np.zeros((0, len(COUNT_FIELDS)), np.int64),
        }
    cols = list(zip(*rows, strict=True))
    return {
        "month": np.array(cols[0], dtype="datetime64[D]"),
        "kel": np.array(cols[1], dtype="U10"),
        "posyandu": np.array([-1 if p is None else p for p in cols[2]], dtype=np.int64),
        "counts": np.array(cols[3:], dtype=np.int64).T,
    }


# Each published prevalence: (numerator column, denominator column).
INDICATORS = {
    "stunting": ("stunted", "haz_n"),
    "severe_stunting": ("severely_stunted", "haz_n"),
    "wasting": ("wasted", "whz_n"),
    "severe_wasting": ("severely_wasted", "whz_n"),
    "underweight": ("underweight", "waz_n"),
    "overweight": ("overweight", "whz_n"),
    "faltering": ("faltering", "gain_n"),
}
Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def min_denominator() -> int:
    """Fewest children a prevalence may be published over (below it: too few to judge)."""
    return max(1, int(getattr(settings, "SIGAP_NUTRITION_MIN_DENOMINATOR", 30)))


def wilson_ci(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n (arrays or scalars), as fractions.

    With p = k/n: centre = (p + z²/2n) / (1 + z²/n) and
    half-width = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²) (Wilson 1927; Newcombe 1998,
    method 3). NaN where n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def _indicators(c: np.ndarray, min_n: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per indicator, from count columns (rows x COUNT_FIELDS): the percentage (NaN when
    the denominator is below `min_n`: too few to judge), its 95% Wilson interval, the
    denominator and the too-few flag."""
    min_n = min_denominator() if min_n is None else min_n
    f = {name: c[:, i] for i, name in enumerate(COUNT_FIELDS)}
    out = {}
    for key, (num_field, den_field) in INDICATORS.items():
        num, den = f[num_field], f[den_field]
        enough = den >= min_n
        low, high = wilson_ci(num, den)
        out[key] = {
            "pct": np.where(enough, _pct(num, den), np.nan),
            "low": np.where(enough, low * 100.0, np.nan),
            "high": np.where(enough, high * 100.0, np.nan),
            "den": den,
            "too_few": (den > 0) & ~enough,
        }
    return out


def _num(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 1)


def _indicator_fields(ind: dict[str, dict[str, np.ndarray]], i: int) -> dict:
    """One row's published figures: `stunting` (percent, or None when not computable or
    too few), `stunting_low`/`stunting_high` (95% CI), `stunting_den` (children in the
    denominator), `stunting_too_few`; the same for every indicator; WHO bands only on
    published percentages."""
    row: dict = {}
    for key, v in ind.items():
        row[key] = _num(v["pct"][i])
        row[f"{key}_low"] = _num(v["low"][i])
        row[f"{key}_high"] = _num(v["high"][i])
        row[f"{key}_den"] = int(v["den"][i])
        row[f"{key}_too_few"] = bool(v["too_few"][i])
    row["stunting_band"] = band("stunting", row["stunting"])
    row["wasting_band"] = band("wasting", row["wasting"])
    return row


def month_in_progress(month: date, today: date | None = None) -> bool:
    """True for the current month (and any later one): its counts are still growing."""
    today = today or timezone.localdate()
    return month.replace(day=1) >= today.replace(day=1)


def last_complete_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return add_months(today.replace(day=1), -1)


def default_month(available: list[date], today: date | None = None) -> date:
    """The dashboard's opening month: the latest month with data that is already over, else
    the last complete month (never the month in progress)."""
    last = last_complete_month(today)
    done = [m for m in available if m <= last]
    return max(done) if done else last


def dashboard(
    user: User, *, month: date, level: str = "kecamatan", area: str = "", months_back: int = 12
) -> Dashboard:
    """Prevalence per unit for `month`, the area's trend over `months_back` months, and
    per-kelurahan points for the map. Every prevalence carries its denominator and a 95%
    Wilson interval; below `min_denominator()` children it is None and flagged too few."""
    level = level if level in LEVELS else "kecamatan"
    month = month.replace(day=1)
    min_n = min_denominator()
    first = add_months(month, -(months_back - 1))
    months = [add_months(first, i) for i in range(months_back)]
    data = _counts(user, area, first, month)
    counts = data["counts"]

    # trend: area totals per month
    month_idx = (data["month"].astype("datetime64[M]") - np.datetime64(first, "M")).astype(int)
    per_month = np.zeros((months_back, len(COUNT_FIELDS)), np.int64)
    np.add.at(per_month, month_idx, counts)
    trend_ind = _indicators(per_month, min_n)
    trend: dict[str, list] = {}
    for k in ("stunting", "wasting", "underweight"):
        trend[k] = [_num(v) for v in trend_ind[k]["pct"]]
        trend[f"{k}_low"] = [_num(v) for v in trend_ind[k]["low"]]
        trend[f"{k}_high"] = [_num(v) for v in trend_ind[k]["high"]]
        trend[f"{k}_den"] = [int(v) for v in trend_ind[k]["den"]]
    trend["measured"] = [int(v) for v in per_month[:, 0]]
    trend["in_progress"] = [month_in_progress(m) for m in months]

    # units for the selected month
    sel = month_idx == months_back - 1
    if level == "posyandu":
        keys = data["posyandu"][sel].astype(str)
    else:
        # casting to a shorter string type keeps the code's prefix
        keys = data["kel"][sel].astype(f"U{LEVELS[level]}")
    uniq, inv = np.unique(keys, return_inverse=True)
    unit_counts = np.zeros((len(uniq), len(COUNT_FIELDS)), np.int64)
    np.add.at(unit_counts, inv, counts[sel])
    ind = _indicators(unit_counts, min_n)
    names = unit_names(level, list(uniq))
    units = []
    for i, key in enumerate(uniq):
        row = {"code": str(key), "name": names.get(str(key), str(key))}
        row.update({f: int(unit_counts[i, j]) for j, f in enumerate(COUNT_FIELDS)})
        row.update(_indicator_fields(ind, i))
        units.append(row)
    units.sort(key=lambda r: (-(r["stunting"] or 0), r["name"]))

    total_counts = unit_counts.sum(axis=0, keepdims=True)
    totals = {f: int(total_counts[0, j]) for j, f in enumerate(COUNT_FIELDS)}
    totals.update(_indicator_fields(_indicators(total_counts, min_n), 0))

    # map: per kelurahan for the selected month
    kel_uniq, kel_inv = np.unique(data["kel"][sel], return_inverse=True)
    kel_counts = np.zeros((len(kel_uniq), len(COUNT_FIELDS)), np.int64)
    np.add.at(kel_counts, kel_inv, counts[sel])
    kind = _indicators(kel_counts, min_n)
    where = dict(
        (code, (name, lat, lon))
        for code, name, lat, lon in Region.objects.filter(
            code__in=list(kel_uniq), latitude__isnull=False
        ).values_list("code", "name", "latitude", "longitude")
    )
    points = []
    for i, code in enumerate(kel_uniq):
        if str(code) not in where:
            continue
        name, lat, lon = where[str(code)]
        fields = _indicator_fields(kind, i)
        points.append(
            {
                "code": str(code),
                "name": name,
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "measured": int(kel_counts[i, 0]),
                "stunting": fields["stunting"],
                "stunting_low": fields["stunting_low"],
                "stunting_high": fields["stunting_high"],
                "stunting_den": fields["stunting_den"],
                "stunting_too_few": fields["stunting_too_few"],
                "wasting": fields["wasting"],
                "wasting_too_few": fields["wasting_too_few"],
                "band": fields["stunting_band"],
            }
        )
    return Dashboard(
        month, months, level, units, totals, trend, points, month_in_progress(month), min_n
    )


def unit_names(level: str, keys: list[str]) -> dict[str, str]:
    if level == "posyandu":
        ids = [int(k) for k in keys if k.lstrip("-").isdigit() and int(k) > 0]
        names = dict(Facility.objects.filter(pk__in=ids).values_list("pk", "name"))
        out = {str(k): v for k, v in names.items()}
        out["-1"] = str(_("(tanpa posyandu)"))
        return out
    return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))


def available_months(user: User, area: str = "") -> list[date]:
    return list(
        GrowthMonthly.objects.filter(scope_filter(user), kelurahan_code__startswith=area)
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")[:36]
    )


# --- severe cases and faltering -----------------------------------------------------------------


def cases(user: User, *, status: str = "", area: str = "", limit: int = 200):
    qs = (
        NutritionCase.objects.filter(scope_filter(user), kelurahan_code__startswith=area)
        .select_related("child", "owner", "posyandu", "opened_by")
        .prefetch_related("actions__owner")
    )
    if status == "active":
        qs = qs.filter(status__in=[NutritionCase.Status.OPEN, NutritionCase.Status.ACTING])
    elif status in NutritionCase.Status.values:
        qs = qs.filter(status=status)
    return list(qs.order_by("-opened_on", "-id")[:limit])


def case_counts(user: User, area: str = "") -> dict[str, int]:
    rows = (
        NutritionCase.objects.filter(scope_filter(user), kelurahan_code__startswith=area)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def faltering(user: User, *, month: date, area: str = "", limit: int = 200) -> list[Measurement]:
    """Children whose weight did not go up since the previous visit, in `month` (their
    counted, i.e. last, measurement of the month: each child once); 2T (two in a row,
    to refer) first."""
    return list(
        Measurement.objects.filter(
            scope_filter(user),
            month=month.replace(day=1),
            counts_in_month=True,
            faltering=True,
            kelurahan_code__startswith=area,
        )
        .select_related("child", "posyandu")
        .order_by("-faltering_2t", "posyandu__name", "child__name")[:limit]
    )


def child_history(child) -> list[Measurement]:
    return list(child.measurements.order_by("measured_on"))


# --- mothers and infants ------------------------------------------------------------------------


def poisson_ci(k: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) confidence interval of a Poisson count."""
    low = 0.0 if k == 0 else stats.chi2.ppf(alpha / 2, 2 * k) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return float(low), float(high)


def binomial_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval of a proportion."""
    if n <= 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
    return float(ci.low), float(ci.high)


def _rate(k: int, births: int, per: int, method: str) -> dict:
    if births <= 0:
        return {"deaths": k, "rate": None, "low": None, "high": None}
    if method == "poisson":
        low, high = poisson_ci(k)
        low, high = low / births * per, high / births * per
    else:
        low, high = binomial_ci(k, births)
        low, high = low * per, high * per
    return {
        "deaths": k,
        "rate": round(k / births * per, 1),
        "low": round(low, 1),
        "high": round(high, 1),
    }


def mortality(
    user: User, *, year: int, level: str = "kecamatan", area: str = "", until: date | None = None
) -> dict:
    """AKI per 100,000 live births (exact Poisson CI), AKB and neonatal mortality per 1,000
    live births (exact binomial CI), stillbirths, by area unit for one year (with `until`:
    only the births and deaths of that year up to and including that day)."""
    digits = {"kota": 4, "kecamatan": 6, "kelurahan": 10}.get(level, 6)
    scope = scope_filter(user)
    births = Birth.objects.filter(scope, born_on__year=year, kelurahan_code__startswith=area)
    deaths = Death.objects.filter(scope, died_on__year=year, kelurahan_code__startswith=area)
    if until is not None:
        births, deaths = births.filter(born_on__lte=until), deaths.filter(died_on__lte=until)
    births = births.values_list("kelurahan_code", "outcome")
    deaths = deaths.values_list("kelurahan_code", "kind", "timing", "accidental", "age_days")
    units: dict[str, dict] = {}

    def unit(code: str) -> dict:
        key = code[:digits]
        return units.setdefault(
            key, {"code": key, "live": 0, "still": 0, "maternal": 0, "infant": 0, "neonatal": 0}
        )

    for code, outcome in births:
        unit(code)["live" if outcome == Birth.Outcome.LIVE else "still"] += 1
    for code, kind, timing, accidental, age in deaths:
        u = unit(code)
        if kind == Death.Kind.MATERNAL:
            if not accidental and timing != Death.Timing.LATE:
                u["maternal"] += 1
        else:
            u["infant"] += 1
            if age is not None and age <= 28:
                u["neonatal"] += 1
    names = dict(Region.objects.filter(code__in=list(units)).values_list("code", "name"))
    rows = []
    total = {"code": area, "live": 0, "still": 0, "maternal": 0, "infant": 0, "neonatal": 0}
    for key in sorted(units):
        u = units[key]
        for k in ("live", "still", "maternal", "infant", "neonatal"):
            total[k] += u[k]
        rows.append(_mortality_row(u, names.get(key, key)))
    area_name = Region.objects.filter(code=area).values_list("name", flat=True).first()
    return {
        "year": year,
        "level": level,
        "rows": rows,
        "total": _mortality_row(total, area_name or str(_("semua wilayah"))),
    }


def _mortality_row(u: dict, name: str) -> dict:
    return {
        **u,
        "name": name,
        "aki": _rate(u["maternal"], u["live"], 100_000, "poisson"),
        "akb": _rate(u["infant"], u["live"], 1_000, "binomial"),
        "akn": _rate(u["neonatal"], u["live"], 1_000, "binomial"),
    }


def reviews(user: User, *, status: str = "", area: str = "", limit: int = 200):
    qs = DeathReview.objects.filter(
        scope_filter(user, "death__kelurahan_code"), death__kelurahan_code__startswith=area
    ).select_related("death", "reviewed_by", "closed_by")
    if status in DeathReview.Status.values:
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "-death__died_on")[:limit])


def review_counts(user: User, area: str = "") -> dict[str, int]:
    rows = (
        DeathReview.objects.filter(
            scope_filter(user, "death__kelurahan_code"), death__kelurahan_code__startswith=area
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def high_risk_pregnancies(user: User, area: str = "", limit: int = 200):
    return list(
        Pregnancy.objects.filter(
            scope_filter(user, "kelurahan__code"),
            high_risk=True,
            ended_on__isnull=True,
            kelurahan__code__startswith=area,
        ).order_by("expected_delivery")[:limit]
    )


def quality_verdict(user: User, *, month: date, area: str = "") -> dict:
    """The data-quality verdict of the area's growth measurements of `month` (quality.py,
    as beside the dashboard): `verdict` key, its label and text, the problems, n."""
    from . import quality  # a cycle: quality imports this module

    totals = quality.report(
        user, month=month, area=area, level="kecamatan", window=1, trend_months=1
    ).totals
    keys = ("n", "verdict", "verdict_label", "verdict_text", "problems")
    return {k: totals[k] for k in keys}


def _reads_nutrition(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_admin_role or user.role in READ_ROLES)
    )


def visible_children(user: User | None) -> QuerySet[Child]:
    """Children a user may read (the children API's rule: reader role, then kelurahan)."""
    if not _reads_nutrition(user):
        return Child.objects.none()
    return Child.objects.filter(scope_filter(user, "kelurahan__code"))


def visible_measurements(user: User | None) -> QuerySet[Measurement]:
    """Measurements a user may read (reader role, then the measurement's kelurahan)."""
    if not _reads_nutrition(user):
        return Measurement.objects.none()
    return Measurement.objects.filter(scope_filter(user, "kelurahan_code"))


def measurements_for_exchange() -> QuerySet[Measurement]:
    """Every measurement with its child and posyandu, unscoped: for the office's own
    submission to SATUSEHAT (background jobs), never for a request."""
    return Measurement.objects.select_related("child", "posyandu")
