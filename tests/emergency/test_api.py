"""The emergency JSON API: intake, dispatch with a clear 409, crews, hospitals, partners, SOS."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from sigap.core.models import ApiKey, AuditEvent, WebhookEndpoint
from sigap.emergency.models import Agency, Incident

pytestmark = pytest.mark.django_db
BASE = "/api/v1/emergency/"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, path, body):
    return c.post(BASE + path, json.dumps(body), content_type="application/json")


@pytest.fixture
def psc(users):
    return client_for(users["psc"])


@pytest.fixture
def dispatcher(users):
    return client_for(users["dispatcher"])


def test_intake_to_dispatch_to_handoff(users, psc, dispatcher, make_unit, make_hospital):
    rs = make_hospital("RS Alfa", services_=("igd", "trauma", "icu"), rooms=[("I", "ICU", 3, 1)])
    unit = make_unit("GD-1")
    r = post(
        psc,
        "incidents",
        {
            "latitude": -6.981,
            "longitude": 110.413,
            "category": "traffic",
            "caller_phone": "0812345",
            "triage_answers": {"terjepit": True},
            "victims": 2,
        },
    )
    assert r.status_code == 201, r.content
    inc = r.json()
    assert inc["triage"] == "merah" and inc["village"] == "Miroto" and inc["source"] == "call"
    # the same number again is offered as the same incident
    rep = psc.get(BASE + "incidents/repeats", {"phone": "0812345"}).json()
    assert [i["number"] for i in rep] == [inc["number"]]
    r = post(
        psc,
        "incidents",
        {"latitude": -6.98, "longitude": 110.41, "caller_phone": "0812345", "repeat_of": inc["id"]},
    )
    assert r.status_code == 200 and r.json()["calls"] == 2
    recs = dispatcher.get(BASE + f"incidents/{inc['id']}/units").json()
    assert [u["code"] for u in recs] == ["GD-1"]
    r = post(dispatcher, f"incidents/{inc['id']}/assign", {"unit": "GD-1"})
    assert r.status_code == 201 and r.json()["unit_status"] == "dispatched"
    # a second assignment of the same unit: 409 with a clear message
    other = post(psc, "incidents", {"latitude": -7.09, "longitude": 110.41}).json()
    r = post(dispatcher, f"incidents/{other['id']}/assign", {"unit": "GD-1"})
    assert r.status_code == 409
    assert r.json()["code"] == "unit_taken" and "GD-1" in r.json()["message"]
    hosp = dispatcher.get(BASE + f"incidents/{inc['id']}/hospitals").json()
    assert hosp[0]["name"] == "RS Alfa" and hosp[0]["free_in_class"] == 1
    r = post(
        dispatcher,
        f"incidents/{inc['id']}/handoff",
        {"hospital": hosp[0]["id"], "bed_class": "ICU", "hold_bed": True, "summary": "x"},
    )
    assert r.status_code == 201 and r.json()["bed_held"] is True
    console = dispatcher.get(BASE + "console").json()
    assert {i["number"] for i in console["incidents"]} == {inc["number"], other["number"]}
    assert console["incidents"][0]["number"] == other["number"]  # waiting first
    assert console["units"][0]["incident"] == inc["number"]
    del rs, unit


def test_crew_buttons_and_position(users, dispatcher, make_unit, call):
    unit = make_unit("GD-2")
    unit.crew.add(users["crew"])
    inc = call()
    post(dispatcher, f"incidents/{inc.public_id}/assign", {"unit": "GD-2"})
    crew = client_for(users["crew"])
    job = crew.get(BASE + "units/GD-2/job").json()
    assert job["job"]["incident"] == inc.number and job["next"] == []  # accept first
    assert post(crew, f"assignments/{job['job']['assignment']}/accept", {}).status_code == 200
    job = crew.get(BASE + "units/GD-2/job").json()
    assert "en_route" in job["next"]
    r = post(
        crew, "units/GD-2/status", {"status": "en_route", "latitude": -6.99, "longitude": 110.42}
    )
    assert r.status_code == 200 and r.json()["status"] == "en_route"
    r = post(crew, "units/GD-2/status", {"status": "transporting"})
    assert r.status_code == 409 and r.json()["field"] == "status"
    r = post(crew, "units/GD-2/position", {"latitude": -6.985, "longitude": 110.415})
    assert r.json()["lat"] == -6.985
    assert post(crew, "units/GD-2/position", {"latitude": 91, "longitude": 0}).status_code == 422


def test_roles_and_bad_input(users, make_unit, call):
    warga = client_for(users["public"])
    r = post(warga, "incidents", {"latitude": -6.98, "longitude": 110.41})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert Client().get(BASE + "console").status_code == 401
    assert warga.get(BASE + "console").status_code == 403
    psc = client_for(users["psc"])
    r = post(psc, "incidents", {"latitude": -6.98, "longitude": 110.41, "category": "ufo"})
    assert r.status_code == 422
    r = post(psc, "incidents", {"category": "medical"})
    assert r.status_code == 422 and r.json()["field"] == "location"
    assert Incident.objects.count() == 0
    inc = call()
    # a call-taker cannot dispatch
    make_unit("GD-3")
    assert post(psc, f"incidents/{inc.public_id}/assign", {"unit": "GD-3"}).status_code == 403
    assert (
        post(
            client_for(users["dispatcher"]), f"incidents/{inc.public_id}/assign", {"unit": "NOPE"}
        ).status_code
        == 404
    )


def test_partner_key_creates_incident_and_agency_posts_signed_status(users, call):
    _key, raw = ApiKey.generate(users["dispatcher"], "SIMRS mitra")
    r = Client().post(
        BASE + "incidents",
        json.dumps(
            {"latitude": -6.98, "longitude": 110.41, "category": "fire", "partner_ref": "X-1"}
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 201 and r.json()["source"] == "partner"
    ep = WebhookEndpoint.objects.create(name="damkar", url="http://127.0.0.1:9/", secret="s3cret")
    fire = Agency.objects.create(area_code="3374", kind="fire", name="Damkar", webhook=ep)
    inc = call(category="fire")
    assert inc.agency_requests.get().status == "sent"
    seen = client_for(users["dispatcher"]).get(BASE + f"incidents/{inc.public_id}").json()
    assert seen["agencies"] == [
        {"name": "Damkar", "status": "sent", "status_label": "Terkirim", "partner_status": ""}
    ]
    body = json.dumps({"incident": inc.number, "status": "unit berangkat"}).encode()
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(b"s3cret", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    path = BASE + f"partner/agencies/{fire.public_id}/status"
    bad = Client().post(
        path,
        body,
        content_type="application/json",
        HTTP_X_SIGAP_TIMESTAMP=ts,
        HTTP_X_SIGAP_SIGNATURE="sha256=00",
    )
    assert bad.status_code == 401
    ok = Client().post(
        path,
        body,
        content_type="application/json",
        HTTP_X_SIGAP_TIMESTAMP=ts,
        HTTP_X_SIGAP_SIGNATURE=sig,
    )
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"


def test_public_sos_is_throttled(area):
    from django.core.cache import cache

    cache.clear()
    c = Client()
    for _ in range(5):
        r = post(c, "sos", {"latitude": -6.98, "longitude": 110.41, "phone": "081234567"})
        assert r.status_code == 201
    r = post(c, "sos", {"latitude": -6.98, "longitude": 110.41, "phone": "081234567"})
    assert r.status_code == 429
    assert Incident.objects.filter(source="sos").count() == 5
    assert AuditEvent.objects.filter(action="emergency.incident.create", channel="sos").count() == 5
