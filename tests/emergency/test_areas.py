"""Calls and SOS from outside the area (issue 17 High, issue 12): every accepted one reaches a
console; outside the area it is shown as out of area with the responsible PSC, or refused
with the advice to dial 112; the caller is never told something untrue."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from sigap.core.errors import InvalidInput
from sigap.core.models import AuditEvent
from sigap.emergency import services
from sigap.emergency.models import Agency, Incident, IncidentCall

from .conftest import actor

pytestmark = pytest.mark.django_db
BASE = "/api/v1/emergency/"
UNGARAN = (-7.151, 110.401)  # Desa Uji, Kab. Semarang (3322): no console serves it
JAKARTA = (-6.2, 106.82)  # no kelurahan SIGAP holds within 15 km
MIROTO = (-6.981, 110.413)  # Kota Semarang (3374)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, path, body, **headers):
    return c.post(BASE + path, json.dumps(body), content_type="application/json", **headers)


def sos(point, **kw):
    body = {"latitude": point[0], "longitude": point[1], "phone": "081234567890", **kw}
    return post(Client(), "sos", body)


def _nothing_written():
    return (
        Incident.objects.count() == 0
        and IncidentCall.objects.count() == 0
        and not AuditEvent.objects.filter(action__startswith="emergency.").exists()
    )


def test_intake_outside_the_area_needs_an_explicit_override(users):
    psc = client_for(users["psc"])
    body = {"latitude": UNGARAN[0], "longitude": UNGARAN[1], "caller_phone": "081234567890"}
    r = post(psc, "incidents", body)
    assert r.status_code == 422, r.content
    err = r.json()
    assert err["code"] == "out_of_area" and err["field"] == "location"
    # names where it is, the nearest kelurahan and the responsible PSC
    assert "Kab. Semarang" in err["message"] and "Desa Uji" in err["message"]
    assert "PSC 119 Kab. Semarang" in err["message"]
    assert _nothing_written()
    r = post(psc, "incidents", {**body, "allow_out_of_area": True})
    assert r.status_code == 201, r.content
    inc = Incident.objects.get()
    # stored on the call-taker's console, marked, with the kelurahan where it lies
    assert inc.area_code == "3374" and inc.out_of_area and inc.responsible_area == "3322"
    assert inc.village_id == "3322012001"
    queue = client_for(users["dispatcher"]).get(BASE + "console").json()["incidents"]
    assert [i["number"] for i in queue] == [inc.number]
    assert queue[0]["out_of_area"] is True
    assert queue[0]["responsible_psc"] == "PSC 119 Kab. Semarang (119)"


def test_intake_far_away_names_the_nearest_kelurahan_and_no_village_is_invented(users):
    psc = client_for(users["psc"])
    body = {"latitude": JAKARTA[0], "longitude": JAKARTA[1]}
    r = post(psc, "incidents", body)
    assert r.status_code == 422 and r.json()["code"] == "out_of_area"
    msg = r.json()["message"]
    assert "tidak dikenal SIGAP" in msg and "terdekat" in msg and "112" in msg
    assert _nothing_written()
    r = post(psc, "incidents", {**body, "allow_out_of_area": True})
    assert r.status_code == 201
    inc = Incident.objects.get()
    assert inc.area_code == "3374" and inc.out_of_area and inc.village is None
    assert r.json()["responsible_psc"].startswith("PSC 119 setempat")


def test_intake_inside_the_area_is_not_marked(users, call):
    inc = call()
    assert inc.area_code == "3374" and not inc.out_of_area and inc.responsible_area == ""


def test_intake_of_another_citys_dispatcher_is_out_of_their_area(users):
    data = services.IncidentInput(latitude=MIROTO[0], longitude=MIROTO[1])
    with pytest.raises(InvalidInput) as exc:
        services.create_incident(actor(users["other_disp"]), data)
    assert "PSC 119 Kota Semarang" in exc.value.message
    data.allow_out_of_area = True
    inc = services.create_incident(actor(users["other_disp"]), data)
    assert (inc.area_code, inc.out_of_area, inc.responsible_area) == ("3372", True, "3374")


def test_sos_inside_the_area_goes_to_its_console(users):
    r = sos(MIROTO)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["out_of_area"] is False and "PSC 119 Kota Semarang" in out["message"]
    inc = Incident.objects.get()
    assert inc.area_code == "3374" and not inc.out_of_area
    queue = client_for(users["psc"]).get(BASE + "console").json()["incidents"]
    assert [i["number"] for i in queue] == [out["number"]]


def test_sos_from_a_neighbouring_kabupaten_is_shown_out_of_area_with_the_responsible_psc(users):
    Agency.objects.create(area_code="3322", kind="psc119", name="PSC 119 Ungaran", phone="0246921")
    r = sos(UNGARAN)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["out_of_area"] is True
    assert out["responsible_psc"] == "PSC 119 Ungaran (0246921)"
    # the caller is told where it went and to dial 112, not "PSC 119 will call you"
    assert "di luar wilayah" in out["message"] and "112" in out["message"]
    assert "PSC 119 Ungaran" in out["message"]
    inc = Incident.objects.get()
    assert (inc.area_code, inc.out_of_area, inc.responsible_area) == ("3374", True, "3322")
    queue = client_for(users["dispatcher"]).get(BASE + "console").json()["incidents"]
    assert queue[0]["number"] == out["number"] and queue[0]["out_of_area"]


def test_sos_from_a_kabupaten_with_its_own_console_goes_there(users, make_user):
    ungaran = make_user("disp-ungaran", "dispatcher", area_code="3322")
    r = sos(UNGARAN)
    assert r.status_code == 201 and r.json()["out_of_area"] is False
    assert Incident.objects.get().area_code == "3322"
    queue = client_for(ungaran).get(BASE + "console").json()["incidents"]
    assert len(queue) == 1
    assert client_for(users["dispatcher"]).get(BASE + "console").json()["incidents"] == []


def test_sos_from_a_place_sigap_cannot_place_is_refused_with_112(users):
    r = sos(JAKARTA)
    assert r.status_code == 422
    err = r.json()
    assert err["code"] == "out_of_area" and "112" in err["message"]
    assert _nothing_written()


def test_every_accepted_sos_reaches_a_console(users, make_user):
    """Wherever SIGAP accepts an SOS, some console's queue holds it."""
    make_user("disp-solo-2", "dispatcher", area_code="3372")
    numbers = []
    points = (MIROTO, UNGARAN, (-7.09, 110.415), (-6.958, 110.421))
    for n, point in enumerate(points):
        r = sos(point, idempotency_key=f"press-{n:04d}")
        assert r.status_code == 201, r.content
        numbers.append(r.json()["number"])
    shown = set()
    for user in (users["psc"], users["other_disp"]):
        shown |= {i["number"] for i in client_for(user).get(BASE + "console").json()["incidents"]}
    assert shown == set(numbers)
