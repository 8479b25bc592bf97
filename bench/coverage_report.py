"""`sigap bench coverage`: the coverage report by kelurahan over a synthetic city and a
synthetic province, with the DuckDB engine of `sigap coverage compute` against a pandas merge
measured in the same run.

Data: synthetic Parquet files under var/bench/coverage/ (NIKs that follow the NIK rules,
kelurahan codes shaped like Kemendagri's), generated in chunks with numpy/pyarrow and kept
between runs. Each measurement runs in a fresh child process; its peak memory is the child's
peak resident set size (VmHWM read by the child as it exits), its time the wall-clock time
of the child (interpreter start and imports included).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import common

NAME = "coverage"
DESCRIPTION = "coverage report by kelurahan: DuckDB engine vs pandas merge; province streamed"
DATA_DIR = common.VAR_BENCH / "coverage"
CHUNK = 2_000_000
TARGET_SECONDS = 20.0
TARGET_RSS_MB = 2048.0


def add_arguments(parser) -> None:
    g = parser.add_argument_group("coverage")
    g.add_argument("--coverage-residents", type=int, default=1_700_000,
                   help="residents of the synthetic city (Semarang: 1.7 million)")  # fmt: skip
    g.add_argument("--coverage-members", type=int, default=1_650_000,
                   help="membership rows of the synthetic city")  # fmt: skip
    g.add_argument("--coverage-province-rows", type=int, default=37_000_000,
                   help="residents of the synthetic province (0 = skip)")  # fmt: skip
    g.add_argument("--coverage-memory-limit", default="1GB",
                   help="DuckDB memory limit for the engine runs")  # fmt: skip


# --- synthetic data --------------------------------------------------------------------------


def _generate(residents: int, members: int, kecamatan: int, kel_per_kec: int, prefix: str,
              pop_path: Path, mem_path: Path, seed: int) -> None:  # fmt: skip
    """Population and membership Parquet files, written chunk by chunk (bounded memory).

    NIK i: kecamatan i % K, birth date (i // K) % D days after 1926-01-01 (women +40 on the
    day), serial i // (K*D) + 1: unique by construction and valid under the NIK rules."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    days = 36_500
    base = np.datetime64("1926-01-01")
    member_rate = members / residents
    kec_codes = np.array(
        [
            f"{prefix}{k + 1:02d}"
            if len(prefix) == 4
            else f"{prefix}{k // 40 + 1:02d}{k % 40 + 1:02d}"
            for k in range(kecamatan)
        ]
    )
    pop_schema = pa.schema([("nik", pa.string()), ("kelurahan_code", pa.string()),
                            ("birth_date", pa.date32()), ("sex", pa.string()),
                            ("status", pa.string())])  # fmt: skip
    mem_schema = pa.schema([("nik", pa.string()), ("segment", pa.string()),
                            ("active", pa.bool_())])  # fmt: skip
    segments = np.array(["PBI-APBN", "PBI-APBD", "PPU", "PBPU", "BP"])
    with pq.ParquetWriter(pop_path, pop_schema) as pw, pq.ParquetWriter(mem_path, mem_schema) as mw:
        for start in range(0, residents, CHUNK):
            i = np.arange(start, min(residents, start + CHUNK), dtype=np.int64)
            n = len(i)
            k = i % kecamatan
            d = (i // kecamatan) % days
            serial = i // (kecamatan * days) + 1
            female = rng.random(n) < 0.5
            birth_np = (base + d.astype("timedelta64[D]")).astype("datetime64[D]")
            month_start = birth_np.astype("datetime64[M]")
            day = (birth_np - month_start).astype(np.int64) + 1 + np.where(female, 40, 0)
            month = month_start.astype(np.int64) % 12 + 1
            yy = (birth_np.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
            birth = pa.array(birth_np)

            def pad(values, width: int):
                return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")

            nik = pc.binary_join_element_wise(
                pa.array(kec_codes[k]), pad(day, 2), pad(month, 2), pad(yy, 2), pad(serial, 4), ""
            )
            kel = pc.binary_join_element_wise(
                pa.array(kec_codes[k]),
                pad(1001 + rng.integers(0, kel_per_kec, n), 4),
                "",
            )
            status = np.where(rng.random(n) < 0.97, "alive",
                              np.where(rng.random(n) < 0.66, "moved", "dead"))  # fmt: skip
            pw.write_table(pa.table([nik, kel, birth, pa.array(np.where(female, "P", "L")),
                                     pa.array(status)], schema=pop_schema))  # fmt: skip
            take = np.flatnonzero(rng.random(n) < member_rate * 0.99)
            dup = rng.choice(take, size=max(1, int(n * member_rate * 0.01)))
            rows = np.concatenate([take, dup])
            rng.shuffle(rows)
            mw.write_table(pa.table([
                pc.take(nik, pa.array(rows)),
                pa.array(rng.choice(segments, size=len(rows), p=[.36, .21, .28, .10, .05])),
                pa.array(rng.random(len(rows)) < 0.9),
            ], schema=mem_schema))  # fmt: skip


def dataset(name: str, residents: int, members: int, kecamatan: int, kel_per_kec: int,
            prefix: str, seed: int) -> tuple[Path, Path, float]:  # fmt: skip
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tag = f"{name}-{residents}-{members}-{seed}"
    pop, mem = DATA_DIR / f"{tag}-population.parquet", DATA_DIR / f"{tag}-membership.parquet"
    if pop.exists() and mem.exists():
        return pop, mem, 0.0
    common.log(f"generating {name}: {residents:,} residents, ~{members:,} membership rows")
    t0 = time.perf_counter()
    _generate(residents, members, kecamatan, kel_per_kec, prefix, pop.with_suffix(".tmp"),
              mem.with_suffix(".tmp"), seed)  # fmt: skip
    pop.with_suffix(".tmp").rename(pop)
    mem.with_suffix(".tmp").rename(mem)
    return pop, mem, time.perf_counter() - t0


# --- measured children -----------------------------------------------------------------------

# The child's own peak RSS (VmHWM): a fresh address space since exec, unlike getrusage of
# a forked child, which also counts the parent's pages copied before exec.
HWM = """
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

DUCKDB_CHILD = (
    HWM
    + """
import json, sys, time
t = time.perf_counter()
from sigap.coverage import engine
r = engine.compute_coverage(sys.argv[1], sys.argv[2], sys.argv[3], memory_limit=sys.argv[4],
                            threads=2)
print(json.dumps({"kelurahan": r.kelurahan, "population": r.population, "covered": r.covered,
                  "active": r.active, "inner_seconds": time.perf_counter() - t,
                  "hwm_kb": hwm()}))
"""
)

PANDAS_CHILD = (
    HWM
    + """
import json, sys, time
t = time.perf_counter()
import pandas as pd
pop = pd.read_parquet(sys.argv[1], columns=["nik", "kelurahan_code", "status"])
pop = pop[pop["status"].str.strip().str.lower() == "alive"]
pop = pop.drop_duplicates("nik")
mem = pd.read_parquet(sys.argv[2], columns=["nik", "active"])
mem = mem.groupby("nik", as_index=False)["active"].any()
m = pop.merge(mem, on="nik", how="left", indicator=True)
m["covered"] = m["_merge"] == "both"
m["active"] = m["active"].fillna(False).astype(bool)
out = m.groupby("kelurahan_code").agg(population=("nik", "size"), covered=("covered", "sum"),
                                      active=("active", "sum")).reset_index()
out["uncovered"] = out["population"] - out["covered"]
out.to_csv(sys.argv[3], index=False)
print(json.dumps({"kelurahan": len(out), "population": int(out.population.sum()),
                  "covered": int(out.covered.sum()), "active": int(out.active.sum()),
                  "inner_seconds": time.perf_counter() - t, "hwm_kb": hwm()}))
"""
)


def measure(code: str, args: list[str]) -> dict:
    """Run a child Python; its wall time, peak RSS (MiB) and printed JSON."""
    env = {**os.environ, "PYTHONPATH": str(common.REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=common.REPO)  # fmt: skip
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"error": err.decode()[-600:], "seconds": seconds,
                "rss_mb": usage.ru_maxrss / 1024}  # fmt: skip
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result | {"seconds": seconds, "rss_mb": result["hwm_kb"] / 1024}


def _file_mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths) / 1024 / 1024


def run(opts) -> int:
    import duckdb
    import pandas

    rows: list[list[str]] = []
    failures = 0
    memory_limit = opts.coverage_memory_limit
    city_pop, city_mem, gen = dataset("city", opts.coverage_residents, opts.coverage_members,
                                      16, 11, "3374", 3374)  # fmt: skip
    mem_rows = _parquet_rows(city_mem)
    common.log(f"city data: {_file_mb(city_pop, city_mem):.0f} MiB Parquet"
               + (f", generated in {gen:.1f} s" if gen else " (cached)"))  # fmt: skip
    out_dir = DATA_DIR / "out"
    out_dir.mkdir(exist_ok=True)
    duck = measure(DUCKDB_CHILD, [str(city_pop), str(city_mem), str(out_dir / "city-duckdb.csv"),
                                  memory_limit])  # fmt: skip
    panda = measure(PANDAS_CHILD, [str(city_pop), str(city_mem),
                                   str(out_dir / "city-pandas.csv")])  # fmt: skip
    same = all(duck.get(k) == panda.get(k) for k in ("kelurahan", "population", "covered",
                                                      "active"))  # fmt: skip
    ok = (
        "error" not in duck
        and duck["seconds"] <= TARGET_SECONDS
        and (duck["rss_mb"] <= TARGET_RSS_MB)
    )
    failures += 0 if ok and same else 1
    label = f"{opts.coverage_residents:,} residents / {mem_rows:,} members"
    rows.append(_row("city: DuckDB engine (`sigap coverage compute`)", label, duck,
                     "met" if ok else "MISSED"))  # fmt: skip
    rows.append(_row("city: pandas merge (baseline)", label, panda,
                     "same totals" if same else "DIFFERENT totals"))  # fmt: skip
    province_note = ""
    if opts.coverage_province_rows:
        n = opts.coverage_province_rows
        p_pop, p_mem, gen = dataset("province", n, int(n * 0.97), 576, 15, "33", 33)
        p_rows = _parquet_rows(p_mem)
        common.log(f"province data: {_file_mb(p_pop, p_mem):.0f} MiB Parquet"
                   + (f", generated in {gen:.1f} s" if gen else " (cached)"))  # fmt: skip
        prov = measure(DUCKDB_CHILD, [str(p_pop), str(p_mem), str(out_dir / "province.csv"),
                                      memory_limit])  # fmt: skip
        failures += 1 if "error" in prov else 0
        rows.append(_row("province: DuckDB engine, streamed", f"{n:,} residents / "
                         f"{p_rows:,} members", prov,
                         f"memory limit {memory_limit}"))  # fmt: skip
        province_note = (
            f"- province: {n:,} residents and {p_rows:,} membership rows\n"
            f"  ({_file_mb(p_pop, p_mem):.0f} MiB of Parquet), DuckDB memory limit "
            f"{memory_limit}, spilling to a\n  temporary directory when needed. The limit "
            "covers DuckDB's buffers, not the Python\n  process around them, so the peak RSS "
            "can be a little above it. No pandas baseline at\n  this size (it holds both "
            "tables in memory).\n"
        )
    headers = ["scenario", "rows", "wall s", "inner s", "peak RSS MiB", "kelurahan",
               "coverage", "note"]  # fmt: skip
    table = common.print_table(headers, rows)
    for name, r in (("duckdb", duck), ("pandas", panda)):
        if "error" in r:
            common.log(f"{name} failed: {r['error']}")
    if not getattr(opts, "no_readme", False):
        common.write_readme_section(NAME, _markdown(opts, table, province_note, duckdb.__version__,
                                                    pandas.__version__))  # fmt: skip
    return 0 if failures == 0 else 1


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _row(name: str, size: str, r: dict, note: str) -> list[str]:
    if "error" in r:
        return [name, size, f"{r['seconds']:.1f}", "-", f"{r['rss_mb']:.0f}", "-", "-", "FAILED"]
    cov = r["covered"] / r["population"] if r["population"] else 0
    return [name, size, f"{r['seconds']:.1f}", f"{r['inner_seconds']:.1f}", f"{r['rss_mb']:.0f}",
            f"{r['kelurahan']:,}", f"{cov:.2%}", note]  # fmt: skip


def _markdown(opts, table: str, province_note: str, duck_v: str, pandas_v: str) -> str:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return f"""## coverage: coverage report by kelurahan (issue 6)

Measured {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())} with `sigap bench coverage`
on {os.cpu_count()} cores (shared with other work), {mem_kb / 1024 / 1024:.1f} GiB RAM,
{platform.system()} {platform.release()}, Python {platform.python_version()}, DuckDB {duck_v},
pandas {pandas_v}.

Target: the full report for a city of 1.7 million residents and 1.65 million membership rows
within {TARGET_SECONDS:.0f} s and {TARGET_RSS_MB / 1024:.0f} GB peak memory.

{table}

- "wall s" is the child process from start to exit (interpreter and imports included);
  "inner s" is the work inside it (reading Parquet, join, aggregation, writing the CSV).
  "peak RSS" is the child's peak resident memory (VmHWM of the child process).
- Data: synthetic Parquet under `var/bench/coverage/` (kept between runs): NIKs valid under
  the NIK rules, 97% alive, membership for ~97% of residents with 1% repeated rows (a person
  counted once), 90% active. The engine and the pandas baseline must report the same totals.
{province_note}- Options: `--coverage-residents`, `--coverage-members`, `--coverage-province-rows`
  (0 skips the province), `--coverage-memory-limit`.
"""
