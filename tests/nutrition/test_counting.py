"""Prevalence counts children, not measurements: each child once a month, by its last
measurement of the month, in that measurement's posyandu and kelurahan. Entry, API,
corrections, deletions, the e-PPGBM import, the rebuild and the data migration agree."""

import contextlib
import importlib
import json
import random
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.test import Client

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.services import Actor
from sigap.nutrition import selectors, services
from sigap.nutrition.importer import import_eppgbm
from sigap.nutrition.models import Child, GrowthMonthly, Measurement
from tests.nutrition.test_import import csv_bytes, row

pytestmark = pytest.mark.django_db
M = services.MeasurementInput
JAN = date(2026, 1, 1)
NORMAL = (11.5, 85.0)  # boy born 2024-01-10, lying: normal at 731-746 days
STUNTED = (11.0, 78.0)  # HAZ < -2, WHZ normal
SEVERE = (8.0, 85.0)  # WHZ < -3


def measure(actor, child, day, values):
    return services.record_measurement(actor, child, M(date(2026, 1, day), *values, "L"))


def cells(month=JAN) -> dict:
    return {(c.kelurahan_code, c.posyandu_id): c for c in GrowthMonthly.objects.filter(month=month)}


def flags(child) -> list[tuple[date, bool]]:
    return list(
        Measurement.objects.filter(child=child)
        .order_by("measured_on")
        .values_list("measured_on", "counts_in_month")
    )


def rows_now() -> set[tuple]:
    """The monthly counts as comparable tuples."""
    fields = [f.name for f in GrowthMonthly._meta.fields if f.name != "id"]
    return {
        tuple(r)
        for r in GrowthMonthly.objects.values_list(
            *[f if f != "posyandu" else "posyandu_id" for f in fields]
        )
    }


def test_child_measured_twice_counts_once(make_child, staff_actor, analyst, settings):
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 1  # two children: publish anyway
    twice = make_child(birth_date=date(2024, 1, 10))
    measure(staff_actor, twice, 5, STUNTED)
    measure(staff_actor, twice, 25, NORMAL)
    once = make_child(birth_date=date(2024, 1, 10))
    measure(staff_actor, once, 12, STUNTED)
    assert flags(twice) == [(date(2026, 1, 5), False), (date(2026, 1, 25), True)]
    cell = GrowthMonthly.objects.get(month=JAN)
    # two children, three measurements: denominators and numerators count children
    assert (cell.measured, cell.haz_n, cell.stunted, cell.waz_n) == (2, 2, 1, 2)
    dash = selectors.dashboard(analyst, month=JAN, level="posyandu", area="3374")
    assert dash.totals["measured"] == 2 and dash.totals["stunting"] == 50.0
    assert dash.trend["measured"][-1] == 2
    # the faltering list shows each child once
    assert [m.child_id for m in selectors.faltering(analyst, month=JAN)] == []


def test_a_correction_later_in_the_month_changes_the_class_counted(make_child, staff_actor):
    child = make_child(birth_date=date(2024, 1, 10))
    measure(staff_actor, child, 5, NORMAL)
    assert GrowthMonthly.objects.get(month=JAN).severely_wasted == 0
    measure(staff_actor, child, 20, SEVERE)
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.whz_n, cell.wasted, cell.severely_wasted) == (1, 1, 1, 1)
    measure(staff_actor, child, 28, NORMAL)  # re-weighed: the last one counts
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.wasted, cell.severely_wasted) == (1, 0, 0)
    # an earlier entry typed in late does not displace the last one
    measure(staff_actor, child, 2, SEVERE)
    assert GrowthMonthly.objects.get(month=JAN).severely_wasted == 0
    assert [c for _d, c in flags(child)] == [False, False, False, True]


def test_the_counted_measurement_gives_the_posyandu(make_child, facilities):
    """A child who moved posyandu during the month counts at the later one only."""
    system = Actor.system("test")
    child = make_child(birth_date=date(2024, 1, 10), actor=system)
    measure(system, child, 3, NORMAL)
    Child.objects.filter(pk=child.pk).update(posyandu=facilities["pos2"], kelurahan="3374101001")
    child.refresh_from_db()
    measure(system, child, 17, NORMAL)
    assert {k: c.measured for k, c in cells().items()} == {("3374101001", facilities["pos2"].pk): 1}


def test_correct_and_delete_recount_the_month(make_child, staff_actor):
    child = make_child(birth_date=date(2024, 1, 10))
    early = measure(staff_actor, child, 5, STUNTED)
    late = measure(staff_actor, child, 25, NORMAL)
    assert GrowthMonthly.objects.get(month=JAN).stunted == 0
    # move the late one back before the early one: now the early one is the last
    services.correct_measurement(staff_actor, late, M(date(2026, 1, 2), *NORMAL, "L"))
    assert flags(child) == [(date(2026, 1, 2), False), (date(2026, 1, 5), True)]
    assert GrowthMonthly.objects.get(month=JAN).stunted == 1
    # a correction onto a day that already has a measurement is refused, nothing changes
    with pytest.raises(Conflict):
        services.correct_measurement(staff_actor, late, M(date(2026, 1, 5), *NORMAL, "L"))
    # moved into February: January and February each count the child once
    services.correct_measurement(staff_actor, late, M(date(2026, 2, 3), *NORMAL, "L"))
    assert GrowthMonthly.objects.get(month=JAN).measured == 1
    assert GrowthMonthly.objects.get(month=date(2026, 2, 1)).measured == 1
    assert Measurement.objects.get(pk=late.pk).weight_gain_g == 500  # 11.0 -> 11.5
    # deleting needs a reason; deleting the counted one hands the month to the other one
    extra = measure(staff_actor, child, 20, NORMAL)
    assert GrowthMonthly.objects.get(month=JAN).stunted == 0
    with pytest.raises(InvalidInput):
        services.delete_measurement(staff_actor, extra, reason=" ")
    services.delete_measurement(staff_actor, extra, reason="salah anak")
    assert flags(child)[0] == (date(2026, 1, 5), True)
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.stunted) == (1, 1)
    services.delete_measurement(staff_actor, early, reason="salah anak")
    assert not GrowthMonthly.objects.filter(month=JAN).exists()
    assert Measurement.objects.get(pk=late.pk).weight_gain_g is None  # no previous weighing


def test_import_counts_each_child_once(staff_actor, facilities):
    rows = [
        row(tanggal="05/01/2026", berat="11,0", tinggi="78"),
        row(tanggal="25/01/2026"),  # the same child again, normal
        row(nik="3374010202240002", name="Sari", jk="P", tanggal="15/01/2026"),
    ]
    report = import_eppgbm(staff_actor, csv_bytes(rows), "eppgbm.csv")
    assert report.accepted == 3 and report.measurements_created == 3
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.haz_n, cell.stunted) == (2, 2, 0)
    # a second file with an even later, stunted measurement of Budi moves the count
    report = import_eppgbm(
        staff_actor, csv_bytes([row(tanggal="30/01/2026", berat="11,0", tinggi="78")]), "b.csv"
    )
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.stunted) == (2, 1)
    assert Measurement.objects.filter(counts_in_month=True).count() == 2


def test_api_correct_delete_and_dashboard(staff, analyst, make_child, staff_actor, other_staff):
    child = make_child(birth_date=date(2024, 1, 10))
    c = Client()
    c.force_login(staff)
    url = f"/api/v1/nutrition/children/{child.public_id}/measurements"
    first = c.post(url, json.dumps({"measured_on": "2026-01-05", "weight_kg": 11.0,
                                    "length_cm": 78.0, "position": "L"}),
                   content_type="application/json").json()  # fmt: skip
    second = c.post(url, json.dumps({"measured_on": "2026-01-25", "weight_kg": 11.5,
                                     "length_cm": 85.0, "position": "L"}),
                    content_type="application/json").json()  # fmt: skip
    assert first["counts_in_month"] and second["counts_in_month"]  # each the last when saved
    assert not Measurement.objects.get(public_id=first["id"]).counts_in_month
    a = Client()
    a.force_login(analyst)
    totals = a.get("/api/v1/nutrition/dashboard?month=2026-01").json()["totals"]
    assert totals["measured"] == 1 and totals["stunted"] == 0
    page = a.get("/gizi/?bulan=2026-01")
    assert page.status_code == 200 and b'data-kpi="measured">1<' in page.content
    # correct the later one to a stunted length
    r = c.put(f"/api/v1/nutrition/measurements/{second['id']}",
              json.dumps({"measured_on": "2026-01-25", "weight_kg": 11.0, "length_cm": 78.0,
                          "position": "L"}), content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["haz_class"].endswith("pendek")
    assert a.get("/api/v1/nutrition/dashboard?month=2026-01").json()["totals"]["stunted"] == 1
    # another Puskesmas may neither correct nor delete; no reason is a 4xx
    o = Client()
    o.force_login(other_staff)
    # another Puskesmas' measurement answers like an unknown id
    assert o.delete(f"/api/v1/nutrition/measurements/{second['id']}?reason=x").status_code == 404
    r = c.delete(f"/api/v1/nutrition/measurements/{second['id']}")
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = c.delete(f"/api/v1/nutrition/measurements/{second['id']}?reason=ganda")
    assert r.status_code == 204
    assert c.delete(f"/api/v1/nutrition/measurements/{second['id']}?reason=x").status_code == 404
    assert Measurement.objects.get(public_id=first["id"]).counts_in_month
    totals = a.get("/api/v1/nutrition/dashboard?month=2026-01").json()["totals"]
    assert totals["measured"] == 1 and totals["stunted"] == 1


def test_incremental_counts_equal_a_full_recount(make_child):
    """Random visits, corrections and deletions written one by one leave the same flags and
    monthly counts as a recount and rebuild from scratch (the bulk and migration path)."""
    rnd = random.Random(7)
    system = Actor.system("test")
    kids = [make_child(birth_date=date(2024, 1, 10), actor=system, sex=rnd.choice("LP"),
                       posyandu=rnd.choice(["pos1", None]))
            for _ in range(6)]  # fmt: skip
    stored: list[int] = []
    for _ in range(60):
        child = rnd.choice(kids)
        on = date(2026, 1, 1) + timedelta(days=rnd.randrange(80))
        values = M(on, round(rnd.uniform(9, 13), 1), round(rnd.uniform(76, 92), 1), "L")
        pick = Measurement.objects.filter(pk=rnd.choice(stored)).first() if stored else None
        if pick is not None and rnd.random() < 0.15:
            services.delete_measurement(system, pick, reason="uji")
        elif pick is not None and rnd.random() < 0.15:
            with contextlib.suppress(Conflict):
                services.correct_measurement(system, pick, values)
        else:
            stored.append(services.record_measurement(system, child, values).pk)
    incremental = set(Measurement.objects.values_list("id", "counts_in_month", "weight_gain_g"))
    counts = rows_now()
    Measurement.objects.update(counts_in_month=False, weight_gain_g=None)
    GrowthMonthly.objects.all().delete()
    n = services.recount_months("3374")
    services._refresh_series([k.pk for k in kids])
    assert (
        set(Measurement.objects.values_list("id", "counts_in_month", "weight_gain_g"))
        == incremental
    )
    assert n == Measurement.objects.filter(counts_in_month=True).count()
    services.rebuild_growth_monthly("3374")
    assert rows_now() == counts
    # every child counts at most once a month
    per_month = {}
    for child_id, month in Measurement.objects.filter(counts_in_month=True).values_list(
        "child_id", "month"
    ):
        assert (child_id, month) not in per_month
        per_month[(child_id, month)] = 1


def test_data_migration_counts_existing_rows_once(make_child, staff_actor):
    child = make_child(birth_date=date(2024, 1, 10))
    measure(staff_actor, child, 5, STUNTED)
    measure(staff_actor, child, 25, NORMAL)
    # as the rows stood before the migration: no flags, counts over every measurement
    Measurement.objects.update(counts_in_month=False)
    GrowthMonthly.objects.update(measured=2, stunted=1)
    migration = importlib.import_module("sigap.nutrition.migrations.0003_count_children_once")
    migration.count_children_once(apps, None)
    assert flags(child) == [(date(2026, 1, 5), False), (date(2026, 1, 25), True)]
    cell = GrowthMonthly.objects.get(month=JAN)
    assert (cell.measured, cell.stunted, cell.haz_n) == (1, 0, 1)
