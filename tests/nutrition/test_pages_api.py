"""Nutrition pages (server-rendered) and the JSON API: roles, scope, 4xx on bad input."""

import json
from datetime import date

import pytest
from django.test import Client

from sigap.nutrition import services
from sigap.nutrition.models import Child, DeathReview, Measurement, NutritionCase
from sigap.nutrition.services import handoff

from .conftest import client_for

pytestmark = pytest.mark.django_db


def measure(actor, child, on, w, length, pos="L"):
    return services.record_measurement(actor, child, services.MeasurementInput(on, w, length, pos))


def test_pages_need_the_right_role(make_user, area):
    public = make_user("warga", "public", area_code="3374")
    c = client_for(public)
    for path in ("/gizi/", "/gizi/ukur/", "/gizi/kasus/", "/kia/", "/kia/kajian-kematian/"):
        assert c.get(path).status_code == 403, path
    assert Client().get("/gizi/").status_code == 302  # to the login page


def test_dashboard_page_shows_prevalence(analyst, staff_actor, make_child):
    child = make_child(birth_date=date(2024, 1, 10))
    measure(staff_actor, child, date(2026, 1, 10), 11.0, 78.0)
    page = client_for(analyst).get("/gizi/?bulan=2026-01&tingkat=posyandu")
    assert page.status_code == 200
    html = page.content.decode()
    # one child is too few to judge: no "100,0%" and no WHO band (tests/nutrition/
    # test_dashboard_figures.py has the published case)
    assert "Posyandu Melati" in html and "terlalu sedikit untuk dinilai" in html
    assert "100,0%" not in html and '"band">sangat tinggi<' not in html
    assert "pill band-very_high" not in html
    assert "<svg" in html and "map-config" in html and "<script>" not in html.replace(" ", "")


def test_entry_form_registers_and_measures(staff, facilities):
    c = client_for(staff)
    page = c.get("/gizi/ukur/")
    assert page.status_code == 200 and "Posyandu Melati" in page.content.decode()
    assert "Posyandu Mawar" not in page.content.decode()  # another Puskesmas' posyandu
    form = {
        "posyandu": str(facilities["pos1"].public_id),
        "measured_on": "2026-01-10",
        "nik": "3374010101240001",
        "name": "Budi",
        "sex": "L",
        "birth_date": "2024-01-10",
        "weight": "11,5",
        "length": "85",
        "position": "L",
    }
    r = c.post("/gizi/ukur/", form)
    assert r.status_code == 302
    result = c.get(r["Location"]).content.decode()
    assert "Tersimpan: Budi" in result and "umur 731 hari" in result
    m = Measurement.objects.get()
    assert m.child.nik == "3374010101240001" and m.weight_kg == 11.5
    # the same NIK again adds a measurement to the same child
    r = c.post("/gizi/ukur/", {**form, "measured_on": "2026-02-10", "weight": "11,0", "name": ""})
    assert r.status_code == 302 and Child.objects.count() == 1 and Measurement.objects.count() == 2
    # bad input: 4xx, nothing written
    r = c.post("/gizi/ukur/", {**form, "measured_on": "2026-03-10", "weight": "abc"})
    assert r.status_code == 422 and Measurement.objects.count() == 2
    assert "Harus berupa angka" in r.content.decode()


def test_case_page_actions(staff, staff_actor, make_child, monkeypatch):
    monkeypatch.setattr(handoff, "homecare_api", lambda: None)
    child = make_child(birth_date=date(2025, 1, 1))
    measure(staff_actor, child, date(2025, 10, 1), 6.0, 72.0)
    case = NutritionCase.objects.get()
    c = client_for(staff)
    assert "belum ada" in c.get("/gizi/kasus/").content.decode()
    url = f"/gizi/kasus/{case.public_id}/"
    assert c.post(url, {"op": "action", "kind": "homecare", "note": "cek"}).status_code == 302
    html = c.get(url).content.decode()
    assert "menunggu serah terima" in html and "ditangani" in html
    r = c.post(url, {"op": "status", "to": "closed", "expected": "acting", "reason": ""})
    assert r.status_code == 422
    assert c.get("/gizi/kasus/not-a-uuid/").status_code == 404


def test_review_page_flow(staff_actor, analyst):
    d = services.register_death(
        staff_actor,
        services.DeathInput(
            kind="maternal",
            died_on=date(2026, 2, 1),
            kelurahan_code="3374011001",
            timing="postpartum",
            cause_icd10="O72.1",
            cause="perdarahan pascapersalinan",
        ),
    )
    c = client_for(analyst)
    url = f"/kia/kajian-kematian/{d.review.public_id}/"
    assert "O72.1" in c.get("/kia/kajian-kematian/").content.decode()
    r = c.post(url, {"to": "reviewed", "expected": "pending", "findings": "", "delays": ["1"]})
    assert r.status_code == 422
    r = c.post(
        url,
        {
            "to": "reviewed",
            "expected": "pending",
            "findings": "terlambat dirujuk",
            "delays": ["1", "3"],
            "avoidable": "1",
        },
    )
    assert r.status_code == 302
    assert c.post(url, {"to": "closed", "expected": "reviewed"}).status_code == 302
    review = DeathReview.objects.get()
    assert review.status == "closed" and review.delays == ["1", "3"] and review.avoidable
    assert "AKI" in c.get("/kia/?tahun=2026").content.decode()


# --- API ------------------------------------------------------------------------------------


def test_zscores_api_is_public_and_checks_input():
    c = Client()
    rows = [
        {"sex": "L", "age_days": 731, "weight_kg": 11.5, "length_cm": 85.0, "measured": "L"},
        {"sex": "x", "age_days": 10, "weight_kg": 3, "length_cm": 50},
    ]
    r = c.post(
        "/api/v1/nutrition/zscores", json.dumps({"rows": rows}), content_type="application/json"
    )
    assert r.status_code == 200
    body = r.json()
    assert body[0]["haz"] is not None and body[0]["whz_class"] == "gizi baik"
    assert body[1]["haz"] is None and body[1]["haz_class"] == ""
    bad = c.post(
        "/api/v1/nutrition/zscores",
        json.dumps({"rows": [{"sex": "L", "age_days": -1}]}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_api_child_measurement_dashboard(staff, analyst, facilities, other_staff):
    c = client_for(staff)
    r = c.post(
        "/api/v1/nutrition/children",
        json.dumps(
            {
                "name": "Sari",
                "sex": "P",
                "birth_date": "2025-01-01",
                "kelurahan_code": "3374011001",
                "nik": "3374014101250001",
                "posyandu": str(facilities["pos1"].public_id),
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    child = r.json()
    assert child["nik"] == "3374xxxxxxxxxxxx"
    r = c.post(
        f"/api/v1/nutrition/children/{child['id']}/measurements",
        json.dumps(
            {"measured_on": "2025-10-01", "weight_kg": 6.0, "length_cm": 72.0, "position": "L"}
        ),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["whz_class"] == "gizi buruk"
    r = c.post(
        f"/api/v1/nutrition/children/{child['id']}/measurements",
        json.dumps({"measured_on": "2020-01-01", "weight_kg": 6.0}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "measured_on"
    # search by full NIK (not by its first digits) and by name
    assert c.get("/api/v1/nutrition/children?q=337401").status_code == 422
    nik = Child.objects.get().nik
    assert [x["name"] for x in c.get(f"/api/v1/nutrition/children?q={nik}").json()] == ["Sari"]
    assert c.get("/api/v1/nutrition/children?q=sar").json()[0]["id"] == child["id"]
    # another Puskesmas: neither search nor write
    o = client_for(other_staff)
    assert o.get("/api/v1/nutrition/children?q=sar").json() == []
    r = o.post(
        f"/api/v1/nutrition/children/{child['id']}/measurements",
        json.dumps({"measured_on": "2025-11-01", "weight_kg": 6.5}),
        content_type="application/json",
    )
    assert r.status_code == 404  # another Puskesmas' child answers like an unknown id
    dash = client_for(analyst).get("/api/v1/nutrition/dashboard?month=2025-10&level=posyandu")
    assert dash.status_code == 200 and dash.json()["totals"]["severely_wasted"] == 1
    assert client_for(analyst).get("/api/v1/nutrition/dashboard?month=2025-13").status_code == 422
    cases = c.get("/api/v1/nutrition/cases").json()
    assert len(cases) == 1
    r = c.post(
        f"/api/v1/nutrition/cases/{cases[0]['id']}/actions",
        json.dumps({"kind": "food", "note": "PMT"}),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["status"] == "requested"
    r = c.post(
        f"/api/v1/nutrition/cases/{cases[0]['id']}/status",
        json.dumps({"to": "open"}),
        content_type="application/json",
    )
    assert r.status_code == 409  # an illegal move: a conflict, as in every app


def test_api_deaths_and_reviews(staff, analyst):
    c = client_for(staff)
    r = c.post(
        "/api/v1/nutrition/deaths",
        json.dumps(
            {
                "kind": "infant",
                "died_on": "2026-01-20",
                "birth_date": "2026-01-02",
                "kelurahan_code": "3374011001",
                "cause_icd10": "P36.9",
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["age_days"] == 18 and r.json()["status"] == "pending"
    rid = r.json()["id"]
    a = client_for(analyst)
    r = a.post(
        f"/api/v1/nutrition/reviews/{rid}/status",
        json.dumps({"to": "closed"}),
        content_type="application/json",
    )
    assert r.status_code == 409  # pending -> closed is an illegal move: a conflict everywhere
    r = a.post(
        f"/api/v1/nutrition/reviews/{rid}/status",
        json.dumps({"to": "reviewed", "findings": "sepsis", "delays": ["3"]}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    r = c.post(
        "/api/v1/nutrition/births",
        json.dumps({"born_on": "2026-01-02", "outcome": "live", "kelurahan_code": "3374011001"}),
        content_type="application/json",
    )
    assert r.status_code == 201
    m = a.get("/api/v1/nutrition/mortality?year=2026&level=kota").json()
    assert m["total"]["akb"]["rate"] == 1000.0 and m["total"]["live"] == 1
    # public users get nothing
    public_denied = Client().get("/api/v1/nutrition/mortality?year=2026")
    assert public_denied.status_code == 401
