"""A child's growth series: z-scores and classes of measurements, weight gain, faltering (T, 2T)
and the measurement each month counts; writers of one child take turns on its row."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .. import classification as cls
from .. import zscores as zs
from ..models import Child, Measurement
from .monthly import Cell, month_start

# Growth faltering ("T", tidak naik) is no weight gain since the previous weighing, when that
# weighing is at most this old; two T in a row ("2T") is flagged for referral. Buku KIA
# (Kemenkes, 2023 print, KMS page) defines T as a flat or falling weight curve or a gain below
# the minimal gain for the age (KBM, Kenaikan Berat Badan Minimal); its KBM table could not be
# read reliably from any source available here, so the KBM threshold is not applied.
FALTERING_MAX_GAP_DAYS = 62
POSITION_CODES = {"L": zs.LYING, "H": zs.STANDING, "": zs.UNKNOWN}


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
