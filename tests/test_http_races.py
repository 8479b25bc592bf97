"""HTTP-level races (issue 17, "tests that stay"): concurrent requests against a live server
for the operations two people can grab at once. Each race has exactly one winner; the loser
gets a clear 409 in SIGAP's error shape, and the database holds one result.

The service-level concurrency tests of each app (tests/*/test_concurrency.py) run the same
races below HTTP; these go through the whole stack (authentication, the API, the
transaction of the request), with each request on its own server thread and connection.

PostgreSQL only: SQLite serialises writers, and the live server's in-memory test database is
shared by one connection, so the requests cannot overlap there. Run with
    DATABASE_URL=postgres://... python -m pytest tests/test_http_races.py
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.helpers import run_together
from tests.referrals.conftest import NIK
from tests.test_all_or_nothing import World, build_world

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("HTTP races need PostgreSQL: SQLite serialises the live server's writers")


def call(base: str, key: str | None, method: str, path: str, body: dict | None = None):
    """(status, JSON body) of one API request, with an API key or as the public."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(  # noqa: S310 - the live server's http URL
        base + "/api/v1/" + path, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - the live server
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# core.workflow's answers to a status that moved on: `stale` when the other move committed
# between the loser's read and its write, `illegal_transition` when it committed before the
# read (docs/architecture.md, "State machines")
MOVED_ON = frozenset({"stale", "illegal_transition"})


def one_winner(results: list, win: set[int], codes: frozenset[str] | str) -> tuple:
    """The winner's answer, after checking that every other request lost with a 409 that
    says why (one of `codes`, a message)."""
    codes = frozenset({codes}) if isinstance(codes, str) else codes
    assert all(not isinstance(r, Exception) for r in results), results
    winners = [r for r in results if r[0] in win]
    losers = [r for r in results if r[0] not in win]
    assert len(winners) == 1, results
    for status, body in losers:
        assert status == 409 and body["code"] in codes and body["message"], results
    return winners[0]


def key_for(user) -> str:
    from sigap.core.models import ApiKey

    return ApiKey.generate(user, "race")[1]


@pytest.fixture
def world(live_server) -> World:
    from sigap.beds import selectors as bed_selectors
    from sigap.emergency import selectors as em_selectors
    from sigap.emergency import services as em

    em.villages.reset()
    w = build_world()
    em_selectors.reset_unit_index()
    yield w
    bed_selectors.reset_snapshot()
    em_selectors.reset_unit_index()
    em.villages.reset()


def second(w: World, role: str, facility=None):
    """Another user of `role` in the world's area (and of `facility`)."""
    from sigap.core.models import User
    from sigap.facilities.models import FacilityOperator

    user = User.objects.create_user(
        username=f"sapu-{role}-2", password=None, role=role, area_code=w.users[role].area_code
    )
    if facility is not None:
        FacilityOperator.objects.create(user=user, facility=facility)
    return user


@pytest.mark.parametrize("dispatchers", [2, 4])
def test_dispatchers_sending_the_same_ambulance(live_server, world, dispatchers):
    from sigap.core.services import Actor
    from sigap.emergency import services as em
    from sigap.emergency.models import Assignment, Incident, Unit

    w = world
    unit = em.save_unit(
        Actor.system("test"),
        em.UnitInput(code="AMB-RACE", name="Ambulans Race", kind="gawat_darurat",
                     base_kind="village", base_village="3374011001", area_code="3374",
                     latitude=-6.98, longitude=110.412),
    )  # fmt: skip
    psc = Actor(w.users["psc_call_taker"], "web")
    incidents = [
        em.create_incident(psc, em.IncidentInput(
            latitude=-6.98 - i * 0.002, longitude=110.412, caller_phone=f"0812000000{i:02d}",
            category="medical", triage="merah",
        ))
        for i in range(dispatchers)
    ]  # fmt: skip
    pair = [key_for(w.users["dispatcher"]), key_for(second(w, "dispatcher"))]
    keys = [pair[i % 2] for i in range(dispatchers)]

    def work(i: int):
        path = f"emergency/incidents/{incidents[i].public_id}/assign"
        return call(live_server.url, keys[i], "POST", path, {"unit": "AMB-RACE"})

    one_winner(run_together(dispatchers, work, who="a dispatcher"), {201}, "unit_taken")
    assert Assignment.objects.count() == 1
    assert Assignment.objects.get().incident.public_id in {i.public_id for i in incidents}
    assert Unit.objects.get(pk=unit.pk).status == "dispatched"
    assert Incident.objects.filter(status="open").count() == dispatchers - 1


def test_accept_and_reject_of_one_referral_at_once(live_server, world):
    """Two operators of the receiving hospital answer at the same moment, one yes, one no:
    one answer stands, the other is told it came too late."""
    from sigap.core.services import Actor
    from sigap.referrals import services as referral_services
    from sigap.referrals.models import Referral, ReferralAnswer
    from tests.referrals.conftest import referral_input

    w = world
    keys = [key_for(w.users["hospital_operator"]),
            key_for(second(w, "hospital_operator", w.hospital))]  # fmt: skip
    answers = [{"accept": True, "hold_bed": True}, {"accept": False, "note": "ICU penuh"}]
    net = type("Net", (), {"pkm": w.puskesmas, "alfa": w.hospital})
    staff = Actor(w.users["puskesmas_staff"], "web")
    refs = [Referral.objects.get(public_id=w.ids["ref"])]
    refs.append(referral_services.send_referral(staff, referral_input(net, patient_nik=NIK)))
    for ref in refs:

        def work(i: int, ref=ref):
            path = f"referrals/referrals/{ref.public_id}/answer"
            return call(live_server.url, keys[i], "POST", path, answers[i])

        status, body = one_winner(run_together(2, work, who="a hospital operator"), {200}, MOVED_ON)
        ref.refresh_from_db()
        assert ref.status == body["status"] and ref.status in ("accepted", "rejected")
        assert ReferralAnswer.objects.filter(referral=ref).count() == 1


def test_two_operators_accepting_the_same_referral(live_server, world):
    from sigap.referrals.models import Referral, ReferralAnswer

    w = world
    ref = Referral.objects.get(public_id=w.ids["ref"])
    keys = [key_for(w.users["hospital_operator"]),
            key_for(second(w, "hospital_operator", w.hospital))]  # fmt: skip

    def work(i: int):
        path = f"referrals/referrals/{ref.public_id}/answer"
        return call(live_server.url, keys[i], "POST", path, {"accept": True, "hold_bed": True})

    one_winner(run_together(2, work, who="a hospital operator"), {200}, MOVED_ON)
    ref.refresh_from_db()
    assert ref.status == "accepted"
    assert ReferralAnswer.objects.filter(referral=ref).count() == 1


def test_two_staff_taking_the_same_nutrition_case(live_server, world):
    from datetime import date

    from sigap.core.services import Actor
    from sigap.nutrition import services as nu
    from sigap.nutrition.models import Child, NutritionCase

    w = world
    staff = Actor(w.users["puskesmas_staff"], "web")
    kid = Child.objects.get(public_id=w.ids["child_id"])
    nu.record_measurement(  # severe wasting: opens a case nobody owns yet
        staff, kid, nu.MeasurementInput(measured_on=date.today(), weight_kg=6.0, length_cm=76)
    )
    case = NutritionCase.objects.get(child=kid)
    users = [w.users["puskesmas_staff"], second(w, "puskesmas_staff", w.puskesmas)]
    keys = [key_for(u) for u in users]

    def work(i: int):
        return call(live_server.url, keys[i], "POST", f"nutrition/cases/{case.public_id}/take")

    # taking a case is not a status move: nutrition's own 409 "conflict"
    _status, body = one_winner(run_together(2, work, who="a Puskesmas worker"), {200}, "conflict")
    case.refresh_from_db()
    assert case.owner in users


@pytest.mark.parametrize("presses", [2, 4])
def test_one_sos_sent_several_times_at_once(live_server, world, presses):
    from sigap.emergency.models import Incident

    body = {"latitude": -6.981, "longitude": 110.413, "phone": "081234567890",
            "note": "2 orang luka", "idempotency_key": "race-press-0001"}  # fmt: skip

    def work(_i: int):
        return call(live_server.url, None, "POST", "emergency/sos", body)

    results = run_together(presses, work, who="an SOS press")
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(status for status, _ in results) == [200] * (presses - 1) + [201]
    assert len({json.dumps(b, sort_keys=True) for _, b in results}) == 1  # the same incident
    assert Incident.objects.count() == 1
