"""Benchmark `emergency`: unit recommendation at province scale (issue 3).

Dataset (rebuilt every run in its own database): Sumatera Selatan's regions loaded with the
real loader (`load_regions("16")`, about 3,200 kelurahan/desa), one ambulance per village
(2 of 3 gawat darurat), 10% of them busy, a dispatcher account with an API key.

Measured in the same run:
- in the service: `selectors.recommend_units` (the per-process index: one indexed change
  query, the units written since the last look patched in, travel time for the nearest
  candidates only) against the naive full scan (`recommend_units_full_scan`: every available
  unit read and timed), at random incident positions, while a writer process moves units
  (positions and statuses) at the rate of a province handling 300 incidents an hour;
- through the API under load: `GET /api/v1/emergency/units/recommend` with wrk, while the same
  write load (300 incidents/h plus the crews' position updates) comes in over HTTP, next to
  the bare Django view.

Targets: p99 <= 10 ms in the service, p99 <= 100 ms through the API under load.
Run: `sigap bench emergency` (`--emergency-queries`, `--emergency-write-rate`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

from bench import common
from bench.common import LoadResult, UpdateRequest, log

NAME = "emergency"
DESCRIPTION = "ambulance recommendation at province scale, service and API under load (issue 3)"
PROVINCE = "16"  # Sumatera Selatan
TARGET_SERVICE_P99_MS = 10.0
TARGET_API_P99_MS = 100.0
FIXED_PATH = "/bench/fixed/"
RECOMMEND_PATH = "/api/v1/emergency/units/recommend"
INCIDENTS_PER_HOUR = 300


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("emergency")
    g.add_argument(
        "--emergency-queries",
        type=int,
        default=2000,
        help="recommendations timed in the service (each method)",
    )
    g.add_argument(
        "--emergency-api-rate",
        type=float,
        default=50.0,
        help="recommendations per second through the API, paced (open loop), under writes",
    )
    g.add_argument(
        "--emergency-write-rate",
        type=float,
        default=10.0,
        help="unit writes per second (positions of crews on a job, status buttons)",
    )


# --- child process: dataset and in-service timing (on the benchmark database) ----------------


def _setup() -> None:
    import django

    django.setup()


def build_dataset(seed: int, out: Path) -> None:
    _setup()
    from django.utils import timezone

    from sigap.core.models import ApiKey, Role, User
    from sigap.emergency.models import Unit
    from sigap.regions.models import Region
    from sigap.regions.services import load_regions

    rnd = random.Random(seed)
    load_regions(PROVINCE)
    villages = list(
        Region.objects.filter(level=4, code__startswith=PROVINCE, latitude__isnull=False)
        .order_by("code")
        .values_list("code", "name", "latitude", "longitude")
    )
    now = timezone.now()
    busy = ["dispatched", "en_route", "on_scene", "transporting", "at_hospital", "returning"]
    units = []
    for i, (code, name, lat, lon) in enumerate(villages):
        status = rnd.choice(busy) if rnd.random() < 0.10 else "available"
        if rnd.random() < 0.02:
            status = "out_of_service"
        la, lo = lat + rnd.uniform(-0.003, 0.003), lon + rnd.uniform(-0.003, 0.003)
        units.append(
            Unit(
                code=f"AMB-{code}",
                name=f"Ambulans {name}",
                area_code=code[:4],
                kind="transport" if i % 3 == 2 else "gawat_darurat",
                base_kind="village",
                base_village_id=code,
                base_latitude=la,
                base_longitude=lo,
                latitude=la,
                longitude=lo,
                status=status,
                status_changed_at=now,
                is_synthetic=True,
            )
        )
    Unit.objects.bulk_create(units, batch_size=1000)
    user = User.objects.create_user(
        username="bench-dispatcher", role=Role.DISPATCHER, area_code=PROVINCE
    )
    _, key = ApiKey.generate(user, "bench dispatcher")
    out.write_text(
        json.dumps(
            {
                "api_key": key,
                "units": len(units),
                "villages": [[c, la, lo] for c, _n, la, lo in villages],
                "available": sum(u.status == "available" for u in units),
            }
        )
    )


def _points(fixture: dict, n: int, seed: int) -> list[tuple[float, float, str]]:
    rnd = random.Random(seed)
    triage = ["merah"] * 5 + ["kuning"] * 3 + ["hijau"] * 2
    out = []
    for _ in range(n):
        _c, lat, lon = rnd.choice(fixture["villages"])
        out.append(
            (lat + rnd.uniform(-0.02, 0.02), lon + rnd.uniform(-0.02, 0.02), rnd.choice(triage))
        )
    return out


class _Writer(threading.Thread):
    """Unit writes at `rate` per second through the services: mostly positions of crews on
    a job, some status changes (one unit out of service and back)."""

    def __init__(self, codes: list[str], rate: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.codes, self.rate, self.rnd = codes, rate, random.Random(seed)
        self.stop = threading.Event()
        self.done = 0

    def run(self) -> None:
        from django.db import connection

        from sigap.core.services import Actor
        from sigap.emergency import services
        from sigap.emergency.models import Unit

        actor = Actor.system("bench crews")
        start = time.perf_counter()
        try:
            while not self.stop.is_set():
                delay = start + self.done / self.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                unit = Unit.objects.get(code=self.rnd.choice(self.codes))
                if self.done % 20 == 0 and unit.status in ("available", "out_of_service"):
                    to = "out_of_service" if unit.status == "available" else "available"
                    services.move_unit(actor, unit, to, reason="bench")
                else:
                    services.update_position(
                        actor, unit, unit.latitude + 0.0005, unit.longitude - 0.0005
                    )
                self.done += 1
        finally:
            connection.close()


def run_writer(fixture_file: Path, rate: float, seed: int, stop_file: Path, out: Path) -> None:
    """The unit writes in a process of their own until `stop_file` appears; the count goes to
    `out`. In the deployment crews' writes reach the app through other worker processes (sync
    workers, one request at a time), so a writer thread inside the timed process would measure
    GIL hand-offs between the two threads rather than the recommendation."""
    _setup()
    fixture = json.loads(fixture_file.read_text())
    writer = _Writer([f"AMB-{c}" for c, _la, _lo in fixture["villages"]], rate, seed)
    writer.start()
    while writer.done == 0 and writer.is_alive():
        time.sleep(0.05)
    out.with_suffix(".ready").touch()  # set up and writing: the timing may start
    while not stop_file.exists():
        time.sleep(0.05)
    writer.stop.set()
    writer.join(timeout=10)
    out.write_text(json.dumps({"writes": writer.done}))


def time_service(fixture_file: Path, queries: int, write_rate: float, seed: int, out: Path) -> None:
    import subprocess

    _setup()
    from sigap.emergency import selectors

    fixture = json.loads(fixture_file.read_text())
    points = _points(fixture, queries, seed + 1)
    selectors.recommend_units(*points[0], area=PROVINCE)  # build the index once
    stop_file, writes_file = out.with_suffix(".stop"), out.with_suffix(".writes")
    for f in (stop_file, writes_file, writes_file.with_suffix(".ready")):
        f.unlink(missing_ok=True)
    writer = None
    if write_rate > 0:
        writer = subprocess.Popen(
            [sys.executable, "-m", "bench.emergency_dispatch", "writer", "--seed", str(seed),
             "--fixture", str(fixture_file), "--write-rate", str(write_rate),
             "--stop", str(stop_file), "--out", str(writes_file)]
        )  # fmt: skip
        ready = writes_file.with_suffix(".ready")
        deadline = time.monotonic() + 120
        while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # its start-up (imports, Django) is not the load being measured
        time.sleep(1)
    results: dict[str, list[float]] = {"index": [], "full_scan": []}
    # Worst case: the index looks for changes before every query (the default), so queries
    # pay the change check and the patching of moved units. One method per pass: interleaved,
    # the index would pay the garbage collections that the full scan's thousands of rows
    # cause (a shared process's GC pause lands on whichever call allocates at that moment).
    selectors.CHECK_INTERVAL = 0.0
    for name, method in (
        ("index", selectors.recommend_units),
        ("full_scan", selectors.recommend_units_full_scan),
    ):
        gc.collect()
        for lat, lon, triage in points:
            t0 = time.perf_counter()
            method(lat, lon, triage, area=PROVINCE, n=5)
            results[name].append(time.perf_counter() - t0)
    # the same answer, asked back to back (untimed) while the writer goes on
    agree = 0
    for lat, lon, triage in points:
        fast = selectors.recommend_units(lat, lon, triage, area=PROVINCE, n=5)
        slow = selectors.recommend_units_full_scan(lat, lon, triage, area=PROVINCE, n=5)
        agree += [r["code"] for r in fast] == [r["code"] for r in slow]
    writes = 0
    if writer is not None:
        stop_file.touch()
        writer.wait(timeout=30)
        writes = json.loads(writes_file.read_text())["writes"] if writes_file.exists() else 0
    out.write_text(
        json.dumps({"latencies": results, "agree": agree, "queries": len(points), "writes": writes})
    )


# --- parent: orchestration and report -------------------------------------------------------


def _wrk_script(api_key: str) -> Path:
    """The shared wrk script with an API key header on every request."""
    text = common.WRK_SCRIPT.read_text()
    text = text.replace(
        'return wrk.format("GET", paths[math.random(#paths)])',
        f'return wrk.format("GET", paths[math.random(#paths)], {{["X-API-Key"] = "{api_key}"}})',
    )
    target = common.VAR_BENCH / "emergency_wrk.lua"
    target.write_text(text)
    return target


def _run_wrk_keyed(
    label: str,
    base: str,
    paths_file: Path,
    script: Path,
    seconds: float,
    connections: int,
    threads: int,
) -> LoadResult:
    original = common.WRK_SCRIPT
    common.WRK_SCRIPT = script  # the shared runner reads the script path at call time
    try:
        return common.run_load(label, base, paths_file, seconds, connections, threads)
    finally:
        common.WRK_SCRIPT = original


def _write_requests(fixture: dict, rate: float, seed: int):
    rnd = random.Random(seed)
    key = fixture["api_key"]
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    every = max(1, round(rate * 3600 / INCIDENTS_PER_HOUR))  # one incident per `every` writes

    def make(i: int) -> UpdateRequest:
        code, lat, lon = rnd.choice(fixture["villages"])
        if i % every == 0:
            body = {
                "latitude": lat,
                "longitude": lon,
                "category": "medical",
                "triage": "kuning",
                "caller_phone": f"08{rnd.randrange(10**9, 10**10)}",
                "notes": "bench",
            }
            return UpdateRequest(
                "POST", "/api/v1/emergency/incidents", headers, json.dumps(body).encode()
            )
        body = {"latitude": lat + rnd.uniform(-0.01, 0.01), "longitude": lon}
        return UpdateRequest(
            "POST",
            f"/api/v1/emergency/units/AMB-{code}/position",
            headers,
            json.dumps(body).encode(),
        )

    return make, (lambda status, body: status in (200, 201))


def _ms(values: list[float], p: float) -> float:
    return common.percentile(values, p) * 1000


def run(opts: argparse.Namespace) -> int:
    db = common.bench_database(NAME)
    log(f"emergency: benchmark database {db.label}")
    opts.emergency_loadavg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    fixture_file = common.VAR_BENCH / "emergency-dataset.json"
    service_file = common.VAR_BENCH / "emergency-service.json"
    env, fixture, build_seconds = common.build_dataset(
        db, "bench.emergency_dispatch", fixture_file, ["--seed", str(opts.seed)]
    )
    log(f"{fixture['units']:,} units in {build_seconds:.0f} s; timing the service")
    common.run_child(
        [
            "-m",
            "bench.emergency_dispatch",
            "service",
            "--seed",
            str(opts.seed),
            "--queries",
            str(opts.emergency_queries),
            "--write-rate",
            str(opts.emergency_write_rate),
            "--fixture",
            str(fixture_file),
            "--out",
            str(service_file),
        ],
        env,
    )
    service = json.loads(service_file.read_text())

    paths = [
        f"{RECOMMEND_PATH}?lat={lat:.5f}&lon={lon:.5f}&triage={t}&area={PROVINCE}&n=5"
        for lat, lon, t in _points(fixture, 5000, opts.seed + 2)
    ]
    rec_file = common.write_paths("emergency-recommend", paths)
    fixed_file = common.write_paths("emergency-fixed", [FIXED_PATH])
    script = _wrk_script(fixture["api_key"])
    results: list[LoadResult] = []
    notes: list[str] = []
    writes = paced = None
    with common.app_server(env, opts.workers, opts.threads, FIXED_PATH) as srv:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("GET", paths[0], headers={"X-API-Key": fixture["api_key"]})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if resp.status != 200 or not body.startswith(b"["):
            notes.append(f"`GET {paths[0]}` answered {resp.status} {body[:160]!r}")
        load = dict(seconds=opts.seconds, connections=opts.connections, threads=opts.wrk_threads)
        if opts.warmup:
            warm = dict(load, seconds=opts.warmup)
            common.run_load("warm-up", srv.base, fixed_file, **warm)
            _run_wrk_keyed("warm-up", srv.base, rec_file, script, **warm)
        log(f"bare Django view, {opts.seconds} s")
        results.append(
            common.run_load("bare Django view (fixed JSON)", srv.base, fixed_file, **load)
        )
        log(f"recommendations, reads only, {opts.seconds} s")
        results.append(_run_wrk_keyed("recommend, reads only", srv.base, rec_file, script, **load))
        # The load the issue names: recommendations at a steady rate (consoles, partners)
        # while crews' writes and 300 incidents/h come in; paced, so latency is not queueing.
        make, ok = _write_requests(fixture, opts.emergency_write_rate, opts.seed)
        client = common.UpdateClient(
            srv.base, make, ok, opts.emergency_write_rate, opts.seconds, concurrency=4
        )
        headers = {"X-API-Key": fixture["api_key"]}
        reader = common.UpdateClient(
            srv.base,
            lambda i: UpdateRequest("GET", paths[i % len(paths)], headers, b""),
            lambda status, body: status == 200 and body.startswith(b"["),
            opts.emergency_api_rate,
            opts.seconds,
            concurrency=8,
        )
        log(
            f"recommend at {opts.emergency_api_rate:g}/s + {opts.emergency_write_rate:g} "
            f"unit writes/s, {opts.seconds} s"
        )
        client.start()
        reader.run()
        client.join(timeout=opts.seconds + 60)
        writes, paced = client.result, reader.result
        server_desc = srv.description
    return report(
        opts, db, fixture, build_seconds, service, results, writes, paced, server_desc, notes
    )


def report(
    opts, db, fixture, build_seconds, service, results, writes, paced, server_desc, notes
) -> int:
    lat = service["latencies"]
    print()
    svc_table = common.print_table(
        ["in the service", "queries", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [name, str(len(v)), f"{_ms(v, 50):.2f}", f"{_ms(v, 90):.2f}", f"{_ms(v, 99):.2f}",
             f"{max(v) * 1000:.1f}"]
            for name, v in (("in-process index", lat["index"]),
                            ("naive full scan", lat["full_scan"]))
        ],
    )  # fmt: skip
    cap_table = common.print_table(
        ["closed loop (capacity)", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
        [
            [r.label, f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p90_ms:.1f}", f"{r.p99_ms:.1f}",
             f"{r.max_ms:.0f}", f"{r.errors} ({r.status_errors} non-2xx)" if r.errors else "0"]
            for r in results
        ],
    )  # fmt: skip
    rows = []
    for name, res in (("recommendations (GET)", paced), ("unit writes + incidents (POST)", writes)):
        if res is None:
            continue
        rows.append([name, str(res.planned), str(res.sent), str(res.ok), str(res.failed),
                     f"{res.rate:.1f}", f"{_ms(res.latencies, 50):.1f}",
                     f"{_ms(res.latencies, 99):.1f}"])  # fmt: skip
    load_table = common.print_table(
        ["paced load", "planned", "sent", "ok", "failed", "rate/s", "p50 ms", "p99 ms"], rows
    )
    svc_p99 = _ms(lat["index"], 99)
    svc_met = svc_p99 <= TARGET_SERVICE_P99_MS
    api_p99 = _ms(paced.latencies, 99) if paced is not None and paced.latencies else None
    api_met = api_p99 is not None and api_p99 <= TARGET_API_P99_MS and paced.failed == 0
    verdict = (
        f"service p99 {svc_p99:.2f} ms (target <= {TARGET_SERVICE_P99_MS:g}): "
        f"{'met' if svc_met else 'NOT met'}, naive full scan p99 "
        f"{_ms(lat['full_scan'], 99):.2f} ms; API p99 under load "
        + (f"{api_p99:.1f} ms" if api_p99 is not None else "not measured")
        + f" (target <= {TARGET_API_P99_MS:g}): {'met' if api_met else 'NOT met'}"
    )
    print(f"\ntarget: {verdict}", flush=True)
    for res in (writes, paced):
        if res is not None and res.first_errors:
            notes.append("first failures: " + "; ".join(res.first_errors))
    for n in notes:
        print(f"note: {n}", flush=True)
    info = common.machine_info(db)
    md = [
        "## emergency: ambulance recommendation at province scale (issue 3)",
        "",
        f"Measured {info['date']} with `sigap bench emergency`.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items() if k != "date"),
        f"| app server | {server_desc} |",
        f"| load average (1/5/15 min) at start | {getattr(opts, 'emergency_loadavg', '-')} "
        "(the 2 cores are shared with other work) |",
        f"| load | {opts.seconds:g} s per scenario after {opts.warmup:g} s warm-up, loopback |",
        "",
        f'Dataset: Sumatera Selatan (province {PROVINCE}) loaded with `load_regions("16")`, '
        f"{fixture['units']:,} ambulances (one per kelurahan/desa with coordinates, 2 of 3 "
        f"gawat darurat), {fixture['available']:,} available; built in {build_seconds:.0f} s "
        "including migrations. Queries at random points near villages, triage merah/kuning/"
        "hijau 5:3:2, 5 units wanted.",
        "",
        f"In the service ({service['queries']:,} queries each, both methods on the same "
        f"points, one method per pass; asked back to back they gave the same answer on "
        f"{service['agree']:,}; {service['writes']:,} unit writes "
        f"meanwhile from another process at {opts.emergency_write_rate:g}/s, as crews' writes "
        "come through other workers; the index checks for changes before every query):",
        "",
        svc_table,
        "",
        f"Through the API (`GET {RECOMMEND_PATH}` with an API key) at the issue's load: "
        f"{opts.emergency_api_rate:g} recommendations/s paced (open loop, so the figures are "
        f"latency, not queueing) while {opts.emergency_write_rate:g} unit writes/s (crews' "
        f"positions, one new incident per {INCIDENTS_PER_HOUR}/h) come in over HTTP:",
        "",
        load_table,
        "",
        f"Capacity, closed loop ({results[0].generator if results else '-'}), next to the "
        "bare Django view:",
        "",
        cap_table,
        "",
        f"Result: {verdict}.",
    ]
    md += [f"\nNote: {n}" for n in notes]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(md))
    failed = (writes is not None and writes.failed > 0) or any(r.errors for r in results)
    return 0 if (svc_met and api_met and not failed) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="emergency benchmark child steps")
    parser.add_argument("command", choices=["build", "service", "writer"])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fixture", type=Path)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--write-rate", type=float, default=10.0)
    parser.add_argument("--stop", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build_dataset(args.seed, args.out)
    elif args.command == "writer":
        run_writer(args.fixture, args.write_rate, args.seed, args.stop, args.out)
    else:
        time_service(args.fixture, args.queries, args.write_rate, args.seed, args.out)
    sys.exit(0)
