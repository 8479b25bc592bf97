"""Home-care pages and JSON API: public form, staff pages, scoping, no personal data leaks,
clean 4xx on bad input."""

from datetime import date, time

import pytest

from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import HomecareRequest, Visit

from .conftest import NIK, client_as, request_input

DAY = date(2026, 3, 10)


def test_public_form_creates_a_request_and_bad_input_gets_a_4xx(puskesmas):
    c = client_as()
    assert c.get("/perawatan-rumah/minta/").status_code == 200
    bad = c.post("/perawatan-rumah/minta/", {"nik": "12", "name": "x", "phone": "0812345678",
                                             "address": "a", "village_code": "3374011001",
                                             "need": "n"})  # fmt: skip
    assert bad.status_code == 422 and not HomecareRequest.objects.exists()
    form = {"nik": NIK, "name": "Ibu Warsini", "phone": "0812345678", "address": "Jl. Miroto",
            "village_code": "3374011001", "need": "stroke"}  # fmt: skip
    ok = c.post("/perawatan-rumah/minta/", form)
    assert ok.status_code == 200 and "Puskesmas Miroto" in ok.content.decode()
    assert HomecareRequest.objects.get().facility == puskesmas["miroto"]


def test_staff_pages_are_scoped_and_mask_nik(staff, other_staff, puskesmas, roster):
    req = services.create_request(Actor(None, "web"), request_input())
    mine = client_as(staff)
    inbox = mine.get("/perawatan-rumah/puskesmas/")
    body = inbox.content.decode()
    assert inbox.status_code == 200 and "Ibu Warsini" in body
    assert NIK not in body and "3374xxxxxxxx0003" in body
    assert mine.get(f"/perawatan-rumah/permintaan/{req.public_id}/").status_code == 200
    other = client_as(other_staff)
    assert other.get(f"/perawatan-rumah/permintaan/{req.public_id}/").status_code == 404
    assert "Ibu Warsini" not in other.get("/perawatan-rumah/puskesmas/").content.decode()
    assert client_as().get("/perawatan-rumah/puskesmas/").status_code == 302  # to login
    for path in ("/perawatan-rumah/petugas/", "/perawatan-rumah/rencana/",
                 "/perawatan-rumah/jemput-antar/", "/perawatan-rumah/kunjungan-saya/",
                 "/perawatan-rumah/rencana/lembar/"):  # fmt: skip
        assert mine.get(path).status_code == 200, path


def test_jkn_status_shows_belum_tersedia_without_the_coverage_function(staff, puskesmas,
                                                                       monkeypatch):  # fmt: skip
    req = services.create_request(Actor(None, "web"), request_input())
    monkeypatch.setattr(services, "coverage_status", lambda nik: None)
    page = client_as(staff).get(f"/perawatan-rumah/permintaan/{req.public_id}/").content.decode()
    assert "belum tersedia" in page
    status = {"status": "aktif", "label": "JKN aktif (PBI)"}
    monkeypatch.setattr(services, "coverage_status", lambda nik: status)
    page = client_as(staff).get(f"/perawatan-rumah/permintaan/{req.public_id}/").content.decode()
    assert "JKN aktif (PBI)" in page


def test_api_request_plan_and_record(staff, puskesmas, roster, make_user):
    c = client_as()
    r = c.post("/api/v1/homecare/requests", {"nik": "1", "name": "x", "phone": "0812345678",
               "address": "a", "village_code": "3374011001", "need": "n"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "nik"
    r = c.post("/api/v1/homecare/requests", {"nik": NIK, "name": "Ibu Warsini",
               "phone": "0812345678", "address": "Jl. Miroto", "village_code": "3374011001",
               "need": "stroke"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["puskesmas"] == "Puskesmas Miroto"
    req = HomecareRequest.objects.get()
    actor = Actor(staff, "web")
    checklist = {c: True for c in req.target_group.checklist} if req.target_group else None
    from sigap.homecare.models import TargetGroup

    checklist = {c: True for c in TargetGroup.objects.get(code="kronis_imobil").checklist}
    services.decide_eligibility(actor, req, target_group="kronis_imobil", answers=checklist)
    services.create_care_plan(actor, req, services.CarePlanInput(
        7, "nurse", 45, time(8), time(14), 1, DAY))  # fmt: skip
    pk = puskesmas["miroto"].pk
    plan_url = f"/api/v1/homecare/puskesmas/{pk}/plan?date=2026-03-10"
    assert client_as().get(plan_url).status_code == 401
    s = client_as(staff)
    lst = s.get(f"/api/v1/homecare/puskesmas/{pk}/requests").json()
    assert lst[0]["nik"] == "3374xxxxxxxx0003"
    plan = s.post(f"/api/v1/homecare/puskesmas/{pk}/plan", {"date": "2026-03-10", "seconds": 0.3},
                  content_type="application/json")  # fmt: skip
    assert plan.status_code == 200
    stops = [st for rt in plan.json()["routes"] for st in rt["stops"]]
    assert len(stops) == 1 and stops[0]["status"] == "planned"
    visit_id = stops[0]["visit"]
    stranger = make_user("asing", "puskesmas_staff")
    r = client_as(stranger).post(f"/api/v1/homecare/visits/{visit_id}/record",
                               {"outcome": "stable"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client_as(roster["nurse"].user).post(
        f"/api/v1/homecare/visits/{visit_id}/record",
        {"outcome": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "outcome"
    r = client_as(roster["nurse"].user).post(
        f"/api/v1/homecare/visits/{visit_id}/record",
        {"outcome": "stable", "systolic": 120, "diastolic": 80, "spo2": 97},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json() == r.json() | {"status": "done", "escalated": False}
    assert Visit.objects.get(public_id=visit_id).status == "done"


@pytest.mark.parametrize("path", ["/perawatan-rumah/rencana/?tanggal=bukan-tanggal",
                                  "/perawatan-rumah/rencana/lembar/?petugas=xyz",
                                  "/perawatan-rumah/jemput-antar/?tanggal=2026-99-99"])  # fmt: skip
def test_odd_query_strings_do_not_500(staff, puskesmas, path):
    assert client_as(staff).get(path).status_code == 200


def test_jkn_status_comes_from_the_coverage_capability(staff, puskesmas, monkeypatch):
    from datetime import date

    from sigap.coverage import services as coverage_services

    found = coverage_services.CoverageStatus(
        nik=NIK, covered=True, active=True, segment="PBI-APBD", inactive_reason="",
        faskes_code="", period=date(2026, 11, 1), enrolment="",
    )  # fmt: skip
    monkeypatch.setattr(coverage_services, "coverage_status", lambda nik: found)
    req = services.create_request(Actor(None, "web"), request_input())
    page = client_as(staff).get(f"/perawatan-rumah/permintaan/{req.public_id}/").content.decode()
    assert "JKN aktif (PBI-APBD)" in page
