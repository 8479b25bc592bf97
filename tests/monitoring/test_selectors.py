"""The situation page's figures against hand-built data: empty and tiny denominators, the
year boundary for deaths, a month boundary, a facility just outside the area."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from sigap.core.errors import NotFound
from sigap.monitoring import display, selectors
from tests.monitoring.conftest import (
    MAGELANG_KEL,
    SEMARANG_KEL,
    birth,
    death,
    growth,
    hospital,
    incident,
    local,
    referral,
    room,
    unit,
    visit,
)

pytestmark = pytest.mark.django_db


def figures(user, area="", now=None):
    return selectors.situation(user, selectors.office_scope(user, area), now=now)


def test_a_fresh_install_shows_zeros_and_no_data(analyst):
    fig = figures(analyst)
    assert fig["beds"] | {"classes": []} == {
        "classes": [], "free": 0, "capacity": 0, "hospitals": 0, "stale": 0,
        "stale_after_minutes": fig["beds"]["stale_after_minutes"],
    }  # fmt: skip
    assert fig["emergency"]["open_total"] == 0 and fig["emergency"]["response_median"] is None
    assert fig["referrals"] == {"waiting": 0, "overdue": 0, "escalated": 0}
    assert fig["homecare"]["planned"] == 0 and fig["homecare"]["done_pct"] is None
    assert fig["coverage"]["coverage_pct"] is None and fig["coverage"]["quota_run"] is False
    assert fig["nutrition"]["stunting"]["n"] == 0 and fig["nutrition"]["stunting"]["pct"] is None
    assert fig["deaths"]["this_year"]["maternal"] == 0
    text = display.texts(fig)
    assert text["em-response"] == "belum ada data"
    assert text["nut-stunting"] == "belum ada data"
    assert text["beds-stale"] == "belum ada data"
    assert text["cov-pct"] == "belum ada data"


def test_beds_by_class_and_stale_hospitals_only_inside_the_area(analyst):
    alfa, beta = hospital("RS Alfa"), hospital("RS Beta")
    outside = hospital("RS Magelang", village=MAGELANG_KEL)  # just outside Kota Semarang
    room(alfa, "ICU1", "ICU", 6, 2)
    room(alfa, "K3", "KL3", 20, 3)
    room(beta, "ICU1", "ICU", 4, 1)
    room(outside, "ICU1", "ICU", 10, 10)
    from sigap.beds.models import Room

    Room.objects.filter(facility=beta).update(reported_at=timezone.now() - timedelta(hours=7))
    fig = figures(analyst)["beds"]
    by_class = {c["code"]: (c["free"], c["capacity"]) for c in fig["classes"]}
    assert by_class == {"ICU": (3, 10), "KL3": (3, 20)}
    assert (fig["free"], fig["capacity"]) == (6, 30)
    assert (fig["stale"], fig["hospitals"]) == (1, 2)  # Beta: 7 h > the 6 h default
    text = display.texts(figures(analyst))
    assert text["beds-free"] == "6 dari 30 tempat tidur kosong"
    assert text["beds-stale"] == "1 dari 2 rumah sakit"


@override_settings(SIGAP_BED_STALE_AFTER_MINUTES=600)
def test_the_stale_limit_comes_from_the_setting(analyst):
    beta = hospital("RS Beta")
    room(beta, "ICU1", "ICU", 4, 1)
    from sigap.beds.models import Room

    Room.objects.filter(facility=beta).update(reported_at=timezone.now() - timedelta(hours=7))
    assert figures(analyst)["beds"]["stale"] == 0


def test_psc_open_incidents_units_out_and_response_today(analyst):
    now = timezone.now()
    incident(triage="merah")
    incident(triage="kuning", status="dispatched")
    incident(triage="hijau", status="closed")
    incident("3371", triage="merah", village=MAGELANG_KEL)  # other kab/kota
    today_start = local(timezone.localdate(now), 0)
    # responses today: 5 and 20 minutes (targets: 10 urban by default -> 1 of 2 within)
    incident(triage="kuning", status="closed", received_at=today_start + timedelta(minutes=1),
             on_scene_after=5)  # fmt: skip
    incident(triage="kuning", status="closed", received_at=today_start + timedelta(minutes=2),
             on_scene_after=20)  # fmt: skip
    incident(triage="merah", status="closed", received_at=today_start - timedelta(minutes=5),
             on_scene_after=3)  # yesterday: not in today's figures  # fmt: skip
    unit(status="dispatched")
    unit(status="available")
    unit(status="out_of_service")
    unit("3371", status="dispatched", village=MAGELANG_KEL)
    e = figures(analyst, now=max(now, today_start + timedelta(minutes=30)))["emergency"]
    assert e["open"] == {"merah": 1, "kuning": 1, "hijau": 0, "hitam": 0}
    assert (e["units_out"], e["units_in_service"]) == (1, 2)
    assert e["response_n"] == 2 and e["response_median"] == 12.5
    assert (e["within_target"], e["judged"]) == (1, 2)
    assert e["within_target_pct"] == 50.0


def test_referrals_waiting_overdue_and_escalated(analyst):
    alfa = hospital("RS Alfa")
    outside = hospital("RS Magelang", village=MAGELANG_KEL)
    referral(alfa)
    referral(alfa, due_in_minutes=-5)
    referral(alfa, status="escalated")
    referral(alfa, status="rejected")
    referral(alfa, status="accepted")
    referral(outside)
    assert figures(analyst)["referrals"] == {"waiting": 2, "overdue": 1, "escalated": 2}


def test_home_visits_planned_and_done_today(analyst):
    today = timezone.localdate()
    visit(SEMARANG_KEL, today, "done")
    visit(SEMARANG_KEL, today, "planned")
    visit(SEMARANG_KEL, today, "missed")
    visit(SEMARANG_KEL, today, "cancelled")  # not planned any more
    visit(SEMARANG_KEL, today + timedelta(days=1), "planned")  # tomorrow
    visit(MAGELANG_KEL, today, "done")  # outside
    h = figures(analyst)["homecare"]
    assert (h["planned"], h["done"], h["missed"], h["open"]) == (3, 1, 1, 1)
    assert display.texts(figures(analyst))["hc-visits"].startswith("1 dari 3 kunjungan")


def test_jkn_coverage_and_this_months_quota(analyst):
    from sigap.coverage.models import CoverageStat, QuotaRun

    month = timezone.localdate().replace(day=1)
    CoverageStat.objects.create(period=month - timedelta(days=1), kelurahan_code=SEMARANG_KEL,
                                population=1000, covered=900, active=800, pemda=100)  # fmt: skip
    CoverageStat.objects.create(period=month - timedelta(days=1), kelurahan_code=MAGELANG_KEL,
                                population=50, covered=10, active=10, pemda=0)  # fmt: skip
    QuotaRun.objects.create(period=month, quota=100, premium=42000, selected=40,
                            area_code="3374")  # fmt: skip
    QuotaRun.objects.create(period=month - timedelta(days=1), quota=100, premium=42000,
                            selected=100, area_code="3374")  # last month  # fmt: skip
    c = figures(analyst)["coverage"]
    assert (c["covered"], c["population"], c["coverage_pct"]) == (900, 1000, 90.0)
    assert (c["quota_run"], c["quota_used"], c["quota_total"]) == (True, 40, 100)
    assert c["period_in_progress"] is False


def test_nutrition_reads_the_last_complete_month_with_too_few_below_the_minimum(analyst):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    growth(last_month, SEMARANG_KEL, haz_n=40, stunted=10, whz_n=29, wasted=3)
    growth(this_month, SEMARANG_KEL, haz_n=500, stunted=400, whz_n=500, wasted=400)  # in progress
    growth(last_month, MAGELANG_KEL, haz_n=500, stunted=500, whz_n=500, wasted=500)  # outside
    n = figures(analyst)["nutrition"]
    assert n["month"] == last_month.isoformat() and n["in_progress"] is False
    s, w = n["stunting"], n["wasting"]
    assert (s["k"], s["n"], s["pct"], s["too_few"]) == (10, 40, 25.0, False)
    assert s["low"] < 25.0 < s["high"]
    assert (w["n"], w["pct"], w["too_few"]) == (29, None, True)  # 29 < 30
    text = display.texts(figures(analyst))
    assert text["nut-wasting"] == "terlalu sedikit untuk dinilai (29 balita)"
    assert "10 dari 40 balita" in text["nut-stunting"]
    assert "bulan lengkap terakhir" in text["nut-month"]


@override_settings(SIGAP_NUTRITION_MIN_DENOMINATOR=29)
def test_the_minimum_denominator_is_the_setting(analyst):
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    growth(last_month, SEMARANG_KEL, haz_n=40, stunted=10, whz_n=29, wasted=3)
    assert figures(analyst)["nutrition"]["wasting"]["too_few"] is False


def test_deaths_this_year_against_the_same_period_last_year(analyst):
    now = local(date(2027, 1, 5), 12)
    death(date(2027, 1, 2))  # this year, to date
    death(date(2027, 1, 6))  # after today: not yet counted
    death(date(2026, 12, 31))  # last year, after the same day: not in the comparison
    death(date(2026, 1, 5), kind="maternal")  # last year, same period
    death(date(2026, 1, 3), kind="maternal", accidental=True)  # not a maternal death
    death(date(2027, 1, 1), kelurahan=MAGELANG_KEL)  # outside
    birth(date(2027, 1, 1))
    birth(date(2026, 1, 1))
    birth(date(2026, 6, 1))
    d = figures(analyst, now=now)["deaths"]
    assert d["this_year"] == {"year": 2027, "until": "2027-01-05", "maternal": 0, "infant": 1,
                              "live_births": 1}  # fmt: skip
    assert d["last_year"] == {"year": 2026, "until": "2026-01-05", "maternal": 1, "infant": 0,
                              "live_births": 1}  # fmt: skip


def test_same_day_last_year_of_a_leap_day():
    assert selectors.same_day_last_year(date(2028, 2, 29)) == date(2027, 2, 28)
    assert selectors.same_day_last_year(date(2027, 1, 1)) == date(2026, 1, 1)


def test_scope_kab_kota_user_sees_only_theirs(analyst):
    assert selectors.office_scope(analyst, "").code == "3374"
    assert selectors.office_scope(analyst, "3374").code == "3374"
    for other in ("3371", "33", "3374011001", "9999", "x"):
        with pytest.raises(NotFound):
            selectors.office_scope(analyst, other)


def test_scope_provincial_user_sees_the_province_and_picks_a_kab_kota(provincial):
    scope = selectors.office_scope(provincial, "")
    assert scope.code == "33" and scope.is_province
    assert [name for _c, name in scope.kab_kota] == ["Kota Magelang", "Kota Semarang"]
    assert selectors.office_scope(provincial, "3371").name == "Kota Magelang"
    for other in ("34", "3471", "337401"):
        with pytest.raises(NotFound):
            selectors.office_scope(provincial, other)


def test_province_breakdown_per_kab_kota(provincial):
    room(hospital("RS Alfa"), "ICU1", "ICU", 6, 2)
    room(hospital("RS Magelang", village=MAGELANG_KEL), "ICU1", "ICU", 10, 7)
    incident("3371", village=MAGELANG_KEL)
    fig = figures(provincial)
    assert fig["beds"]["free"] == 9
    rows = {r["name"]: r for r in fig["breakdown"]}
    assert (rows["Kota Semarang"]["beds_free"], rows["Kota Magelang"]["beds_free"]) == (2, 7)
    assert (rows["Kota Semarang"]["incidents_open"], rows["Kota Magelang"]["incidents_open"]) == (
        0, 1,
    )  # fmt: skip
    assert display.texts(fig)["kk-3371-beds"] == "7 / 10"
    assert figures(provincial, "3371")["breakdown"] == []
