"""Emergency centre pages: call intake, dispatcher console, crew phone page, public SOS,
"Satu Ambulans, Satu Desa" coverage, hospital incoming hand-offs and the response-time
report. Thin: reads through `selectors`, writes through `services`. Intake, crew, SOS and
hospital pages work as plain forms; the console and the maps need the static scripts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.core.errors import InvalidInput, SigapError
from sigap.core.models import Role
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.facilities import services as facility_services
from sigap.facilities.models import Kind
from sigap.regions.models import Region

from . import charts, reference, selectors, services
from .models import CrewVitals, Handoff, Incident, IncidentCall, Unit

OPEN_HANDOFFS = (Handoff.Status.PENDING, Handoff.Status.ACKNOWLEDGED)

CALL_ROLES = {Role.PSC_CALL_TAKER, Role.DISPATCHER}
REPORT_ROLES = {Role.DISPATCHER, Role.ANALYST, Role.ADMIN}


def _require(request: HttpRequest, roles: set[str]) -> None:
    user = request.user
    if not (user.is_admin_role or user.role in roles):
        raise PermissionDenied


def _area(request: HttpRequest) -> str:
    return (request.user.area_code or settings.SIGAP_AREA_CODE)[:4]


def _villages(area: str) -> list[list]:
    return [
        [v.latitude, v.longitude, v.name]
        for v in Region.objects.filter(level=4, code__startswith=area, latitude__isnull=False)
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = request.user.role
    if role == Role.AMBULANCE_CREW:
        return redirect("emergency:crew")
    if role == Role.PSC_CALL_TAKER:
        return redirect("emergency:intake")
    if role == Role.HOSPITAL_OPERATOR:
        return redirect("emergency:incoming")
    if role == Role.ANALYST:
        return redirect("emergency:report")
    return redirect("emergency:console")


# --- intake -------------------------------------------------------------------------


def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").replace(",", "."))
    except ValueError:
        return None
    return number if number == number else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return -1


def _has_nul(form) -> bool:
    return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in form.lists())


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Http404 from exc


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The call-taker's screen: one form, keyboard first (Tab order, Enter submits)."""
    _require(request, CALL_ROLES)
    area = _area(request)
    form = request.POST if request.method == "POST" else {}
    repeats: list[Incident] = []
    error: SigapError | None = None
    if request.method == "POST" and _has_nul(form):
        # PostgreSQL cannot store a NUL character; no field of this form needs one
        error = InvalidInput(_("Berisi karakter yang tidak sah."), field="form")
    elif request.method == "POST":
        actor = Actor.from_request(request)
        data = services.IncidentInput(
            latitude=_float(form.get("latitude")),
            longitude=_float(form.get("longitude")),
            village_code=form.get("village_code", ""),
            address=form.get("address", ""),
            caller_phone=form.get("caller_phone", ""),
            caller_name=form.get("caller_name", ""),
            category=form.get("category", "medical"),
            triage=form.get("triage", ""),
            triage_answers={k[2:]: True for k in form if k.startswith("q_")},
            victims=_int(form.get("victims"), 1),
            notes=form.get("notes", ""),
            allow_out_of_area=bool(form.get("allow_out_of_area")),
        )
        try:
            repeat_of = form.get("repeat_of", "")
            if repeat_of:
                inc = get_object_or_404(Incident, public_id=_uuid_or_404(repeat_of))
                services.add_call(
                    actor, inc, phone=data.caller_phone, note=clip(data.notes, IncidentCall, "note")
                )
                messages.success(
                    request, _("Panggilan dicatat pada kejadian %(n)s.") % {"n": inc.number}
                )
                return redirect("emergency:intake")
            if not form.get("confirm_new"):
                services.validate_incident(data)
                repeats = services.find_repeats(
                    phone=data.caller_phone,
                    latitude=data.latitude,
                    longitude=data.longitude,
                    area_code=area,
                )
            if not repeats:
                inc = services.create_incident(actor, data)
                messages.success(
                    request,
                    _("Kejadian %(n)s dibuat (%(t)s).")
                    % {"n": inc.number, "t": inc.get_triage_display()},
                )
                return redirect("emergency:intake")
        except SigapError as exc:
            error = exc
    return render(
        request,
        "emergency/intake.html",
        {
            "form": form,
            "error": error,
            "out_of_area": error is not None and error.code == "out_of_area",
            "repeats": repeats,
            "categories": reference.CATEGORIES,
            "triage": [(k, v[0]) for k, v in reference.TRIAGE.items()],
            "questions": {c: reference.triage_questions(c) for c in reference.CATEGORIES},
            "answered": {k[2:] for k in form if k.startswith("q_")},
            "config": {
                "area": area,
                "tile_url": settings.SIGAP_TILE_URL,
                "villages": _villages(area),
                "kelurahan_api": "/api/v1/regions/kelurahan",
                "repeats_api": "/api/v1/emergency/incidents/repeats",
                "place_api": "/api/v1/emergency/place",
                "questions": {c: reference.triage_questions(c) for c in reference.CATEGORIES},
            },
            "recent": selectors.active_incidents(area)[:10],
        },
        status=422 if error else 200,
    )


# --- dispatcher console -------------------------------------------------------------


@login_required
def console(request: HttpRequest) -> HttpResponse:
    _require(request, CALL_ROLES)
    area = _area(request)
    now = timezone.now()
    incidents = selectors.active_incidents(area)
    return render(
        request,
        "emergency/console.html",
        {
            "incidents": incidents,
            "config": {
                "api": "/api/v1/emergency/",
                "tile_url": settings.SIGAP_TILE_URL,
                "villages": _villages(area),
                "can_dispatch": request.user.is_admin_role or request.user.role == Role.DISPATCHER,
                "refresh_ms": 4000,
                "incidents": [selectors.incident_json(i, now) for i in incidents],
                "units": selectors.units_json(area),
                "i18n": {
                    "assign": _("Kirim"),
                    "no_units": _("Tidak ada ambulans siaga yang sesuai."),
                    "no_hospitals": _("Tidak ada RS yang sesuai."),
                    "handoff": _("Serahkan ke RS ini"),
                    "hold": _("tahan tempat tidur"),
                    "min": _("menit"),
                    "free": _("kosong"),
                    "waiting": _("menunggu"),
                    "select": _("Pilih kejadian di antrean."),
                    "cancel": _("Batalkan"),
                    "sent": _("Terkirim"),
                    "updated": _("diperbarui"),
                    "offline": _("koneksi terputus, mencoba lagi"),
                    "needs_hospital": _("Perlu RS lain"),
                    "out_of_area": _("di luar wilayah"),
                    "responsible": _("PSC yang bertanggung jawab"),
                    "reassign": _("Ganti %(old)s dengan %(new)s"),
                    "reassigned": _("Ambulans diganti"),
                    "handoff_status": {
                        "pending": _("rujukan menunggu jawaban RS"),
                        "acknowledged": _("rujukan diterima RS"),
                    },
                },
            },
        },
    )


# --- crew ---------------------------------------------------------------------------


CREW_BUTTONS = [
    (Unit.Status.EN_ROUTE, _("Berangkat")),
    (Unit.Status.ON_SCENE, _("Tiba di lokasi")),
    (Unit.Status.TRANSPORTING, _("Bawa pasien")),
    (Unit.Status.AT_HOSPITAL, _("Tiba di RS")),
    (Unit.Status.RETURNING, _("Kembali")),
    (Unit.Status.AVAILABLE, _("Siaga")),
    (Unit.Status.OUT_OF_SERVICE, _("Tidak beroperasi")),
]
VITAL_FIELDS = ("systolic", "diastolic", "pulse", "respiration", "spo2", "temperature", "gcs")


def _crew_units(request: HttpRequest):
    user = request.user
    if user.is_admin_role or user.role == Role.DISPATCHER:
        return Unit.objects.filter(area_code__startswith=_area(request))
    if user.role == Role.AMBULANCE_CREW:
        return user.ambulance_units.all()
    raise PermissionDenied


def _vital_number(form, name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    number = _float(raw)
    if number is None:
        raise InvalidInput(_("Harus angka."), field=name)
    return number


def _crew_post(request: HttpRequest, unit: Unit) -> SigapError | None:
    """One crew form: accept the job, record vital signs, or a status button. Each carries
    the key the page was rendered with, so a form sent twice acts once."""
    actor = Actor.from_request(request)
    form = request.POST
    action = form.get("action", "status")
    if _has_nul(form):
        return InvalidInput(_("Berisi karakter yang tidak sah."), field="form")
    try:
        if action == "accept":
            assignment = unit.assignments.filter(
                public_id=_uuid_or_404(form.get("assignment", ""))
            ).first()
            if assignment is None:
                raise Http404
            services.accept_assignment(actor, assignment)
            messages.success(request, _("Tugas diterima."))
        elif action == "vitals":
            services.record_vitals(
                actor,
                unit,
                services.VitalsInput(
                    **{name: _vital_number(form, name) for name in VITAL_FIELDS},
                    avpu=form.get("avpu", ""),
                    note=form.get("note", ""),
                    client_key=form.get("client_key", ""),
                ),
            )
            messages.success(request, _("Tanda vital tersimpan."))
        else:
            services.crew_status(
                actor,
                unit,
                form.get("status", ""),
                latitude=_float(form.get("latitude")),
                longitude=_float(form.get("longitude")),
                client_key=form.get("client_key", ""),
                destination=form.get("destination", ""),
            )
            messages.success(request, _("Status: %(s)s") % {"s": unit.get_status_display()})
    except SigapError as exc:
        return exc
    return None


@login_required
def crew(request: HttpRequest) -> HttpResponse:
    """The crew's phone page: the job first (accept it), the destination, big status
    buttons, vital signs and a handover note, position."""
    units = list(_crew_units(request).order_by("code")[:200])
    code = request.GET.get("unit") or request.POST.get("unit") or (units[0].code if units else "")
    unit = next((u for u in units if u.code == code), None)
    error: SigapError | None = None
    if request.method == "POST" and unit is not None:
        error = _crew_post(request, unit)
        if error is None:
            return redirect(f"{reverse('emergency:crew')}?unit={unit.code}")
        if request.POST.get("action") != "vitals":  # the vitals form keeps its values
            messages.error(request, error.message)
            return redirect(f"{reverse('emergency:crew')}?unit={unit.code}")
    job = selectors.crew_job(unit) if unit else None
    allowed = set(job["next"]) if job else set()
    vitals_form = request.POST if error is not None else {}
    return render(
        request,
        "emergency/crew.html",
        {
            "units": units,
            "unit": unit,
            "job": job,
            "buttons": [(s, label, s in allowed) for s, label in CREW_BUTTONS],
            # a fresh key per rendered form: the same form sent twice acts once
            "client_key": uuid.uuid4().hex,
            "vitals_form": vitals_form,
            "error": error,
            "avpu": CrewVitals.Avpu.choices,
            "config": {"api": "/api/v1/emergency/", "unit": unit.code if unit else ""},
        },
        status=422 if error else 200,
    )


# --- public SOS ---------------------------------------------------------------------


SOS_QUESTIONS = ("tidak_sadar", "tidak_napas", "perdarahan")


def sos(request: HttpRequest) -> HttpResponse:
    """A big button: the phone's position and number go to the PSC 119 queue."""
    return render(
        request,
        "emergency/sos.html",
        {
            "categories": reference.CATEGORIES,
            # the quick questions: the most urgent signs of every category
            "questions": [
                q for q in reference.triage_questions("medical") if q["key"] in SOS_QUESTIONS
            ],
            "config": {
                "api": "/api/v1/emergency/sos",
                "kelurahan_api": "/api/v1/regions/kelurahan",
            },
            "i18n": {
                "no_geo": _(
                    "Lokasi ponsel tidak tersedia. Pilih kelurahan/desa Anda lalu tekan SOS "
                    "lagi, atau telepon 112 atau 119."
                ),
                "locating": _("Mencari lokasi…"),
            },
        },
    )


# --- coverage -----------------------------------------------------------------------


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    _require(request, CALL_ROLES | REPORT_ROLES)
    area = _area(request)
    cov = selectors.coverage(area)
    return render(
        request,
        "emergency/coverage.html",
        {
            "cov": cov,
            "uncovered": [v for v in cov["villages"] if v["state"] == "out"],
            "config": {"tile_url": settings.SIGAP_TILE_URL, "villages": cov["villages"]},
        },
    )


# --- hospital incoming --------------------------------------------------------------


@login_required
def incoming(request: HttpRequest) -> HttpResponse:
    """Patients on their way to the operator's hospitals (hand-offs), newest first."""
    facilities = facility_services.facilities_operated_by(request.user).filter(
        kind_id=Kind.HOSPITAL
    )
    if not request.user.is_admin_role and request.user.role != Role.HOSPITAL_OPERATOR:
        raise PermissionDenied
    if request.method == "POST":
        h = get_object_or_404(Handoff, public_id=request.POST.get("handoff"))
        try:
            services.hospital_handoff_action(
                Actor.from_request(request), h, request.POST.get("status", "")
            )
            messages.success(request, _("Serah terima diperbarui."))
        except SigapError as exc:
            messages.error(request, exc.message)
        return redirect("emergency:incoming")
    handoffs = (
        Handoff.objects.filter(hospital__in=facilities)
        .select_related("incident", "hospital", "unit", "bed_hold", "referral")
        .order_by("status", "-created_at")[:200]
    )
    open_ = [h for h in handoffs if h.status in OPEN_HANDOFFS]
    done = [h for h in handoffs if h.status not in OPEN_HANDOFFS][:50]
    now = timezone.now()
    return render(
        request,
        "emergency/incoming.html",
        {
            "open": [(h, selectors.handoff_summary(h, now)) for h in open_],
            "done": done,
            "facilities": facilities,
            "config": {
                "api": "/api/v1/emergency/handoffs/",
                "refresh_ms": getattr(settings, "SIGAP_INCOMING_REFRESH_MS", 15000),
                "i18n": {
                    "min": _("menit"),
                    "from": _("dari posisi %(t)s"),
                    "here": _("di RS"),
                    "vitals": _("Tanda vital kru"),
                },
            },
        },
    )


# --- response-time report -----------------------------------------------------------


def _day(value: str | None) -> date:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return timezone.localdate()


@login_required
def report(request: HttpRequest) -> HttpResponse:
    _require(request, REPORT_ROLES)
    area = _area(request)
    day = _day(request.GET.get("tanggal"))
    rep = selectors.response_report(area, day)
    if request.GET.get("format") == "csv":
        return _report_csv(request, rep, area, day)
    no_data = _("Belum ada data")
    return render(
        request,
        "emergency/report.html",
        {
            "rep": rep,
            "day": day,
            "settings": services.area_settings(area),
            "chart_triage": charts.phase_bars(
                _("Median waktu per warna triase (menit)"), rep["by_triage"], no_data=no_data
            ),
            "chart_kecamatan": charts.share_bars(
                _("Respons dalam target per kecamatan (%)"), rep["by_kecamatan"], no_data=no_data
            ),
        },
    )


def _report_csv(request: HttpRequest, rep: dict, area: str, day: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="respons-{area}-{day}.csv"'
    writer = exports.csv_writer(response)
    writer.writerow(
        [
            "nomor",
            "diterima",
            "triase",
            "kategori",
            "status",
            "kecamatan",
            "kelurahan",
            "desa",
            "panggilan_ke_kirim_menit",
            "respons_menit",
            "lokasi_ke_rs_menit",
            "target_menit",
            "dalam_target",
        ]
    )
    tz = timezone.get_current_timezone()
    for r in rep["rows"]:
        writer.writerow(
            [
                r["number"],
                r["received_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                r["triage"],
                r["category"],
                r["status"],
                r["kecamatan"],
                r["kelurahan"],
                "ya" if r["rural"] else "tidak",
                *(
                    "" if r[k] is None else round(r[k], 1)
                    for k in ("call_to_dispatch", "response", "scene_to_hospital")
                ),
                r["target"],
                "" if r["within_target"] is None else int(r["within_target"]),
            ]
        )
    record_audit(
        Actor.from_request(request),
        "emergency.report.export",
        object_type="report",
        object_id=f"{area}:{day}",
        after={"rows": len(rep["rows"])},
    )
    return response
