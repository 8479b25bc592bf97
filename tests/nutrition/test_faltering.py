"""Growth faltering: T (no weight gain since the previous weighing, at most 62 days before)
and 2T (T twice in a row, a referral trigger), flagged, counted per month and listed."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from sigap.nutrition import selectors, services
from sigap.nutrition.models import GrowthMonthly, Measurement

pytestmark = pytest.mark.django_db
M = services.MeasurementInput


def visit(actor, child, on, weight, length=66.0):
    return services.record_measurement(actor, child, M(on, weight, length, "L"))


def series(child) -> list[tuple]:
    return list(
        Measurement.objects.filter(child=child)
        .order_by("measured_on")
        .values_list("weight_gain_g", "faltering", "faltering_2t")
    )


def test_two_t_in_a_row(make_child, staff_actor, analyst):
    child = make_child(birth_date=date(2025, 1, 1))
    visit(staff_actor, child, date(2025, 6, 1), 7.0)
    visit(staff_actor, child, date(2025, 7, 1), 7.0)  # T
    aug = visit(staff_actor, child, date(2025, 8, 1), 6.9)  # T again: 2T
    visit(staff_actor, child, date(2025, 9, 1), 7.3)  # N
    assert aug.faltering_2t
    assert series(child) == [
        (None, False, False),
        (0, True, False),
        (-100, True, True),
        (400, False, False),
    ]
    assert GrowthMonthly.objects.get(month=date(2025, 8, 1)).faltering_2t == 1
    assert GrowthMonthly.objects.get(month=date(2025, 9, 1)).faltering_2t == 0
    dash = selectors.dashboard(analyst, month=date(2025, 8, 1), area="3374")
    assert dash.totals["faltering_2t"] == 1 and dash.units[0]["faltering_2t"] == 1
    # listed, 2T first
    other = make_child(birth_date=date(2025, 1, 1), name="Anak Dua")
    visit(staff_actor, other, date(2025, 7, 10), 7.2)
    visit(staff_actor, other, date(2025, 8, 5), 7.1)  # a single T
    listed = selectors.faltering(analyst, month=date(2025, 8, 1))
    assert [(m.child_id, m.faltering_2t) for m in listed] == [(child.pk, True), (other.pk, False)]
    # a weighing typed in late between the two T breaks the run
    visit(staff_actor, child, date(2025, 7, 15), 7.5)
    assert [f2 for _g, _f, f2 in series(child)] == [False, False, False, False, False]
    assert GrowthMonthly.objects.get(month=date(2025, 8, 1)).faltering_2t == 0


def test_no_2t_across_a_long_gap(make_child, staff_actor):
    """A weighing more than 62 days after the previous one has no gain, so no T and no 2T."""
    child = make_child(birth_date=date(2025, 1, 1))
    visit(staff_actor, child, date(2025, 5, 1), 7.0)
    visit(staff_actor, child, date(2025, 6, 1), 7.0)  # T
    late = visit(staff_actor, child, date(2025, 9, 1), 6.8)
    assert (late.weight_gain_g, late.faltering, late.faltering_2t) == (None, False, False)
    nxt = visit(staff_actor, child, date(2025, 10, 1), 6.8)  # T, but the one before was not
    assert nxt.faltering and not nxt.faltering_2t


def test_2t_on_the_entry_page_and_api(make_child, staff, staff_actor, facilities):
    child = make_child(birth_date=date(2025, 1, 1), nik="3374014101250001")
    visit(staff_actor, child, date(2025, 6, 1), 7.0)
    visit(staff_actor, child, date(2025, 7, 1), 7.0)
    c = Client()
    c.force_login(staff)
    r = c.post(
        "/gizi/ukur/",
        {
            "posyandu": str(facilities["pos1"].public_id),
            "child": str(child.public_id),
            "measured_on": "2025-08-01",
            "weight": "6,9",
            "length": "67",
            "position": "L",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert "2T: berat badan tidak naik dua kali berturut-turut" in r.content.decode()
    rows = c.get(f"/api/v1/nutrition/children/{child.public_id}/measurements").json()
    assert [x["faltering_2t"] for x in rows] == [False, False, True]


def test_data_migration_marks_2t(make_child, staff_actor):
    child = make_child(birth_date=date(2025, 1, 1))
    for on, w in [(date(2025, 6, 1), 7.0), (date(2025, 7, 1), 7.0), (date(2025, 8, 1), 6.9)]:
        visit(staff_actor, child, on, w)
    Measurement.objects.update(faltering_2t=False)
    GrowthMonthly.objects.update(faltering_2t=0)
    migration = importlib.import_module("sigap.nutrition.migrations.0005_mark_2t")
    migration.mark_2t(apps, None)
    assert [f2 for _g, _f, f2 in series(child)] == [False, False, True]
    assert GrowthMonthly.objects.get(month=date(2025, 8, 1)).faltering_2t == 1
