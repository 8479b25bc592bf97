"""Home-care pages: the public request form, the Puskesmas pages (inbox, eligibility, care
plan, roster, tomorrow's plan on a map, printable route sheet, transport) and the worker's
phone page. Thin: reads via `selectors`, writes via `services`."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sigap.core.errors import InvalidInput, SigapError, TooManyRequests
from sigap.core.ratelimit import over_limit
from sigap.core.services import Actor, Channel, audit_list_read, audit_read
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import mask_nik

from . import selectors, services
from .models import (
    CarePlan,
    Driver,
    Escalation,
    HomecareRequest,
    PlanStatus,
    Skill,
    TargetGroup,
    TransportTrip,
    TransportVehicle,
    TravelMode,
    Visit,
    VisitRecord,
    VisitStatus,
    Worker,
)


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request)


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def _time(value: str | None, field: str) -> time:
    try:
        return time.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput(_("Jam tidak sah."), field=field) from None


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput(_("Harus bilangan bulat."), field=field) from None


def _opt_num(value: str | None, field: str, cast=int):
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return cast(value)
    except ValueError:
        raise InvalidInput(_("Harus angka."), field=field) from None


def _uuid(value: str | None, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise InvalidInput(_("Pengenal tidak sah."), field=field) from None


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _fleet_item(model, post, field: str, facility: Facility, *, required: bool = False):
    """The Puskesmas's vehicle or driver named by `post[field]` (None when not given and
    not required); an unknown one is refused."""
    unknown = _("Armada tidak dikenal.") if field == "vehicle" else _("Pengemudi tidak dikenal.")
    if not post.get(field):
        if required:
            raise InvalidInput(unknown, field=field)
        return None
    item = model.objects.filter(public_id=_uuid(post.get(field), field), facility=facility)
    if (found := item.first()) is None:
        raise InvalidInput(unknown, field=field)
    return found


def _facility(request: HttpRequest) -> tuple[Facility, list[Facility]]:
    """The Puskesmas the staff member works on (?puskesmas=pk among theirs)."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    mine = list(selectors.puskesmas_of(request.user))
    if not mine:
        raise PermissionDenied
    wanted = request.GET.get("puskesmas") or request.POST.get("puskesmas")
    chosen = next((f for f in mine if str(f.pk) == wanted), mine[0])
    return chosen, mine


def _staff_request(request: HttpRequest, public_id) -> HomecareRequest:
    req = (
        HomecareRequest.objects.select_related("village", "facility", "target_group")
        .filter(public_id=public_id)
        .first()
    )
    # another Puskesmas' request answers like an unknown id: an id reveals nothing
    if req is None or not (
        request.user.is_authenticated and req.facility in selectors.puskesmas_of(request.user)
    ):
        raise Http404
    return req


def _fail(request: HttpRequest, exc: SigapError) -> None:
    messages.error(request, f"{exc.message}" + (f" ({exc.field})" if exc.field else ""))


# --- public request form ---


def request_form(request: HttpRequest) -> HttpResponse:
    area = settings.SIGAP_AREA_CODE
    villages = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area).order_by(
        "name"
    )
    context = {"villages": villages, "groups": TargetGroup.objects.all(), "form": {}}
    if request.method == "POST":
        form = {
            k: request.POST.get(k, "")
            for k in ("nik", "name", "phone", "address", "village_code", "need", "target_group")
        }
        context["form"] = form
        try:
            if over_limit(request, "homecare-request", *services.public_request_limit()):
                raise TooManyRequests(_("Terlalu banyak permintaan; coba lagi nanti."))
            req = services.create_request(
                Actor.from_request(request, channel=Channel.WEB), services.RequestInput(**form)
            )
        except SigapError as exc:
            context["error"] = exc
            return render(request, "homecare/request_form.html", context, status=exc.status)
        return render(request, "homecare/request_done.html", {"req": req})
    return render(request, "homecare/request_form.html", context)


# --- Puskesmas: inbox, request, eligibility, care plan ---


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    facility, mine = _facility(request)
    status = request.GET.get("status", "")
    if status not in HomecareRequest.Status.values:
        status = ""
    rows = selectors.request_rows(selectors.requests_inbox(facility, status)[:300])
    audit_list_read(
        _actor(request), HomecareRequest, [r["obj"].public_id for r in rows], scope=facility,
        list="inbox", status=status,
    )  # fmt: skip
    return render(
        request,
        "homecare/inbox.html",
        {
            "facility": facility,
            "mine": mine,
            "rows": rows,
            "status": status,
            "statuses": HomecareRequest.Status.choices,
            "escalations": [
                {"e": e, "reasons": services.sign_labels(e.reasons)}
                for e in selectors.open_escalations(facility)
            ],
            "groups": TargetGroup.objects.all(),
            "villages": Region.objects.filter(code__in=facility.catchment.values("code")).order_by(
                "name"
            ),
        },
    )


@login_required
@require_POST
def staff_create_request(request: HttpRequest) -> HttpResponse:
    facility, _mine = _facility(request)
    form = {
        k: request.POST.get(k, "")
        for k in ("nik", "name", "phone", "address", "village_code", "need", "target_group")
    }
    try:
        req = services.create_request(
            _actor(request), services.RequestInput(**form), source="staff"
        )
    except SigapError as exc:
        _fail(request, exc)
        return redirect(reverse("homecare:inbox") + f"?puskesmas={facility.pk}")
    return redirect("homecare:request", public_id=req.public_id)


@login_required
def request_detail(request: HttpRequest, public_id) -> HttpResponse:
    req = _staff_request(request, public_id)
    groups = list(TargetGroup.objects.all())
    chosen = request.GET.get("kelompok")
    group = next((g for g in groups if g.code == chosen), None)
    group = group or req.target_group or (groups[0] if groups else None)
    coverage = services.coverage_status(req.nik)
    plan = CarePlan.objects.filter(request=req).first()
    next_statuses = services.REQUEST_FLOW.get(req.status, set())
    audit_read(_actor(request), req, label=f"request {req.pk}")
    return render(
        request,
        "homecare/request_detail.html",
        {
            "req": req,
            "nik": mask_nik(req.nik),
            "groups": groups,
            "group": group,
            "coverage": coverage,
            "plan": plan,
            "skills": Skill.choices,
            "default_skill": group.skill if group else "nurse",
            "tomorrow": _tomorrow(),
            "visits": plan.visits.select_related("worker").order_by("-date")[:20] if plan else [],
            # the buttons follow the request's transition table
            "can_decline": HomecareRequest.Status.INELIGIBLE in next_statuses,
            "can_cancel": HomecareRequest.Status.CANCELLED in next_statuses,
        },
    )


@login_required
@require_POST
def eligibility(request: HttpRequest, public_id) -> HttpResponse:
    req = _staff_request(request, public_id)
    code = request.POST.get("target_group", "")
    group = TargetGroup.objects.filter(code=code).first()
    answers = {}
    if group is not None:
        ticked = set(request.POST.getlist("criteria"))
        answers = {item: str(i) in ticked for i, item in enumerate(group.checklist)}
    try:
        req = services.decide_eligibility(
            _actor(request),
            req,
            target_group=code,
            answers=answers,
            note=request.POST.get("note", ""),
        )
        messages.success(
            request, _("Keputusan kelayakan disimpan: %(s)s") % {"s": req.get_status_display()}
        )
    except SigapError as exc:
        _fail(request, exc)
    return redirect("homecare:request", public_id=req.public_id)


@login_required
@require_POST
def care_plan(request: HttpRequest, public_id) -> HttpResponse:
    req = _staff_request(request, public_id)
    p = request.POST
    try:
        data = services.CarePlanInput(
            frequency_days=_int(p.get("frequency_days"), "frequency_days"),
            skill=p.get("skill", ""),
            visit_minutes=_int(p.get("visit_minutes"), "visit_minutes"),
            preferred_start=_time(p.get("preferred_start"), "preferred_start"),
            preferred_end=_time(p.get("preferred_end"), "preferred_end"),
            priority=_int(p.get("priority"), "priority"),
            start_date=_date(p.get("start_date"), _tomorrow()),
            notes=p.get("notes", ""),
        )
        services.create_care_plan(_actor(request), req, data)
        messages.success(request, _("Rencana perawatan dibuat."))
    except SigapError as exc:
        _fail(request, exc)
    return redirect("homecare:request", public_id=req.public_id)


def _plan_change(p) -> services.CarePlanChange:
    return services.CarePlanChange(
        frequency_days=_int(p.get("frequency_days"), "frequency_days"),
        skill=p.get("skill", ""),
        visit_minutes=_int(p.get("visit_minutes"), "visit_minutes"),
        preferred_start=_time(p.get("preferred_start"), "preferred_start"),
        preferred_end=_time(p.get("preferred_end"), "preferred_end"),
        priority=_int(p.get("priority"), "priority"),
        notes=p.get("notes", ""),
    )


@login_required
@require_POST
def manage_request(request: HttpRequest, public_id) -> HttpResponse:
    """The coordinator's actions on a request and its care plan: decline, cancel, edit the
    plan, pause, resume, end."""
    req = _staff_request(request, public_id)
    p = request.POST
    action = p.get("action", "")
    actor = _actor(request)
    reason = p.get("reason", "")
    plan = CarePlan.objects.filter(request=req).first()
    done = {
        "decline": _("Permintaan dinyatakan tidak memenuhi syarat."),
        "cancel": _("Permintaan dibatalkan."),
        "plan_edit": _("Rencana perawatan diubah. Susun ulang rencana hari yang terdampak."),
        "plan_pause": _("Rencana perawatan ditunda; kunjungan yang belum mulai dibatalkan."),
        "plan_resume": _("Rencana perawatan dilanjutkan."),
        "plan_end": _("Rencana perawatan diakhiri."),
    }
    try:
        if action not in done:
            raise InvalidInput(_("Tindakan tidak dikenal."), field="action")
        if action.startswith("plan_") and plan is None:
            raise InvalidInput(_("Belum ada rencana perawatan."), field="action")
        if action == "decline":
            services.decline_request(actor, req, reason)
        elif action == "cancel":
            services.cancel_request(actor, req, reason)
        elif action == "plan_edit":
            services.update_care_plan(actor, plan, _plan_change(p))
        elif action == "plan_pause":
            services.pause_care_plan(actor, plan, reason)
        elif action == "plan_resume":
            services.resume_care_plan(actor, plan)
        else:
            services.end_care_plan(actor, plan, reason)
        messages.success(request, done[action])
    except SigapError as exc:
        _fail(request, exc)
    return redirect("homecare:request", public_id=req.public_id)


RESIDENT_CANCEL_LIMIT = (10, 3600)  # tries, seconds


def resident_cancel(request: HttpRequest) -> HttpResponse:
    """Public: a resident withdraws their own request (request number + NIK)."""
    form = {k: request.POST.get(k, request.GET.get(k, "")) for k in ("request_number", "nik")}
    context: dict = {"form": form}
    if request.method == "POST":
        try:
            # guessing a NIK for a known request number: a few tries per address and hour
            if over_limit(request, "homecare-cancel", *RESIDENT_CANCEL_LIMIT):
                raise TooManyRequests(_("Terlalu banyak percobaan; coba lagi nanti."))
            req = services.cancel_request_by_resident(
                Actor.from_request(request, channel=Channel.WEB),
                form["request_number"],
                form["nik"],
                request.POST.get("reason", ""),
            )
        except SigapError as exc:
            context["error"] = exc
            return render(request, "homecare/resident_cancel.html", context, status=exc.status)
        context["cancelled"] = req
    return render(request, "homecare/resident_cancel.html", context)


@login_required
@require_POST
def close_escalation(request: HttpRequest, public_id) -> HttpResponse:
    esc = Escalation.objects.filter(public_id=public_id).select_related("facility").first()
    if esc is None:
        raise Http404
    try:
        if request.POST.get("action") == "hand_over":
            esc = services.retry_hand_over(_actor(request), esc)
            if esc.status == esc.Status.OPEN:
                messages.error(request, _("Belum dapat diteruskan; tangani dari Puskesmas."))
            else:
                messages.success(request, _("Diteruskan: %(t)s") % {"t": esc.handed_to})
        else:
            services.close_escalation(_actor(request), esc, request.POST.get("note", ""))
    except SigapError as exc:
        _fail(request, exc)
    return redirect(reverse("homecare:inbox") + f"?puskesmas={esc.facility_id}")


# --- roster ---


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    facility, mine = _facility(request)
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("action") == "leave":
                worker = Worker.objects.filter(
                    pk=_int(p.get("worker"), "worker"), facility=facility
                ).first()
                if worker is None:
                    raise InvalidInput(_("Petugas tidak dikenal."), field="worker")
                services.add_leave(
                    _actor(request),
                    worker,
                    _date(p.get("start_date"), _tomorrow()),
                    _date(p.get("end_date"), _tomorrow()),
                    p.get("reason", ""),
                )
            else:
                services.create_worker(_actor(request), facility, _worker_input(p))
            messages.success(request, _("Tersimpan."))
        except SigapError as exc:
            _fail(request, exc)
        return redirect(reverse("homecare:roster") + f"?puskesmas={facility.pk}")
    workers = Worker.objects.filter(facility=facility).prefetch_related("leaves")
    skill_names = dict(Skill.choices)
    rows = [
        {
            "w": w,
            "skills": ", ".join(str(skill_names.get(s, s)) for s in w.skills),
            "leaves": [lv for lv in w.leaves.all() if lv.end_date >= timezone.localdate()],
        }
        for w in workers
    ]
    return render(
        request,
        "homecare/roster.html",
        {
            "facility": facility,
            "mine": mine,
            "rows": rows,
            "skills": Skill.choices,
            "modes": TravelMode.choices,
            "tomorrow": _tomorrow(),
        },
    )


def _worker_input(p) -> services.WorkerInput:
    return services.WorkerInput(
        name=p.get("name", ""),
        skills=p.getlist("skills"),
        shift_start=_time(p.get("shift_start"), "shift_start"),
        shift_end=_time(p.get("shift_end"), "shift_end"),
        travel_mode=p.get("travel_mode", ""),
        phone=p.get("phone", ""),
    )


@login_required
def worker_detail(request: HttpRequest, public_id) -> HttpResponse:
    """One worker: edit skills, shift, travel mode; leave days; deactivate/reactivate."""
    worker = Worker.objects.select_related("facility").filter(public_id=public_id).first()
    mine = list(selectors.puskesmas_of(request.user))
    if worker is None or worker.facility not in mine:
        raise Http404  # another Puskesmas' worker answers like an unknown id
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "")
        actor = _actor(request)
        try:
            if action == "edit":
                services.update_worker(actor, worker, _worker_input(p))
            elif action == "leave":
                services.add_leave(
                    actor,
                    worker,
                    _date(p.get("start_date"), _tomorrow()),
                    _date(p.get("end_date"), _tomorrow()),
                    p.get("reason", ""),
                )
            elif action in ("deactivate", "activate"):
                services.set_worker_active(actor, worker, action == "activate", p.get("reason", ""))
            else:
                raise InvalidInput(_("Tindakan tidak dikenal."), field="action")
            messages.success(request, _("Tersimpan."))
        except SigapError as exc:
            _fail(request, exc)
        return redirect("homecare:worker", public_id=worker.public_id)
    today = timezone.localdate()
    return render(
        request,
        "homecare/worker.html",
        {
            "facility": worker.facility,
            "mine": mine,
            "w": worker,
            "skills": Skill.choices,
            "modes": TravelMode.choices,
            "leaves": worker.leaves.filter(end_date__gte=today).order_by("start_date"),
            "upcoming": worker.visits.filter(
                date__gte=today, status__in=(VisitStatus.PLANNED, VisitStatus.STARTED)
            )
            .select_related("care_plan__request")
            .order_by("date", "sequence")[:30],
            "tomorrow": _tomorrow(),
        },
    )


# --- daily plan ---


@login_required
def day_plan(request: HttpRequest) -> HttpResponse:
    facility, mine = _facility(request)
    day = _date(request.GET.get("tanggal") or request.POST.get("tanggal"), _tomorrow())
    if request.method == "POST":
        try:
            if request.POST.get("action") == "urgent":
                plan = CarePlan.objects.filter(
                    pk=_int(request.POST.get("care_plan"), "care_plan"), facility=facility
                ).first()
                if plan is None:
                    raise InvalidInput(_("Rencana perawatan tidak dikenal."), field="care_plan")
                services.add_urgent_visit(_actor(request), plan, day)
            else:
                now = timezone.now() if day == timezone.localdate() else None
                services.plan_facility(_actor(request), facility, day, now=now)
            messages.success(request, _("Rencana disusun."))
        except SigapError as exc:
            _fail(request, exc)
        return redirect(reverse("homecare:plan") + f"?puskesmas={facility.pk}&tanggal={day}")
    plan = selectors.day_plan(facility, day)
    return render(
        request,
        "homecare/plan.html",
        {
            "facility": facility,
            "mine": mine,
            "day": day,
            "plan": plan,
            "routes": selectors.routes_of_day(facility, day),
            "map": selectors.map_data(facility, day) | {"tile_url": settings.SIGAP_TILE_URL},
            "care_plans": CarePlan.objects.filter(facility=facility, status=PlanStatus.ACTIVE)
            .select_related("request")
            .order_by("request__name"),
        },
    )


@login_required
def route_sheet(request: HttpRequest) -> HttpResponse:
    facility, _mine = _facility(request)
    day = _date(request.GET.get("tanggal"), _tomorrow())
    routes = [r for r in selectors.routes_of_day(facility, day) if r["worker"] is not None]
    worker = request.GET.get("petugas")
    if worker:
        routes = [r for r in routes if str(r["worker"].pk) == worker]
    audit_list_read(  # a printed sheet of names and addresses
        _actor(request), Visit, [v.public_id for r in routes for v in r["visits"]],
        scope=facility, list="route_sheet", sheet=day.isoformat(),
    )  # fmt: skip
    return render(
        request, "homecare/route_sheet.html", {"facility": facility, "day": day, "routes": routes}
    )


# --- the worker's phone page and visit record ---


def nav_links(lat: float, lon: float) -> dict:
    return {
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}",
        "maps": "https://www.google.com/maps/dir/?api=1&destination="
        + quote(f"{lat:.6f},{lon:.6f}"),
    }


@login_required
def my_visits(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    upcoming = selectors.my_visits_from(request.user, today).values_list("date", flat=True).first()
    day = _date(request.GET.get("tanggal"), upcoming or today)
    rows = [
        {"v": v, "nav": nav_links(v.care_plan.request.latitude, v.care_plan.request.longitude)}
        for v in selectors.my_visits(request.user, day)
    ]
    return render(
        request,
        "homecare/my_visits.html",
        {
            "day": day,
            "rows": rows,
            "is_worker": selectors.workers_of_user(request.user).exists(),
            "prev": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _visit_for(request: HttpRequest, public_id) -> Visit:
    visit = (
        Visit.objects.select_related("care_plan__request", "worker", "facility")
        .filter(public_id=public_id)
        .first()
    )
    if visit is None:
        raise Http404
    actor = _actor(request)
    if not services.is_worker_of(actor, visit):
        try:
            services.require_staff(actor, visit.facility)
        except SigapError:
            raise Http404 from None  # like an unknown id: an id reveals nothing
    return visit


# the record form's vital signs; those with decimals (services.VITAL_DECIMALS) are read as
# decimal numbers, the others as whole numbers
VITAL_FIELDS = [
    ("systolic", gettext_lazy("Sistolik")),
    ("diastolic", gettext_lazy("Diastolik")),
    ("pulse", gettext_lazy("Nadi /menit")),
    ("respiration", gettext_lazy("Napas /menit")),
    ("temperature", gettext_lazy("Suhu °C")),
    ("spo2", "SpO2 %"),
    ("weight_kg", gettext_lazy("Berat kg")),
]
RECORD_FORM_FIELDS = [name for name, _label in VITAL_FIELDS] + [
    "outcome", "notes", "next_visit", "reason",
]  # fmt: skip


def _record_input(p) -> services.RecordInput:
    """The record form as the service's input (a value that is not a number names its
    field)."""
    next_visit = None
    if p.get("next_visit"):
        next_visit = _date(p.get("next_visit"), None)
        if next_visit is None:
            raise InvalidInput(_("Tanggal tidak sah."), field="next_visit")
    return services.RecordInput(
        outcome=p.get("outcome", ""),
        notes=p.get("notes", ""),
        next_visit=next_visit,
        danger_signs=p.getlist("danger_signs"),
        **{
            name: _opt_num(p.get(name), name, float if name in services.VITAL_DECIMALS else int)
            for name, _label in VITAL_FIELDS
        },
    )


def _record_form(record: VisitRecord | None, post=None) -> dict:
    """Values for the record form: what was posted (a refused or unconfirmed form keeps its
    input), else the record's (the correction form), else empty."""
    if post is not None:
        form = {name: post.get(name, "") for name in RECORD_FORM_FIELDS}
        form["danger_signs"] = post.getlist("danger_signs")
        return form
    if record is None:
        return {"danger_signs": []}
    form = {name: "" if getattr(record, name) is None else getattr(record, name)
            for name in RECORD_FORM_FIELDS if name != "reason"}  # fmt: skip
    form["next_visit"] = record.next_visit.isoformat() if record.next_visit else ""
    form["danger_signs"] = [s for s in record.danger_signs if s in services.DANGER_SIGNS]
    return form


def _visit_page(
    request: HttpRequest, visit: Visit, *, form: dict | None = None, mode: str = "",
    error: SigapError | None = None, confirm: services.DangerUnconfirmed | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    req = visit.care_plan.request
    record = VisitRecord.objects.filter(visit=visit).select_related("recorded_by").first()
    actor = _actor(request)
    if record is not None:
        audit_read(actor, record, label=f"visit {visit.pk}", visit=str(visit.public_id))
    else:
        audit_read(actor, req, label=f"request {req.pk}", visit=str(visit.public_id))
    author = record is not None and services.is_author(actor, record)
    values = form or _record_form(record if mode == "correct" else None)
    escalations = list(record.escalations.order_by("created_at")) if record else []
    return render(
        request,
        "homecare/visit.html",
        {
            "visit": visit,
            "req": req,
            "nik": mask_nik(req.nik),
            "record": record,
            "nav": nav_links(req.latitude, req.longitude),
            "outcomes": VisitRecord.Outcome.choices,
            "danger_signs": services.DANGER_SIGNS.items(),
            "record_signs": services.sign_labels(record.danger_signs) if record else [],
            "escalations": [
                {
                    "e": e,
                    "target": services.escalation_target(e),
                    "withdrawable": author and e.status in services.LIVE_ESCALATION,
                }
                for e in escalations
            ],  # fmt: skip
            "stale": services.sign_labels(
                sorted(
                    {s for e in services.stale_escalations(record, escalations) for s in e.reasons}
                    - set(record.danger_signs)
                )
            )
            if author
            else [],  # fmt: skip
            "can_correct": record is not None and services.can_correct(actor, record),
            "correction_deadline": services.correction_deadline(record) if record else None,
            "mode": mode,
            "form": values,
            "vital_fields": [
                {
                    "name": n,
                    "label": label,
                    "value": values.get(n, ""),
                    "mode": "decimal" if n in services.VITAL_DECIMALS else "numeric",
                }
                for n, label in VITAL_FIELDS
            ],
            "error": error,
            "confirm": confirm,
            "confirm_signs": services.sign_labels(confirm.signs) if confirm else [],
            "confirm_codes": ",".join(getattr(confirm, "shown", confirm.signs)) if confirm else "",
        },
        status=status,
    )


def _save_record(request: HttpRequest, visit: Visit, mode: str) -> HttpResponse:
    """Record (or, mode "correct", correct) the visit from the form. Danger signs first show
    the confirm step: the form comes back with the signs and what would be raised, and only
    "Ya, teruskan" (carrying the signs the nurse saw) escalates."""
    p = request.POST
    actor = _actor(request)
    try:
        data = _record_input(p)
        # the confirmation holds for the signs the nurse was shown, not for new ones
        shown = {s for s in p.get("confirmed_signs", "").split(",") if s}
        confirmed = p.get("confirm_danger") == "1" and set(services.record_signs(data)) <= shown
        if mode == "correct":
            record = VisitRecord.objects.filter(visit=visit).first()
            if record is None:
                raise InvalidInput(_("Kunjungan ini belum dicatat."), field="record")
            record = services.correct_visit_record(
                actor, record, data, p.get("reason", ""), confirm_danger=confirmed
            )
            messages.success(request, _("Catatan kunjungan dikoreksi."))
        else:
            record = services.record_visit(actor, visit, data, confirm_danger=confirmed)
            messages.success(request, _("Kunjungan dicatat."))
    except services.DangerUnconfirmed as exc:
        # the confirmation covers every sign of the form as shown (a correction's earlier
        # signs, already escalated, included), so that the next press can match it
        exc.shown = services.record_signs(data)
        return _visit_page(request, visit, form=_record_form(None, p), mode=mode, confirm=exc)
    except SigapError as exc:
        return _visit_page(
            request, visit, form=_record_form(None, p), mode=mode, error=exc, status=exc.status
        )
    if record.escalations.filter(status=Escalation.Status.OPEN).exists():
        messages.warning(
            request,
            _("Tanda bahaya tercatat tetapi belum diteruskan; Puskesmas meneruskannya dari "
              "kotak masuk."),
        )  # fmt: skip
    return redirect("homecare:visit", public_id=visit.public_id)


@login_required
def visit_detail(request: HttpRequest, public_id) -> HttpResponse:
    visit = _visit_for(request, public_id)
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "record")
        if action in ("record", "correct"):
            return _save_record(request, visit, action)
        try:
            if action == "start":
                services.start_visit(_actor(request), visit)
            elif action == "cancel":
                services.cancel_visit(_actor(request), visit, p.get("reason", ""))
            elif action == "missed":
                services.miss_visit(_actor(request), visit, p.get("reason", ""))
            elif action == "withdraw":
                esc = Escalation.objects.filter(
                    public_id=_uuid(p.get("escalation"), "escalation"), record__visit=visit
                ).first()
                if esc is None:
                    raise InvalidInput(_("Eskalasi tidak dikenal."), field="escalation")
                services.withdraw_escalation(_actor(request), esc, p.get("reason", ""))
                messages.success(request, _("Eskalasi ditarik."))
            else:
                raise InvalidInput(_("Tindakan tidak dikenal."), field="action")
        except SigapError as exc:
            _fail(request, exc)
        return redirect("homecare:visit", public_id=visit.public_id)
    mode = "correct" if request.GET.get("koreksi") else ""
    return _visit_page(request, visit, mode=mode)


# --- Jemput Sakit Antar Sehat ---


@login_required
def transport(request: HttpRequest) -> HttpResponse:
    facility, mine = _facility(request)
    day = _date(request.GET.get("tanggal") or request.POST.get("tanggal"), _tomorrow())
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "create")
        try:
            if action == "schedule":
                result = services.schedule_transport(_actor(request), facility, day)
                messages.success(
                    request,
                    _("Jadwal disusun: %(n)s perjalanan terjadwal, %(u)s tidak.")
                    % {"n": result["scheduled"], "u": result["unscheduled"]},
                )
            elif action in ("picked_up", "delivered", "cancelled"):
                trip = TransportTrip.objects.filter(public_id=p.get("trip"), base=facility).first()
                if trip is None:
                    raise InvalidInput(_("Perjalanan tidak dikenal."), field="trip")
                services.move_trip(_actor(request), trip, action, p.get("reason", ""))
            else:
                tz = timezone.get_current_timezone()
                at = datetime.combine(day, _time(p.get("time"), "time"), tzinfo=tz)
                direction = p.get("direction", "")
                services.create_trip(
                    _actor(request),
                    services.TripInput(
                        direction=direction,
                        destination_id=_int(p.get("destination"), "destination"),
                        nik=p.get("nik", ""),
                        name=p.get("name", ""),
                        phone=p.get("phone", ""),
                        address=p.get("address", ""),
                        village_code=p.get("village_code", ""),
                        date=day,
                        appointment_at=at if direction == "to_facility" else None,
                        ready_at=at if direction == "to_home" else None,
                        wheelchair=bool(p.get("wheelchair")),
                    ),
                )
                messages.success(request, _("Permintaan perjalanan dicatat."))
        except SigapError as exc:
            _fail(request, exc)
        return redirect(reverse("homecare:transport") + f"?puskesmas={facility.pk}&tanggal={day}")
    trips = [{"t": t, "nik": mask_nik(t.nik)} for t in selectors.trips_of_day(facility, day)]
    return render(
        request,
        "homecare/transport.html",
        {
            "facility": facility,
            "mine": mine,
            "day": day,
            "trips": trips,
            "destinations": Facility.objects.filter(
                is_active=True,
                kind_id__in=[Kind.HOSPITAL, Kind.PUSKESMAS],
                village__code__startswith=facility.village_id[:4],
            ).order_by("name"),
            "villages": Region.objects.filter(code__in=facility.catchment.values("code")).order_by(
                "name"
            ),
            "directions": TransportTrip.Direction.choices,
        },
    )


@login_required
def fleet(request: HttpRequest) -> HttpResponse:
    """Jemput Sakit Antar Sehat: the Puskesmas's vehicles and drivers (with shifts)."""
    facility, mine = _facility(request)
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "")
        actor = _actor(request)
        try:
            kind, _sep, verb = action.partition("_")
            if kind not in ("vehicle", "driver") or verb not in ("save", "on", "off"):
                raise InvalidInput(_("Tindakan tidak dikenal."), field="action")
            model = TransportVehicle if kind == "vehicle" else Driver
            # one lookup: editing may add a new one, switching on/off needs an existing one
            item = _fleet_item(model, p, kind, facility, required=verb != "save")
            if verb != "save":
                services.set_fleet_active(actor, item, verb == "on")
            elif kind == "vehicle":
                services.save_vehicle(
                    actor,
                    facility,
                    services.VehicleInput(
                        name=p.get("name", ""),
                        plate=p.get("plate", ""),
                        seats=_int(p.get("seats"), "seats"),
                    ),
                    item,
                )
            else:
                services.save_driver(
                    actor,
                    facility,
                    services.DriverInput(
                        name=p.get("name", ""),
                        shift_start=_time(p.get("shift_start"), "shift_start"),
                        shift_end=_time(p.get("shift_end"), "shift_end"),
                        phone=p.get("phone", ""),
                    ),
                    item,
                )
            messages.success(request, _("Tersimpan."))
        except SigapError as exc:
            _fail(request, exc)
        return redirect(reverse("homecare:fleet") + f"?puskesmas={facility.pk}")
    return render(
        request,
        "homecare/fleet.html",
        {
            "facility": facility,
            "mine": mine,
            "vehicles": TransportVehicle.objects.filter(facility=facility).order_by(
                "-is_active", "name"
            ),
            "drivers": Driver.objects.filter(facility=facility).order_by("-is_active", "name"),
        },
    )
