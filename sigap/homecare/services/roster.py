"""The roster: home-care workers of a Puskesmas, their shifts, leave and availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.services import Actor, record_audit
from sigap.core.text import max_length
from sigap.facilities.models import Facility

from ..models import PlanRoute, Skill, TravelMode, Visit, VisitStatus, Worker, WorkerLeave
from ._input import _clean
from ._local_time import _outside_shift
from .access import require_staff
from .flows import _release_visits, _set_active


@dataclass
class WorkerInput:
    name: str
    skills: list[str]
    shift_start: time
    shift_end: time
    travel_mode: str = TravelMode.MOTOR
    phone: str = ""
    user: Any = None
    is_synthetic: bool = False


def _validate_worker(data: WorkerInput) -> None:
    _clean(data.name, "name", _("Nama"), max_length(Worker, "name"))
    if not data.skills or any(s not in Skill.values for s in data.skills):
        raise InvalidInput(_("Pilih minimal satu keahlian yang dikenal."), field="skills")
    if data.travel_mode not in TravelMode.values:
        raise InvalidInput(_("Moda perjalanan tidak dikenal."), field="travel_mode")
    if data.shift_start >= data.shift_end:
        raise InvalidInput(_("Jam mulai shift harus sebelum jam selesai."), field="shift_end")


def create_worker(actor: Actor, facility: Facility, data: WorkerInput) -> Worker:
    require_staff(actor, facility)
    _validate_worker(data)
    with transaction.atomic():
        worker = Worker.objects.create(
            facility=facility, name=data.name.strip(), skills=sorted(set(data.skills)),
            shift_start=data.shift_start, shift_end=data.shift_end,
            travel_mode=data.travel_mode, phone=data.phone.strip(), user=data.user,
            is_synthetic=data.is_synthetic,
        )  # fmt: skip
        record_audit(actor, "worker.create", worker, after={"skills": worker.skills})
    return worker


def _drop_empty_routes(worker: Worker) -> None:
    """Route totals of days on which the worker has no visit left."""
    busy = Visit.objects.filter(worker=worker).exclude(status=VisitStatus.CANCELLED)
    PlanRoute.objects.filter(worker=worker).exclude(day_plan__date__in=busy.values("date")).delete()


def update_worker(actor: Actor, worker: Worker, data: WorkerInput) -> Worker:
    """Change name, skills, shift, travel mode or phone. Planned visits from today that the
    worker can no longer do (skill gone, outside the new shift) go back to `due`."""
    require_staff(actor, worker.facility)
    _validate_worker(data)
    today = timezone.localdate()
    with transaction.atomic():
        worker = Worker.objects.select_for_update(of=("self",)).order_by().get(pk=worker.pk)
        names = ("name", "skills", "shift_start", "shift_end", "travel_mode", "phone")
        before = {n: str(getattr(worker, n)) for n in names}
        worker.name = data.name.strip()
        worker.skills = sorted(set(data.skills))
        worker.shift_start, worker.shift_end = data.shift_start, data.shift_end
        worker.travel_mode = data.travel_mode
        worker.phone = _clean(data.phone, "phone", _("Telepon"), max_length(Worker, "phone"), False)
        worker.save()
        misfits = [
            v.pk
            for v in Visit.objects.filter(
                worker=worker, status=VisitStatus.PLANNED, date__gte=today
            ).select_related("care_plan")
            if v.care_plan.skill not in worker.skills
            or _outside_shift(
                v.planned_arrival, v.planned_end, worker.shift_start, worker.shift_end
            )
        ]
        released = _release_visits(
            actor, Visit.objects.filter(pk__in=misfits), _("petugas tidak lagi cocok")
        )
        _drop_empty_routes(worker)
        record_audit(
            actor, "worker.update", worker, before=before,
            after={n: str(getattr(worker, n)) for n in names} | {"released_visits": released},
        )  # fmt: skip
    return worker


def set_worker_active(actor: Actor, worker: Worker, active: bool, reason: str = "") -> Worker:
    """Deactivate (left, long illness) or reactivate a worker; a deactivated worker's
    planned visits from today go back to `due` for the next plan. Compare-and-set: two
    presses at once, one wins."""
    require_staff(actor, worker.facility)
    reason = _clean(reason, "reason", _("Alasan"), 255, required=not active)
    with transaction.atomic():
        _set_active(
            Worker, worker.pk, active,
            _("Petugas sudah aktif.") if active else _("Petugas sudah nonaktif."),
        )  # fmt: skip
        released = 0
        if not active:
            released = _release_visits(
                actor, Visit.objects.filter(worker=worker, date__gte=timezone.localdate()),
                _("petugas nonaktif: %(r)s") % {"r": reason},
            )  # fmt: skip
            _drop_empty_routes(worker)
        record_audit(
            actor, "worker.activate" if active else "worker.deactivate", worker,
            before={"is_active": not active},
            after={"is_active": active, "reason": reason, "released_visits": released},
        )  # fmt: skip
    worker.refresh_from_db()
    return worker


def add_leave(
    actor: Actor, worker: Worker, start: date, end: date, reason: str = ""
) -> WorkerLeave:
    """Leave days; the worker's planned visits on those days go back to `due`."""
    require_staff(actor, worker.facility)
    if start > end:
        raise InvalidInput(_("Tanggal mulai cuti setelah tanggal selesai."), field="end_date")
    if (end - start).days > 366:
        raise InvalidInput(_("Cuti paling lama satu tahun per catatan."), field="end_date")
    reason = _clean(reason, "reason", _("Alasan"), max_length(WorkerLeave, "reason"), False)
    with transaction.atomic():
        leave = WorkerLeave.objects.create(
            worker=worker, start_date=start, end_date=end, reason=reason
        )
        released = _release_visits(
            actor, Visit.objects.filter(worker=worker, date__gte=start, date__lte=end),
            _("petugas cuti"),
        )  # fmt: skip
        _drop_empty_routes(worker)
        record_audit(
            actor, "worker.leave", worker,
            after={"from": str(start), "to": str(end), "released_visits": released},
        )  # fmt: skip
    return leave


def workers_available(facility: Facility, day: date) -> list[Worker]:
    on_leave = WorkerLeave.objects.filter(start_date__lte=day, end_date__gte=day).values(
        "worker_id"
    )
    return list(Worker.objects.filter(facility=facility, is_active=True).exclude(pk__in=on_leave))
