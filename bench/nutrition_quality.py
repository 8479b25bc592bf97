"""`sigap bench nutrition-quality`: the data-quality report of growth measurements (issue 12)
for 1,000,000 measurements, against a pandas groupby of the same statistics in the same run.

The dataset is built directly as the arrays `sigap.nutrition.quality.load` returns from the
measurement table (one query, columns as NumPy arrays): `--quality-rows` counted
measurements of children at `--quality-posyandu` posyandu (about 1,600 in Kota Semarang)
under 40 Puskesmas, over `--quality-months` months; z-scores drawn around the WHO medians
with some implausible values, weights and lengths to 0.1 with a tenth of the posyandu
rounding to whole numbers, some dates of birth missing.

Timed, best of 3: the whole report, i.e. every statistic (WHO flags, SD / skewness /
kurtosis of unflagged HAZ, WAZ and WHZ, digit preference of weight and length, age heaping,
missing dates of birth, prevalence with 95% CI) and the verdict, per posyandu x month, per
Puskesmas x month and per month for the area, with `quality.summarise` + `quality.judge`
(NumPy). The baseline computes the same statistics with pandas `groupby` (std, skew, kurt,
sums, digit counts) on the same rows; the run asserts that both give the same numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench import common

NAME = "nutrition-quality"
DESCRIPTION = "data quality of 1,000,000 growth measurements (vs pandas groupby)"
TARGET_S = 2.0
PUSKESMAS = 40


def log(message: str) -> None:
    common.log(f"nutrition-quality: {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quality-rows", type=int, default=1_000_000)
    parser.add_argument("--quality-posyandu", type=int, default=1600)
    parser.add_argument("--quality-months", type=int, default=12)


def synthetic(n: int, posyandu: int, months: int, seed: int):
    """Counted measurements as `quality.Measurements` plus each row's posyandu, Puskesmas and
    month index."""
    from sigap.nutrition import classification as cls
    from sigap.nutrition import quality as q

    rng = np.random.default_rng(seed)
    pos = rng.integers(0, posyandu, n)
    pkm = pos % PUSKESMAS
    month = rng.integers(0, months, n)
    haz = rng.normal(-0.9, 1.3, n)
    waz = rng.normal(-0.6, 1.1, n)
    whz = rng.normal(-0.2, 1.1, n)
    for z, scale in ((haz, 8.0), (waz, 7.0), (whz, 6.0)):
        bad = rng.random(n) < 0.004  # implausible values (typing errors)
        z[bad] = rng.choice([-1, 1], int(bad.sum())) * scale
    for z in (haz, waz, whz):
        z[rng.random(n) < 0.02] = np.nan  # not computed (no length, no age)
    weight = np.round(rng.uniform(2.5, 25, n), 1)
    length = np.round(rng.uniform(45, 118, n), 1)
    rounders = (pos % 10) == 0  # a tenth of the posyandu round to whole kg / cm
    weight[rounders] = np.round(weight[rounders])
    length[rounders] = np.round(length[rounders])
    weight[rng.random(n) < 0.01] = np.nan
    age = rng.integers(0, 1857, n).astype(float)
    age[rng.random(n) < 0.005] = np.nan
    m = q.Measurements.from_columns(
        month=(np.datetime64("2025-01", "M") + month).astype("datetime64[M]"),
        kel=np.full(n, "3374011001"),
        posyandu=pos,
        age_days=age,
        weight=weight,
        length=length,
        haz=haz,
        waz=waz,
        whz=whz,
        haz_class=cls.classify_haz(haz),
        waz_class=cls.classify_waz(waz),
        whz_class=cls.classify_whz(whz),
        implausible=np.zeros(n, bool),
    )
    fl = q.flags(m)
    m.implausible = fl["haz"] | fl["waz"] | fl["whz"]
    keys = {
        "posyandu x month": pos * months + month,
        "Puskesmas x month": pkm * months + month,
        "area x month": month,
    }
    sizes = {
        "posyandu x month": posyandu * months,
        "Puskesmas x month": PUSKESMAS * months,
        "area x month": months,
    }
    return m, keys, sizes


def ours(m, keys, sizes, minimum: int) -> dict:
    from sigap.nutrition import quality as q

    out = {}
    prep = q.prepare(m)
    for level, g in keys.items():
        s = q.summarise(m, g, sizes[level], prep)
        out[level] = (s, q.judge(s, minimum))
    return out


def with_pandas(m, keys, sizes) -> dict:
    """The same statistics with pandas groupby (the baseline)."""
    import pandas as pd

    from sigap.nutrition import quality as q
    from sigap.nutrition import zscores as zs

    df = pd.DataFrame({"haz": m.haz, "waz": m.waz, "whz": m.whz, "age": m.age_days})
    df["implausible"] = m.implausible
    df["no_age"] = df["age"].isna()
    for name, x in (("weight", m.weight), ("height", m.length)):
        df[f"d_{name}"] = pd.Series(np.rint(x * 10), dtype="Int64") % 10
    df["age_month"] = pd.Series(np.floor(m.age_days / q.DAYS_PER_MONTH), dtype="Int64")
    for key in q.INDICES:
        low, high = zs.FLAG_LIMITS[key]
        df[f"{key}_flag"] = (df[key] < low) | (df[key] > high)
        df[f"{key}_clean"] = df[key].where(~df[f"{key}_flag"])
    ok = ~df["implausible"]
    for name, (column, classes) in q.PREVALENCE.items():
        c = getattr(m, column)
        df[f"{name}_den"] = ok & (c > 0)
        df[f"{name}_k"] = ok & np.isin(c, classes)
    out = {}
    for level, g in keys.items():
        df["g"] = g
        by = df.groupby("g")
        idx = pd.RangeIndex(sizes[level])
        s = {"n": by.size().reindex(idx, fill_value=0).to_numpy(float)}
        for key in q.INDICES:
            s[f"{key}_n"] = by[key].count().reindex(idx, fill_value=0).to_numpy(float)
            s[f"{key}_flagged"] = by[f"{key}_flag"].sum().reindex(idx, fill_value=0).to_numpy(float)
            clean = by[f"{key}_clean"]
            s[f"{key}_sd"] = clean.std().reindex(idx).to_numpy(float)
            s[f"{key}_skew"] = clean.skew().reindex(idx).to_numpy(float)
            s[f"{key}_kurt"] = clean.kurt().reindex(idx).to_numpy(float)
        for name, col, k in (("dps_weight", "d_weight", 10), ("dps_height", "d_height", 10),
                             ("age_heaping", "age_month", 12)):  # fmt: skip
            values = df[col] if k == 10 else df[col] % 12
            table = (
                pd.DataFrame({"g": df["g"], "v": values})
                .groupby(["g", "v"])
                .size()
                .unstack(fill_value=0)
                .reindex(index=idx, columns=range(k), fill_value=0)
                .to_numpy(float)
            )
            n = table.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                e = n / k
                chi2 = ((table - e[:, None]) ** 2 / e[:, None]).sum(axis=1)
                s[name] = np.where(n > 0, 100 * np.sqrt(chi2 / (n * (k - 1))), np.nan)
        s["missing_dob"] = by["no_age"].sum().reindex(idx, fill_value=0).to_numpy(float)
        for name in q.PREVALENCE:
            s[f"{name}_k"] = by[f"{name}_k"].sum().reindex(idx, fill_value=0).to_numpy(float)
            s[f"{name}_den"] = by[f"{name}_den"].sum().reindex(idx, fill_value=0).to_numpy(float)
        out[level] = s
    return out


def same(a: dict, b: dict) -> list[str]:
    """Names of the statistics where the two implementations differ."""
    bad = []
    for level, s in b.items():
        mine = a[level][0]
        for k, v in s.items():
            if not np.allclose(mine[k], v, rtol=1e-9, atol=1e-9, equal_nan=True):
                bad.append(f"{level}: {k}")
    return bad


def run(opts: argparse.Namespace) -> int:
    from sigap.nutrition import quality as q

    minimum = q.min_denominator()
    t0 = time.perf_counter()
    m, keys, sizes = synthetic(
        opts.quality_rows, opts.quality_posyandu, opts.quality_months, opts.seed
    )
    log(f"{len(m):,} measurements built in {time.perf_counter() - t0:.1f} s")
    ours(m, keys, sizes, minimum)  # warm up (SciPy, NumPy)
    runs = []
    for _ in range(3):
        t1 = time.perf_counter()
        result = ours(m, keys, sizes, minimum)
        runs.append(time.perf_counter() - t1)
    best = min(runs)
    log(f"quality report: best {best:.3f} s of {[round(x, 3) for x in runs]}")
    t2 = time.perf_counter()
    base = with_pandas(m, keys, sizes)
    pandas_s = time.perf_counter() - t2
    log(f"pandas groupby: {pandas_s:.2f} s")
    differ = same(result, base)
    assert not differ, f"NumPy and pandas disagree: {differ[:10]}"
    compared = len(next(iter(base.values())))
    posyandu = result["posyandu x month"][1]["verdict"]
    counts = {v: int((posyandu == v).sum()) for v in ("good", "check", "visit", "too_few")}
    ok = best <= TARGET_S

    print()
    table = common.print_table(
        ["quality report (3 levels: posyandu, Puskesmas, area x month)", "rows", "time"],
        [
            ["sigap.nutrition.quality (NumPy), best of 3", f"{len(m):,}", f"{best:.2f} s"],
            ["pandas groupby (std, skew, kurt, sums, digit counts), same statistics",
             f"{len(m):,}", f"{pandas_s:.2f} s"],
        ],
    )  # fmt: skip
    info = common.machine_info(common.BenchDatabase("", "none", "none (in memory)"))
    info["database"] = "none: the arrays quality.load returns, built in memory"
    md = [
        "## nutrition-quality: data quality of growth measurements (issue 12)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        "`sigap bench nutrition-quality` on a shared 2-core machine (other jobs running).",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items() if k != "database"],
        f"| data | {info['database']} |",
        "",
        f"Dataset: {len(m):,} counted measurements, {opts.quality_posyandu:,} posyandu under "
        f"{PUSKESMAS} Puskesmas, {opts.quality_months} months ({sizes['posyandu x month']:,} "
        "posyandu-months); z-scores around the WHO medians with 0.4% implausible values per "
        "index, a tenth of the posyandu rounding weight and length to whole numbers, 0.5% "
        "without a date of birth.",
        "",
        table,
        "",
        f"Both implementations gave the same numbers ({compared} statistics per group at each "
        "of the three groupings, "
        f"relative tolerance 1e-9, asserted in the run); NumPy is {pandas_s / best:.1f}x "
        f"faster. Posyandu-months judged: {counts['good']:,} can be trusted, "
        f"{counts['check']:,} check, {counts['visit']:,} need a visit, "
        f"{counts['too_few']:,} too few (< {minimum}). Target (1,000,000 measurements "
        f"<= {TARGET_S:g} s): {'met' if ok else 'NOT met'}.",
        "",
        "Reading the arrays from the database is one `values_list` query over the counted "
        "measurements (`quality.load`); it is not part of the timing above.",
    ]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(md))
    return 0 if ok else 1
