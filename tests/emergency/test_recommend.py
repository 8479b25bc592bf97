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


@pytest.mark.parametrize("seed", range(6))
def test_index_ranks_exactly_as_the_full_scan_on_random_data(users, make_unit, seed):
    """Property-style: random fleets (kinds, statuses, two kab/kota, units sharing a base,
    so equal distances), random incident points, triage colours and `n`, with random unit
    writes (status, position, a new unit, a re-kinded unit) between the questions."""
    system = services.Actor.system("test")
    rnd = random.Random(seed)
    villages = ["3374011001", "3374021001", "3374101001", "3322012001"]
    shared = [(-7.0 + rnd.uniform(-0.1, 0.1), 110.4 + rnd.uniform(-0.1, 0.1)) for _ in range(4)]
    kinds = ["gawat_darurat", "transport", "jenazah"]
    units = []
    for i in range(rnd.randint(20, 70)):
        lat, lon = (
            rnd.choice(shared)
            if rnd.random() < 0.3
            else (-7.0 + rnd.uniform(-0.1, 0.1), 110.4 + rnd.uniform(-0.1, 0.1))
        )
        units.append(
            make_unit(
                f"U{seed}-{rnd.randrange(10**4):04d}-{i:02d}",
                village=rnd.choice(villages),
                kind=rnd.choice(kinds),
                lat=lat,
                lon=lon,
            )
        )
    for u in rnd.sample(units, len(units) // 4):
        services.move_unit(system, u, "out_of_service")
    selectors.reset_unit_index()
    for step in range(40):
        lat, lon = -7.0 + rnd.uniform(-0.12, 0.12), 110.4 + rnd.uniform(-0.12, 0.12)
        if rnd.random() < 0.2:
            lat, lon = rnd.choice(shared)
        n = rnd.choice([1, 2, 3, 5, 8, 100])
        area = rnd.choice(["", "3374", "3322", "33"])
        for triage in ("merah", "kuning", "hijau", "hitam"):
            # the whole answer is the naive scan's: same units, same order, same fields
            fast = selectors.recommend_units(lat, lon, triage, area=area, n=n)
            slow = selectors.recommend_units_full_scan(lat, lon, triage, area=area, n=n)
            assert fast == slow
        # a write between questions; the next answer must already follow it
        u = services.Unit.objects.get(pk=rnd.choice(units).pk)
        action = rnd.choice(["status", "position", "new", "kind"])
        if action == "status":
            to = "out_of_service" if u.status == "available" else "available"
            services.move_unit(system, u, to)
        elif action == "position":
            services.update_position(system, u, *rnd.choice(shared))
        elif action == "new" and step % 10 == 0:
            units.append(make_unit(f"N{seed}-{step:02d}", lat=lat, lon=lon))
        elif action == "kind":
            services.save_unit(
                system,
                services.UnitInput(
                    code=u.code,
                    name=u.name,
                    kind=rnd.choice(kinds),
                    base_kind=u.base_kind,
                    base_village=u.base_village_id,
                    area_code=u.area_code,
                    latitude=u.base_latitude,
                    longitude=u.base_longitude,
                ),
            )


def test_a_dispatched_unit_is_not_recommended_by_the_next_call(users, call, make_unit):
    near = make_unit("NEAR", village="3374011001")
    make_unit("FAR", village="3374101001")
    inc = call(triage="merah")
    assert [r["code"] for r in selectors.recommend_for_incident(inc)] == ["NEAR", "FAR"]
    services.assign_unit(actor(users["dispatcher"]), inc, near)
    assert [r["code"] for r in selectors.recommend_for_incident(inc)] == ["FAR"]


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
