"""Daily planning of home visits (due visits, the solver, the nightly sweep) and the
visit's own moves."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, NotFound
from sigap.core.services import Actor, record_audit
from sigap.core.text import max_length
from sigap.core.travel import get_estimator
from sigap.facilities.models import Facility, Kind

from .. import planning
from ..models import CarePlan, DayPlan, PlanRoute, PlanStatus, Visit, VisitStatus
from ._input import _clean
from ._local_time import _midnight, _secs
from .access import require_staff, require_worker_or_staff
from .flows import MOVABLE, OPEN_VISIT, move_visit
from .roster import workers_available

PLANNER_SECONDS = 5.0


def ensure_due_visits(actor: Actor, facility: Facility, day: date) -> int:
    """Create a `due` visit for every active care plan due on or before `day` that has no
    open visit; carry an earlier unplanned `due` visit over to `day`."""
    created = 0
    with transaction.atomic():
        Visit.objects.filter(facility=facility, status=VisitStatus.DUE, date__lt=day).update(
            date=day
        )
        plans = CarePlan.objects.filter(
            facility=facility, status=PlanStatus.ACTIVE, next_due__lte=day, start_date__lte=day
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        for plan in plans.exclude(visits__status__in=OPEN_VISIT):
            try:
                with transaction.atomic():
                    Visit.objects.create(care_plan=plan, facility=facility, date=day)
            except IntegrityError:
                continue  # a concurrent planner created it (one open visit per plan and day)
            created += 1
        if created:
            record_audit(
                actor, "visits.due", facility, object_label=f"{facility} {day}",
                after={"created": created, "date": str(day)},
            )  # fmt: skip
    return created


def _visit_spec(v: Visit) -> planning.VisitSpec:
    plan = v.care_plan
    req = plan.request
    service = plan.visit_minutes * 60
    start, end = _secs(plan.preferred_start), _secs(plan.preferred_end)
    return planning.VisitSpec(
        key=v.pk, lat=req.latitude, lon=req.longitude, service_s=service,
        window=(start, max(start, end - service)), skill=plan.skill,
        priority=1 if v.urgent else plan.priority,
    )  # fmt: skip


def plan_facility(
    actor: Actor,
    facility: Facility,
    day: date,
    *,
    seconds: float | None = None,
    now: datetime | None = None,
) -> DayPlan:
    """Plan (or re-plan) one Puskesmas's home visits of `day`.

    Visits already started or done stay where they are: their worker goes on from that home
    when the started visit ends, and only `due`/`planned` visits move. A plan written by
    someone else while this one was being solved wins (compare-and-set on the version)."""
    require_staff(actor, facility)
    ensure_due_visits(actor, facility, day)
    midnight = _midnight(facility, day)
    now_s = None
    if now is not None and now.astimezone(midnight.tzinfo).date() == day:
        now_s = int((now - midnight).total_seconds())
    day_plan, _created = DayPlan.objects.get_or_create(facility=facility, date=day)
    version = day_plan.version

    workers = workers_available(facility, day)
    visits = list(
        # a paused or ended plan's visits are cancelled by its transition; the filter also
        # keeps out one created while the pause was being written
        Visit.objects.filter(
            facility=facility, date=day, status__in=MOVABLE, care_plan__status=PlanStatus.ACTIVE
        )
        .select_related("care_plan__request")
        .order_by("pk")
    )
    fixed = list(
        Visit.objects.filter(
            facility=facility, date=day, status__in=(VisitStatus.STARTED, VisitStatus.DONE)
        ).select_related("care_plan__request")
    )
    specs = []
    for w in workers:
        shift = (_secs(w.shift_start), _secs(w.shift_end))
        start = available = None
        last = max(
            (v for v in fixed if v.worker_id == w.pk),
            key=lambda v: v.planned_end or v.started_at or midnight,
            default=None,
        )
        if last is not None:
            req = last.care_plan.request
            start = (req.latitude, req.longitude)
            if last.status == VisitStatus.DONE and last.finished_at:
                free_at = last.finished_at
            else:
                free_at = (last.started_at or midnight) + timedelta(
                    minutes=last.care_plan.visit_minutes
                )
            available = int((free_at - midnight).total_seconds())
        if now_s is not None:
            available = max(available or 0, now_s, shift[0])
        specs.append(
            planning.WorkerSpec(
                key=w.pk, skills=frozenset(w.skills), mode=w.travel_mode, shift=shift,
                start=start, available_from=available,
            )
        )  # fmt: skip
    depot = planning.Site(facility.pk, facility.latitude, facility.longitude)
    vspecs = [_visit_spec(v) for v in visits]
    if now_s is not None:  # nothing can start in the past
        vspecs = [
            planning.VisitSpec(s.key, s.lat, s.lon, s.service_s,
                               (max(s.window[0], now_s), max(s.window[1], now_s)),
                               s.skill, s.priority)
            for s in vspecs
        ]  # fmt: skip
    # travel times of the hours each worker's shift covers (planning module docstring)
    problem = planning.day_problem(depot, specs, vspecs, get_estimator(), midnight=midnight)
    plan = planning.solve_day(problem, PLANNER_SECONDS if seconds is None else seconds)
    check = planning.check_plan(problem, plan)
    by_pk = {v.pk: v for v in visits}
    by_worker = {w.pk: w for w in workers}

    with transaction.atomic():
        taken = DayPlan.objects.filter(pk=day_plan.pk, version=version).update(
            version=version + 1, planned_at=timezone.now()
        )
        if not taken:
            raise Conflict(_("Rencana hari ini baru saja dibuat orang lain; muat ulang."))
        PlanRoute.objects.filter(day_plan=day_plan).delete()
        planned = 0
        for route in plan.routes:
            worker = by_worker[route.vehicle]
            if not route.activities:
                continue
            PlanRoute.objects.create(
                day_plan=day_plan, worker=worker, distance_m=route.distance,
                start_at=midnight + timedelta(seconds=route.start),
                end_at=midnight + timedelta(seconds=route.end),
            )  # fmt: skip
            for seq, act in enumerate(route.activities, start=1):
                visit = by_pk[act.key]
                fields = {
                    "worker": worker, "sequence": seq,
                    "planned_arrival": midnight + timedelta(seconds=act.arrival),
                    "planned_start": midnight + timedelta(seconds=act.start),
                    "planned_end": midnight + timedelta(seconds=act.end),
                }  # fmt: skip
                # only visits still movable: one started meanwhile keeps its own times
                if visit.status == VisitStatus.DUE:
                    try:
                        move_visit(actor, visit, VisitStatus.PLANNED, _("rencana harian"), **fields)
                    except Conflict:
                        continue
                else:
                    Visit.objects.filter(pk=visit.pk, status=VisitStatus.PLANNED).update(**fields)
                planned += 1
        for key in plan.unserved:
            visit = by_pk[key]
            if visit.status == VisitStatus.PLANNED:
                # a visit started meanwhile (Conflict) keeps its worker and times
                with contextlib.suppress(Conflict):
                    move_visit(actor, visit, VisitStatus.DUE, _("tidak muat dalam rencana"),
                               worker=None, sequence=None, planned_arrival=None,
                               planned_start=None, planned_end=None)  # fmt: skip
        day_plan.summary = {
            "planned": planned,
            "fixed": len(fixed),
            "unserved": len(plan.unserved),
            "unserved_priority1": sum(
                1 for k in plan.unserved if _visit_spec(by_pk[k]).priority <= 1
            ),
            "distance_km": round(plan.distance / 1000, 1),
            "workers": len(workers),
            "feasible": bool(plan.feasible and check.ok),
            "check_errors": check.errors[:5],
        }
        day_plan.version = version + 1
        DayPlan.objects.filter(pk=day_plan.pk).update(summary=day_plan.summary)
        record_audit(
            actor, "day_plan.plan", day_plan, object_label=f"{facility} {day}",
            after=day_plan.summary | {"version": version + 1},
        )  # fmt: skip
    return DayPlan.objects.get(pk=day_plan.pk)


def plan_day(
    actor: Actor, day: date, *, seconds: float = PLANNER_SECONDS, area: str = ""
) -> list[DayPlan]:
    """Plan `day` for every Puskesmas (of `area`) with active care plans."""
    facilities = Facility.objects.filter(
        kind_id=Kind.PUSKESMAS, is_active=True, care_plans__status=PlanStatus.ACTIVE
    ).distinct()
    if area:
        facilities = facilities.filter(village__code__startswith=area)
    return [plan_facility(actor, f, day, seconds=seconds) for f in facilities.order_by("name")]


NIGHTLY_PLAN_HOUR = 18  # local hour from which tomorrow is planned automatically


def plan_tomorrow_if_due(now: datetime, *, seconds: float | None = None) -> list[DayPlan]:
    """The nightly sweep: from NIGHTLY_PLAN_HOUR local time, plan tomorrow for every
    Puskesmas that has active care plans and no plan for tomorrow yet (staff re-plan by hand
    after that)."""
    local = timezone.localtime(now)
    if local.hour < NIGHTLY_PLAN_HOUR:
        return []
    tomorrow = local.date() + timedelta(days=1)
    actor = Actor.system("nightly home-visit plan")
    done = DayPlan.objects.filter(date=tomorrow, version__gt=0).values("facility_id")
    facilities = (
        Facility.objects.filter(
            kind_id=Kind.PUSKESMAS, is_active=True, care_plans__status=PlanStatus.ACTIVE
        )
        .exclude(pk__in=done)
        .distinct()
        .order_by("name")
    )
    out = []
    for facility in facilities:
        try:
            out.append(plan_facility(actor, facility, tomorrow, seconds=seconds))
        except Conflict:
            continue  # someone planned it meanwhile
    return out


def cancel_visit(actor: Actor, visit: Visit, reason: str, *, replan: bool = True,
                 now: datetime | None = None) -> Visit:  # fmt: skip
    require_worker_or_staff(actor, visit)
    reason = _clean(reason, "reason", _("Alasan"), max_length(Visit, "status_reason"))
    visit = move_visit(actor, visit, VisitStatus.CANCELLED, reason)
    if replan and DayPlan.objects.filter(facility=visit.facility, date=visit.date).exists():
        plan_facility(actor, visit.facility, visit.date, now=now or timezone.now())
    return visit


def add_urgent_visit(actor: Actor, plan: CarePlan, day: date, *, now: datetime | None = None,
                     replan: bool = True) -> Visit:  # fmt: skip
    """An urgent visit (priority 1) inserted into a day, then the day re-planned around the
    visits that have already started."""
    require_staff(actor, plan.facility)
    if plan.status != PlanStatus.ACTIVE:
        raise Conflict(_("Rencana perawatan tidak aktif."), field="status")
    with transaction.atomic():
        existing = (
            Visit.objects.select_for_update(of=("self",))
            .filter(care_plan=plan, date=day)
            .exclude(status=VisitStatus.CANCELLED)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            if existing.status not in MOVABLE:
                raise Conflict(_("Kunjungan hari ini sudah berjalan."))
            Visit.objects.filter(pk=existing.pk).update(urgent=True)
            visit = existing
        else:
            visit = Visit.objects.create(
                care_plan=plan, facility=plan.facility, date=day, urgent=True
            )
        record_audit(actor, "visit.urgent", visit, object_label=f"visit {visit.pk}")
    if replan:
        plan_facility(actor, plan.facility, day, now=now or timezone.now())
    return Visit.objects.get(pk=visit.pk)


def start_visit(actor: Actor, visit: Visit, now: datetime | None = None) -> Visit:
    require_worker_or_staff(actor, visit)
    return move_visit(actor, visit, VisitStatus.STARTED, "", started_at=now or timezone.now())


def miss_visit(actor: Actor, visit: Visit, reason: str) -> Visit:
    require_worker_or_staff(actor, visit)
    reason = _clean(reason, "reason", _("Alasan"), max_length(Visit, "status_reason"))
    with transaction.atomic():
        visit = move_visit(actor, visit, VisitStatus.MISSED, reason)
        # try again the next day
        CarePlan.objects.filter(pk=visit.care_plan_id).update(
            next_due=visit.date + timedelta(days=1)
        )
    return visit


def get_visit(pk: int) -> Visit:
    visit = (
        Visit.objects.select_related("care_plan__request", "worker", "facility")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise NotFound(_("Kunjungan tidak ditemukan."))
    return visit
