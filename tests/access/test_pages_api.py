"""The access page, its export, the population upload page and the JSON API."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from sigap.access.models import PopulationUpload

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(facilities):
    def login(user):
        c = Client()
        c.force_login(user)
        return c

    return login


def test_page_needs_an_office_role(client_of, analyst, make_user):
    assert Client().get("/akses/").status_code == 302
    staff = make_user("petugas", "puskesmas_staff", area_code="3374")
    assert client_of(staff).get("/akses/").status_code == 403
    assert client_of(staff).get("/akses/ekspor/").status_code == 403
    assert client_of(staff).get("/api/v1/access/kelurahan").status_code == 403


def test_page_shows_map_table_and_indicators(client_of, analyst):
    r = client_of(analyst).get("/akses/?moda=car&jam=17&jenis=hospital_ponek")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="map"' in html and "leaflet/leaflet.js" in html
    assert "Miroto" in html and "Gedawang" in html
    assert r.context["c"].mode == "car" and r.context["c"].hour == 17
    cfg = r.context["map_config"]
    assert cfg["target"] == "hospital_ponek"
    assert [f["name"] for f in cfg["facilities"]] == ["RS Contoh Tengah"]
    assert len(cfg["points"]) == 3  # Gedawang has no position
    # internal codes are not shown as labels
    assert "hospital_ponek" not in html.split('id="kelurahan-table"')[1].split("</table>")[0]


def test_bad_filters_fall_back(client_of, analyst):
    r = client_of(analyst).get("/akses/?moda=helikopter&jam=99&jenis=x&kecamatan=999999")
    assert r.status_code == 200
    c = r.context["c"]
    assert (c.mode, c.hour, c.target, c.kecamatan) == ("motorbike", 8, "puskesmas", "")


def test_kecamatan_filter(client_of, analyst):
    r = client_of(analyst).get("/akses/?kecamatan=337410")
    assert [row["code"] for row in r.context["rep"].rows] == ["3374101001", "3374101002"]


def test_export_csv_and_xlsx(client_of, analyst):
    c = client_of(analyst)
    r = c.get("/akses/ekspor/?moda=car&jam=8&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][:4] == ["Kode", "Kelurahan", "Kecamatan", "Penduduk"]
    assert len(rows) == 5 and rows[1][6] == "Mobil"
    r = c.get("/akses/ekspor/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row == 5


def test_upload_page_all_or_nothing(client_of, analyst):
    c = client_of(analyst)
    bad = SimpleUploadedFile("p.csv", b"kode,penduduk\n3374011001,10\n3374999999,5\n")
    r = c.post("/akses/penduduk/", {"file": bad})
    assert r.status_code == 422 and "Kode kelurahan tidak dikenal." in r.content.decode()
    assert not PopulationUpload.objects.exists()
    good = SimpleUploadedFile("p.csv", b"kode,penduduk\n3374011001,10\n")
    r = c.post("/akses/penduduk/", {"file": good})
    assert r.status_code == 200 and 'id="upload-ok"' in r.content.decode()
    assert PopulationUpload.objects.count() == 1
    assert c.post("/akses/penduduk/", {}).status_code == 422


def test_api_kelurahan(client_of, analyst):
    c = client_of(analyst)
    r = c.get("/api/v1/access/kelurahan?mode=car&hour=7")
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "car" and len(body["kelurahan"]) == 4
    share = body["shares"][0]
    assert {"population", "denominator", "percent"} <= set(share)
    assert c.get("/api/v1/access/kelurahan?mode=jalan").status_code == 422
    assert c.get("/api/v1/access/kelurahan?hour=24").status_code == 422
    outside = c.get("/api/v1/access/kelurahan?area=3371")
    assert outside.status_code == 422 and outside.json()["field"] == "area"
    r = c.get("/api/v1/access/kelurahan?area=337410")
    assert len(r.json()["kelurahan"]) == 2


def test_api_population_upload(client_of, analyst):
    c = client_of(analyst)
    bad = SimpleUploadedFile("p.csv", b"kode,penduduk\n3374011001,x\n")
    r = c.post("/api/v1/access/population", {"file": bad})
    assert r.status_code == 422
    assert r.json()["rejections"][0]["line"] == 2
    good = SimpleUploadedFile("p.csv", b"kode,penduduk\n3374011001,10\n")
    r = c.post("/api/v1/access/population", {"file": good})
    assert r.status_code == 201 and r.json()["total_population"] == 10


def test_empty_area(client_of, make_user, area):
    admin = make_user("admin-kosong", "admin", area_code="3371")
    r = client_of(admin).get("/akses/")
    assert r.status_code == 200 and r.context["rep"].rows == []
