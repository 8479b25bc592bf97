"""The monthly counts (GrowthMonthly) per month, kelurahan and posyandu, rebuilt for the cells a
write touched or for a whole area after a bulk load."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from sigap.regions.models import Region

from ..models import GrowthMonthly, Measurement

Cell = tuple[date, str, int | None]


def month_start(d: date) -> date:
    return d.replace(day=1)


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
