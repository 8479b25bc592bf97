"""The situation page and its JSON endpoint: roles, scope (404 for another area), 401 for
the anonymous, the landing page and menu of the office."""

import pytest
from django.test import Client

from sigap.core import nav
from tests.monitoring.conftest import MAGELANG_KEL, hospital, incident, room

pytestmark = pytest.mark.django_db
API = "/api/v1/monitoring/situation"


def client_as(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_the_page(province):
    c = client_as()
    r = c.get(API)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    page = c.get("/dinkes/")
    assert page.status_code == 302 and "/masuk/" in page["Location"]


@pytest.mark.parametrize("role", ["hospital_operator", "puskesmas_staff", "dispatcher", "public"])
def test_other_roles_are_refused(make_user, province, role):
    c = client_as(make_user(f"u-{role}", role, area_code="3374"))
    assert c.get(API).status_code == 403
    assert c.get("/dinkes/").status_code == 403


def test_analyst_lands_on_the_situation_page_first_in_the_office_menu(analyst, make_user):
    c = client_as(analyst)
    assert c.get("/")["Location"] == "/dinkes/"
    assert nav.entries(nav.OFFICE)[0][0] == "monitoring:situation"
    admin = make_user("admin", "admin")
    assert client_as(admin).get("/")["Location"] == "/dinkes/"


def test_page_renders_labels_and_zeros_on_a_fresh_install(analyst):
    r = client_as(analyst).get("/dinkes/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Situasi · Kota Semarang" in html
    assert "belum ada data" in html
    assert 'data-figure="em-open-merah">0<' in html
    assert "Merah (segera)" in html  # labels, not the colour codes alone
    for link in ("/dinkes/tempat-tidur/", "/gawat-darurat/laporan/", "/dinkes/rujukan/",
                 "/dinkes/jkn/", "/gizi/", "/kia/"):  # fmt: skip
        assert f'href="{link}"' in html
    assert 'id="breakdown"' not in html and 'name="wilayah"' not in html


def test_api_figures_match_the_page_and_stay_in_the_area(analyst):
    room(hospital("RS Alfa"), "ICU1", "ICU", 6, 2)
    room(hospital("RS Magelang", village=MAGELANG_KEL), "ICU1", "ICU", 10, 7)
    incident("3371", village=MAGELANG_KEL)
    c = client_as(analyst)
    body = c.get(API).json()
    assert body["figures"]["area"] == {"code": "3374", "name": "Kota Semarang", "province": False}
    assert body["figures"]["beds"]["free"] == 2
    assert body["figures"]["emergency"]["open_total"] == 0
    assert body["texts"]["beds-free"] == "2 dari 6 tempat tidur kosong"
    assert (
        'data-figure="beds-free">2 dari 6 tempat tidur kosong<'
        in c.get("/dinkes/").content.decode()
    )
    # the same request twice answers the same figures
    again = c.get(API).json()
    assert again["texts"] == body["texts"]


@pytest.mark.parametrize("other", ["3371", "33", "3471", "abc", "3374011001"])
def test_another_area_is_404_for_a_kab_kota_user(analyst, other):
    c = client_as(analyst)
    r = c.get(API, {"wilayah": other})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert c.get("/dinkes/", {"wilayah": other}).status_code == 404


def test_provincial_analyst_sees_the_breakdown_and_picks_a_kab_kota(provincial):
    room(hospital("RS Magelang", village=MAGELANG_KEL), "ICU1", "ICU", 10, 7)
    c = client_as(provincial)
    html = c.get("/dinkes/").content.decode()
    assert "Situasi · Jawa Tengah" in html and 'id="breakdown"' in html
    assert '<option value="3371">Kota Magelang</option>' in html
    assert 'data-figure="kk-3371-beds">7 / 10<' in html
    one = c.get("/dinkes/", {"wilayah": "3371"}).content.decode()
    assert "Situasi · Kota Magelang" in one and 'id="breakdown"' not in one
    assert f'data-poll-url="{API}?wilayah=3371"' in one
    body = c.get(API, {"wilayah": "3371"}).json()
    assert body["figures"]["beds"]["free"] == 7 and body["figures"]["breakdown"] == []
    assert c.get(API, {"wilayah": "3471"}).status_code == 404  # Yogyakarta: not theirs


def test_english_page(analyst):
    c = client_as(analyst)
    c.cookies["django_language"] = "en"
    r = c.get("/dinkes/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200


def test_export_csv_and_xlsx_of_the_area_and_its_kab_kota(provincial):
    import csv
    import io

    from openpyxl import load_workbook

    room(hospital("RS Magelang", village=MAGELANG_KEL), "ICU1", "ICU", 10, 7)
    c = client_as(provincial)
    r = c.get("/dinkes/", {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["kode_wilayah", "wilayah", "tt_kosong", "tt_kapasitas"]
    assert [row[1] for row in rows[1:]] == ["Jawa Tengah", "Kota Magelang", "Kota Semarang"]
    assert rows[2][2:4] == ["7", "10"]
    x = c.get("/dinkes/", {"format": "xlsx", "wilayah": "3371"})
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1] == "Kota Magelang" and len(values) == 2
    assert c.get("/dinkes/", {"format": "pdf"}).status_code == 404
    assert c.get("/dinkes/", {"format": "csv", "wilayah": "3471"}).status_code == 404
