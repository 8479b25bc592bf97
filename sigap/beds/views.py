"""Bed board pages: the public board, the hospital operator page and the health-office view.

Thin views: reads go through `selectors`, writes through `services`, and every page renders
server-side so that it works without JavaScript; the static scripts only enhance it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sigap.core.errors import InvalidInput, SigapError
from sigap.core.models import Role
from sigap.core.services import Actor
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import kelurahan_search

from . import charts, selectors, services
from .models import AplicareCredential, BedClass, BedHold, BedUpdate, Room, SirsCredential

BOARD_LIMIT = 200
REFRESH_SECONDS = 30


def age_words(minutes: int) -> str:
    """The age of a hospital's data in words ("12 menit", "3 jam", "2 hari")."""
    if minutes < 1:
        return _("kurang dari 1 menit")
    if minutes < 60:
        return ngettext("%(n)d menit", "%(n)d menit", minutes) % {"n": minutes}
    if minutes < 48 * 60:
        hours = minutes // 60
        return ngettext("%(n)d jam", "%(n)d jam", hours) % {"n": hours}
    days = minutes // (24 * 60)
    return ngettext("%(n)d hari", "%(n)d hari", days) % {"n": days}


def _age_strings() -> dict:
    """The same words for the board's script (singular and plural as the language has them)."""
    return {
        "just_now": _("kurang dari 1 menit"),
        "minute": [ngettext("%(n)d menit", "%(n)d menit", n) for n in (1, 2)],
        "hour": [ngettext("%(n)d jam", "%(n)d jam", n) for n in (1, 2)],
        "day": [ngettext("%(n)d hari", "%(n)d hari", n) for n in (1, 2)],
        "updated": _("diperbarui %(age)s yang lalu"),
    }  # fmt: skip


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


# --- public board ---------------------------------------------------------------------------


def board(request: HttpRequest) -> HttpResponse:
    """The public board: hospitals with free beds per class, filters, nearest first."""
    area = settings.SIGAP_AREA_CODE
    classes = list(BedClass.objects.filter(is_public_filter=True))
    class_names = {c.code: c.name for c in classes}
    kecamatans = list(
        Region.objects.filter(level=Region.Level.DISTRICT, code__startswith=area).order_by("name")
    )
    kelas = (request.GET.get("kelas") or "").strip().upper()
    kelas = kelas if kelas in class_names else ""
    kecamatan = (request.GET.get("kecamatan") or "").strip()
    kecamatan = kecamatan if kecamatan in {k.code for k in kecamatans} else ""

    lat = _float(request.GET.get("lat"), -90, 90)
    lon = _float(request.GET.get("lon"), -180, 180)
    if lat is None or lon is None:
        lat = lon = None
    lokasi = (request.GET.get("lokasi") or "").strip()[:100]
    kel_code = (request.GET.get("kelurahan") or "").strip()
    origin: Region | None = None
    origin_error = ""
    if kel_code.isdigit():
        origin = Region.objects.filter(
            code=kel_code, level=Region.Level.VILLAGE, latitude__isnull=False
        ).first()
    if origin is None and lokasi and lat is None:
        matches = [r for r in kelurahan_search(lokasi, area, 50) if r.latitude is not None]
        exact = [r for r in matches if r.name.lower() == lokasi.lower()]
        origin = (exact or matches or [None])[0]
        if origin is None:
            origin_error = _("Kelurahan “%(q)s” tidak ditemukan.") % {"q": lokasi}
    if origin is not None:
        lat, lon, lokasi = origin.latitude, origin.longitude, origin.name
    origin_label = origin.name if origin else (_("lokasi Anda") if lat is not None else "")

    rows = selectors.public_board(
        kelas=kelas or None, lat=lat, lon=lon, kecamatan=kecamatan or None, area=area,
        limit=BOARD_LIMIT,
    )  # fmt: skip
    for row in rows:
        row["age_words"] = age_words(row["age_minutes"])
        row["selected"] = next((b for b in row["beds"] if b["kodekelas"] == kelas), None)
    # Only the filters in use: an empty value is no filter, and is left out of the links.
    params = {k: v for k, v in {"kelas": kelas, "kecamatan": kecamatan}.items() if v}
    export = {
        fmt: reverse("api:export_board") + "?" + urlencode({**params, "format": fmt})
        for fmt in ("csv", "xlsx")
    }
    villages = Region.objects.filter(
        level=Region.Level.VILLAGE, code__startswith=kecamatan or area, latitude__isnull=False
    ).values_list("latitude", "longitude", "name")
    config = {
        "api": reverse("api:public_beds"),
        "params": {
            "kelas": kelas,
            "kecamatan": kecamatan,
            "wilayah": area,
            "limit": BOARD_LIMIT,
            **({"lat": lat, "lon": lon} if lat is not None else {}),
        },
        "tile_url": settings.SIGAP_TILE_URL,
        "refresh_seconds": REFRESH_SECONDS,
        "origin": [lat, lon] if lat is not None else None,
        "origin_label": origin_label,
        "villages": [[round(a, 5), round(b, 5), n] for a, b, n in villages[:3000]],
        "regions_api": reverse("api:search_kelurahan"),
        "area": area,
        "kelas": kelas,
        "stale_after_minutes": settings.SIGAP_BED_STALE_AFTER_MINUTES,
        "i18n": {
            **_age_strings(),
            "free_beds": _("tempat tidur kosong"),
            "free": _("kosong"),
            "stale": _("data lama"),
            "synthetic": _("data sintetis (demo)"),
            "igd": _("IGD"),
            "phone": _("Telepon"),
            "km": _("km"),
            "minutes": _("menit"),
            "you": origin_label or _("lokasi Anda"),
            "no_rows": _("Tidak ada rumah sakit yang cocok dengan pilihan ini."),
            "geo_error": _("Lokasi Anda tidak dapat dibaca; pilih kelurahan."),
            "geo_wait": _("Mencari lokasi Anda…"),
            "refreshed": _("Diperbarui otomatis pukul %(time)s"),
            "hospitals_free": [
                ngettext("%(n)s rumah sakit", "%(n)s rumah sakit", k) for k in (1, 2)
            ],
        },
    }
    return render(
        request,
        "beds/board.html",
        {
            "rows": rows,
            "summary": selectors.board_summary(area, kecamatan=kecamatan, kelas=kelas),
            "classes": classes,
            "kecamatans": kecamatans,
            "kelas": kelas,
            "kelas_name": class_names.get(kelas, ""),
            "kecamatan": kecamatan,
            "lokasi": lokasi,
            "origin": origin,
            "origin_label": origin_label,
            "origin_error": origin_error,
            "lat": lat,
            "lon": lon,
            "export": export,
            "board_config": config,
            "stale_hours": settings.SIGAP_BED_STALE_AFTER_MINUTES / 60,
        },
    )


# --- operator page ----------------------------------------------------------------------------

ADD_FIELDS = ("kodekelas", "koderuang", "namaruang", "kapasitas", "tersedia")
COUNT_INPUTS = (("free", "tersedia"), ("reserved", "dipesan"), ("waiting", "antrian"),
                ("capacity", "kapasitas"))  # fmt: skip


def _int_field(value: str | None, field: str, label: str) -> int:
    value = (value or "").strip()
    try:
        return int(value)
    except ValueError:
        message = _("%(field)s harus bilangan bulat.") % {"field": label}
        raise InvalidInput(message, field=field) from None


def _operated(request: HttpRequest):
    return facility_services.facilities_operated_by(request.user).filter(kind_id=Kind.HOSPITAL)


def _chosen_facility(request: HttpRequest, ref: str | None) -> Facility | None:
    """The hospital the page works on; a hospital the user may not operate is a 404."""
    facilities = _operated(request)
    if ref:
        facility = facilities.filter(public_id=ref).first() if _is_uuid(ref) else None
        if facility is None:
            raise Http404
        return facility
    return facilities.order_by("name").first()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
def operator(request: HttpRequest) -> HttpResponse:
    """One screen for a ward clerk: every room of the hospital with its numbers."""
    user = request.user
    if not (user.is_admin_role or user.role == Role.HOSPITAL_OPERATOR):
        raise PermissionDenied
    ref = request.POST.get("rs") if request.method == "POST" else request.GET.get("rs")
    facility = _chosen_facility(request, ref)
    error: dict[str, str] = {}
    submitted: dict[str, dict[str, str]] = {}
    add_values: dict[str, str] = {}
    status = 200
    if request.method == "POST" and facility is not None:
        action = request.POST.get("action", "")
        actor = Actor.from_request(request, "web")
        try:
            services.require_room_operator(actor, facility)
            if action == "save":
                submitted = _submitted_rows(request)
                notice = _save_rows(actor, facility, request.POST.get("save", ""), submitted)
            elif action == "add":
                add_values = {k: request.POST.get(k, "") for k in ADD_FIELDS}
                notice = _add_room(actor, facility, add_values)
            elif action == "delete":
                notice = _delete_room(actor, facility, request.POST.get("room", ""))
            elif action == "hold_policy":
                notice = _save_hold_policy(actor, facility, request.POST)
            else:
                raise InvalidInput(_("Aksi tidak dikenal."), field="action")
        except SigapError as exc:
            status = exc.status
            error = {"action": action, "row": getattr(exc, "row", ""), "message": str(exc.message)}
        else:
            messages.success(request, notice)
            return redirect(reverse("beds:operator") + "?" + urlencode({"rs": facility.public_id}))
    context = _operator_context(request, facility)
    context.update({"error": error, "add_values": add_values})
    for room in context["rooms"]:
        key = str(room.public_id)
        room.form_values = submitted.get(key) or {
            name: getattr(room, attr) for attr, name in COUNT_INPUTS
        }
        room.error = error["message"] if error and error["row"] == key else ""
    return render(request, "beds/operator.html", context, status=status)


class _RowError(InvalidInput):
    """An error about one room row of the operator table."""

    def __init__(self, row: str, exc: SigapError):
        super().__init__(exc.message, field=exc.field, code=exc.code)
        self.status = exc.status
        self.row = row


def _submitted_rows(request: HttpRequest) -> dict[str, dict[str, str]]:
    rows = {}
    for key in request.POST.getlist("room"):
        rows[key] = {name: request.POST.get(f"{name}-{key}", "") for _, name in COUNT_INPUTS}
    return rows


def _save_rows(actor: Actor, facility: Facility, which: str, rows: dict[str, dict]) -> str:
    """Save one row (`which` = room id) or all; all rows or none are written."""
    keys = list(rows) if which == "all" else [which]
    if not keys or any(k not in rows for k in keys):
        raise InvalidInput(_("Ruang tidak ditemukan."), field="room")
    ids = [k for k in keys if _is_uuid(k)]
    rooms = {str(r.public_id): r for r in Room.objects.filter(facility=facility, public_id__in=ids)}
    outcomes = []
    with transaction.atomic():
        for key in keys:
            room = rooms.get(key)
            if room is None:
                raise Http404
            labels = {"free": _("Tersedia"), "reserved": _("Dipesan"), "waiting": _("Antrian"),
                      "capacity": _("Kapasitas")}  # fmt: skip
            try:
                changes = {
                    attr: _int_field(rows[key][name], attr, labels[attr])
                    for attr, name in COUNT_INPUTS
                }
                outcomes.append(
                    services.update_counts(actor, room, source=Room.Source.OPERATOR, **changes)
                )
            except SigapError as exc:
                raise _RowError(key, exc) from exc
    changed = sum(1 for o in outcomes if o.outcome == "updated")
    if changed == 0:
        return _("Tidak ada perubahan; waktu laporan diperbarui.")
    return ngettext("%(n)d ruang disimpan.", "%(n)d ruang disimpan.", changed) % {"n": changed}


def _add_room(actor: Actor, facility: Facility, values: dict[str, str]) -> str:
    capacity = _int_field(values["kapasitas"], "capacity", _("Kapasitas"))
    free = _int_field(values["tersedia"], "free", _("Tersedia"))
    data = services.RoomInput(
        bed_class=values["kodekelas"], code=values["koderuang"], name=values["namaruang"],
        capacity=capacity, free=free,
    )  # fmt: skip
    change = services.upsert_room(actor, facility, data, source=Room.Source.OPERATOR, mode="create")
    return _("Ruang %(name)s ditambahkan.") % {"name": change.room.name}


def _delete_room(actor: Actor, facility: Facility, key: str) -> str:
    room = Room.objects.filter(facility=facility, public_id=key).first() if _is_uuid(key) else None
    if room is None:
        raise Http404
    services.delete_room(actor, facility, room.bed_class_id, room.code, source=Room.Source.OPERATOR)
    return _("Ruang %(name)s dihapus.") % {"name": room.name}


def _save_hold_policy(actor: Actor, facility: Facility, post) -> str:
    minutes = _int_field(post.get("max_minutes"), "max_minutes", _("Lama tahanan maksimum"))
    allows = post.get("allows_holds") == "on"
    services.set_hold_policy(actor, facility, allows_holds=allows, max_minutes=minutes)
    return _("Aturan penahanan tempat tidur disimpan.")


def _operator_context(request: HttpRequest, facility: Facility | None) -> dict:
    facilities = list(_operated(request).order_by("name").only("public_id", "name")[:1000])
    if facility is None:
        return {"facility": None, "facilities": facilities, "rooms": []}
    rooms = list(Room.objects.filter(facility=facility).select_related("bed_class"))
    history = list(BedUpdate.objects.filter(facility=facility).select_related("bed_class")[:15])
    now = timezone.now()
    for room in rooms:
        room.age_words = age_words(int((now - room.reported_at).total_seconds() // 60))
        room.stale = now - room.reported_at > selectors.stale_after()
    aplicare = AplicareCredential.objects.filter(facility=facility).first()
    sirs = SirsCredential.objects.filter(facility=facility).first()
    return {
        "facility": facility,
        "facilities": facilities,
        "rooms": rooms,
        "history": history,
        "bed_classes": BedClass.objects.all(),
        "aplicare": aplicare,
        "sirs": sirs,
        "hold_policy": services.hold_policy(facility),
        "holds": BedHold.objects.filter(facility=facility, status=BedHold.Status.HELD)
        .select_related("room", "bed_class")
        .order_by("expires_at")[:50],
        "aplicare_base": request.build_absolute_uri("/aplicaresws/rest/"),
        "sirs_base": request.build_absolute_uri("/fo/index.php/Fasyankes"),
        "totals": {
            "capacity": sum(r.capacity for r in rooms),
            "free": sum(r.free for r in rooms),
            "reserved": sum(r.reserved for r in rooms),
            "waiting": sum(r.waiting for r in rooms),
        },
    }


# --- health-office view ---------------------------------------------------------------------

PERIODS = {1: timedelta(minutes=30), 3: timedelta(hours=2), 7: timedelta(hours=4),
           30: timedelta(hours=12)}  # fmt: skip


def _label(t: datetime, days: int) -> str:
    local = timezone.localtime(t)
    return date_format(local, "H:i" if days == 1 else "j M H:i")


@login_required
def office(request: HttpRequest) -> HttpResponse:
    """Occupancy over time for the area or one hospital, and hospitals that stopped reporting."""
    user = request.user
    if not (user.is_admin_role or user.role == Role.ANALYST):
        raise PermissionDenied
    area = user.area_code or ("" if user.is_superuser else settings.SIGAP_AREA_CODE)
    report = selectors.hospital_report(area or None)
    hospitals = {h["id"]: h for h in report}
    rs = request.GET.get("rs", "")
    hospital = hospitals.get(rs)
    classes = list(BedClass.objects.filter(is_public_filter=True))
    kelas = (request.GET.get("kelas") or "").upper()
    kelas = kelas if kelas in {c.code for c in classes} else ""
    try:
        days = int(request.GET.get("hari", "7"))
    except ValueError:
        days = 7
    days = days if days in PERIODS else 7

    now = timezone.now()
    step = PERIODS[days]
    end = now.replace(second=0, microsecond=0)
    times = selectors.bucket_times(end - timedelta(days=days), end, step)
    series = selectors.occupancy_series(
        times=times,
        area=area or None,
        facility_ids=[hospital["facility_id"]] if hospital else None,
        bed_class=kelas or None,
    )
    labels = [_label(t, days) for t in times]
    names = {c.code: c.name for c in BedClass.objects.all()}
    lines = {_("Semua kelas"): series["total"]} if not kelas else {}
    lines.update({names.get(c, c): v for c, v in series["classes"].items()})
    scope = hospital["name"] if hospital else _("seluruh wilayah")
    no_data = _("Belum ada data")
    line_svg = charts.line_chart(
        _("BOR per kelas, %(scope)s") % {"scope": scope},
        labels,
        lines,
        no_data=no_data,
        y_title="BOR %",
    )
    ranked = sorted((h for h in report if h["bor"] is not None), key=lambda h: -h["bor"])
    bar_svg = charts.bar_chart(
        _("BOR saat ini per rumah sakit"),
        [h["name"] for h in ranked],
        [h["bor"] for h in ranked],
        no_data=no_data,
    )
    stale = [h for h in report if h["stale"]]
    for h in report:
        h["age_words"] = age_words(h["age_minutes"])
        h["bor_pct"] = None if h["bor"] is None else round(h["bor"] * 100)
    latest_total = next((v for v in reversed(series["total"]) if v is not None), None)
    return render(
        request,
        "beds/office.html",
        {
            "report": sorted(report, key=lambda h: h["name"]),
            "stale": stale,
            "hospital": hospital,
            "rs": rs if hospital else "",
            "classes": classes,
            "kelas": kelas,
            "days": days,
            "periods": list(PERIODS),
            "line_svg": line_svg,
            "bar_svg": bar_svg,
            "latest_total": None if latest_total is None else round(latest_total * 100),
            "capacity_now": series["capacity"][-1] if series["capacity"] else 0,
            "occupied_now": series["occupied"][-1] if series["occupied"] else 0,
            "stale_hours": settings.SIGAP_BED_STALE_AFTER_MINUTES / 60,
            "area_name": Region.objects.filter(code=area).values_list("name", flat=True).first()
            or _("semua wilayah"),
        },
    )
