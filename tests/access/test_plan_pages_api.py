"""The planning pages (form, scenario, compare and its export) and the scenarios API."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from sigap.access.models import Scenario
from sigap.access.services import import_population
from sigap.core.models import AuditEvent
from sigap.core.services import Actor

pytestmark = pytest.mark.django_db

FORM = {"name": "Tingkatkan 1 Pustu", "k": "1", "minutes": "15", "objective": "covering",
        "weights": "none", "mode": "motorbike", "hour": "8", "seconds": "10",
        "upgrades": "on", "points": ""}  # fmt: skip


@pytest.fixture
def office(facilities, analyst):
    content = b"kode,penduduk\n3374011001,5000\n3374011002,3000\n3374101001,7000\n"
    import_population(Actor.system("test"), "p.csv", content, "3374")
    c = Client()
    c.force_login(analyst)
    return c


def test_pages_need_an_office_role(office, make_user):
    assert Client().get("/akses/rencana/").status_code == 302
    staff = Client()
    staff.force_login(make_user("petugas", "puskesmas_staff", area_code="3374"))
    for url in ("/akses/rencana/", "/akses/rencana/banding/?s=x", "/api/v1/access/scenarios"):
        assert staff.get(url).status_code == 403
    assert staff.post("/akses/rencana/", FORM).status_code == 403
    assert Scenario.objects.count() == 0


def test_plan_form_saves_and_shows_the_scenario(office):
    page = office.get("/akses/rencana/")
    assert page.status_code == 200 and "Belum ada skenario" in page.content.decode()
    r = office.post("/akses/rencana/", FORM)
    assert r.status_code == 302
    s = Scenario.objects.get()
    assert r["Location"] == f"/akses/rencana/{s.public_id}/"
    html = office.get(r["Location"]).content.decode()
    assert "Pustu Pudakpayung" in html and 'id="plan-map"' in html and "leaflet/leaflet.js" in html
    assert "Rencana serakah" in html and "celah optimalitas" in html
    assert "7.000" in html  # gains access within 15 minutes
    listed = office.get("/akses/rencana/").content.decode()
    assert "Tingkatkan 1 Pustu" in listed and f'value="{s.public_id}"' in listed


def test_plan_form_refusal_keeps_input_and_saves_nothing(office):
    r = office.post("/akses/rencana/", FORM | {"k": "5"})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'id="plan-error"' in html and 'value="Tingkatkan 1 Pustu"' in html
    r = office.post("/akses/rencana/", FORM | {"upgrades": ""})  # nothing to choose
    assert r.status_code == 422
    assert Scenario.objects.count() == 0


def test_scenario_page_unknown_or_foreign(office, make_user):
    assert office.get("/akses/rencana/bukan-uuid/").status_code == 404
    other = make_user("analis-lain", "analyst", area_code="3301")
    c = Client()
    c.force_login(other)
    office.post("/akses/rencana/", FORM)
    s = Scenario.objects.get()
    assert c.get(f"/akses/rencana/{s.public_id}/").status_code == 404


def test_compare_page_and_export(office):
    office.post("/akses/rencana/", FORM | {"k": "0", "name": "Apa adanya"})
    office.post("/akses/rencana/", FORM)
    ids = [str(s.public_id) for s in Scenario.objects.order_by("created_at", "id")]
    query = "&".join(f"s={i}" for i in ids)
    r = office.get(f"/akses/rencana/banding/?{query}")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="compare-table"' in html and html.count('class="map plan-map"') == 2
    csv_r = office.get(f"/akses/rencana/banding/ekspor/?{query}&format=csv")
    rows = list(csv.reader(io.StringIO(csv_r.content.decode())))
    assert rows[0] == ["Ukuran", "Apa adanya", "Tingkatkan 1 Pustu"]
    assert ["Mendapat akses dalam 15 menit", "0", "7000"] in rows
    x = office.get(f"/akses/rencana/banding/ekspor/?{query}&format=xlsx")
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet.cell(1, 3).value == "Tingkatkan 1 Pustu"
    assert office.get("/akses/rencana/banding/").status_code == 422


def test_api_create_get_list_compare(office):
    body = {"name": "API", "k": 1, "minutes": 15, "upgrades": True, "new_sites": False}
    r = office.post("/api/v1/access/scenarios", body, content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["status"] == "done" and out["result"]["figures"]["gain"]["15"] == 7000
    assert office.get(f"/api/v1/access/scenarios/{out['id']}").json()["name"] == "API"
    assert [s["name"] for s in office.get("/api/v1/access/scenarios").json()] == ["API"]
    zero = office.post("/api/v1/access/scenarios", body | {"k": 0, "name": "0"},
                       content_type="application/json").json()  # fmt: skip
    cmp = office.get(f"/api/v1/access/scenarios/compare?ids={zero['id']}&ids={out['id']}")
    assert cmp.status_code == 200
    assert [c["gain"]["15"] for c in cmp.json()["scenarios"]] == [0, 7000]
    assert (
        office.get("/api/v1/access/scenarios/00000000-0000-0000-0000-000000000000").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [({"k": 9}, "k"), ({"minutes": 0}, "minutes"), ({"upgrades": False}, "sites"),
     ({"points": [{"name": "laut", "lat": -6.5, "lon": 110.4}]}, "points")],
)  # fmt: skip
def test_api_refusals(office, change, field):
    body = {"name": "API", "k": 1, "minutes": 15, "upgrades": True, "new_sites": False}
    audits = AuditEvent.objects.count()
    r = office.post("/api/v1/access/scenarios", body | change, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == field
    assert Scenario.objects.count() == 0 and AuditEvent.objects.count() == audits
