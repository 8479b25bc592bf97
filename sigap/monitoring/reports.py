"""The health office's report over any period: tables built from the capabilities' published
reads (monitoring is a reader app), each a `Table` that the page, the CSV/XLSX exports and the
monthly PDF render the same way.

Percentiles and medians are NumPy over the period's rows; a figure over fewer than `MIN_N`
cases says "terlalu sedikit untuk dinilai" instead of a number."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.beds import selectors as beds
from sigap.core.models import User
from sigap.coverage import selectors as coverage
from sigap.emergency import selectors as emergency
from sigap.homecare import selectors as homecare
from sigap.nutrition import selectors as nutrition
from sigap.referrals import selectors as referrals

from .periods import Period, zone
from .selectors import Scope

MIN_N = 5  # below this many cases a median, percentile or share is not judged
TOP_DIAGNOSES = 10
TOO_FEW = gettext_lazy("terlalu sedikit untuk dinilai")
NONE = "—"
BREAKDOWNS = ("kecamatan", "kelurahan", "fasilitas")
HOSPITAL_REPORT_KINDS = ("create", "update")  # holds and releases are SIGAP's, not reports
MATERNAL = re.compile(r"^O\d")  # ICD-10 chapter XV: pregnancy, childbirth, puerperium
NEONATAL = re.compile(r"^P\d")  # ICD-10 chapter XVI: perinatal conditions
# refusal notes are free text (SISRUTE's ALASAN): grouped by the words hospitals use
REFUSAL_GROUPS = [
    ("bed", re.compile(r"penuh|tempat tidur|\btt\b|\bbed\b|kamar|ruang(an)? (tidak|habis)", re.I)),
    ("staff", re.compile(r"dokter|tenaga|spesialis|perawat|dpjp", re.I)),
    ("equipment", re.compile(r"alat|sarana|ventilator|\bct\b|mri|rusak", re.I)),
]
REFUSAL_LABELS = {
    "bed": gettext_lazy("Tempat tidur penuh"),
    "staff": gettext_lazy("Tenaga medis tidak tersedia"),
    "equipment": gettext_lazy("Sarana atau alat tidak tersedia"),
    "other": gettext_lazy("Lainnya"),
}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


@dataclass
class Report:
    scope: Scope
    period: Period
    by: str
    generated_at: datetime
    tables: list[Table]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


# --- figures -----------------------------------------------------------------------------------


def stats(values) -> dict:
    """n, median and 90th percentile (NumPy, linear interpolation) of the non-missing values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if arr.size == 0:
        return {"n": 0, "median": None, "p90": None}
    med, p90 = np.percentile(arr, [50, 90])
    return {"n": int(arr.size), "median": round(float(med), 1), "p90": round(float(p90), 1)}


def judged(value: float | None, n: int):
    """A median/percentile as a cell: a number, too few, or nothing."""
    if n == 0 or value is None:
        return NONE
    return value if n >= MIN_N else str(TOO_FEW)


def share(part: int, whole: int):
    """A percentage as a cell (one decimal), too few below MIN_N, nothing on zero."""
    if whole == 0:
        return NONE
    return round(100 * part / whole, 1) if whole >= MIN_N else str(TOO_FEW)


def refusal_group(note: str) -> str:
    for key, pattern in REFUSAL_GROUPS:
        if pattern.search(note or ""):
            return key
    return "other"


# --- response times ----------------------------------------------------------------------------

PHASES = [
    ("call_to_dispatch", gettext_lazy("Panggilan → ambulans dikirim")),
    ("dispatch_to_scene", gettext_lazy("Ambulans dikirim → tiba di lokasi")),
    ("response", gettext_lazy("Panggilan → tiba di lokasi (waktu respons)")),
    ("scene_to_hospital", gettext_lazy("Lokasi → tiba di rumah sakit")),
]


def _response_row(name: str, rows: list[dict]) -> list:
    s = stats(r["response"] for r in rows)
    marks = [r["within_target"] for r in rows if r["within_target"] is not None]
    return [
        name,
        len(rows),
        s["n"],
        judged(s["median"], s["n"]),
        judged(s["p90"], s["n"]),
        sum(marks),
        len(marks),
        share(sum(marks), len(marks)),
    ]


def response_tables(area: str, period: Period, by: str) -> list[Table]:
    rows = emergency.incident_rows(area, period.start, period.end)
    phases = Table(
        "response_phases",
        _("Waktu per fase PSC 119 (menit)"),
        [_("Fase"), "n", _("Median"), _("Persentil ke-90")],
    )
    for key, label in PHASES:
        s = stats(r[key] for r in rows)
        phases.rows.append(
            [str(label), s["n"], judged(s["median"], s["n"]), judged(s["p90"], s["n"])]
        )
    cols = [
        _("Insiden"),
        _("n respons"),
        _("Median respons (menit)"),
        _("Persentil ke-90 (menit)"),
        _("Dalam target"),
        _("Dinilai"),
        _("% dalam target"),
    ]
    by_triage = Table("response_triage", _("Waktu respons menurut urgensi"), [_("Urgensi"), *cols])
    for colour, label in emergency.triage_labels():
        group = [r for r in rows if r["triage"] == colour]
        if group:
            by_triage.rows.append(_response_row(label, group))
    if rows:
        by_triage.rows.append(_response_row(_("Semua"), rows))
    area_key = "kelurahan" if by == "kelurahan" else "kecamatan"
    area_label = _("Kelurahan/desa") if area_key == "kelurahan" else _("Kecamatan")
    by_area = Table("response_area", _("Waktu respons menurut wilayah"), [area_label, *cols])
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r[area_key]].append(r)
    for name in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        by_area.rows.append(_response_row(name, groups[name]))
    return [phases, by_triage, by_area]


# --- referrals ---------------------------------------------------------------------------------


def referral_tables(data: dict, period: Period) -> list[Table]:
    sent, answers, refusals, closed = (data[k] for k in ("sent", "answers", "refusals", "closed"))
    volume = len(sent)
    outcome = Counter(a["outcome"] for a in answers)
    back = sum(1 for c in closed if c["back"])
    summary = Table(
        "referral_summary", _("Rujukan"), [_("Indikator"), _("Jumlah"), _("% dari rujukan")]
    )
    counts = [
        (_("Rujukan masuk ke rumah sakit di wilayah"), volume),
        (_("Gawat darurat"), sum(1 for r in sent if r["urgency"] == "emergency")),
        (_("Serah terima PSC 119"), sum(1 for r in sent if r["from_emergency"])),
        (
            _("Maternal (ICD-10 O00–O99)"),
            sum(1 for r in sent if MATERNAL.match(r["diagnosis_code"])),
        ),
        (
            _("Neonatal (ICD-10 P00–P96)"),
            sum(1 for r in sent if NEONATAL.match(r["diagnosis_code"])),
        ),
    ]
    for label, k in counts:
        summary.rows.append([label, k, share(k, volume) if label != counts[0][0] else NONE])
    offers = len(answers)
    for label, k in [
        (_("Jawaban: diterima"), outcome["accepted"]),
        (_("Jawaban: ditolak"), outcome["rejected"]),
        (_("Tidak dijawab tepat waktu"), outcome["timeout"]),
    ]:
        summary.rows.append([label, k, NONE])
    summary.rows.append([_("Rujuk balik"), back, NONE])
    summary.note = _("Persentase jawaban dihitung per tawaran: %(n)s tawaran.") % {"n": offers}

    diag = Table(
        "referral_diagnoses",
        _("Diagnosis terbanyak"),
        [_("Kode ICD-10"), _("Diagnosis"), _("Jumlah"), _("% dari rujukan")],
    )
    names: dict[str, str] = {}
    for r in sent:
        names.setdefault(r["diagnosis_code"], r["diagnosis_name"])
    for code, k in sorted(
        Counter(r["diagnosis_code"] for r in sent).items(), key=lambda kv: (-kv[1], kv[0])
    )[:TOP_DIAGNOSES]:
        diag.rows.append([code, names[code], k, share(k, volume)])

    hospitals: dict[int, str] = {}
    for r in sent:
        hospitals[r["receiver_id"]] = r["receiver__name"]
    for a in answers:
        hospitals[a["facility_id"]] = a["facility__name"]
    for c in closed:
        hospitals[c["receiver_id"]] = c["receiver__name"]
    per = Table(
        "referral_hospitals",
        _("Rujukan per rumah sakit"),
        [
            _("Rumah sakit"),
            _("Rujukan masuk"),
            _("Tawaran dijawab"),
            _("Diterima"),
            _("Ditolak"),
            _("Tidak dijawab"),
            _("Median waktu jawab (menit)"),
            _("Persentil ke-90 (menit)"),
            _("Rujuk balik"),
            _("Median lama rawat (hari)"),
        ],
    )
    answers_of: dict[int, list[dict]] = defaultdict(list)
    for a in answers:
        answers_of[a["facility_id"]].append(a)
    closed_of: dict[int, list[dict]] = defaultdict(list)
    for c in closed:
        closed_of[c["receiver_id"]].append(c)
    received = Counter(r["receiver_id"] for r in sent)
    for fid, name in sorted(hospitals.items(), key=lambda kv: kv[1]):
        mine = answers_of[fid]
        answered = [a["seconds"] / 60 for a in mine if a["outcome"] != "timeout"]
        s = stats(answered)
        out = Counter(a["outcome"] for a in mine)
        done = closed_of[fid]
        stay = stats(
            (c["closed_at"] - c["arrived_at"]).total_seconds() / 86400
            for c in done
            if c["arrived_at"]
        )
        per.rows.append(
            [
                name,
                received[fid],
                len(mine),
                out["accepted"],
                out["rejected"],
                out["timeout"],
                judged(s["median"], s["n"]),
                judged(s["p90"], s["n"]),
                sum(1 for c in done if c["back"]),
                judged(stay["median"], stay["n"]),
            ]
        )

    reasons = Table(
        "refusal_reasons",
        _("Penolakan menurut rumah sakit dan alasan"),
        [_("Rumah sakit"), _("Alasan"), _("Jumlah"), _("Dari PSC 119")],
    )
    grouped: Counter = Counter()
    from_em: Counter = Counter()
    for r in refusals:
        key = (r["facility__name"], refusal_group(r["note"]))
        grouped[key] += 1
        from_em[key] += bool(r["from_emergency"])
    for (name, group), k in sorted(grouped.items(), key=lambda kv: (kv[0][0], -kv[1])):
        reasons.rows.append([name, str(REFUSAL_LABELS[group]), k, from_em[(name, group)]])
    return [summary, diag, per, reasons]


# --- beds: occupancy, reporting, trust ---------------------------------------------------------


def sample_times(period: Period, now: datetime) -> list[datetime]:
    """Noon of each local day of the period, up to now (the future is not sampled)."""
    out = []
    for i in range(period.days):
        t = datetime.combine(period.first + timedelta(days=i), time(12), tzinfo=zone())
        if t > now:
            break
        out.append(t)
    return out


def replay(updates: list[tuple], samples: list[datetime], probes: list[tuple]) -> dict:
    """Walk the bed history once. At each sample: per hospital, capacity, occupied and free.
    At each probe (time, facility, class): the free beds the board showed for that class just
    before that time. Returns {"samples": {fid: arrays}, "probes": [free]}."""
    rooms: dict[tuple, tuple[int, int, int]] = {}  # (fid, cls, room) -> (cap, free, occupied)
    fac = defaultdict(lambda: np.zeros(3, dtype=np.int64))  # fid -> cap, free, occupied
    fac_cls: dict[tuple, int] = defaultdict(int)  # (fid, cls) -> free
    events = sorted(
        [(t, 0, i) for i, t in enumerate(samples)] + [(p[0], 1, i) for i, p in enumerate(probes)]
    )
    per_sample: dict[int, np.ndarray] = {}
    probe_free = [0] * len(probes)
    pos = 0
    for t, kind, idx in events:
        # samples see updates at or before t; probes only those strictly before t
        while pos < len(updates) and (updates[pos][0] <= t if kind == 0 else updates[pos][0] < t):
            at, fid, _name, cls, code, ukind, _src, cap, free, reserved, preparing = updates[pos]
            key = (fid, cls, code)
            old = rooms.pop(key, None)
            if old is not None:
                fac[fid] -= old
                fac_cls[(fid, cls)] -= old[1]
            if ukind != "delete":
                new = (cap, free, max(0, cap - free - reserved - preparing))
                rooms[key] = new
                fac[fid] += new
                fac_cls[(fid, cls)] += free
            pos += 1
        if kind == 0:
            for fid, totals in fac.items():
                per_sample.setdefault(fid, np.zeros((len(samples), 3), dtype=np.int64))[idx] = (
                    totals
                )
        else:
            _t, fid, cls = probes[idx]
            probe_free[idx] = fac_cls.get((fid, cls), 0)
    return {"samples": per_sample, "probes": probe_free}


def bed_tables(area: str, period: Period, now: datetime, refusals: list[dict]) -> list[Table]:
    until = min(period.end, now)
    updates = beds.update_rows(area, until)
    names = {u[1]: u[2] for u in updates}
    samples = sample_times(period, now)
    bed_refusals = [r for r in refusals if refusal_group(r["note"]) == "bed"]
    probes = [
        (r["at"], r["facility_id"], r["referral__room_class_id"] or r["referral__bed_class_id"])
        for r in bed_refusals
    ]
    seen = replay(updates, samples, probes)
    reported_days: dict[int, set] = defaultdict(set)
    reports: Counter = Counter()
    tz = zone()
    for u in updates:
        at, fid, kind, source = u[0], u[1], u[5], u[6]
        if period.start <= at < period.end and kind in HOSPITAL_REPORT_KINDS and source != "hold":
            reports[fid] += 1
            reported_days[fid].add(at.astimezone(tz).date())
    days = len(samples) or 0
    holds = beds.hold_rows(area, period.start, period.end)
    for h in holds:
        names.setdefault(h["facility_id"], h["facility__name"])
    for r in refusals:
        names.setdefault(r["facility_id"], r["facility__name"])

    occupancy = Table(
        "bed_occupancy",
        _("Keterisian tempat tidur dan kepatuhan lapor"),
        [
            _("Rumah sakit"),
            _("Kapasitas (akhir periode)"),
            _("BOR rata-rata (%)"),
            _("Laporan diterima"),
            _("Hari melapor"),
            _("Hari periode"),
            _("% hari melapor"),
        ],
    )
    trust = Table(
        "bed_trust",
        _("Keandalan data tempat tidur"),
        [
            _("Rumah sakit"),
            _("Tolak karena TT penuh"),
            _("Saat itu laporannya menunjukkan kelas itu kosong"),
            _("% tidak sesuai"),
            _("% hari melapor"),
            _("Rata-rata TT kosong dilaporkan"),
            _("Tahanan TT diterima"),
            _("Pasien tiba"),
            _("Tahanan kedaluwarsa/dilepas"),
        ],
    )
    refused = Counter(r["facility_id"] for r in bed_refusals)
    contradicted: Counter = Counter()
    unknown_class: Counter = Counter()  # refusals without a bed class are not judged
    for r, p, free in zip(bed_refusals, probes, seen["probes"], strict=True):
        if not p[2]:
            unknown_class[r["facility_id"]] += 1
        elif free > 0:
            contradicted[r["facility_id"]] += 1
    hold_counts: dict[int, Counter] = defaultdict(Counter)
    for h in holds:
        hold_counts[h["facility_id"]][h["status"]] += 1
    for fid, name in sorted(names.items(), key=lambda kv: kv[1]):
        series = seen["samples"].get(fid)
        cap_end = int(series[-1, 0]) if series is not None else 0
        cap_sum = int(series[:, 0].sum()) if series is not None else 0
        occ_sum = int(series[:, 2].sum()) if series is not None else 0
        mean_free = round(float(series[:, 1].mean()), 1) if series is not None and days else NONE
        rep_days = len(reported_days[fid])
        occupancy.rows.append(
            [
                name,
                cap_end,
                round(100 * occ_sum / cap_sum, 1) if cap_sum else NONE,
                reports[fid],
                rep_days,
                days,
                share(rep_days, days),
            ]
        )
        hc = hold_counts[fid]
        trust.rows.append(
            [
                name,
                refused[fid],
                contradicted[fid],
                share(contradicted[fid], refused[fid] - unknown_class[fid]),
                share(rep_days, days),
                mean_free,
                sum(hc.values()),
                hc["arrived"],
                hc["expired"] + hc["released"],
            ]
        )
    trust.note = _(
        "Penolakan dengan alasan tempat tidur penuh (rujukan dan serah terima PSC 119) "
        "dibandingkan dengan laporan tempat tidur RS itu sendiri sesaat sebelum menolak."
    )
    if unknown_class:
        trust.note += " " + _("%(n)s penolakan tanpa kelas tempat tidur tidak dinilai.") % {
            "n": sum(unknown_class.values())
        }
    occupancy.note = _("BOR dari laporan RS pada pukul 12.00 setiap hari periode.")
    return [occupancy, trust]


# --- home care, trips --------------------------------------------------------------------------


def homecare_tables(area: str, period: Period, by: str) -> list[Table]:
    visits = homecare.visit_rows(area, period.first, period.last)
    key = {"fasilitas": "facility__name", "kelurahan": "facility__village__name"}.get(
        by, "facility__village__parent__name"
    )
    label = {"fasilitas": _("Puskesmas"), "kelurahan": _("Kelurahan/desa")}.get(by, _("Kecamatan"))
    table = Table(
        "homecare_visits",
        _("Kunjungan perawatan rumah"),
        [
            label,
            _("Terjadwal"),
            _("Selesai"),
            _("Tidak bertemu"),
            _("Belum selesai"),
            _("Dibatalkan"),
            _("% selesai"),
        ],
    )
    groups: dict[str, Counter] = defaultdict(Counter)
    for v in visits:
        groups[v[key] or NONE][v["status"]] += 1
    for name in sorted(groups):
        c = groups[name]
        planned = sum(c.values()) - c["cancelled"]
        open_ = c["due"] + c["planned"] + c["started"]
        table.rows.append(
            [
                name,
                planned,
                c["done"],
                c["missed"],
                open_,
                c["cancelled"],
                share(c["done"], planned),
            ]
        )
    why = Table("homecare_missed", _("Kunjungan tidak bertemu: alasan"), [_("Alasan"), _("Jumlah")])
    for reason, k in Counter(
        (v["status_reason"] or "").strip() or str(_("tidak dicatat"))
        for v in visits
        if v["status"] == "missed"
    ).most_common(10):
        why.rows.append([reason, k])
    trips = homecare.trip_rows(area, period.first, period.last)
    trip_table = Table(
        "trips",
        _("Jemput Sakit Antar Sehat"),
        [
            _("Arah"),
            _("Diminta"),
            _("Terjadwal"),
            _("Selesai"),
            _("Dibatalkan"),
            _("Tidak terjadwal"),
            _("% selesai"),
        ],
    )
    directions = [
        ("to_facility", _("Jemput sakit (rumah ke fasilitas)")),
        ("to_home", _("Antar sehat (fasilitas ke rumah)")),
    ]
    for code, name in directions:
        c = Counter(t["status"] for t in trips if t["direction"] == code)
        total = sum(c.values()) - c["cancelled"]
        finished = c["delivered"]
        trip_table.rows.append(
            [
                name,
                sum(c.values()),
                c["scheduled"] + c["picked_up"],
                finished,
                c["cancelled"],
                c["unscheduled"],
                share(finished, total),
            ]
        )
    return [table, why, trip_table]


# --- JKN, nutrition, KIA -----------------------------------------------------------------------


def coverage_table(area: str, period: Period) -> Table:
    table = Table(
        "jkn",
        _("Cakupan JKN dan kuota PBI APBD"),
        [
            _("Bulan"),
            _("Penduduk"),
            _("Peserta JKN"),
            _("% cakupan"),
            _("Kuota terpakai"),
            _("Kuota"),
        ],
    )
    trend = {r["period"]: r for r in coverage.trend(area)}
    for month in period.months:
        if month > period.today:
            break
        r = trend.get(month)
        quota = coverage.month_quota(area, month)
        table.rows.append(
            [
                month_name(month, period.today),
                r["population"] if r else NONE,
                r["covered"] if r else NONE,
                round(100 * r["covered"] / r["population"], 1) if r and r["population"] else NONE,
                quota["used"] if quota["run"] else NONE,
                quota["total"] if quota["run"] else NONE,
            ]
        )
    return table


def month_name(month: date, today: date) -> str:
    text = f"{MONTHS[month.month]} {month.year}"
    if month.year == today.year and month.month == today.month:
        text += f" ({_('berjalan')})"
    return str(text)


def nutrition_table(user: User, area: str, period: Period) -> Table:
    months = [m for m in period.months if m <= period.today]
    table = Table(
        "nutrition",
        _("Gizi balita per bulan"),
        [
            _("Bulan"),
            _("Balita diukur"),
            _("Stunting (%)"),
            _("n stunting"),
            _("Wasting (%)"),
            _("n wasting"),
        ],
    )
    if not months:
        return table
    board = nutrition.dashboard(
        user, month=months[-1], level="kecamatan", area=area, months_back=len(months)
    )
    t = board.trend
    for i, month in enumerate(board.months):
        table.rows.append(
            [
                month_name(month, period.today),
                t["measured"][i],
                _prev(t["stunting"][i], t["stunting_den"][i], board.min_denominator),
                t["stunting_den"][i],
                _prev(t["wasting"][i], t["wasting_den"][i], board.min_denominator),
                t["wasting_den"][i],
            ]
        )
    table.note = _("Di bawah %(n)s balita: terlalu sedikit untuk dinilai.") % {
        "n": board.min_denominator
    }
    return table


def _prev(pct: float | None, den: int, min_n: int):
    if den == 0:
        return NONE
    if den < min_n or pct is None:
        return str(TOO_FEW)
    return round(pct, 1)


def kia_table(user: User, area: str, period: Period) -> Table:
    """Births and deaths in the period from nutrition's published mortality figures (a year
    up to a day, minus the same year up to the day before the period)."""
    counts = Counter()
    last = min(period.last, period.today)
    for year in range(period.first.year, last.year + 1):
        first = max(period.first, date(year, 1, 1))
        end = min(last, date(year, 12, 31))
        upto = nutrition.mortality(user, year=year, level="kota", area=area, until=end)["total"]
        counts.update({k: upto[k] for k in ("live", "maternal", "infant", "neonatal")})
        if first > date(year, 1, 1):
            before = nutrition.mortality(
                user, year=year, level="kota", area=area, until=first - timedelta(days=1)
            )["total"]
            counts.subtract({k: before[k] for k in ("live", "maternal", "infant", "neonatal")})
    table = Table("kia", _("Kesehatan ibu dan anak"), [_("Indikator"), _("Jumlah")])
    for label, key in [
        (_("Lahir hidup"), "live"),
        (_("Kematian ibu"), "maternal"),
        (_("Kematian bayi"), "infant"),
        (_("Kematian neonatal"), "neonatal"),
    ]:
        table.rows.append([label, counts[key]])
    return table


# --- the whole report --------------------------------------------------------------------------


def build(
    user: User, scope: Scope, period: Period, by: str = "kecamatan", *, now: datetime | None = None
) -> Report:
    """Every table of the report for `scope` over `period` (breakdown `by`)."""
    now = now or timezone.now()
    by = by if by in BREAKDOWNS else "kecamatan"
    area = scope.code
    ref = referrals.report_rows(area, period.start, period.end)
    tables = [
        *response_tables(area, period, by),
        *referral_tables(ref, period),
        *bed_tables(area, period, now, ref["refusals"]),
        *homecare_tables(area, period, by),
        coverage_table(area, period),
        nutrition_table(user, area, period),
        kia_table(user, area, period),
    ]
    for t in tables:
        t.title, t.columns = str(t.title), [str(c) for c in t.columns]
        t.rows = [[str(c) if not isinstance(c, int | float) else c for c in row] for row in t.rows]
    return Report(scope, period, by, now, tables)
