"""Published nutrition figures (issue 12): the dashboard opens on the last complete month, a
month in progress says so, a prevalence over fewer than SIGAP_NUTRITION_MIN_DENOMINATOR
children is "too few to judge" (page, chart, map, API, CSV/XLSX), and every published
prevalence carries its denominator and a 95% Wilson interval."""

import csv
import io
import json
from datetime import date

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from sigap.nutrition import selectors, services
from sigap.nutrition.models import GrowthMonthly

from .conftest import client_for

pytestmark = pytest.mark.django_db


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def cell(month, n, stunted, *, kel="3374011001", posyandu=None, wasted=0):
    """A monthly count row: n children, all with every z-score."""
    return GrowthMonthly.objects.create(
        month=month,
        kelurahan_code=kel,
        posyandu=posyandu,
        measured=n,
        haz_n=n,
        stunted=stunted,
        whz_n=n,
        wasted=wasted,
        waz_n=n,
        underweight=stunted,
        gain_n=0,
    )


# --- the interval ------------------------------------------------------------------------------


def test_wilson_interval_reference_values():
    # Newcombe (1998), Table I / Agresti & Coull (1998): Wilson score intervals
    low, high = selectors.wilson_ci([0, 5, 10, 81], [10, 10, 10, 263])
    assert low == pytest.approx([0.0, 0.2366, 0.7225, 0.2553], abs=1e-4)
    assert high == pytest.approx([0.2775, 0.7634, 1.0, 0.3662], abs=1e-4)
    # no children: no interval
    low, high = selectors.wilson_ci(0, 0)
    assert np.isnan(low) and np.isnan(high)


# --- the rule -----------------------------------------------------------------------------------


def test_below_the_minimum_is_too_few_at_the_minimum_it_is_published(facilities, analyst, settings):
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 30
    month = date(2026, 1, 1)
    cell(month, 29, 29, kel="3374011001", posyandu=facilities["pos1"])  # 100% of 29
    cell(month, 30, 9, kel="3374101001", posyandu=facilities["pos2"])  # 30% of 30
    dash = selectors.dashboard(analyst, month=month, level="kelurahan", area="3374")
    by_code = {u["code"]: u for u in dash.units}
    few, enough = by_code["3374011001"], by_code["3374101001"]
    assert few["stunting"] is None and few["stunting_too_few"] and few["stunting_den"] == 29
    assert few["stunting_band"] == "" and few["stunting_low"] is None
    assert few["stunted"] == 29  # the counts themselves stay visible
    assert enough["stunting"] == 30.0 and not enough["stunting_too_few"]
    assert enough["stunting_band"] == "very_high" and enough["stunting_den"] == 30
    low, high = selectors.wilson_ci(9, 30)
    assert enough["stunting_low"] == round(low * 100, 1) == 16.7
    assert enough["stunting_high"] == round(high * 100, 1) == 47.9
    # totals over 59 children are published; the map point of the 29 is not
    assert dash.totals["stunting_den"] == 59 and dash.totals["stunting"] == 64.4
    points = {p["code"]: p for p in dash.map_points}
    assert points["3374011001"]["stunting"] is None and points["3374011001"]["band"] == ""
    assert points["3374011001"]["stunting_too_few"] is True
    assert points["3374101001"]["stunting"] == 30.0
    # the trend follows the same rule: the 29 alone in December are too few
    cell(date(2025, 12, 1), 29, 29, posyandu=facilities["pos1"])
    dash = selectors.dashboard(analyst, month=month, level="kelurahan", area="3374")
    assert dash.trend["stunting"][-2:] == [None, 64.4]
    assert dash.trend["stunting_den"][-2:] == [29, 59]


def test_the_minimum_is_a_setting(facilities, analyst, settings):
    cell(date(2026, 1, 1), 5, 5, posyandu=facilities["pos1"])
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 5
    assert selectors.dashboard(analyst, month=date(2026, 1, 1)).totals["stunting"] == 100.0
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 6
    assert selectors.dashboard(analyst, month=date(2026, 1, 1)).totals["stunting"] is None


def test_default_month_is_the_last_complete_one():
    today = date(2026, 12, 3)
    assert selectors.last_complete_month(today) == date(2026, 11, 1)
    assert selectors.month_in_progress(date(2026, 12, 1), today)
    assert not selectors.month_in_progress(date(2026, 11, 1), today)
    # data in the month in progress and earlier: the latest month that is over
    assert selectors.default_month([date(2026, 12, 1), date(2026, 10, 1)], today) == date(
        2026, 10, 1
    )
    assert selectors.default_month([date(2026, 12, 1)], today) == date(2026, 11, 1)
    assert selectors.default_month([], today) == date(2026, 11, 1)
    # January: the last complete month is December of the year before
    assert selectors.last_complete_month(date(2027, 1, 1)) == date(2026, 12, 1)


# --- the page ------------------------------------------------------------------------------------


def test_dashboard_opens_on_the_last_complete_month_not_on_one_measurement(
    analyst, staff_actor, make_child, facilities
):
    """The demo's symptom: one measurement in the current month gave "Stunting 100,0% sangat
    tinggi" on the opening page."""
    today = timezone.localdate()
    child = make_child(birth_date=date(today.year - 2, today.month, 1))
    services.record_measurement(
        staff_actor, child, services.MeasurementInput(today, 8.0, 70.0, "H")
    )
    last = selectors.last_complete_month()
    cell(last, 40, 4, posyandu=facilities["pos1"])  # 10% of 40 last month
    c = client_for(analyst)
    html = c.get("/gizi/").content.decode()
    assert f'value="{last:%Y-%m}" selected' in html
    assert "month-in-progress" not in html
    assert 'data-kpi="stunting">10,0%' in html and "IK 95%" in html and "n=40" in html
    assert "100,0%" not in html
    # the month in progress, chosen explicitly, is labelled and too few to judge
    page = c.get(f"/gizi/?bulan={this_month():%Y-%m}&tingkat=posyandu")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="month-in-progress"' in html
    assert "masih berjalan" in html and "(berjalan)" in html
    assert "terlalu sedikit untuk dinilai" in html
    assert "100,0%" not in html and '"band">sangat tinggi<' not in html
    assert "pill band-very_high" not in html
    # the map carries no percentage for the one child either
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("<")[0])
    assert all(p["stunting"] is None and p["band"] == "" for p in config["points"])


# --- API and exports -----------------------------------------------------------------------------


def test_api_carries_denominators_intervals_and_the_too_few_flag(analyst, facilities):
    cell(date(2026, 1, 1), 12, 12, posyandu=facilities["pos1"])
    cell(date(2026, 1, 1), 50, 10, kel="3374101001", posyandu=facilities["pos2"])
    r = client_for(analyst).get("/api/v1/nutrition/dashboard?month=2026-01&level=kelurahan")
    assert r.status_code == 200
    body = r.json()
    assert body["min_denominator"] == 30 and body["in_progress"] is False
    units = {u["code"]: u for u in body["units"]}
    assert units["3374011001"]["stunting"] is None
    assert units["3374011001"]["stunting_too_few"] is True
    assert units["3374011001"]["stunting_band"] == ""
    assert units["3374101001"]["stunting"] == 20.0
    assert units["3374101001"]["stunting_den"] == 50
    assert units["3374101001"]["stunting_low"] < 20.0 < units["3374101001"]["stunting_high"]
    now = client_for(analyst).get(f"/api/v1/nutrition/dashboard?month={this_month():%Y-%m}")
    assert now.json()["in_progress"] is True


def test_csv_and_xlsx_exports_follow_the_same_rule(analyst, facilities):
    cell(date(2026, 1, 1), 12, 12, posyandu=facilities["pos1"])
    cell(date(2026, 1, 1), 50, 10, kel="3374101001", posyandu=facilities["pos2"])
    c = client_for(analyst)
    r = c.get("/gizi/ekspor/?bulan=2026-01&tingkat=kelurahan&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    header, body = rows[0], {row[2]: row for row in rows[1:]}
    col = header.index("Stunting (%)")
    assert body["3374011001"][col] == "" and "terlalu sedikit" in body["3374011001"][col + 4]
    assert body["3374101001"][col] == "20.0" and body["3374101001"][col + 3] == "50"
    assert float(body["3374101001"][col + 1]) < 20.0 < float(body["3374101001"][col + 2])
    assert body[""][3] == "Total" and body[""][col + 3] == "62"
    r = c.get("/gizi/ekspor/?bulan=2026-01&tingkat=kelurahan&format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    values = list(sheet.values)
    xbody = {row[2]: row for row in values[1:]}
    assert xbody["3374011001"][col] is None and xbody["3374101001"][col] == 20.0
    # a month in progress is labelled in the export
    r = c.get(f"/gizi/ekspor/?bulan={this_month():%Y-%m}&format=csv")
    assert r.status_code == 200
    # only readers of the dashboard may export
    assert Client().get("/gizi/ekspor/").status_code == 302


def test_export_cells_never_start_a_formula(analyst, facilities):
    facilities["pos1"].name = '=HYPERLINK("http://x")'
    facilities["pos1"].save()
    cell(date(2026, 1, 1), 40, 4, posyandu=facilities["pos1"])
    r = client_for(analyst).get("/gizi/ekspor/?bulan=2026-01&tingkat=posyandu&format=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'
