"""Unit and hospital recommendations."""

import random

import pytest

from sigap.emergency import selectors, services

from .conftest import actor

pytestmark = pytest.mark.django_db


def test_units_of_the_right_kind_nearest_first(users, make_unit):
    far = make_unit("GD-FAR", village="3374101001")
    near = make_unit("GD-NEAR", village="3374011001")
    make_unit("TR-NEAR", village="3374011001", kind="transport")
    mid = make_unit("GD-MID", village="3374021001")
    recs = selectors.recommend_units(-6.981, 110.413, "merah", area="3374")
    assert [r["code"] for r in recs] == ["GD-NEAR", "GD-MID", "GD-FAR"]
    assert recs[0]["eta_minutes"] <= recs[1]["eta_minutes"] <= recs[2]["eta_minutes"]
    # hijau: transport units qualify too
    assert {r["code"] for r in selectors.recommend_units(-6.981, 110.413, "hijau")} == {
        "GD-NEAR",
        "TR-NEAR",
        "GD-MID",
        "GD-FAR",
    }
    # a unit that is out is never recommended, even if the index has not noticed yet
    services.move_unit(services.Actor.system(), near, "out_of_service")
    assert [r["code"] for r in selectors.recommend_units(-6.981, 110.413, "merah", n=2)] == [
        "GD-MID",
        "GD-FAR",
    ]
    del far, mid


def test_index_and_full_scan_agree(users, make_unit):
    rnd = random.Random(4)
    for i in range(60):
        make_unit(
            f"U{i:02d}",
            lat=-7.0 + rnd.uniform(-0.1, 0.1),
            lon=110.4 + rnd.uniform(-0.1, 0.1),
            kind=rnd.choice(["gawat_darurat", "transport", "jenazah"]),
        )
    for u in list(services.Unit.objects.all())[::3]:
        services.move_unit(services.Actor.system(), u, "out_of_service")
    selectors.reset_unit_index()
    for _ in range(20):
        lat, lon = -7.0 + rnd.uniform(-0.12, 0.12), 110.4 + rnd.uniform(-0.12, 0.12)
        for triage in ("merah", "hijau", "hitam"):
            fast = selectors.recommend_units(lat, lon, triage, n=5)
            slow = selectors.recommend_units_full_scan(lat, lon, triage, n=5)
            assert [r["code"] for r in fast] == [r["code"] for r in slow]


def test_hospitals_by_service_free_beds_and_travel(users, call, make_hospital):
    near_full = make_hospital(
        "RS Dekat Penuh",
        lat=-6.981,
        lon=110.413,
        services_=("igd", "icu"),
        rooms=[("ICU1", "ICU", 4, 0)],
    )
    far_free = make_hospital(
        "RS Jauh", lat=-7.09, lon=110.415, services_=("igd", "icu"), rooms=[("ICU1", "ICU", 4, 2)]
    )
    make_hospital(
        "RS Tanpa IGD",
        lat=-6.98,
        lon=110.41,
        services_=("rawat_jalan",),
        rooms=[("ICU1", "ICU", 4, 3)],
    )
    inc = call(triage="merah")
    recs = selectors.recommend_hospitals(inc)
    assert [h["name"] for h in recs] == ["RS Jauh", "RS Dekat Penuh"]
    assert recs[0]["free_in_class"] == 2 and recs[0]["allows_holds"] is True
    del near_full, far_free


def test_console_queue_order(users, call, make_unit):
    hijau = call(triage="hijau")
    merah = call(triage="merah", caller_phone="0811")
    kuning = call(triage="kuning", caller_phone="0812")
    dispatched = call(triage="merah", caller_phone="0813")
    services.assign_unit(actor(users["dispatcher"]), dispatched, make_unit())
    queue = selectors.active_incidents("3374")
    assert [i.pk for i in queue] == [merah.pk, kuning.pk, hijau.pk, dispatched.pk]


def test_coverage_marks_villages_whose_unit_is_out(users, make_unit):
    make_unit("A", village="3374011001")
    b = make_unit("B", village="3374021001")
    services.move_unit(services.Actor.system(), b, "out_of_service")
    cov = selectors.coverage("3374")
    states = {v["name"]: v["state"] for v in cov["villages"]}
    assert states == {"Miroto": "covered", "Bandarharjo": "out", "Pudakpayung": "none"}
    assert cov["counts"] == {"covered": 1, "out": 1, "none": 1}


def test_index_follows_changes_without_full_rebuild(users, make_unit, monkeypatch):
    a = make_unit("A", lat=-6.98, lon=110.41)
    make_unit("B", lat=-7.05, lon=110.41)
    monkeypatch.setattr(selectors, "CHECK_INTERVAL", 0.0)
    first = selectors.unit_index()
    assert [r["code"] for r in selectors.recommend_units(-6.98, 110.41, "merah")] == ["A", "B"]
    services.update_position(services.Actor.system(), a, -7.20, 110.41)
    services.move_unit(services.Actor.system(), a, "out_of_service")
    patched = selectors.unit_index()
    assert patched is not first and patched.built_at == first.built_at  # patched, not rebuilt
    i = patched.position[a.pk]
    assert patched.lats[i] == -7.20 and first.lats[i] == -6.98  # the old copy is untouched
    assert [r["code"] for r in selectors.recommend_units(-6.98, 110.41, "merah")] == ["B"]
    make_unit("C", lat=-6.981, lon=110.41)  # a new unit: full rebuild
    assert [r["code"] for r in selectors.recommend_units(-6.98, 110.41, "merah")] == ["C", "B"]


def test_units_are_recommended_only_from_the_incidents_kab_kota(users, call, make_unit):
    make_unit("SMG", village="3374101001")
    make_unit("KAB", village="3322012001", lat=-7.112, lon=110.405)  # nearer, other kab/kota
    inc = call(latitude=-7.11, longitude=110.405)
    assert inc.area_code == "3374"
    assert [r["code"] for r in selectors.recommend_for_incident(inc)] == ["SMG"]
