"""Referral inbox and recommendation latency with 10,000 open referrals (issue 4).

Dataset (synthetic, rebuilt every run in its own database): a city of 16 kecamatan and 160
kelurahan, 30 hospitals with services and rooms, 40 Puskesmas, `--referrals-open` open
referrals (default 10,000; more to the big hospitals), twice as many closed ones, and an answer
history (with daily statistics) for the acceptance rates.

Measured, one request at a time, `--referrals-samples` calls each:
- service level (in one process, the same calls the pages and the API make): the hospital
  inbox (50 most urgent open referrals) and the recommendation, against a naive baseline in
  the same run (model instances with related rows fetched one by one; beds and answer history
  queried per hospital);
- through HTTP (gunicorn, the JSON API with an API key): the inbox and the recommendation,
  against the bare Django view (fixed JSON, no database) as the framework's floor.

Target: p99 <= 50 ms for the inbox and the recommendation. Run: `sigap bench referrals`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import common

NAME = "referrals"
DESCRIPTION = "hospital inbox and hospital recommendation with 10,000 open referrals (issue 4)"
TARGET_P99_MS = 50.0
FIXED_PATH = "/bench/fixed/"
SERVICES = ["igd", "icu", "rawat_inap", "obstetri", "bedah", "nicu", "hcu"]
CLASSES = ["ICU", "KL1", "KL2", "KL3", "VIP", "NIC", "HCU", "SAL"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--referrals-open", type=int, default=10_000, help="open referrals")
    parser.add_argument("--referrals-samples", type=int, default=400, help="calls per scenario")


# --- dataset (runs in a child process on the bench database) ---------------------------------


def build(open_count: int, seed: int, out: Path) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from sigap.beds.models import BoardState, Room
    from sigap.core.models import ApiKey, User
    from sigap.facilities.models import Facility, FacilityOperator
    from sigap.referrals.models import Referral, ReferralAnswer, ReferralDailyStat
    from sigap.regions.models import Region

    rnd = random.Random(seed)  # noqa: S311 - synthetic data
    now = timezone.now()
    with transaction.atomic():
        Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
        Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Contoh", kind="kota")
        villages = []
        for k in range(1, 17):
            kec = f"3374{k:02d}"
            Region.objects.create(code=kec, level=3, parent_id="3374", name=f"Kecamatan {k}")
            for v in range(1, 11):
                villages.append(
                    Region(
                        code=f"{kec}1{v:03d}",
                        level=4,
                        parent_id=kec,
                        name=f"Kelurahan {k}-{v}",
                        kind="kelurahan",
                        latitude=-7.05 + rnd.uniform(0, 0.12),
                        longitude=110.35 + rnd.uniform(0, 0.15),
                    )
                )
        Region.objects.bulk_create(villages)

        def facility(name: str, kind: str, i: int) -> Facility:
            v = rnd.choice(villages)
            return Facility(
                name=name,
                kind_id=kind,
                ownership=rnd.choice(["public", "private"]),
                hospital_class=rnd.choice("ABCD") if kind == "rs" else "",
                bpjs_kodeppk=f"B{kind[:1].upper()}{i:05d}",
                kemenkes_code=f"K{kind[:1]}{i:05d}",
                village=v,
                latitude=v.latitude,
                longitude=v.longitude,
                is_synthetic=True,
            )

        hospitals = Facility.objects.bulk_create(
            [facility(f"RS Bench {i}", "rs", i) for i in range(30)]
        )
        puskesmas = Facility.objects.bulk_create(
            [facility(f"Puskesmas Bench {i}", "puskesmas", i) for i in range(40)]
        )
        through = Facility.services.through
        links = []
        for h in hospitals:
            for s in ["igd", "rawat_inap", *rnd.sample(SERVICES[1:], 4)]:
                links.append(through(facility_id=h.pk, service_id=s))
        through.objects.bulk_create(links, ignore_conflicts=True)
        rooms = []
        for h in hospitals:
            for c in rnd.sample(CLASSES, 6):
                cap = rnd.randint(4, 40)
                rooms.append(
                    Room(
                        facility=h,
                        bed_class_id=c,
                        code=f"{c}-1",
                        name=f"Ruang {c}",
                        capacity=cap,
                        free=rnd.randint(0, cap),
                        changed_at=now,
                        reported_at=now,
                        source="api",
                    )
                )
        Room.objects.bulk_create(rooms)
        BoardState.objects.update_or_create(id=1, defaults={"version": 1})

        user = User.objects.create_user(
            "bench-operator", role="hospital_operator", area_code="3374"
        )
        FacilityOperator.objects.bulk_create(
            [FacilityOperator(user=user, facility=h) for h in hospitals]
        )
        _key, raw_key = ApiKey.generate(user, "bench")

        weights = [1.0 / (i + 1) ** 0.7 for i in range(len(hospitals))]
        payers = ["jkn_pbi", "jkn_non_pbi", "general", "private"]

        def referral(n: int, status: str) -> Referral:
            receiver = rnd.choices(hospitals, weights)[0]
            sender = rnd.choice(puskesmas)
            created = now - timedelta(minutes=rnd.randint(1, 60 * 24 * 20))
            return Referral(
                number=f"RB{n:012d}",
                kind=2,
                status=status,
                status_changed_at=created,
                urgency=rnd.choice(["emergency", "elective"]),
                payer=rnd.choice(payers),
                sender=sender,
                sender_label=sender.name,
                receiver=receiver,
                patient_name=f"Pasien Bench {n}",
                patient_nik=f"337401010190{n % 10000:04d}",
                diagnosis_code="J18.9",
                diagnosis_name="Pneumonia, unspecified",
                reason_id="SP",
                answer_due_at=created + timedelta(minutes=rnd.choice([15, 1440])),
                room_class_id=rnd.choice(CLASSES),
                is_synthetic=True,
            )

        batch = [
            referral(i, rnd.choice(["sent", "sent", "sent", "escalated"]))
            for i in range(open_count)
        ]
        batch += [referral(open_count + i, "closed") for i in range(2 * open_count)]
        Referral.objects.bulk_create(batch, batch_size=2000)
        closed = list(
            Referral.objects.filter(status="closed").values(
                "pk", "receiver_id", "payer", "urgency", "created_at"
            )
        )
        answers, stats = [], {}
        for r in closed:
            outcome = rnd.choices(["accepted", "rejected", "timeout"], [0.8, 0.15, 0.05])[0]
            seconds = rnd.randint(30, 3600)
            at = r["created_at"] + timedelta(seconds=seconds)
            answers.append(
                ReferralAnswer(
                    referral_id=r["pk"],
                    facility_id=r["receiver_id"],
                    payer=r["payer"],
                    urgency=r["urgency"],
                    outcome=outcome,
                    offered_at=r["created_at"],
                    answered_at=at,
                    seconds=seconds,
                )
            )
            key = (r["receiver_id"], timezone.localdate(at))
            s = stats.setdefault(key, [0, 0, 0, 0, 0])
            s[0] += 1
            s[1] += outcome == "accepted"
            s[2] += outcome == "timeout"
            s[3] += 0 if outcome == "timeout" else seconds
            s[4] += outcome != "timeout"
        ReferralAnswer.objects.bulk_create(answers, batch_size=2000)
        ReferralDailyStat.objects.bulk_create(
            [
                ReferralDailyStat(
                    facility_id=f,
                    day=d,
                    offers=s[0],
                    accepted=s[1],
                    timeouts=s[2],
                    answer_seconds=s[3],
                    answered=s[4],
                )
                for (f, d), s in stats.items()
            ]
        )
    out.write_text(
        json.dumps(
            {
                "hospitals": [str(h.public_id) for h in hospitals],
                "puskesmas": [str(p.public_id) for p in puskesmas],
                "api_key": raw_key,
                "open": open_count,
                "closed": 2 * open_count,
                "answers": len(answers),
            }
        )
    )


# --- service-level measurement (child process) --------------------------------------------------


def measure(fixture_file: Path, samples: int, seed: int, out: Path) -> None:
    import django

    django.setup()
    from sigap.facilities.models import Facility
    from sigap.referrals import selectors

    fixture = json.loads(fixture_file.read_text())
    rnd = random.Random(seed)  # noqa: S311
    hospitals = list(Facility.objects.filter(public_id__in=fixture["hospitals"]))
    origins = list(Facility.objects.filter(public_id__in=fixture["puskesmas"]))

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    results: dict[str, list[float]] = {}
    cold = {
        "inbox": timed(lambda: selectors.inbox(hospitals[0])),
        "recommend": timed(
            lambda: selectors.recommend(
                lat=origins[0].latitude, lon=origins[0].longitude, service="icu", bed_class="ICU"
            )
        ),
    }
    cases = [
        (rnd.choice(hospitals), rnd.choice(origins), rnd.choice(SERVICES), rnd.choice(CLASSES))
        for _ in range(samples)
    ]
    scenarios = {
        "inbox (selectors.inbox)": lambda h, o, s, c: selectors.inbox(h, limit=50),
        "inbox, naive baseline": lambda h, o, s, c: selectors.naive_inbox(h, limit=50),
        "recommend (selectors.recommend)": lambda h, o, s, c: selectors.recommend(
            lat=o.latitude, lon=o.longitude, service=s, bed_class=c
        ),
        "recommend, naive baseline": lambda h, o, s, c: selectors.naive_recommend(
            lat=o.latitude, lon=o.longitude, service=s, bed_class=c
        ),
    }
    for name, fn in scenarios.items():
        results[name] = [timed(lambda case=case, fn=fn: fn(*case)) for case in cases]
    out.write_text(json.dumps({"cold_ms": cold, "results": results}))


# --- HTTP measurement ---------------------------------------------------------------------------


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[int, float]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status, (time.perf_counter() - t) * 1000
    finally:
        conn.close()


def _summary(values: list[float]) -> list[str]:
    return [
        f"{common.percentile(values, 50):.2f}",
        f"{common.percentile(values, 95):.2f}",
        f"{common.percentile(values, 99):.2f}",
        f"{max(values):.2f}",
    ]


def run(opts: argparse.Namespace) -> int:
    db = common.bench_database(NAME)
    common.log(f"referrals: benchmark database {db.label}")
    fixture_file = common.VAR_BENCH / "referrals-dataset.json"
    service_file = common.VAR_BENCH / "referrals-service.json"
    env, fixture, build_seconds = common.build_dataset(
        db,
        "bench.referrals_inbox",
        fixture_file,
        ["--open", str(opts.referrals_open), "--seed", str(opts.seed)],
    )
    samples = opts.referrals_samples
    common.log(f"service level, {samples} calls per scenario")
    common.run_child(
        [
            "-m",
            "bench.referrals_inbox",
            "measure",
            "--fixture",
            str(fixture_file),
            "--samples",
            str(samples),
            "--seed",
            str(opts.seed),
            "--out",
            str(service_file),
        ],
        env,
    )
    service = json.loads(service_file.read_text())

    rnd = random.Random(opts.seed)  # noqa: S311
    auth = {"Authorization": f"Bearer {fixture['api_key']}", "Accept": "application/json"}
    paths = {
        "HTTP bare Django view (fixed JSON)": [FIXED_PATH] * samples,
        "HTTP GET /api/v1/referrals/inbox": [
            f"/api/v1/referrals/inbox?rs={rnd.choice(fixture['hospitals'])}" for _ in range(samples)
        ],
        "HTTP GET /api/v1/referrals/recommend": [
            f"/api/v1/referrals/recommend?sender={rnd.choice(fixture['puskesmas'])}"
            f"&service={rnd.choice(SERVICES)}&bed_class={rnd.choice(CLASSES)}"
            for _ in range(samples)
        ],
    }
    http_results: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    with common.app_server(env, opts.workers, opts.threads, FIXED_PATH) as srv:
        for name, plist in paths.items():
            for p in plist[: max(20, samples // 10)]:  # warm every worker's caches
                _get(srv.base, p, auth)
            values, bad = [], 0
            for p in plist:
                status, ms = _get(srv.base, p, auth)
                bad += status != 200
                values.append(ms)
            http_results[name] = values
            errors[name] = bad
        server_desc = srv.description

    rows = []
    for name, values in service["results"].items():
        rows.append([name, *_summary(values), ""])
    for name, values in http_results.items():
        rows.append([name, *_summary(values), str(errors[name])])
    headers = ["scenario", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-200"]
    print()
    table = common.print_table(headers, rows)
    targets = {
        "inbox (selectors.inbox)",
        "recommend (selectors.recommend)",
        "HTTP GET /api/v1/referrals/inbox",
        "HTTP GET /api/v1/referrals/recommend",
    }
    all_results = {**service["results"], **http_results}
    met = all(common.percentile(all_results[t], 99) <= TARGET_P99_MS for t in targets)
    info = common.machine_info(db)
    verdict = "met" if met else "NOT met"
    md = "\n".join(
        [
            f"## referrals: hospital inbox and recommendation (issue 4), {db.engine}",
            "",
            f"Run {info['date']} on {info['cpus']} cores (shared with other work), "
            f"{info['memory']}, {info['os']}, Python {info['python']}, Django {info['django']}, "
            f"{info['database']}; {server_desc}.",
            "",
            f"Dataset: {fixture['open']:,} open referrals, {fixture['closed']:,} closed, "
            f"{fixture['answers']:,} answers, 30 hospitals, 40 Puskesmas (built in "
            f"{build_seconds:.0f} s). {samples} calls per scenario, one at a time (latency, not "
            "throughput); HTTP with an API key through gunicorn, the caches of every worker warm. "
            f"Cold first call in a fresh process: inbox {service['cold_ms']['inbox']:.1f} ms, "
            f"recommendation {service['cold_ms']['recommend']:.1f} ms (loads the hospital and "
            "statistics caches and the bed-board snapshot).",
            "",
            table,
            "",
            f"Target p99 <= {TARGET_P99_MS:.0f} ms for the inbox and the recommendation, "
            f"at service level and through HTTP: **{verdict}**.",
            "",
            "Run: `sigap bench referrals [--referrals-open 10000] [--referrals-samples 400]`.",
        ]
    )
    if not opts.no_readme:
        common.write_readme_section(f"{NAME}-{db.engine}", md)
    return 0 if not any(errors.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--open", type=int, required=True)
    b.add_argument("--seed", type=int, default=2)
    b.add_argument("--out", type=Path, required=True)
    m = sub.add_parser("measure")
    m.add_argument("--fixture", type=Path, required=True)
    m.add_argument("--samples", type=int, default=400)
    m.add_argument("--seed", type=int, default=2)
    m.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "build":
        build(args.open, args.seed, args.out)
    else:
        measure(args.fixture, args.samples, args.seed, args.out)
    sys.exit(0)
