"""Planning pages: choose K sites (/akses/rencana/), one saved scenario with its exact and
greedy plan and the map before/after, and scenarios compared side by side (with CSV/XLSX).
Thin views: writes and figures through `scenarios`."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.core.errors import SigapError
from sigap.core.services import Actor, Channel

from . import scenarios, selectors
from .models import Scenario
from .views import _office

MAX_COMPARE = 4
FORM_DEFAULTS = {"k": "2", "minutes": "30", "objective": "covering", "weights": "none",
                 "mode": "motorbike", "hour": "8", "seconds": "20", "upgrades": "on",
                 "new_sites": "on", "points": "", "name": ""}  # fmt: skip


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.WEB)


def _map_i18n() -> dict:
    return {
        "before": _("Sebelum"),
        "after": _("Sesudah"),
        "population": _("Penduduk"),
        "minutes": _("Waktu tempuh ke Puskesmas"),
        "none": _("tidak ada"),
        "min": _("menit"),
        "open": _("Puskesmas yang ada"),
        "chosen": _("Lokasi terpilih"),
    }


def map_config(scenario: Scenario) -> dict:
    r = scenario.result
    return {
        "tile_url": settings.SIGAP_TILE_URL,
        "kelurahan": r["figures"]["kelurahan"],
        "open": r["open_sites"],
        "chosen": r["exact"]["sites"],
        "i18n": _map_i18n(),
    }


def _labels(params: dict) -> dict:
    return {
        "objective": scenarios.OBJECTIVES.get(params.get("objective"), ""),
        "weights": scenarios.WEIGHTS.get(params.get("weights"), ""),
        "mode": selectors.MODE_LABELS.get(params.get("mode"), params.get("mode")),
    }


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    """The form (K, objective, T, candidates, weights, mode, hour, time limit) and the saved
    scenarios of the area, to open or to compare."""
    _office(request)
    actor = _actor(request)
    form = dict(FORM_DEFAULTS)
    error = None
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in FORM_DEFAULTS}
        data = dict(form) | {"upgrades": bool(form["upgrades"]),
                             "new_sites": bool(form["new_sites"])}  # fmt: skip
        try:
            scenario = scenarios.create_scenario(actor, data)
            return redirect("access:scenario", public_id=scenario.public_id)
        except SigapError as exc:
            error = exc
    saved = list(scenarios.visible_scenarios(actor)[:100])
    return render(
        request,
        "access/plan.html",
        {
            "form": form,
            "error": error,
            "saved": saved,
            "objectives": list(scenarios.OBJECTIVES.items()),
            "weights": list(scenarios.WEIGHTS.items()),
            "modes": [(m, selectors.MODE_LABELS.get(m, m)) for m in selectors.modes()],
            "hours": range(24),
            "max_k": scenarios.MAX_K,
        },
        status=error.status if error else 200,
    )


@login_required
def scenario(request: HttpRequest, public_id: str) -> HttpResponse:
    _office(request)
    try:
        s = scenarios.get_scenario(_actor(request), public_id)
    except SigapError as exc:
        return render(request, "access/missing.html", {"error": exc}, status=exc.status)
    pending = s.status in (Scenario.Status.QUEUED, Scenario.Status.RUNNING)
    context = {"s": s, "p": s.params, "labels": _labels(s.params), "pending": pending}
    if s.status == Scenario.Status.DONE:
        r = s.result
        f = r["figures"]
        context |= {
            "r": r,
            "f": f,
            "rows": [
                {"t": t, "before": f["before"][t], "after": f["after"][t], "gain": f["gain"][t]}
                for t in f["thresholds"]
            ],
            "gap_percent": None if r["exact"]["gap"] is None else round(100 * r["exact"]["gap"], 2),
            "exact_gain": f["gain"][f["limit"]],
            "greedy_gain": r["greedy_figures"]["gain"][f["limit"]],
            "kec_rows": [
                {
                    "name": k["name"],
                    "population": k["population"],
                    "before": k["before"][f["limit"]],
                    "after": k["after"][f["limit"]],
                    "gain": k["gain"][f["limit"]],
                }
                for k in f["kecamatan"]
            ],  # fmt: skip
            "map_config": map_config(s),
        }
    return render(request, "access/scenario.html", context)


def _chosen(request: HttpRequest) -> list[Scenario]:
    actor = _actor(request)
    ids = request.GET.getlist("s")[:MAX_COMPARE]
    return [scenarios.get_scenario(actor, i) for i in dict.fromkeys(ids)]


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    _office(request)
    try:
        chosen = _chosen(request)
        data = scenarios.compare(chosen)
    except SigapError as exc:
        return render(request, "access/missing.html", {"error": exc}, status=exc.status)
    maps = [{"id": f"map-{i}", "config_id": f"map-{i}-config", "name": s.name,
             "config": map_config(s)} for i, s in enumerate(chosen)]  # fmt: skip
    for col, s in zip(data["scenarios"], chosen, strict=True):
        col["labels"] = _labels(s.params)
        col["gap_percent"] = None if col["gap"] is None else round(100 * col["gap"], 2)
    return render(
        request,
        "access/compare.html",
        {"data": data, "maps": maps, "query": request.GET.urlencode()},
    )


@login_required
def compare_export(request: HttpRequest) -> HttpResponse:
    _office(request)
    try:
        data = scenarios.compare(_chosen(request))
    except SigapError as exc:
        return render(request, "access/missing.html", {"error": exc}, status=exc.status)
    header, rows = scenarios.compare_rows(data)
    fmt = request.GET.get("format", "csv")
    if fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes("skenario", header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        fmt = "csv"
        response = HttpResponse(
            exports.csv_text(header, rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="skenario-akses.{fmt}"'
    return response
