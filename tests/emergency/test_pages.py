"""The pages render for their roles, refuse others, and the plain forms work without JS."""

import pytest
from django.test import Client
from django.utils import timezone

from sigap.emergency import services
from sigap.emergency.models import Handoff, Incident

from .conftest import actor

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_pages_by_role(users, make_unit):
    make_unit()
    psc, disp, crew = login(users["psc"]), login(users["dispatcher"]), login(users["crew"])
    for path in [
        "/gawat-darurat/panggilan/",
        "/gawat-darurat/dispatcher/",
        "/gawat-darurat/cakupan/",
    ]:
        assert psc.get(path).status_code == 200, path
    for path in ["/gawat-darurat/laporan/", "/gawat-darurat/kru/"]:
        assert disp.get(path).status_code == 200, path
    assert crew.get("/gawat-darurat/kru/").status_code == 200
    assert crew.get("/gawat-darurat/panggilan/").status_code == 403
    assert login(users["public"]).get("/gawat-darurat/dispatcher/").status_code == 403
    assert Client().get("/gawat-darurat/panggilan/").status_code == 302
    assert Client().get("/sos/").status_code == 200


def test_intake_form_offers_repeat_then_records_call(users, call):
    first = call(caller_phone="081111")
    psc = login(users["psc"])
    form = {
        "caller_phone": "081111",
        "latitude": "-6.99",
        "longitude": "110.42",
        "category": "traffic",
        "q_terjepit": "on",
        "victims": "2",
        "triage": "",
    }
    r = psc.post("/gawat-darurat/panggilan/", form)
    assert r.status_code == 200 and first.number.encode() in r.content
    assert Incident.objects.count() == 1
    r = psc.post("/gawat-darurat/panggilan/", {**form, "repeat_of": str(first.public_id)})
    assert r.status_code == 302
    first.refresh_from_db()
    assert first.call_count == 2
    r = psc.post("/gawat-darurat/panggilan/", {**form, "confirm_new": "1"})
    assert r.status_code == 302
    new = Incident.objects.exclude(pk=first.pk).get()
    assert new.triage == "merah" and new.victims == 2 and new.triage_answers == {"terjepit": True}


def test_intake_bad_input_shows_the_field(users):
    r = login(users["psc"]).post(
        "/gawat-darurat/panggilan/", {"category": "medical", "victims": "1"}
    )
    assert r.status_code == 422 and b'data-field="location"' in r.content
    assert Incident.objects.count() == 0


def test_crew_buttons_without_js(users, call, make_unit):
    unit = make_unit("GD-9")
    unit.crew.add(users["crew"])
    inc = call()
    a = services.assign_unit(actor(users["dispatcher"]), inc, unit)
    crew = login(users["crew"])
    page = crew.get("/gawat-darurat/kru/").content.decode()
    assert inc.number in page and 'value="en_route"' not in page  # the job is accepted first
    accept = {"unit": "GD-9", "action": "accept", "assignment": str(a.public_id)}
    assert crew.post("/gawat-darurat/kru/", accept).status_code == 302
    page = crew.get("/gawat-darurat/kru/").content.decode()
    assert 'value="en_route"' in page
    r = crew.post(
        "/gawat-darurat/kru/",
        {"unit": "GD-9", "status": "en_route", "latitude": "-6.99", "longitude": "110.41"},
    )
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.status == "en_route" and unit.latitude == -6.99


def test_hospital_sees_and_acknowledges_incoming(users, call, make_hospital, make_user):
    from sigap.facilities.models import FacilityOperator

    rs = make_hospital("RS Tujuan")
    op = make_user("op-rs", "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=rs)
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs, summary="Sesak napas")
    c = login(op)
    page = c.get("/gawat-darurat/rs/masuk/").content.decode()
    assert inc.number in page and "Sesak napas" in page
    c.post("/gawat-darurat/rs/masuk/", {"handoff": str(h.public_id), "status": "acknowledged"})
    assert Handoff.objects.get().status == "acknowledged"
    # another hospital's operator does not see it
    other = make_user("op-x", "hospital_operator")
    assert inc.number not in login(other).get("/gawat-darurat/rs/masuk/").content.decode()


def test_report_and_csv(users, call, make_unit):
    unit = make_unit()
    inc = call()
    t0 = inc.received_at
    services.assign_unit(
        actor(users["dispatcher"]), inc, unit, now=t0 + timezone.timedelta(minutes=2)
    )
    s = services.Actor.system("crew")
    services.move_unit(s, unit, "en_route", now=t0 + timezone.timedelta(minutes=3))
    services.move_unit(s, unit, "on_scene", now=t0 + timezone.timedelta(minutes=11))
    disp = login(users["dispatcher"])
    day = timezone.localdate(t0).isoformat()
    page = disp.get(f"/gawat-darurat/laporan/?tanggal={day}").content.decode()
    assert "<svg" in page and "<script" not in page.split("<svg", 1)[1].split("</svg>")[0]
    csv_text = disp.get(f"/gawat-darurat/laporan/?tanggal={day}&format=csv").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("nomor,diterima,triase") and len(lines) == 2
    assert ",2.0,11.0,," in lines[1] and lines[1].endswith(",15,1")
    assert "0812" not in csv_text  # no caller numbers in the export
