"""Many measurements at once (imports, the demo): one INSERT per 2,000 rows, one pass of scores,
series and monthly counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.services import Actor, record_audit

from ..models import Child, Measurement, NutritionCase
from .growth import _fill_scores, _lock_children, _refresh_series
from .measurements import MeasurementInput, _open_cases, _severe_kind
from .monthly import Cell, month_start, refresh_growth_monthly

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
