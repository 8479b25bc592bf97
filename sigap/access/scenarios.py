"""Siting scenarios: the planning page's operations on top of the access analysis.

A scenario asks for at most K sites (new Puskesmas at kelurahan centroids or at points the
analyst adds, and/or existing Pustu upgraded to Puskesmas) that maximise the population within
T minutes of a Puskesmas (maximal covering) or minimise the population-weighted minutes to the
nearest one (p-median). The problem is the same `planning.SitingProblem` that
`sigap plan sites` solves: demand = the area's kelurahan centroids with their population,
columns = the Puskesmas already open near the area (open) followed by the candidates. The
exact plan (HiGHS) and the greedy plan are both kept, with the figures before and after.

Small problems are solved in the request; large ones in the background (`tasks.py`).
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import InvalidInput, NotFound
from sigap.core.services import Actor, record_audit, require_area
from sigap.core.travel import get_estimator, haversine_km
from sigap.core.workflow import Workflow
from sigap.facilities.models import Kind
from sigap.regions.models import Region

from . import engine, planning, selectors
from .models import Scenario
from .services import require_office

SCENARIOS = Workflow.of(
    "access.scenario",
    Scenario,
    {
        Scenario.Status.QUEUED: {Scenario.Status.RUNNING, Scenario.Status.FAILED},
        Scenario.Status.RUNNING: {Scenario.Status.DONE, Scenario.Status.FAILED},
    },
)

OBJECTIVES = {
    "covering": gettext_lazy("Cakupan maksimal (penduduk dalam T menit)"),
    "median": gettext_lazy("p-median (rata-rata waktu tempuh terkecil)"),
}
WEIGHTS = {
    "none": gettext_lazy("Tanpa bobot (jumlah penduduk)"),
    "need": gettext_lazy("Bobot kebutuhan: tanpa fasilitas x2, hanya Pustu x1,5"),
}
NEED_WEIGHT = {"none": 2.0, "pustu_only": 1.5}
SITE_KIND_LABELS = {
    "upgrade": gettext_lazy("Pustu ditingkatkan menjadi Puskesmas"),
    "new": gettext_lazy("Puskesmas baru di titik tengah kelurahan"),
    "point": gettext_lazy("Puskesmas baru di titik usulan"),
}
THRESHOLDS = engine.THRESHOLDS
MAX_K = 50
MAX_SECONDS = 600.0
MAX_POINTS = 50
# a point the analyst adds lies within this distance of one of the area's kelurahan centroids
POINT_RADIUS_KM = 5.0
# open Puskesmas across the border count when within this margin of the area (degrees)
BORDER_MARGIN_DEG = 0.3
# table cells (demand points x columns): beyond SYNC_CELLS the plan runs in the background,
# beyond MAX_CELLS the area is too large for one table (choose a kab/kota or kecamatan)
SYNC_CELLS = 250_000
SYNC_SECONDS = 30.0
MAX_CELLS = 6_000_000


@dataclass(frozen=True)
class PlanParams:
    """What the analyst asks for. `points`: (name, lat, lon) of proposed new sites."""

    name: str
    k: int
    objective: str = "covering"
    minutes: float = 30.0
    new_sites: bool = True
    upgrades: bool = True
    points: tuple[tuple[str, float, float], ...] = ()
    weights: str = "none"
    mode: str = "motorbike"
    hour: int = 8
    seconds: float = 20.0
    area: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["points"] = [{"name": n, "lat": la, "lon": lo} for n, la, lo in self.points]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanParams:
        data = dict(data)
        data["points"] = tuple((p["name"], p["lat"], p["lon"]) for p in data.get("points", ()))
        return cls(**data)


@dataclass
class Table:
    """The siting problem of an area with the labels to read its answer."""

    problem: planning.SitingProblem
    villages: list[dict]
    sites: list[dict]  # one per column: open Puskesmas first, then candidates
    n_open: int
    population: np.ndarray
    notes: dict = field(default_factory=dict)


# --- input -------------------------------------------------------------------------------------


def _number(value: Any, name: str, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("%(f)s harus berupa angka.") % {"f": label}, field=name) from None
    if not math.isfinite(number):
        raise InvalidInput(_("%(f)s harus berupa angka.") % {"f": label}, field=name)
    return number


def parse_points(text: str) -> tuple[tuple[str, float, float], ...]:
    """Lines `name; latitude; longitude` (comma as decimal mark allowed when ';' separates)."""
    points = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in (line.split(";") if ";" in line else line.split(","))]
        if len(parts) != 3 or not parts[0]:
            raise InvalidInput(
                _("Baris %(n)d: tulis 'nama; lintang; bujur'.") % {"n": n}, field="points"
            )
        lat = _number(parts[1].replace(",", "."), "points", _("Lintang"))
        lon = _number(parts[2].replace(",", "."), "points", _("Bujur"))
        points.append((parts[0][:80], lat, lon))
    return tuple(points)


def clean_params(actor: Actor, data: dict[str, Any]) -> PlanParams:
    """The request as PlanParams; InvalidInput (field named) on the first bad value."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput(_("Beri nama skenario."), field="name")
    if len(name) > Scenario._meta.get_field("name").max_length:
        raise InvalidInput(_("Nama skenario terlalu panjang."), field="name")
    k = _number(data.get("k"), "k", _("Jumlah lokasi (K)"))
    if not k.is_integer() or k < 0:
        raise InvalidInput(_("K harus bilangan bulat 0 atau lebih."), field="k")
    if k > MAX_K:
        raise InvalidInput(_("K paling besar %(n)d.") % {"n": MAX_K}, field="k")
    minutes = _number(data.get("minutes", 30), "minutes", _("Batas waktu tempuh (T)"))
    if minutes <= 0 or minutes > 240:
        raise InvalidInput(_("T harus lebih dari 0 dan paling lama 240 menit."), field="minutes")
    objective = data.get("objective") or "covering"
    if objective not in OBJECTIVES:
        raise InvalidInput(_("Tujuan perencanaan tidak dikenal."), field="objective")
    weights = data.get("weights") or "none"
    if weights not in WEIGHTS:
        raise InvalidInput(_("Bobot tidak dikenal."), field="weights")
    mode = data.get("mode") or selectors.modes()[0]
    if mode not in selectors.modes():
        raise InvalidInput(_("Moda perjalanan tidak dikenal."), field="mode")
    hour = _number(data.get("hour", 8), "hour", _("Jam"))
    if not hour.is_integer() or not 0 <= hour <= 23:
        raise InvalidInput(_("Jam harus 0 sampai 23."), field="hour")
    seconds = _number(data.get("seconds", 20), "seconds", _("Batas waktu hitung"))
    if not 1 <= seconds <= MAX_SECONDS:
        raise InvalidInput(
            _("Batas waktu hitung 1 sampai %(n)d detik.") % {"n": int(MAX_SECONDS)},
            field="seconds",
        )
    points = data.get("points") or ()
    if isinstance(points, str):
        points = parse_points(points)
    else:
        if not all(isinstance(p, dict) for p in points):
            raise InvalidInput(_("Titik usulan harus berisi nama, lintang, bujur."), field="points")
        points = tuple(
            (str(p.get("name") or "")[:80].strip() or _("Titik usulan"),
             _number(p.get("lat"), "points", _("Lintang")),
             _number(p.get("lon"), "points", _("Bujur")))
            for p in points
        )  # fmt: skip
    if len(points) > MAX_POINTS:
        raise InvalidInput(
            _("Paling banyak %(n)d titik usulan.") % {"n": MAX_POINTS}, field="points"
        )
    area = str(data.get("area") or "")
    user = actor.user
    default_area = (user.area_code if user is not None else "") or ""
    if not area:
        area = default_area or settings.SIGAP_AREA_CODE
    if not re.fullmatch(r"[0-9]{2}|[0-9]{4}|[0-9]{6}", area):
        raise InvalidInput(_("Kode wilayah tidak dikenal."), field="area")
    if user is not None:
        require_area(actor, area)
    return PlanParams(
        name=name,
        k=int(k),
        objective=objective,
        minutes=minutes,
        new_sites=bool(data.get("new_sites", False)),
        upgrades=bool(data.get("upgrades", False)),
        points=points,
        weights=weights,
        mode=mode,
        hour=int(hour),
        seconds=seconds,
        area=area,
    )


# --- the table ---------------------------------------------------------------------------------


def build_table(params: PlanParams) -> Table:
    """Demand rows and site columns of the area; InvalidInput when there is nothing to choose,
    K exceeds the candidates, or the area is too large for one table."""
    area = params.area
    regions = (
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area)
        .select_related("parent")
        .order_by("code")
    )
    all_villages = list(regions)
    if not all_villages:
        raise InvalidInput(_("Wilayah ini tidak punya kelurahan."), field="area")
    pop = selectors.population(all_villages)
    fac = selectors.facilities(area)
    here: dict[str, set[str]] = {}
    for kind, village in zip(fac.kinds, fac.villages, strict=True):
        here.setdefault(village, set()).add(kind)
    villages = []
    for v in all_villages:
        if v.latitude is None or v.longitude is None:
            continue
        kinds = here.get(v.code, set())
        status = (
            "puskesmas" if kinds & {Kind.PUSKESMAS, Kind.HOSPITAL}
            else "pustu_only" if Kind.PUSTU in kinds else "none"
        )  # fmt: skip
        villages.append({
            "code": v.code, "name": v.name, "kecamatan_code": v.parent_id or "",
            "kecamatan": v.parent.name if v.parent else "", "lat": float(v.latitude),
            "lon": float(v.longitude), "population": int(pop.figures[v.code] or 0),
            "status": status,
        })  # fmt: skip
    if not villages:
        raise InvalidInput(_("Tidak ada kelurahan berkoordinat di wilayah ini."), field="area")
    lat = np.array([v["lat"] for v in villages])
    lon = np.array([v["lon"] for v in villages])
    lo_lat, hi_lat = lat.min() - BORDER_MARGIN_DEG, lat.max() + BORDER_MARGIN_DEG
    lo_lon, hi_lon = lon.min() - BORDER_MARGIN_DEG, lon.max() + BORDER_MARGIN_DEG
    sites: list[dict] = []
    for i, kind in enumerate(fac.kinds):
        if (
            kind == Kind.PUSKESMAS
            and lo_lat <= fac.lat[i] <= hi_lat
            and lo_lon <= fac.lon[i] <= hi_lon
        ):
            sites.append({"kind": "open", "name": fac.names[i], "lat": float(fac.lat[i]),
                          "lon": float(fac.lon[i]), "kelurahan": fac.villages[i]})  # fmt: skip
    n_open = len(sites)
    names = {v["code"]: v["name"] for v in villages}
    if params.upgrades:
        for i, kind in enumerate(fac.kinds):
            if kind == Kind.PUSTU and fac.villages[i].startswith(area):
                sites.append({"kind": "upgrade", "name": fac.names[i], "lat": float(fac.lat[i]),
                              "lon": float(fac.lon[i]), "kelurahan": fac.villages[i]})  # fmt: skip
    if params.new_sites:
        for v in villages:
            sites.append({"kind": "new", "name": v["name"], "lat": v["lat"], "lon": v["lon"],
                          "kelurahan": v["code"]})  # fmt: skip
    for name, plat, plon in params.points:
        km = haversine_km(plat, plon, lat, lon)
        nearest = int(np.argmin(km))
        if not -90 <= plat <= 90 or not -180 <= plon <= 180 or km[nearest] > POINT_RADIUS_KM:
            raise InvalidInput(
                _("Titik '%(name)s' berada di luar wilayah.") % {"name": name}, field="points"
            )
        sites.append({"kind": "point", "name": name, "lat": plat, "lon": plon,
                      "kelurahan": villages[nearest]["code"]})  # fmt: skip
    candidates = len(sites) - n_open
    if candidates == 0:
        raise InvalidInput(
            _("Tidak ada calon lokasi: pilih Pustu, kelurahan, atau tambahkan titik."),
            field="sites",
        )
    if params.k > candidates:
        raise InvalidInput(
            _("K (%(k)d) lebih besar dari jumlah calon lokasi (%(n)d).")
            % {"k": params.k, "n": candidates},
            field="k",
        )
    if len(villages) * len(sites) > MAX_CELLS:
        raise InvalidInput(
            _("Wilayah terlalu besar untuk satu rencana; pilih kab/kota atau kecamatan."),
            field="area",
        )
    for s in sites:
        s["kelurahan_name"] = names.get(s["kelurahan"], "")
    s_lat = np.array([s["lat"] for s in sites])
    s_lon = np.array([s["lon"] for s in sites])
    at = selectors._at_hour(area, params.hour)
    minutes = np.asarray(
        get_estimator().minutes(lat[:, None], lon[:, None], s_lat[None, :], s_lon[None, :],
                                at=at, mode=params.mode),
        dtype=float,
    ).reshape(len(villages), len(sites))  # fmt: skip
    population = np.array([v["population"] for v in villages], dtype=float)
    weights = None
    if params.weights == "need":
        weights = np.array([NEED_WEIGHT.get(v["status"], 1.0) for v in villages])
    problem = planning.SitingProblem(
        population=population,
        minutes=minutes,
        open=tuple(range(n_open)),
        k=params.k,
        limit_minutes=params.minutes,
        weights=weights,
    )
    return Table(problem, villages, sites, n_open, population)


def runs_in_background(table: Table, params: PlanParams) -> bool:
    cells = table.problem.demand_count * table.problem.candidate_count
    return cells > SYNC_CELLS or params.seconds > SYNC_SECONDS


# --- solving and figures -----------------------------------------------------------------------


def _plan_json(table: Table, plan: planning.SitingPlan) -> dict:
    def finite(x: float) -> float | None:
        return round(float(x), 3) if math.isfinite(x) else None

    return {
        "sites": [_site_json(table, j) for j in plan.chosen],
        "covered_population": finite(plan.covered_population),
        "objective": finite(plan.objective),
        "bound": finite(plan.bound),
        "gap": finite(plan.gap),
        "status": plan.status,
        "method": plan.method,
        "seconds": round(plan.seconds, 3),
    }


def _site_json(table: Table, j: int) -> dict:
    s = table.sites[j]
    return {
        "column": int(j),
        "kind": s["kind"],
        "kind_label": str(SITE_KIND_LABELS.get(s["kind"], s["kind"])),
        "name": s["name"],
        "lat": s["lat"],
        "lon": s["lon"],
        "kelurahan": s["kelurahan"],
        "kelurahan_name": s["kelurahan_name"],
    }


def nearest_minutes(table: Table, chosen: tuple[int, ...] | list[int]) -> np.ndarray:
    """Minutes from every demand point to the nearest open or chosen site (inf if none)."""
    columns = sorted(set(range(table.n_open)) | {int(j) for j in chosen})
    if not columns:
        return np.full(table.problem.demand_count, np.inf)
    return table.problem.minutes[:, columns].min(axis=1)


def figures(table: Table, chosen: tuple[int, ...] | list[int], limit: float) -> dict:
    """Population within 15/30/60 (and T) minutes of a Puskesmas before and after the plan,
    the population that gains access, per kecamatan, and per kelurahan for the map."""
    pop = table.population
    before = nearest_minutes(table, ())
    after = nearest_minutes(table, chosen)
    thresholds = sorted({*THRESHOLDS, limit})

    def within(mins: np.ndarray, mask: np.ndarray | None = None) -> dict[str, int]:
        sel = np.ones(len(pop), bool) if mask is None else mask
        return {_key(t): int(pop[sel & (mins <= t)].sum()) for t in thresholds}

    def block(mask: np.ndarray | None = None) -> dict:
        b, a = within(before, mask), within(after, mask)
        return {"before": b, "after": a, "gain": {t: a[t] - b[t] for t in b}}

    kecamatan = []
    for code in sorted({v["kecamatan_code"] for v in table.villages}):
        mask = np.array([v["kecamatan_code"] == code for v in table.villages])
        name = next(v["kecamatan"] for v in table.villages if v["kecamatan_code"] == code)
        kecamatan.append({"code": code, "name": name, "population": int(pop[mask].sum())}
                         | block(mask))  # fmt: skip
    kelurahan = [
        {"code": v["code"], "name": v["name"], "kecamatan": v["kecamatan"], "lat": v["lat"],
         "lon": v["lon"], "population": v["population"], "before": _mins(before[i]),
         "after": _mins(after[i])}
        for i, v in enumerate(table.villages)
    ]  # fmt: skip
    finite_b, finite_a = np.isfinite(before), np.isfinite(after)
    total = float(pop.sum())
    return {
        "population": int(total),
        "thresholds": [_key(t) for t in thresholds],
        "limit": _key(limit),
        "mean_minutes_before": _mean(pop, before) if finite_b.all() else None,
        "mean_minutes_after": _mean(pop, after) if finite_a.all() else None,
        **block(),
        "kecamatan": kecamatan,
        "kelurahan": kelurahan,
    }


def _key(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:g}"


def _mins(x: float) -> float | None:
    return round(float(x), 1) if math.isfinite(x) else None


def _mean(pop: np.ndarray, minutes: np.ndarray) -> float | None:
    total = pop.sum()
    return round(float(pop @ minutes / total), 1) if total else None


def solve(table: Table, params: PlanParams) -> dict:
    """The exact plan (HiGHS, within the time limit) and the greedy plan, with figures."""
    problem = table.problem
    if params.objective == "median":
        exact = planning.solve_p_median(problem, seconds=params.seconds)
        greedy = planning.greedy_p_median(problem)
    else:
        exact = planning.solve_max_covering(problem, seconds=params.seconds)
        greedy = planning.greedy_max_covering(problem)
    return {
        "exact": _plan_json(table, exact),
        "greedy": _plan_json(table, greedy),
        "figures": figures(table, exact.chosen, params.minutes),
        "greedy_figures": {
            k: v
            for k, v in figures(table, greedy.chosen, params.minutes).items()
            if k in ("before", "after", "gain", "mean_minutes_after")
        },
        "open_sites": [
            {"name": s["name"], "lat": s["lat"], "lon": s["lon"]}
            for s in table.sites[: table.n_open]
        ],
        "candidates": len(table.sites) - table.n_open,
        "demand_points": problem.demand_count,
    }


# --- the scenario rows -------------------------------------------------------------------------


def create_scenario(actor: Actor, data: dict[str, Any], *, synthetic: bool = False) -> Scenario:
    """Check the request, then solve it here (small) or queue it (large). A refusal writes
    nothing; a solved scenario is saved with its result in one transaction."""
    require_office(actor)
    params = clean_params(actor, data)
    table = build_table(params)
    background = runs_in_background(table, params)
    result = None if background else solve(table, params)
    with transaction.atomic():
        scenario = Scenario.objects.create(
            name=params.name,
            area_code=params.area,
            params=params.as_json(),
            result=result,
            status=Scenario.Status.QUEUED if background else Scenario.Status.DONE,
            created_by=actor.user,
            is_synthetic=synthetic,
        )
        record_audit(
            actor,
            "access.scenario.create",
            scenario,
            after={"name": scenario.name, "area_code": scenario.area_code, "k": params.k,
                   "objective": params.objective, "status": scenario.status},
        )  # fmt: skip
        if background:
            from .tasks import run_scenario

            pk = scenario.pk
            transaction.on_commit(lambda: run_scenario.enqueue(pk))
    return scenario


def run_queued(scenario_id: int) -> Scenario:
    """The background half: queued -> running -> done (or failed with the reason)."""
    actor = Actor.system("access.scenario")
    scenario = Scenario.objects.get(pk=scenario_id)
    SCENARIOS.move(actor, scenario, Scenario.Status.RUNNING)
    try:
        params = PlanParams.from_json(scenario.params)
        result = solve(build_table(params), params)
    except InvalidInput as exc:  # the area changed since the request (a facility closed)
        SCENARIOS.move(actor, scenario, Scenario.Status.FAILED,
                       changes={"error": str(exc.message)[:500]})  # fmt: skip
        return scenario
    except Exception:
        SCENARIOS.move(actor, scenario, Scenario.Status.FAILED,
                       changes={"error": _("Perhitungan gagal; coba lagi.")})  # fmt: skip
        raise
    SCENARIOS.move(actor, scenario, Scenario.Status.DONE, changes={"result": result})
    return scenario


def visible_scenarios(actor: Actor):
    """Scenarios of the caller's area (all for an unscoped office user)."""
    require_office(actor)
    rows = Scenario.objects.select_related("created_by")
    area = actor.user.area_code if actor.user is not None else ""
    return rows.filter(area_code__startswith=area) if area else rows


def get_scenario(actor: Actor, public_id: Any) -> Scenario:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(_("Skenario tidak ditemukan."), field="id") from None
    scenario = visible_scenarios(actor).filter(public_id=key).first()
    if scenario is None:
        raise NotFound(_("Skenario tidak ditemukan."), field="id")
    return scenario


# --- comparing ---------------------------------------------------------------------------------


def compare(scenarios: list[Scenario]) -> dict:
    """Side by side: per scenario the population within 15/30/60 minutes (and within each
    scenario's T) before and after and the gain; per kecamatan the gain within each
    scenario's T. Only finished scenarios."""
    if not scenarios:
        raise InvalidInput(_("Pilih setidaknya satu skenario."), field="ids")
    done = [s for s in scenarios if s.status == Scenario.Status.DONE and s.result]
    if len(done) != len(scenarios):
        raise InvalidInput(_("Skenario yang belum selesai tidak dapat dibandingkan."), field="ids")
    # 15/30/60 and every scenario's own T (a key missing from a scenario answers None)
    keys = sorted({t for s in done for t in s.result["figures"]["thresholds"]}, key=float)
    columns = []
    kecamatan: dict[str, dict] = {}
    for s in done:
        f = s.result["figures"]
        columns.append({
            "id": str(s.public_id), "name": s.name, "params": s.params,
            "sites": s.result["exact"]["sites"], "gap": s.result["exact"]["gap"],
            "population": f["population"],
            "before": {t: f["before"].get(t) for t in keys},
            "after": {t: f["after"].get(t) for t in keys},
            "gain": {t: f["gain"].get(t) for t in keys},
            "limit": f["limit"], "gain_limit": f["gain"][f["limit"]],
            "mean_minutes_before": f["mean_minutes_before"],
            "mean_minutes_after": f["mean_minutes_after"],
        })  # fmt: skip
        for k in f["kecamatan"]:
            row = kecamatan.setdefault(
                k["code"], {"code": k["code"], "name": k["name"], "population": k["population"],
                            "gain": []},
            )  # fmt: skip
            row["gain"].append(k["gain"][f["limit"]])
    width = len(done)
    rows = sorted(kecamatan.values(), key=lambda r: r["name"])
    for r in rows:
        r["gain"] += [None] * (width - len(r["gain"]))
    figures_by_t = [
        {"t": t, **{part: [c[part][t] for c in columns] for part in ("before", "after", "gain")}}
        for t in keys
    ]
    return {"scenarios": columns, "kecamatan": rows, "thresholds": keys, "rows": figures_by_t}


def compare_rows(data: dict) -> tuple[list[str], list[list]]:
    """The comparison as one table (for CSV/XLSX): one row per figure, one column per
    scenario."""
    header = [_("Ukuran")] + [c["name"] for c in data["scenarios"]]
    rows: list[list] = []
    cols = data["scenarios"]
    rows.append([_("Lokasi dipilih")] + ["; ".join(s["name"] for s in c["sites"]) for c in cols])
    gaps = [None if c["gap"] is None else round(100 * c["gap"], 2) for c in cols]
    rows.append([_("Celah optimalitas (%)"), *gaps])
    rows.append([_("Penduduk")] + [c["population"] for c in cols])
    for t in data["thresholds"]:
        rows.append([_("Dalam %(t)s menit, sebelum") % {"t": t}] + [c["before"][t] for c in cols])
        rows.append([_("Dalam %(t)s menit, sesudah") % {"t": t}] + [c["after"][t] for c in cols])
        rows.append([_("Mendapat akses dalam %(t)s menit") % {"t": t}]
                    + [c["gain"][t] for c in cols])  # fmt: skip
    rows.append([_("Rata-rata menit, sebelum")] + [c["mean_minutes_before"] for c in cols])
    rows.append([_("Rata-rata menit, sesudah")] + [c["mean_minutes_after"] for c in cols])
    for k in data["kecamatan"]:
        rows.append([_("Kec. %(name)s: mendapat akses dalam T") % {"name": k["name"]}] + k["gain"])
    return [str(h) for h in header], rows
