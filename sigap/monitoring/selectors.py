"""Read side of the health office's situation page: one set of figures for an area, read
through the capabilities' published selectors (monitoring is a reader app), and the scope
rule that decides which area an office user may see."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import selectors as beds
from sigap.core.errors import NotAuthenticated, NotFound
from sigap.core.models import Role, User
from sigap.coverage import selectors as coverage
from sigap.emergency import selectors as emergency
from sigap.homecare import selectors as homecare
from sigap.nutrition import selectors as nutrition
from sigap.referrals import selectors as referrals
from sigap.regions.models import Region

OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)
PROVINCE_LEN = 2  # a two-digit Kemendagri code is a province; four digits a kab/kota


@dataclass(frozen=True)
class Scope:
    """The area the page shows (`code`), the user's own area (`home`), and the kab/kota a
    provincial user may pick (empty for a kab/kota user)."""

    code: str
    name: str
    home: str
    kab_kota: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_province(self) -> bool:
        return len(self.code) == PROVINCE_LEN


def may_see(user: User | None) -> bool:
    """Analysts, admins and superusers (the health office)."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or user.role in OFFICE_ROLES


def _region_name(code: str) -> str:
    name = Region.objects.filter(code=code).values_list("name", flat=True).first()
    return name or _("Wilayah %(code)s") % {"code": code}


def office_scope(user: User, requested: str = "") -> Scope:
    """The area `user` sees: their own (a user without one sees the deployment's area), or
    the kab/kota `requested` inside a provincial area. Anything else is a 404, so that the
    page never tells another area's figures (nor whether that area exists)."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    home = user.area_code or settings.SIGAP_AREA_CODE
    kab_kota: list[tuple[str, str]] = []
    if len(home) == PROVINCE_LEN:
        kab_kota = list(
            Region.objects.filter(level=2, code__startswith=home)
            .order_by("name")
            .values_list("code", "name")
        )
    requested = (requested or "").strip()
    if not requested or requested == home:
        return Scope(home, _region_name(home), home, kab_kota)
    names = dict(kab_kota)
    if requested not in names:
        raise NotFound(_("Wilayah tidak ditemukan."), field="wilayah")
    return Scope(requested, names[requested], home, kab_kota)


def same_day_last_year(day: date) -> date:
    """The same calendar day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def bed_figures(area: str, now: datetime) -> dict:
    classes = beds.free_by_class(area)
    hospitals = beds.hospital_report(area or None, now=now)
    return {
        "classes": classes,
        "free": sum(c["free"] for c in classes),
        "capacity": sum(c["capacity"] for c in classes),
        "hospitals": len(hospitals),
        "stale": sum(1 for h in hospitals if h["stale"]),
        "stale_after_minutes": settings.SIGAP_BED_STALE_AFTER_MINUTES,
    }


def emergency_figures(area: str, now: datetime) -> dict:
    today = timezone.localdate(now)
    start, _end = emergency.day_bounds(today)
    rows = emergency.incident_rows(area, start, now)
    responses = [r["response"] for r in rows if r["response"] is not None]
    judged = [r["within_target"] for r in rows if r["within_target"] is not None]
    open_counts = emergency.open_incident_counts(area)
    units = emergency.units_out(area)
    return {
        "open": open_counts,
        "open_total": sum(open_counts.values()),
        "units_out": units["out"],
        "units_in_service": units["in_service"],
        "day": today.isoformat(),
        "incidents_today": len(rows),
        "response_median": round(statistics.median(responses), 1) if responses else None,
        "response_n": len(responses),
        "within_target": sum(judged),
        "judged": len(judged),
        "within_target_pct": _pct(sum(judged), len(judged)),
        "targets": sorted({r["target"] for r in rows if r["target"] is not None}),
    }


def referral_figures(area: str, now: datetime) -> dict:
    return referrals.office_counts(area, now=now)


def homecare_figures(area: str, now: datetime) -> dict:
    today = timezone.localdate(now)
    counts = homecare.visit_counts(area, today)
    return {"day": today.isoformat(), **counts, "done_pct": _pct(counts["done"], counts["planned"])}


def coverage_figures(area: str, now: datetime) -> dict:
    summary = coverage.area_summary(area)
    period = coverage.latest_period()
    month = timezone.localdate(now).replace(day=1)
    quota = coverage.month_quota(area, month)
    return {
        "period": period.isoformat() if period else None,
        "period_in_progress": bool(period and period >= month),
        "population": summary["population"],
        "covered": summary["covered"],
        "coverage_pct": _pct(summary["covered"], summary["population"]),
        "quota_month": month.isoformat(),
        "quota_run": quota["run"],
        "quota_used": quota["used"],
        "quota_total": quota["total"],
        "quota_configured": quota["configured"],
    }


def _prevalence(totals: dict, key: str, numerator: str) -> dict:
    return {
        "pct": totals[key],
        "low": totals[f"{key}_low"],
        "high": totals[f"{key}_high"],
        "k": totals[numerator],
        "n": totals[f"{key}_den"],
        "too_few": totals[f"{key}_den"] < nutrition.min_denominator(),
    }


def nutrition_figures(user: User, area: str, now: datetime) -> dict:
    month = nutrition.last_complete_month(timezone.localdate(now))
    board = nutrition.dashboard(user, month=month, level="kecamatan", area=area, months_back=1)
    quality = nutrition.quality_verdict(user, month=month, area=area)
    return {
        "month": month.isoformat(),
        "in_progress": board.in_progress,
        "min_denominator": board.min_denominator,
        "measured": board.totals["measured"],
        "stunting": _prevalence(board.totals, "stunting", "stunted"),
        "wasting": _prevalence(board.totals, "wasting", "wasted"),
        "quality": quality,
    }


def _deaths(user: User, area: str, year: int, until: date) -> dict:
    total = nutrition.mortality(user, year=year, level="kota", area=area, until=until)["total"]
    return {
        "year": year,
        "until": until.isoformat(),
        "maternal": total["maternal"],
        "infant": total["infant"],
        "live_births": total["live"],
    }


def death_figures(user: User, area: str, now: datetime) -> dict:
    today = timezone.localdate(now)
    last = same_day_last_year(today)
    return {
        "this_year": _deaths(user, area, today.year, today),
        "last_year": _deaths(user, area, last.year, last),
    }


def breakdown(codes: list[tuple[str, str]], now: datetime) -> list[dict]:
    """Per kab/kota of a province: the figures that are cheap to read per area."""
    rows = []
    for code, name in codes:
        bed = bed_figures(code, now)
        open_counts = emergency.open_incident_counts(code)
        ref = referrals.office_counts(code, now=now)
        visits = homecare.visit_counts(code, timezone.localdate(now))
        cov = coverage.area_summary(code)
        rows.append({
            "code": code, "name": name,
            "beds_free": bed["free"], "beds_capacity": bed["capacity"],
            "hospitals": bed["hospitals"], "stale": bed["stale"],
            "incidents_open": sum(open_counts.values()),
            "referrals_waiting": ref["waiting"], "referrals_escalated": ref["escalated"],
            "visits_done": visits["done"], "visits_planned": visits["planned"],
            "coverage_pct": _pct(cov["covered"], cov["population"]),
            "population": cov["population"],
        })  # fmt: skip
    return rows


def situation(user: User, scope: Scope, *, now: datetime | None = None) -> dict:
    """Every figure of the situation page for `scope`, each with its denominator."""
    now = now or timezone.now()
    area = scope.code
    return {
        "area": {"code": area, "name": scope.name, "province": scope.is_province},
        "generated_at": now.isoformat(),
        "beds": bed_figures(area, now),
        "emergency": emergency_figures(area, now),
        "referrals": referral_figures(area, now),
        "homecare": homecare_figures(area, now),
        "coverage": coverage_figures(area, now),
        "nutrition": nutrition_figures(user, area, now),
        "deaths": death_figures(user, area, now),
        "breakdown": breakdown(scope.kab_kota, now) if scope.is_province else [],
    }


def stale_hours(minutes: int) -> float:
    return timedelta(minutes=minutes).total_seconds() / 3600


EXPORT_COLUMNS = [
    "kode_wilayah", "wilayah", "tt_kosong", "tt_kapasitas", "rs", "rs_tidak_melapor",
    "insiden_terbuka", "ambulans_bertugas", "rujukan_menunggu", "rujukan_eskalasi",
    "kunjungan_selesai", "kunjungan_terjadwal", "penduduk", "peserta_jkn", "cakupan_jkn_persen",
]  # fmt: skip


def export_rows(fig: dict) -> list[list]:
    """The area's figures, then one row per kab/kota of a province (EXPORT_COLUMNS); a
    figure the breakdown does not carry is left empty."""
    b, e, r, h, c = (fig[k] for k in ("beds", "emergency", "referrals", "homecare", "coverage"))
    rows = [[
        fig["area"]["code"], fig["area"]["name"], b["free"], b["capacity"], b["hospitals"],
        b["stale"], e["open_total"], e["units_out"], r["waiting"], r["escalated"], h["done"],
        h["planned"], c["population"], c["covered"], c["coverage_pct"],
    ]]  # fmt: skip
    for k in fig["breakdown"]:
        rows.append([
            k["code"], k["name"], k["beds_free"], k["beds_capacity"], k["hospitals"], k["stale"],
            k["incidents_open"], "", k["referrals_waiting"], k["referrals_escalated"],
            k["visits_done"], k["visits_planned"], k["population"], "", k["coverage_pct"],
        ])  # fmt: skip
    return rows
