# ruff: noqa: S608 - raw SQL here names tables from the models; every value is bound.
"""Read side of coverage: shares by area, breakdowns, the monthly trend, UHC status, the
uninsured list and the rejection report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.regions.models import Region
from sigap.regions.services import mask_nik

from . import conf
from .models import (
    CoverageStat,
    Enrolment,
    EnrolmentStatus,
    Membership,
    QuotaRun,
    RejectedRow,
    RejectReason,
    Resident,
    ResidentStatus,
    Segment,
    Snapshot,
    WelfareEntry,
)

# (label, lowest age, highest age) in whole years; None = open
AGE_GROUPS = (("0-4", 0, 4), ("5-14", 5, 14), ("15-24", 15, 24), ("25-44", 25, 44),
              ("45-59", 45, 59), ("60+", 60, None))  # fmt: skip


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Uhc:
    coverage: float | None
    active: float | None  # active members / members
    pemda: float | None  # PBI APBD members / population
    predicate: bool
    award: str  # "utama", "madya", "pratama" or ""

    @property
    def award_label(self) -> str:
        return {"utama": _("Utama"), "madya": _("Madya"), "pratama": _("Pratama")}.get(
            self.award, _("belum")
        )


def uhc_status(population: int, covered: int, active: int, pemda: int) -> Uhc:
    """The UHC predicate and UHC Awards category of reference/indonesia.md (thresholds in
    `conf.uhc()`)."""
    t = conf.uhc()
    cov, act, pem = share(covered, population), share(active, covered), share(pemda, population)
    if cov is None or act is None:
        return Uhc(cov, act, pem, False, "")
    predicate = cov > t.predicate_coverage and act > t.predicate_active
    award = ""
    if cov >= t.utama_coverage and act >= t.utama_active and (pem >= t.utama_pemda or act >= 1):
        award = "utama"
    elif cov >= t.madya_coverage and (
        act >= t.madya_active or (pem >= t.madya_alt_pemda and act >= t.madya_alt_active)
    ):
        award = "madya"
    elif cov >= t.pratama_coverage and act >= t.pratama_active:
        award = "pratama"
    return Uhc(cov, act, pem, predicate, award)


def latest_period() -> date | None:
    return CoverageStat.objects.order_by("-period").values_list("period", flat=True).first()


def _with_shares(row: dict) -> dict:
    row["uncovered"] = row["population"] - row["covered"]
    row["coverage"] = share(row["covered"], row["population"])
    row["active_share"] = share(row["active"], row["covered"])
    row["uhc"] = uhc_status(row["population"], row["covered"], row["active"], row["pemda"])
    return row


def coverage_by_area(area_code: str, level: str = "kelurahan", period: date | None = None):
    """Coverage rows for every kelurahan (10), kecamatan (6) or the area itself, from the
    month's statistics, with names and shares."""
    period = period or latest_period()
    if period is None:
        return []
    width = {"kelurahan": 10, "kecamatan": 6, "area": len(area_code)}[level]
    totals: dict[str, dict] = {}
    stats = CoverageStat.objects.filter(period=period, kelurahan_code__startswith=area_code)
    for st in stats.values_list("kelurahan_code", "population", "covered", "active", "pemda"):
        code = st[0][:width]
        t = totals.setdefault(code, {"code": code, "population": 0, "covered": 0, "active": 0,
                                     "pemda": 0})  # fmt: skip
        for key, value in zip(("population", "covered", "active", "pemda"), st[1:], strict=True):
            t[key] += value
    names = dict(Region.objects.filter(code__in=totals).values_list("code", "name"))
    rows = []
    for code in sorted(totals):
        row = _with_shares(totals[code])
        row["name"] = names.get(code, code)
        rows.append(row)
    return rows


def area_summary(area_code: str, period: date | None = None) -> dict:
    rows = coverage_by_area(area_code, "area", period)
    empty = {"code": area_code, "population": 0, "covered": 0, "active": 0, "pemda": 0}
    return rows[0] if rows else _with_shares(empty) | {"name": area_code}


def trend(area_code: str) -> list[dict]:
    """Coverage of the area per imported month."""
    rows = (
        CoverageStat.objects.filter(kelurahan_code__startswith=area_code)
        .values("period")
        .annotate(
            population=Sum("population"), covered=Sum("covered"), active=Sum("active"),
            pemda=Sum("pemda"),
        )
        .order_by("period")
    )  # fmt: skip
    return [_with_shares(dict(r)) for r in rows]


def _age_cut(today: date, years: int) -> date:
    """The latest birth date of someone aged `years` or more today."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def breakdown(area_code: str, by: str, today: date | None = None) -> list[dict]:
    """Alive residents of the area, covered and active, by segment, sex or age group (from
    the registers in force, one SQL statement)."""
    today = today or timezone.localdate()
    r, m = Resident._meta.db_table, Membership._meta.db_table
    params: list = []
    if by == "segment":
        key = "COALESCE(m.segment, '-')"
    elif by == "sex":
        key = "COALESCE(NULLIF(r.sex, ''), '-')"
    elif by == "age":
        cases = []
        for label, low, _high in reversed(AGE_GROUPS):
            cases.append("WHEN r.birth_date <= %s THEN %s")
            params += [_age_cut(today, low), label]
        key = "CASE WHEN r.birth_date IS NULL THEN '-' " + " ".join(cases) + " ELSE '-' END"
    else:
        raise ValueError(by)
    sql = f"""SELECT {key} AS k, COUNT(*), COUNT(m.id),
                     SUM(CASE WHEN m.active THEN 1 ELSE 0 END),
                     SUM(CASE WHEN m.segment = 'PBI-APBD' THEN 1 ELSE 0 END)
              FROM {r} r LEFT JOIN {m} m ON m.nik = r.nik
              WHERE r.status = 'alive' AND r.kelurahan_code LIKE %s
              GROUP BY 1"""
    with connection.cursor() as cur:
        cur.execute(sql, [*params, area_code + "%"])
        found = {row[0]: row[1:] for row in cur.fetchall()}
    if by == "segment":
        order = [*Segment.values, "-"]
        labels = {**dict(Segment.choices), "-": _("Belum terdaftar")}
    elif by == "sex":
        order, labels = ["L", "P", "-"], {"L": _("Laki-laki"), "P": _("Perempuan"),
                                          "-": _("Tidak diketahui")}  # fmt: skip
    else:
        order = [g[0] for g in AGE_GROUPS] + ["-"]
        labels = {g[0]: g[0] for g in AGE_GROUPS} | {"-": _("Tidak diketahui")}
    out = []
    for k in order:
        if k not in found:
            continue
        pop, cov, act, pem = (int(v or 0) for v in found[k])
        row = _with_shares({"code": k, "population": pop, "covered": cov, "active": act,
                            "pemda": pem})  # fmt: skip
        row["name"] = str(labels.get(k, k))
        out.append(row)
    return out


# --- person-level lists (analyst / admin only: callers check the role) -----------------------

UNINSURED_COLUMNS = ["nik", "nama", "jenis_kelamin", "tanggal_lahir", "kode_kelurahan",
                     "kelurahan", "alamat", "desil"]  # fmt: skip


def uninsured(area_code: str, kelurahan: str = ""):
    """Alive residents of the area (or one kelurahan) with no JKN membership."""
    members = Membership.objects.values("nik")
    qs = Resident.objects.filter(
        status=ResidentStatus.ALIVE, kelurahan_code__startswith=kelurahan or area_code
    )
    return qs.exclude(nik__in=members).order_by("kelurahan_code", "nik")


def uninsured_rows(area_code: str, kelurahan: str = "", *, masked: bool = True,
                   ids: list[int] | None = None) -> list[list]:  # fmt: skip
    """Rows of the uninsured list: NIK masked and no address unless `masked` is False (the
    audited export)."""
    qs = uninsured(area_code, kelurahan)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    people = list(qs.values_list("nik", "name", "sex", "birth_date", "kelurahan_code",
                                 "address"))  # fmt: skip
    names = dict(Region.objects.filter(code__in={p[4] for p in people}).values_list("code", "name"))
    deciles = dict(
        WelfareEntry.objects.filter(nik__in=[p[0] for p in people]).values_list("nik", "decile")
    )
    return [
        [mask_nik(p[0]) if masked else p[0], p[1], p[2], p[3].isoformat() if p[3] else "",
         p[4], names.get(p[4], ""), "" if masked else p[5], deciles.get(p[0], "")]
        for p in people
    ]  # fmt: skip


REJECTION_COLUMNS = ["baris", "nik", "alasan", "keterangan"]


def rejection_rows(snapshot: Snapshot, *, masked: bool = True, limit=None) -> list[list]:
    qs = RejectedRow.objects.filter(snapshot=snapshot).order_by("row_number")
    if limit:
        qs = qs[:limit]

    labels = dict(RejectReason.choices)
    return [
        [r.row_number, mask_nik(r.nik) if masked else r.nik, str(labels.get(r.reason, r.reason)),
         r.detail]
        for r in qs
    ]  # fmt: skip


def write_rejections_csv(snapshot: Snapshot, fh: IO[str], *, masked: bool = True) -> None:
    writer = exports.csv_writer(fh)
    writer.writerow(REJECTION_COLUMNS)
    writer.writerows(rejection_rows(snapshot, masked=masked))


def rejection_summary(snapshot: Snapshot) -> list[tuple[str, int]]:
    labels = dict(RejectReason.choices)
    rows = (
        RejectedRow.objects.filter(snapshot=snapshot)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return [(str(labels.get(r["reason"], r["reason"])), r["n"]) for r in rows]


# --- quota ------------------------------------------------------------------------------------


def enrolment_counts(run: QuotaRun) -> dict[str, int]:
    counts = dict(
        run.enrolments.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {s: counts.get(s, 0) for s in EnrolmentStatus.values}


ENROLMENT_COLUMNS = ["no", "nik", "nama", "jenis_kelamin", "tanggal_lahir", "no_kk",
                     "kode_kelurahan", "alamat", "segmen", "skor", "alasan", "status"]  # fmt: skip


def enrolment_rows(run: QuotaRun) -> list[list]:
    """The BPJS enrolment list of a run (full NIK: it goes to BPJS; callers audit it)."""
    enrolments = list(run.enrolments.order_by("rank"))
    people = {p.nik: p for p in Resident.objects.filter(nik__in=[e.nik for e in enrolments])}
    rows = []
    for e in enrolments:
        p = people.get(e.nik)
        rows.append([
            e.rank, e.nik, p.name if p else "", p.sex if p else "",
            p.birth_date.isoformat() if p and p.birth_date else "",
            p.family_card if p else "", e.kelurahan_code, p.address if p else "",
            "PBI-APBD", e.score, e.reasons, e.status,
        ])  # fmt: skip
    return rows


def open_enrolment_niks() -> set[str]:
    return set(
        Enrolment.objects.filter(
            status__in=[EnrolmentStatus.PROPOSED, EnrolmentStatus.SUBMITTED]
        ).values_list("nik", flat=True)
    )


def month_quota(area_code: str, month: date) -> dict:
    """The PBI APBD quota of `month` in `area_code`: the live runs of areas inside it, the
    residents they chose (used) of their quota (`total`); without a run `run` is False and
    `total` None. `configured` is the monthly quota of the settings."""
    runs = QuotaRun.objects.filter(
        program=QuotaRun.Program.JKN,
        period=month.replace(day=1),
        status=QuotaRun.Status.DONE,
        area_code__startswith=area_code,
    ).aggregate(used=Sum("selected"), total=Sum("quota"))
    if runs["total"] is None:
        return {"run": False, "used": 0, "total": None, "configured": conf.monthly_quota()}
    return {"run": True, "used": runs["used"] or 0, "total": runs["total"],
            "configured": conf.monthly_quota()}  # fmt: skip
