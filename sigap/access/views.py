"""Access pages: the access map and table (/akses/), its CSV/XLSX export, and the population
upload. Thin views: reads through `selectors`, writes through `services`."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.core.errors import InvalidInput, SigapError
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel
from sigap.regions.models import Region

from . import engine, selectors, services

PAGE_ROLES = (Role.ANALYST, Role.ADMIN)
DEFAULT_HOUR = 8


def _office(request: HttpRequest) -> User:
    user = request.user
    if not (user.is_superuser or user.role in PAGE_ROLES):
        raise PermissionDenied
    return user


def _area(user: User) -> str:
    return user.area_code or settings.SIGAP_AREA_CODE


@dataclass
class Choice:
    area: str
    kecamatan: str
    mode: str
    hour: int
    target: str
    kecamatans: list


def choice(params, user: User) -> Choice:
    """The page's (and its export's) filters; anything unknown falls back to the default."""
    area = _area(user)
    kecamatans = list(
        Region.objects.filter(level=Region.Level.DISTRICT, code__startswith=area).order_by("name")
    )
    kec = params.get("kecamatan", "")
    kec = kec if kec in {k.code for k in kecamatans} else ""
    modes = selectors.modes()
    mode = params.get("moda", "")
    mode = mode if mode in modes else modes[0]
    try:
        hour = int(params.get("jam", DEFAULT_HOUR))
    except (TypeError, ValueError):
        hour = DEFAULT_HOUR
    hour = hour if 0 <= hour <= 23 else DEFAULT_HOUR
    target = params.get("jenis", "")
    target = target if target in engine.TARGETS else "puskesmas"
    return Choice(area, kec, mode, hour, target, kecamatans)


@login_required
def access(request: HttpRequest) -> HttpResponse:
    user = _office(request)
    c = choice(request.GET, user)
    rep = selectors.report(c.kecamatan or c.area, mode=c.mode, hour=c.hour)
    shares = {(s["target"], s["minutes"]): s for s in rep.shares}
    share_rows = [
        {
            "label": selectors.TARGET_LABELS[t],
            "cells": [shares[(t, m)] for m in engine.THRESHOLDS],
        }
        for t in engine.TARGETS
    ]
    config = {
        "tile_url": settings.SIGAP_TILE_URL,
        "target": c.target,
        "points": [
            {
                "code": r["code"],
                "name": r["name"],
                "lat": r["lat"],
                "lon": r["lon"],
                "population": r["population"],
                "minutes": r[f"{c.target}_minutes"],
                "nearest": r[f"{c.target}_nearest"],
                "status": r["status_label"],
            }
            for r in rep.rows
            if r["lat"] is not None
        ],  # fmt: skip
        "facilities": [f for f in rep.facility_points if c.target in f["targets"]],
        "i18n": {
            "population": _("Penduduk"),
            "minutes": _("Waktu tempuh"),
            "nearest": _("Terdekat"),
            "none": _("tidak ada"),
            "unknown": _("tidak diketahui"),
            "min": _("menit"),
        },
    }
    return render(
        request,
        "access/access.html",
        {
            "rep": rep,
            "c": c,
            "modes": [(m, selectors.MODE_LABELS.get(m, m)) for m in selectors.modes()],
            "hours": range(24),
            "targets": [(t, selectors.TARGET_LABELS[t]) for t in engine.TARGETS],
            "target_label": selectors.TARGET_LABELS[c.target],
            "thresholds": engine.THRESHOLDS,
            "share_rows": share_rows,
            "sources": [
                (selectors.SOURCE_LABELS[k], n, rep.population_notes.get(k, ""))
                for k, n in sorted(rep.counts["sources"].items())
            ],
            "map_config": config,
            "query": request.GET.urlencode(),
        },
    )


def export_rows(rep: selectors.AccessReport) -> tuple[list[str], list[list]]:
    """One row per kelurahan: population with its source, and per kind the minutes to the
    nearest facility and its name (empty without one)."""
    mode = str(selectors.MODE_LABELS.get(rep.mode, rep.mode))
    header = [_("Kode"), _("Kelurahan"), _("Kecamatan"), _("Penduduk"), _("Sumber penduduk"),
              _("Fasilitas di kelurahan"), _("Moda"), _("Jam")]  # fmt: skip
    for t in engine.TARGETS:
        label = str(selectors.TARGET_LABELS[t])
        header += [f"{label}: " + _("menit"), f"{label}: " + _("terdekat")]
    rows = []
    for r in rep.rows:
        row = [r["code"], r["name"], r["kecamatan"], r["population"], r["source_label"],
               r["status_label"], mode, f"{rep.hour:02d}:00"]  # fmt: skip
        for t in engine.TARGETS:
            row += [r[f"{t}_minutes"], r[f"{t}_nearest"]]
        rows.append(row)
    return [str(h) for h in header], rows


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The kelurahan table as CSV or XLSX (aggregates, no personal data)."""
    user = _office(request)
    c = choice(request.GET, user)
    rep = selectors.report(c.kecamatan or c.area, mode=c.mode, hour=c.hour)
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in ("csv", "xlsx") else "csv"
    header, rows = export_rows(rep)
    name = f"akses-{rep.area_code}-{c.mode}-{c.hour:02d}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes("akses", header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            exports.csv_text(header, rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def population_upload(request: HttpRequest) -> HttpResponse:
    """Upload population per kelurahan (CSV/XLSX): all rows or none, refusals listed."""
    user = _office(request)
    upload, error, rejections = None, None, []
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        file = request.FILES.get("file") if length <= services.MAX_UPLOAD_BYTES + 65536 else None
        try:
            if length > services.MAX_UPLOAD_BYTES + 65536:
                raise InvalidInput(_("Berkas terlalu besar (paling besar 5 MB)."), field="file")
            if file is None:
                raise InvalidInput(_("Pilih berkas CSV atau XLSX."), field="file")
            upload = services.import_population(
                Actor.from_request(request, channel=Channel.WEB), file.name, file.read(),
                _area(user),
            )  # fmt: skip
        except services.PopulationRefused as exc:
            error, rejections = exc, exc.rejections
        except SigapError as exc:
            error = exc
    return render(
        request,
        "access/population.html",
        {
            "upload": upload,
            "error": error,
            "rejections": rejections[:500],
            "more": max(0, len(rejections) - 500),
        },  # fmt: skip
        status=error.status if error else 200,
    )
