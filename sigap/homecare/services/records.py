"""Visit records: vital signs checked, danger signs read, recorded and corrected by the author."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.services import Actor, record_audit

from ..models import CarePlan, PlanStatus, RequestStatus, Visit, VisitRecord, VisitStatus
from ._input import _clean
from .access import require_worker_or_staff
from .care_plans import PLAN_EDITABLE
from .escalations import LIVE_ESCALATION, _raise_escalation, hand_over_escalation, is_author
from .flows import move_plan, move_request, move_visit
from .signs import DANGER_SIGNS, DangerUnconfirmed


@dataclass
class RecordInput:
    outcome: str
    notes: str = ""
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    respiration: int | None = None
    temperature: float | None = None
    spo2: int | None = None
    weight_kg: float | None = None
    next_visit: date | None = None
    danger_signs: list[str] = field(default_factory=list)


# Plausible values a home visit can measure (outside them the reading is a typo or a broken
# device, not a patient): (label, low, high, unit), bounds inclusive.
VITAL_RANGES = {
    "systolic": (gettext_lazy("Tekanan sistolik"), 50, 260, "mmHg"),
    "diastolic": (gettext_lazy("Tekanan diastolik"), 30, 160, "mmHg"),
    "pulse": (gettext_lazy("Nadi"), 25, 250, gettext_lazy("/menit")),
    "respiration": (gettext_lazy("Napas"), 5, 70, gettext_lazy("/menit")),
    "temperature": (gettext_lazy("Suhu"), 30, 43, "°C"),
    "spo2": (gettext_lazy("SpO2"), 50, 100, "%"),
    "weight_kg": (gettext_lazy("Berat badan"), 0.5, 300, "kg"),
}
VITAL_DECIMALS = {"temperature": 1, "weight_kg": 2}
# a record can be corrected by its author for this many hours (setting overrides)
CORRECTION_HOURS = 24


def danger_from_vitals(data: RecordInput) -> list[str]:
    """Vital signs that need a doctor today (thresholds of common home-care SOPs)."""
    found = []
    if data.systolic is not None and (data.systolic >= 180 or data.systolic < 90):
        found.append("tekanan_darah")
    if data.diastolic is not None and data.diastolic >= 120:
        found.append("tekanan_darah")
    if data.spo2 is not None and data.spo2 < 92:
        found.append("saturasi_rendah")
    if data.temperature is not None and (data.temperature >= 39.5 or data.temperature < 35):
        found.append("suhu")
    if data.pulse is not None and (data.pulse > 130 or data.pulse < 45):
        found.append("nadi")
    if data.respiration is not None and data.respiration > 30:
        found.append("napas_cepat")
    return sorted(set(found))


def check_vitals(data: RecordInput) -> None:
    """Refuse implausible vital signs, naming the field: a value outside VITAL_RANGES (NaN
    and infinity included), one blood-pressure value without the other, a diastolic pressure
    not below the systolic one."""
    for name, (label, low, high, unit) in VITAL_RANGES.items():
        value = getattr(data, name)
        if value is None:
            continue
        if isinstance(value, bool):
            raise InvalidInput(_("Harus angka."), field=name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Harus angka."), field=name) from None
        if not low <= number <= high:  # NaN compares false
            raise InvalidInput(
                _("%(label)s %(value)s tidak wajar: harus antara %(low)s dan %(high)s %(unit)s.")
                % {"label": label, "value": value, "low": low, "high": high, "unit": unit},
                field=name,
            )
        if name not in VITAL_DECIMALS and number != int(number):
            raise InvalidInput(_("%(label)s harus bilangan bulat.") % {"label": label}, field=name)
    if (data.systolic is None) != (data.diastolic is None):
        missing = "diastolic" if data.diastolic is None else "systolic"
        raise InvalidInput(
            _("Isi tekanan sistolik dan diastolik bersama-sama (mis. 120/80)."), field=missing
        )
    if data.systolic is not None and data.diastolic >= data.systolic:
        raise InvalidInput(
            _(
                "Tekanan diastolik (%(d)s) harus lebih rendah dari sistolik (%(s)s): "
                "periksa apakah angkanya tertukar."
            )
            % {"d": data.diastolic, "s": data.systolic},
            field="diastolic",
        )


def _vitals(data: RecordInput) -> dict:
    """The record's measured fields, rounded as stored."""
    values = {}
    for name in VITAL_RANGES:
        value = getattr(data, name)
        if value is not None and name in VITAL_DECIMALS:
            value = Decimal(str(value)).quantize(Decimal(1).scaleb(-VITAL_DECIMALS[name]))
        elif value is not None:
            value = int(value)
        values[name] = value
    return values


def record_signs(data: RecordInput) -> list[str]:
    """Danger signs of a record: the ones ticked and the ones its vital signs show."""
    return sorted(set(data.danger_signs) | set(danger_from_vitals(data)))


def _check_record(visit: Visit, data: RecordInput) -> str:
    if data.outcome not in VisitRecord.Outcome.values:
        raise InvalidInput(_("Hasil kunjungan tidak dikenal."), field="outcome")
    check_vitals(data)
    unknown = [s for s in data.danger_signs if s not in DANGER_SIGNS]
    if unknown:
        raise InvalidInput(_("Tanda bahaya tidak dikenal."), field="danger_signs")
    if data.next_visit and data.next_visit <= visit.date:
        raise InvalidInput(_("Kunjungan berikutnya harus setelah hari ini."), field="next_visit")
    return _clean(data.notes, "notes", _("Catatan"), 4000, required=False)


def record_visit(
    actor: Actor,
    visit: Visit,
    data: RecordInput,
    now: datetime | None = None,
    *,
    confirm_danger: bool = True,
) -> VisitRecord:
    """Record a visit (starting it if the worker did not press start); danger signs raise an
    escalation, which `hand_over_escalation` passes to referrals or PSC 119.

    Implausible vital signs are refused (`check_vitals`). The page and the API pass the
    nurse's answer as `confirm_danger` (False until she confirmed): with danger signs and no
    confirmation, `DangerUnconfirmed` is raised and nothing is written."""
    require_worker_or_staff(actor, visit)
    notes = _check_record(visit, data)
    now = now or timezone.now()
    signs = record_signs(data)
    if signs and not confirm_danger:
        raise DangerUnconfirmed(signs)
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).order_by().get(pk=visit.pk)
        if visit.status == VisitStatus.PLANNED:
            visit = move_visit(actor, visit, VisitStatus.STARTED, "", started_at=now)
        if visit.status != VisitStatus.STARTED:
            raise Conflict(_("Kunjungan ini tidak sedang berlangsung."), field="status")
        record = VisitRecord.objects.create(
            visit=visit, outcome=data.outcome, notes=notes, next_visit=data.next_visit,
            danger_signs=signs, recorded_by=actor.user, **_vitals(data),
        )  # fmt: skip
        visit = move_visit(actor, visit, VisitStatus.DONE, data.outcome, finished_at=now)
        plan = (
            CarePlan.objects.select_for_update(of=("self",)).order_by().get(pk=visit.care_plan_id)
        )
        plan.next_due = data.next_visit or visit.date + timedelta(days=plan.frequency_days)
        plan.save(update_fields=["next_due", "updated_at"])
        record_audit(
            actor, "visit.record", record, object_label=f"visit {visit.pk}",
            after={"outcome": data.outcome, "danger_signs": signs, "next_due": str(plan.next_due),
                   "danger_confirmed": bool(signs)},
        )  # fmt: skip
        if data.outcome == VisitRecord.Outcome.DIED:
            move_plan(actor, plan, PlanStatus.COMPLETED, data.outcome)
            move_request(actor, plan.request, RequestStatus.CLOSED, data.outcome)
        escalation = _raise_escalation(actor, record, signs) if signs else None
    if escalation is not None:
        hand_over_escalation(actor, escalation)
    return record


RECORD_FIELDS = (*VITAL_RANGES, "outcome", "notes", "next_visit", "danger_signs")


def _correction_hours() -> float:
    return getattr(settings, "SIGAP_HOMECARE_CORRECTION_HOURS", CORRECTION_HOURS)


def correction_deadline(record: VisitRecord) -> datetime:
    return record.created_at + timedelta(hours=_correction_hours())


def can_correct(actor: Actor, record: VisitRecord, now: datetime | None = None) -> bool:
    return is_author(actor, record) and (now or timezone.now()) <= correction_deadline(record)


def _record_values(record: VisitRecord) -> dict:
    """The correctable fields as JSON-friendly values (for the audit's before/after)."""
    out = {}
    for name in RECORD_FIELDS:
        value = getattr(record, name)
        if value is not None and not isinstance(value, (int, str, list)):
            value = str(value)
        out[name] = value
    return out


def correct_visit_record(
    actor: Actor,
    record: VisitRecord,
    data: RecordInput,
    reason: str,
    *,
    confirm_danger: bool = False,
    now: datetime | None = None,
) -> VisitRecord:
    """The record's author corrects it within `correction_deadline` (a typo in a vital sign,
    a wrong outcome). Audited with the reason and the changed fields before/after.

    New danger signs (not already escalated) need `confirm_danger` like a new record and then
    raise their own escalation. An escalation whose signs the correction removed is not
    withdrawn silently: the author withdraws it with `withdraw_escalation` and a reason.
    Death is not corrected here (it closed the care plan): to or from "died" is refused.
    The same correction sent twice changes nothing the second time."""
    now = now or timezone.now()
    if not is_author(actor, record):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat mengoreksinya."))
    if now > correction_deadline(record):
        raise Conflict(
            _("Batas waktu koreksi (%(h)s jam) sudah lewat; hubungi koordinator Puskesmas.")
            % {"h": int(_correction_hours())},
            field="reason",
        )
    visit = record.visit
    notes = _check_record(visit, data)
    reason = _clean(reason, "reason", _("Alasan koreksi"), 255)
    died = VisitRecord.Outcome.DIED
    if (record.outcome == died) != (data.outcome == died):
        raise Conflict(
            _("Hasil 'Meninggal' tidak dapat dikoreksi di sini; hubungi koordinator Puskesmas."),
            field="outcome",
        )
    signs = record_signs(data)
    with transaction.atomic():
        record = VisitRecord.objects.select_for_update(of=("self",)).order_by().get(pk=record.pk)
        record.visit = visit  # loaded above (a new escalation names its Puskesmas)
        escalated = set()
        for esc in record.escalations.filter(status__in=LIVE_ESCALATION):
            escalated |= set(esc.reasons)
        added = sorted(set(signs) - escalated)
        if added and not confirm_danger:
            raise DangerUnconfirmed(added)
        before = _record_values(record)
        for name, value in _vitals(data).items():
            setattr(record, name, value)
        record.outcome, record.notes, record.next_visit = data.outcome, notes, data.next_visit
        record.danger_signs = signs
        after = _record_values(record)
        changed = sorted(k for k in RECORD_FIELDS if before[k] != after[k])
        if not changed:
            return record
        record.save()
        if "next_visit" in changed:
            plan = (
                CarePlan.objects.select_for_update(of=("self",)).order_by()
                .get(pk=visit.care_plan_id)
            )  # fmt: skip
            later = plan.visits.filter(date__gt=visit.date).exclude(status=VisitStatus.CANCELLED)
            if plan.status in PLAN_EDITABLE and not later.exists():
                plan.next_due = data.next_visit or visit.date + timedelta(days=plan.frequency_days)
                plan.save(update_fields=["next_due", "updated_at"])
        record_audit(
            actor, "visit.correct", record, object_label=f"visit {visit.pk}",
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed} | {"reason": reason},
        )  # fmt: skip
        escalation = _raise_escalation(actor, record, added) if added else None
    if escalation is not None:
        hand_over_escalation(actor, escalation)
    return record
