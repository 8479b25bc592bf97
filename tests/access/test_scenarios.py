"""Siting scenarios (sigap.access.scenarios): figures recomputed by hand on the tiny area of
conftest (Miroto with a Puskesmas, Brumbungan next to it, Pudakpayung 12 km south with a
Pustu, Gedawang without a position), refusals, K=0 = as is, comparing, the background path."""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sigap.access import scenarios
from sigap.access.models import Scenario
from sigap.access.services import import_population
from sigap.core.errors import Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.core.travel import get_estimator, haversine_km

pytestmark = pytest.mark.django_db

POPULATION = {"3374011001": 5000, "3374011002": 3000, "3374101001": 7000, "3374101002": 1000}


@pytest.fixture
def people(facilities, analyst):
    content = "kode,penduduk\n" + "".join(f"{c},{p}\n" for c, p in POPULATION.items())
    import_population(Actor.system("test"), "p.csv", content.encode(), "3374")
    return analyst


def actor(user):
    return Actor(user=user, channel="web")


def ask(user, **kw):
    data = {"name": "uji", "k": 1, "minutes": 15, "upgrades": True, "new_sites": False} | kw
    return scenarios.create_scenario(actor(user), data)


def by_hand(lat1, lon1, lat2, lon2, mode="motorbike", hour=8):
    """Minutes as the travel module's formula gives them: haversine x circuity / speed."""
    est = get_estimator()
    at = datetime(2026, 1, 5, hour, tzinfo=ZoneInfo("Asia/Jakarta"))
    km = float(haversine_km(lat1, lon1, lat2, lon2)) * est.circuity
    return km / est.speed_kmh(at, mode) * 60


def test_upgrade_one_pustu_figures_by_hand(people):
    far = by_hand(-7.0900, 110.4150, -6.9801, 110.4121)  # Pudakpayung -> Puskesmas Miroto
    near = by_hand(-6.9820, 110.4200, -6.9801, 110.4121)  # Brumbungan -> Puskesmas Miroto
    assert near <= 15 < far <= 60  # what the figures below rest on
    s = ask(people)
    assert s.status == Scenario.Status.DONE
    r = s.result
    assert [x["name"] for x in r["exact"]["sites"]] == ["Pustu Pudakpayung"]
    assert r["exact"]["sites"][0]["kind"] == "upgrade" and r["exact"]["gap"] == 0
    assert [x["name"] for x in r["greedy"]["sites"]] == ["Pustu Pudakpayung"]
    f = r["figures"]
    # Gedawang has no position: out of the table (and of the denominator)
    assert f["population"] == 15000
    assert f["before"] == {"15": 8000, "30": 8000 if far > 30 else 15000, "60": 15000}
    assert f["after"] == {"15": 15000, "30": 15000, "60": 15000}
    assert f["gain"]["15"] == 7000 and f["gain"]["60"] == 0
    kel = {k["code"]: k for k in f["kelurahan"]}
    assert math.isclose(kel["3374101001"]["before"], round(far, 1), abs_tol=0.051)
    assert kel["3374101001"]["after"] == 0.0
    kec = {k["code"]: k for k in f["kecamatan"]}
    assert kec["337410"]["gain"]["15"] == 7000 and kec["337401"]["gain"]["15"] == 0
    expected_mean = 5000 * by_hand(-6.98, 110.412, -6.9801, 110.4121) + 3000 * near + 7000 * far
    assert math.isclose(f["mean_minutes_before"], round(expected_mean / 15000, 1), abs_tol=0.051)
    assert AuditEvent.objects.filter(action="access.scenario.create").count() == 1


def test_k_zero_is_as_is(people):
    s = ask(people, k=0, name="Apa adanya", new_sites=True)
    f = s.result["figures"]
    assert s.result["exact"]["sites"] == [] and s.result["greedy"]["sites"] == []
    assert f["before"] == f["after"] and set(f["gain"].values()) == {0}


def test_new_site_at_a_centroid_and_median(people):
    s = ask(people, upgrades=False, new_sites=True, objective="median", minutes=30)
    (site,) = s.result["exact"]["sites"]
    assert site["kind"] == "new" and site["kelurahan"] == "3374101001"
    assert s.result["exact"]["status"] == "optimal"
    assert s.result["figures"]["mean_minutes_after"] < s.result["figures"]["mean_minutes_before"]


def test_point_added_by_the_analyst(people):
    s = ask(people, upgrades=False, points="Lahan Pemkot; -7,0895; 110,4160")
    (site,) = s.result["exact"]["sites"]
    assert site["kind"] == "point" and site["name"] == "Lahan Pemkot"
    assert site["kelurahan"] == "3374101001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"k": 2}, "k"),  # one Pustu only
        ({"k": -1}, "k"),
        ({"k": 1.5}, "k"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"minutes": "x"}, "minutes"),
        ({"upgrades": False}, "sites"),  # nothing to choose
        ({"name": "  "}, "name"),
        ({"objective": "x"}, "objective"),
        ({"mode": "pesawat"}, "mode"),
        ({"hour": 24}, "hour"),
        ({"seconds": 0}, "seconds"),
        ({"points": "Di laut; -6.50; 110.40"}, "points"),  # 50 km north: outside the area
        ({"points": "tanpa koordinat"}, "points"),
        ({"points": "\n".join(f"T{i}; -7.09; 110.415" for i in range(51))}, "points"),
        ({"points": [{"name": "x", "lat": "utara", "lon": 110.4}]}, "points"),
        ({"points": [{"name": "x"}]}, "points"),
        ({"points": [3]}, "points"),
        ({"area": "3301"}, "area"),  # another kab/kota than the analyst's
    ],
)
def test_bad_input_is_refused_and_writes_nothing(people, change, field):
    before = AuditEvent.objects.count()
    with pytest.raises((InvalidInput, Forbidden)) as exc:
        ask(people, **change)
    if isinstance(exc.value, InvalidInput):
        assert exc.value.field == field
    assert Scenario.objects.count() == 0 and AuditEvent.objects.count() == before


def test_only_office_roles(people, make_user):
    nurse = make_user("perawat", "puskesmas_staff", area_code="3374")
    with pytest.raises(Forbidden):
        ask(nurse)


def test_same_request_twice_gives_the_same_figures(people):
    a, b = ask(people), ask(people)
    assert a.pk != b.pk and a.result["figures"] == b.result["figures"]


def test_compare_two_scenarios(people):
    as_is = ask(people, k=0, name="Apa adanya")
    up = ask(people, name="Tingkatkan 1 Pustu")
    data = scenarios.compare([as_is, up])
    a, u = data["scenarios"]
    assert a["gain"] == {"15": 0, "30": 0, "60": 0} and u["gain"]["15"] == 7000
    assert a["before"] == u["before"]
    kec = {k["code"]: k for k in data["kecamatan"]}
    assert kec["337410"]["gain"] == [0, 7000]
    header, rows = scenarios.compare_rows(data)
    assert header[1:] == ["Apa adanya", "Tingkatkan 1 Pustu"]
    gain15 = next(r for r in rows if r[0] == "Mendapat akses dalam 15 menit")
    assert gain15[1:] == [0, 7000]


def test_compare_shows_each_scenarios_own_limit(people):
    a, b = ask(people, k=0, name="0"), ask(people, minutes=20, name="T20")
    data = scenarios.compare([a, b])
    assert data["thresholds"] == ["15", "20", "30", "60"]
    row20 = next(r for r in data["rows"] if r["t"] == "20")
    assert row20["before"][0] is None and row20["gain"] == [None, 7000]


def test_compare_refuses_unfinished_and_empty(people):
    with pytest.raises(InvalidInput):
        scenarios.compare([])
    s = Scenario.objects.create(name="x", area_code="3374", params={}, status="queued")
    with pytest.raises(InvalidInput):
        scenarios.compare([s])


def test_large_plan_runs_in_the_background(people, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(scenarios, "SYNC_CELLS", 0)
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        s = ask(people)
    assert s.status == Scenario.Status.QUEUED and s.result is None
    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs["args"] == [s.pk] and "run_scenario" in queued.task_path
    scenarios.run_queued(s.pk)
    s.refresh_from_db()
    assert s.status == Scenario.Status.DONE and s.result["figures"]["gain"]["15"] == 7000
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"access.scenario.running", "access.scenario.done"} <= actions


def test_background_failure_is_recorded(people, monkeypatch):
    s = Scenario.objects.create(
        name="x", area_code="3374", status="queued",
        params=scenarios.PlanParams(
            name="x", k=1, upgrades=True, new_sites=False, area="3374"
        ).as_json(),
    )  # fmt: skip
    from sigap.facilities.models import Facility

    Facility.objects.filter(kind_id="pustu").update(is_active=False)  # nothing left to choose
    scenarios.run_queued(s.pk)
    s.refresh_from_db()
    assert s.status == Scenario.Status.FAILED and "calon lokasi" in s.error
