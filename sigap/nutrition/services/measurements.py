"""Measurements one at a time: record, correct, delete; a severe one opens a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput, NotFound
from sigap.core.services import Actor, record_audit

from .. import classification as cls
from .. import zscores as zs
from ..models import Child, Measurement, NutritionCase
from ._input import _check_ranges, _today, _uuid
from .access import _require_staff, mask_nik_encoded, require_record_in_scope, require_recorder
from .cases import move_case
from .children import ChildInput, register_child, validate_child
from .growth import POSITION_CODES, _fill_scores, _lock_children, _refresh_series
from .monthly import Cell, month_start, refresh_growth_monthly

# WHO: MUAC under 11.5 cm at 6-59 months is severe acute malnutrition.
SEVERE_MUAC_CM = 11.5
MUAC_MIN_AGE_DAYS = 183


@dataclass
class MeasurementInput:
    measured_on: date
    weight_kg: float | None
    length_cm: float | None
    position: str = ""  # "L" lying, "H" standing, "" unknown
    muac_cm: float | None = None
    oedema: bool = False


def validate_measurement(child: Child, data: MeasurementInput, today: date | None = None) -> int:
    """Checks a measurement; returns the age in days."""
    today = today or _today()
    if not isinstance(data.measured_on, date) or data.measured_on > today:
        raise InvalidInput(_("Tanggal pengukuran tidak sah."), field="measured_on")
    age = (data.measured_on - child.birth_date).days
    if age < 0:
        raise InvalidInput(_("Tanggal pengukuran sebelum tanggal lahir."), field="measured_on")
    if age > zs.WHZ_MAX_AGE_DAYS:  # past 60 completed months (1856 days)
        raise InvalidInput(_("Anak sudah berusia lebih dari 5 tahun."), field="measured_on")
    if data.weight_kg is None and data.length_cm is None:
        raise InvalidInput(_("Isi berat badan atau panjang/tinggi badan."), field="weight_kg")
    _check_ranges(
        (data.weight_kg, "weight_kg", 0.5, 40.0),
        (data.length_cm, "length_cm", 35.0, 130.0),
        (data.muac_cm, "muac_cm", 5.0, 30.0),
    )
    if data.position not in POSITION_CODES:
        raise InvalidInput(_("Cara ukur harus L (terlentang) atau H (berdiri)."), field="position")
    return age


def _severe_kind(m: Measurement) -> str | None:
    if m.implausible:
        return None
    if m.whz_class == cls.WHZ_SEVERE:
        return NutritionCase.Kind.SEVERE_WASTING
    if m.muac_cm is not None and m.muac_cm < SEVERE_MUAC_CM and m.age_days >= MUAC_MIN_AGE_DAYS:
        return NutritionCase.Kind.SEVERE_WASTING
    if m.whz is None and m.waz_class == cls.WAZ_SEVERELY_UNDERWEIGHT:
        # weighed only: severely underweight is the signal a posyandu has
        return NutritionCase.Kind.SEVERE_UNDERWEIGHT
    return None


def _open_cases(actor: Actor, items: list[Measurement]) -> list[NutritionCase]:
    """A case for every severe measurement whose child has no open case of that kind."""
    severe = [(m, k) for m in items if (k := _severe_kind(m))]
    if not severe:
        return []
    open_keys = set(
        NutritionCase.objects.filter(
            child_id__in={m.child_id for m, _k in severe},
            status__in=[NutritionCase.Status.OPEN, NutritionCase.Status.ACTING],
        ).values_list("child_id", "kind")
    )
    created = []
    for m, kind in sorted(severe, key=lambda p: p[0].measured_on):
        if (m.child_id, kind) in open_keys:
            continue
        open_keys.add((m.child_id, kind))
        try:
            with transaction.atomic():
                case = NutritionCase.objects.create(
                    child_id=m.child_id,
                    kind=kind,
                    opened_by=m,
                    opened_on=m.measured_on,
                    kelurahan_code=m.kelurahan_code,
                    posyandu_id=m.posyandu_id,
                    status_changed_at=timezone.now(),
                )
        except IntegrityError:
            continue  # opened at the same moment by another writer: one open case is enough
        record_audit(
            actor, "case.open", case, after={"kind": kind, "measurement": str(m.public_id)}
        )
        created.append(case)
    return created


def _measurement_snapshot(m: Measurement) -> dict:
    return {
        "measured_on": m.measured_on.isoformat(),
        "weight_kg": m.weight_kg,
        "length_cm": m.length_cm,
        "position": m.position,
        "muac_cm": m.muac_cm,
        "oedema": m.oedema,
        "haz": m.haz,
        "waz": m.waz,
        "whz": m.whz,
    }


def record_measurement(
    actor: Actor, child: Child, data: MeasurementInput, *, source: str = Measurement.Source.FORM
) -> Measurement:
    """Store one measurement (a second one on the same day replaces the first)."""
    require_recorder(actor, child.kelurahan_id)
    age = validate_measurement(child, data)
    with transaction.atomic():
        _lock_children([child.pk])
        existing = (
            Measurement.objects.select_for_update()
            .filter(child=child, measured_on=data.measured_on)
            .first()
        )
        before = _measurement_snapshot(existing) if existing else None
        m = existing or Measurement(measured_on=data.measured_on)
        old_cell = (m.month, m.kelurahan_code, m.posyandu_id) if existing else None
        m.child = child
        m.sex, m.kelurahan_code, m.posyandu_id = child.sex, child.kelurahan_id, child.posyandu_id
        m.source = source
        _store_measurement(
            actor,
            m,
            data,
            age,
            action="measurement.update" if existing else "measurement.create",
            before=before,
            old_cell=old_cell,
        )
    return m


def register_and_measure(
    actor: Actor,
    child_data: ChildInput,
    data: MeasurementInput,
    *,
    source: str = Measurement.Source.FORM,
) -> Measurement:
    """A new child and its first measurement, all or nothing: both are checked before
    anything is written, and both are written in one transaction (a refused weight or
    length leaves no child and no audit record behind)."""
    checked = validate_child(child_data)
    require_recorder(actor, checked.kelurahan_code)
    validate_measurement(Child(birth_date=checked.birth_date, sex=checked.sex), data)
    with transaction.atomic():
        child = register_child(actor, child_data)
        return record_measurement(actor, child, data, source=source)


def _store_measurement(
    actor: Actor,
    m: Measurement,
    data: MeasurementInput,
    age: int,
    *,
    action: str,
    before: dict | None,
    old_cell: Cell | None,
) -> None:
    """Inside the caller's transaction, with the child locked: set the entered values on `m`,
    score it, recompute the child's series, save, refresh the month's counts of the cells it
    left and entered, audit, and open the cases its values call for."""
    m.measured_on = data.measured_on
    m.month = month_start(data.measured_on)
    m.age_days = age
    m.weight_kg, m.length_cm, m.position = data.weight_kg, data.length_cm, data.position
    m.muac_cm, m.oedema = data.muac_cm, data.oedema
    m.recorded_by = actor.user
    _fill_scores([m])
    cells = _refresh_series([m.child_id], pending=[m])
    m.save()
    cells.add((m.month, m.kelurahan_code, m.posyandu_id))
    if old_cell:
        cells.add(old_cell)
    refresh_growth_monthly(cells)
    record_audit(
        actor,
        action,
        m,
        object_label=f"{mask_nik_encoded(m.child.nik) or m.child_id} {m.measured_on}",
        before=before,
        after=_measurement_snapshot(m),
    )
    _open_cases(actor, [m])


def get_measurement(actor: Actor, public_id) -> Measurement:
    """A stored measurement, for correcting or deleting it (recorders of its kelurahan)."""
    _require_staff(actor)
    public_id = _uuid(public_id, _("Pengukuran"))
    m = Measurement.objects.select_related("child").filter(public_id=public_id).first()
    if m is None:
        raise NotFound(_("Pengukuran tidak ditemukan."))
    require_record_in_scope(actor, m.kelurahan_code, _("Pengukuran tidak ditemukan."))
    return m


def correct_measurement(actor: Actor, m: Measurement, data: MeasurementInput) -> Measurement:
    """Correct a stored measurement (values and date). The child's gains and the month it
    counts in are recomputed; its posyandu and kelurahan stay those it was taken in."""
    require_recorder(actor, m.kelurahan_code)
    child = m.child
    age = validate_measurement(child, data)
    with transaction.atomic():
        _lock_children([child.pk])
        locked = Measurement.objects.select_for_update().filter(pk=m.pk).first()
        if locked is None:
            raise NotFound(_("Pengukuran tidak ditemukan."))
        if (
            data.measured_on != locked.measured_on
            and Measurement.objects.filter(child=child, measured_on=data.measured_on).exists()
        ):
            raise Conflict(
                _("Anak ini sudah punya pengukuran pada tanggal itu."), field="measured_on"
            )
        locked.child = child
        _store_measurement(
            actor,
            locked,
            data,
            age,
            action="measurement.correct",
            before=_measurement_snapshot(locked),
            old_cell=(locked.month, locked.kelurahan_code, locked.posyandu_id),
        )
        _settle_cases(actor, locked, deleted=False)
    return locked


def _settle_cases(actor: Actor, m: Measurement, *, deleted: bool) -> list[NutritionCase]:
    """Keep the child's active cases consistent with a corrected or deleted measurement
    (inside the caller's transaction, child locked). A case that `m` opened and whose
    reason is gone (deleted, or corrected to a value that is no longer severe of that kind)
    moves to another severe measurement of the same kind taken since the case opened if
    there is one, else it is closed with the reason (through move_case: audited). A
    correction that makes `m` severe opens its case in _store_measurement (a new case when
    the earlier one was closed). Returns the cases closed."""
    closed = []
    active = [NutritionCase.Status.OPEN, NutritionCase.Status.ACTING]
    cases = list(
        NutritionCase.objects.select_for_update()
        .filter(opened_by_id=m.pk, status__in=active)
        .order_by("pk")
    )
    for case in cases:
        if not deleted and _severe_kind(m) == case.kind:
            continue  # still severe: the case stands
        others = (
            Measurement.objects.filter(child_id=m.child_id, measured_on__gte=case.opened_on)
            .exclude(pk=m.pk)
            .order_by("measured_on")
        )
        other = next((o for o in others if _severe_kind(o) == case.kind), None)
        if other is not None:
            before = {"measurement": str(m.public_id), "opened_on": case.opened_on.isoformat()}
            case.opened_by, case.opened_on = other, other.measured_on
            case.save(update_fields=["opened_by", "opened_on", "updated_at"])
            record_audit(
                actor,
                "case.reattach",
                case,
                before=before,
                after={
                    "measurement": str(other.public_id),
                    "opened_on": other.measured_on.isoformat(),
                },
            )
            continue
        reason = (
            _("Pengukuran yang membuka kasus ini dihapus.")
            if deleted
            else _("Pengukuran yang membuka kasus ini dikoreksi: tidak lagi %(kind)s.")
            % {"kind": case.get_kind_display()}
        )
        closed.append(move_case(actor, case, NutritionCase.Status.CLOSED, reason=str(reason)))
    return closed


def delete_measurement(actor: Actor, m: Measurement, *, reason: str) -> None:
    """Delete a measurement entered by mistake (with a reason); the child's gains and the
    month's counted measurement are recomputed."""
    require_recorder(actor, m.kelurahan_code)
    if not (reason or "").strip():
        raise InvalidInput(_("Tuliskan alasan penghapusan."), field="reason")
    with transaction.atomic():
        _lock_children([m.child_id])
        locked = Measurement.objects.select_for_update().filter(pk=m.pk).first()
        if locked is None:
            raise NotFound(_("Pengukuran tidak ditemukan."))
        cells = _refresh_series([locked.child_id], skip=[locked.pk])
        cells.add((locked.month, locked.kelurahan_code, locked.posyandu_id))
        before = _measurement_snapshot(locked)
        # m.child is the child get_measurement loaded: no second query for the label
        label = f"{mask_nik_encoded(m.child.nik) or locked.child_id} {locked.measured_on}"
        record_audit(
            actor,
            "measurement.delete",
            locked,
            object_label=label,
            before=before,
            after={"reason": reason.strip()[:255]},
        )
        _settle_cases(actor, locked, deleted=True)
        locked.delete()
        refresh_growth_monthly(cells)
