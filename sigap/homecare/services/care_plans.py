"""Care plans: created from an eligible request, changed, paused, resumed and ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.services import Actor, record_audit

from ..models import CarePlan, HomecareRequest, PlanStatus, RequestStatus, Skill, Visit, VisitStatus
from ._input import _clean, _reason
from .access import require_staff
from .flows import _cancel_open_visits, _release_visits, move_plan, move_request


@dataclass
class CarePlanInput:
    frequency_days: int
    skill: str
    visit_minutes: int
    preferred_start: time
    preferred_end: time
    priority: int
    start_date: date
    end_date: date | None = None
    notes: str = ""


def _validate_plan(data: CarePlanInput) -> None:
    if data.skill not in Skill.values:
        raise InvalidInput(_("Keahlian tidak dikenal."), field="skill")
    if not (1 <= int(data.frequency_days) <= 90):
        raise InvalidInput(_("Frekuensi 1 sampai 90 hari."), field="frequency_days")
    if not (5 <= int(data.visit_minutes) <= 480):
        raise InvalidInput(_("Lama kunjungan 5 sampai 480 menit."), field="visit_minutes")
    if data.priority not in (1, 2, 3):
        raise InvalidInput(_("Prioritas 1, 2 atau 3."), field="priority")
    if data.preferred_start >= data.preferred_end:
        raise InvalidInput(_("Jam mulai harus sebelum jam selesai."), field="preferred_end")
    if data.end_date and data.end_date < data.start_date:
        raise InvalidInput(_("Tanggal selesai sebelum tanggal mulai."), field="end_date")


def create_care_plan(actor: Actor, req: HomecareRequest, data: CarePlanInput) -> CarePlan:
    require_staff(actor, req.facility)
    _validate_plan(data)
    with transaction.atomic():
        req = HomecareRequest.objects.select_for_update(of=("self",)).order_by().get(pk=req.pk)
        if req.status != RequestStatus.ELIGIBLE:
            raise Conflict(_("Permintaan belum dinyatakan memenuhi syarat."), field="status")
        plan = CarePlan.objects.create(
            request=req, facility=req.facility, frequency_days=data.frequency_days,
            skill=data.skill, visit_minutes=data.visit_minutes,
            preferred_start=data.preferred_start, preferred_end=data.preferred_end,
            priority=data.priority, start_date=data.start_date, end_date=data.end_date,
            next_due=data.start_date, notes=_clean(data.notes, "notes", _("Catatan"), 2000, False),
        )  # fmt: skip
        record_audit(
            actor, "care_plan.create", plan, object_label=f"care plan {plan.pk}",
            after={"skill": plan.skill, "frequency_days": plan.frequency_days,
                   "priority": plan.priority},
        )  # fmt: skip
        plan.request = move_request(actor, req, RequestStatus.ACTIVE, _("Rencana perawatan dibuat"))
    return plan


@dataclass
class CarePlanChange:
    frequency_days: int
    skill: str
    visit_minutes: int
    preferred_start: time
    preferred_end: time
    priority: int
    notes: str = ""


PLAN_EDITABLE = (PlanStatus.ACTIVE, PlanStatus.PAUSED)


def update_care_plan(actor: Actor, plan: CarePlan, data: CarePlanChange) -> CarePlan:
    """Change frequency, skill, visit length, preferred hours or priority. Visits already
    planned that no longer match (skill, length, hours) go back to `due`, so the next plan
    places them again; a started visit is left alone."""
    require_staff(actor, plan.facility)
    notes = _clean(data.notes, "notes", _("Catatan"), 2000, required=False)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        if plan.status not in PLAN_EDITABLE:
            raise Conflict(_("Rencana perawatan ini sudah berakhir."), field="status")
        _validate_plan(
            CarePlanInput(
                data.frequency_days, data.skill, data.visit_minutes, data.preferred_start,
                data.preferred_end, data.priority, plan.start_date, plan.end_date,
            )
        )  # fmt: skip
        names = ("frequency_days", "skill", "visit_minutes", "preferred_start",
                 "preferred_end", "priority")  # fmt: skip
        before = {n: getattr(plan, n) for n in names} | {"notes": plan.notes}
        for n in names:
            setattr(plan, n, getattr(data, n))
        plan.notes = notes
        if data.frequency_days != before["frequency_days"]:
            last = (
                Visit.objects.filter(care_plan=plan, status=VisitStatus.DONE)
                .order_by("-date").values_list("date", flat=True).first()
            )  # fmt: skip
            if last is not None:
                plan.next_due = last + timedelta(days=plan.frequency_days)
        plan.save()
        reshaped = any(
            before[n] != getattr(plan, n)
            for n in ("skill", "visit_minutes", "preferred_start", "preferred_end")
        )
        released = 0
        if reshaped:
            released = _release_visits(
                actor, Visit.objects.filter(care_plan=plan), _("rencana perawatan diubah")
            )
        after = {n: getattr(plan, n) for n in names} | {"notes": notes}
        record_audit(
            actor, "care_plan.update", plan, object_label=f"care plan {plan.pk}",
            before={k: str(v) for k, v in before.items()},
            after={k: str(v) for k, v in after.items()} | {"released_visits": released},
        )  # fmt: skip
    return plan


def pause_care_plan(actor: Actor, plan: CarePlan, reason: str) -> CarePlan:
    """Pause visits (in hospital, away): open visits are cancelled, no plan routes it."""
    require_staff(actor, plan.facility)
    reason = _reason(reason)
    with transaction.atomic():
        plan = move_plan(actor, plan, PlanStatus.PAUSED, reason, status_reason=reason)
        _cancel_open_visits(actor, plan, _("Rencana ditunda: %(r)s") % {"r": reason})
    return plan


def resume_care_plan(actor: Actor, plan: CarePlan, *, day: date | None = None) -> CarePlan:
    """Resume a paused plan; a visit that fell due during the pause is due from `day`."""
    require_staff(actor, plan.facility)
    day = day or timezone.localdate()
    return move_plan(
        actor, plan, PlanStatus.ACTIVE, _("dilanjutkan"), status_reason="",
        next_due=max(plan.next_due, day),
    )  # fmt: skip


def end_care_plan(
    actor: Actor, plan: CarePlan, reason: str, *, day: date | None = None
) -> CarePlan:
    """End a plan (goal reached, moved, died...): open visits cancelled, request closed."""
    require_staff(actor, plan.facility)
    reason = _reason(reason)
    day = day or timezone.localdate()
    with transaction.atomic():
        plan = move_plan(
            actor, plan, PlanStatus.COMPLETED, reason, status_reason=reason,
            end_date=max(day, plan.start_date),
        )  # fmt: skip
        _cancel_open_visits(actor, plan, _("Rencana berakhir: %(r)s") % {"r": reason})
        req = HomecareRequest.objects.get(pk=plan.request_id)
        if req.status == RequestStatus.ACTIVE:
            move_request(actor, req, RequestStatus.CLOSED, reason, status_reason=reason)
    return plan
