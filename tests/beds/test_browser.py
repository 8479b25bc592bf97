"""The bed board pages in headless Chromium against a live server."""

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from sigap.beds import selectors, services
from sigap.beds.models import Room
from sigap.core.services import Actor
from tests.helpers import login as sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
login = partial(sign_in, until=re.compile(r"/(operator|dinkes)/"))  # the operator or Dinkes pages


def room(code, cls, cap, free):
    return services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap,
                              free=free)  # fmt: skip


@pytest.fixture
def hospitals(make_hospital):
    """Alfa (Miroto) and Gamma (Bandarharjo) have a free ICU bed; Beta (Pudakpayung) has none."""
    actor = Actor.system("test")
    alfa = make_hospital("RS Alfa", village="3374011001", lat=-6.981, lon=110.412,
                         emergency_phone="024-111")  # fmt: skip
    beta = make_hospital("RS Beta", village="3374101001", lat=-7.090, lon=110.415)
    gamma = make_hospital("RS Gamma", village="3374021001", lat=-6.958, lon=110.421)
    services.upsert_room(actor, alfa, room("ICU1", "ICU", 6, 2), source="api")
    services.upsert_room(actor, alfa, room("K3", "KL3", 20, 3), source="api")
    services.upsert_room(actor, beta, room("ICU1", "ICU", 4, 0), source="api")
    services.upsert_room(actor, beta, room("K3", "KL3", 30, 25), source="api")
    services.upsert_room(actor, gamma, room("ICU1", "ICU", 4, 1), source="api")
    selectors.reset_snapshot()
    return alfa, beta, gamma


def listed(page) -> list[str]:
    return page.locator("#hospital-list .h-name").all_inner_texts()


def test_board_map_filters_nearest_and_refresh(page, hospitals, console_errors):
    alfa, beta, _ = hospitals
    page.clock.install()
    page.goto("/tempat-tidur/")
    page.wait_for_selector(".leaflet-container path.hospital-marker", state="attached")
    assert page.locator("path.hospital-marker").count() == 3
    assert listed(page) == ["RS Beta", "RS Alfa", "RS Gamma"]  # most free beds first
    assert page.locator("a.tel.igd").first.get_attribute("href") == "tel:024-111"

    # class filter: choosing ICU submits the form
    page.select_option("#f-kelas", "ICU")
    page.wait_for_url(re.compile(r"kelas=ICU"))
    assert listed(page) == ["RS Alfa", "RS Gamma"]
    page.wait_for_selector("path.hospital-marker", state="attached")
    assert page.locator("path.hospital-marker").count() == 2

    # nearest to a chosen kelurahan (found through the regions API), by travel time
    page.goto("/tempat-tidur/")
    page.fill("#f-lokasi", "Pudak")
    page.wait_for_selector("#kelurahan-options option[value='Pudakpayung']", state="attached")
    page.fill("#f-lokasi", "Pudakpayung")
    assert page.input_value("#f-kelurahan") == "3374101001"
    page.click("#board-filters button[type=submit]")
    page.wait_for_url(re.compile(r"kelurahan=3374101001"))
    assert listed(page) == ["RS Beta", "RS Alfa", "RS Gamma"]
    assert page.locator("#hospital-list .travel").count() == 3
    assert page.locator("path.origin-marker").count() == 1

    # the board refreshes itself from the JSON API, without a reload
    services.update_counts(
        Actor.system("test"), Room.objects.get(facility=beta, code="K3"), source="api", free=0
    )
    selectors.reset_snapshot()  # the process cache may be up to 0.25 s old: don't wait, reset
    page.evaluate("window.__sameDocument = true")
    page.clock.fast_forward(31_000)
    expect(page.locator("#hospital-list li .big-free b").first).to_have_text("0")
    assert page.evaluate("window.__sameDocument") is True
    assert listed(page)[0] == "RS Beta"


def test_language_switch_to_english(page, hospitals, console_errors):
    page.goto("/tempat-tidur/")
    assert page.locator("html").get_attribute("lang") == "id"
    page.click("form.lang button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Free hospital beds"
    assert "updated less than 1 minute ago" in page.locator("#hospital-list").inner_text()
    page.click("form.lang button[value=id]")
    page.wait_for_selector("html[lang=id]")
    assert page.locator("h1").inner_text() == "Tempat tidur rumah sakit yang kosong"


def test_operator_updates_a_room_and_the_board_shows_it(
    page, hospitals, operator_of, console_errors
):
    alfa, _, _ = hospitals
    operator_of(alfa, "op-alfa")
    icu = Room.objects.get(facility=alfa, bed_class="ICU")
    login(page, "op-alfa")
    assert page.locator("h1").inner_text() == "RS Alfa"
    field = f"#tersedia-{icu.public_id}"
    assert page.input_value(field) == "2"
    # the +/- steppers, then a typed value; Simpan of that row saves it
    page.click(f"button.step[data-target='tersedia-{icu.public_id}'][data-step='1']")
    assert page.input_value(field) == "3"
    page.fill(field, "4")
    page.click(f"tr[data-room='{icu.public_id}'] button[name=save]")
    page.wait_for_selector(".messages li")
    assert "1 ruang disimpan" in page.locator(".messages").inner_text()
    assert page.input_value(field) == "4"
    icu.refresh_from_db()
    assert icu.free == 4

    rows = page.request.get("/api/v1/public/beds?kelas=ICU").json()
    alfa_row = next(r for r in rows if r["name"] == "RS Alfa")
    assert {b["kodekelas"]: b["free"] for b in alfa_row["beds"]}["ICU"] == 4
    page.goto("/tempat-tidur/?kelas=ICU")
    first = page.locator("#hospital-list li").first
    assert first.locator(".h-name").inner_text() == "RS Alfa"
    assert first.locator(".big-free b").inner_text() == "4"


def test_operator_bad_input_is_shown_and_nothing_is_written(
    page, hospitals, operator_of, console_errors
):
    alfa, _, _ = hospitals
    operator_of(alfa, "op-alfa")
    icu = Room.objects.get(facility=alfa, bed_class="ICU")
    login(page, "op-alfa")
    page.fill(f"#tersedia-{icu.public_id}", "9")  # more than the 6 beds of the room
    page.click(f"tr[data-room='{icu.public_id}'] button[name=save]")
    page.wait_for_selector("tr.row-error")
    assert "melebihi kapasitas" in page.locator("tr.row-error").inner_text()
    icu.refresh_from_db()
    assert icu.free == 2


def test_office_page_shows_charts(page, hospitals, make_user, console_errors):
    make_user("analis", "analyst", area_code="3374")
    login(page, "analis")  # lands on the situation page (/dinkes/), whose tile opens this one
    page.goto("/dinkes/tempat-tidur/")
    assert page.locator("#chart-series svg.pygal-chart").count() == 1
    assert page.locator("#chart-bor svg.pygal-chart").count() == 1
    # the chart stylesheet applies (served as a file: the CSP forbids the inline one)
    hidden = page.evaluate(
        "getComputedStyle(document.querySelector('#chart-series .tooltip')).display"
    )
    assert hidden == "none"
    assert page.locator("#bor-table tbody tr").count() == 3
    page.select_option("select[name=hari]", "1")
    page.click("#office-filters button[type=submit]")
    page.wait_for_url(re.compile(r"hari=1"))
    assert page.locator("#chart-series svg").count() == 1


def test_export_links_after_filtering_download_the_filtered_board(page, hospitals, console_errors):
    """Issue 12: the CSV/XLSX links failed with 422 (an empty `kecamatan=`), and the header
    totals ignored the filter."""
    import csv
    import io

    from openpyxl import load_workbook

    page.goto("/tempat-tidur/")
    assert page.locator("[data-total=hospitals]").inner_text() == "3"
    assert page.locator("[data-total=free]").inner_text() == "31"
    page.select_option("#f-kelas", "ICU")
    page.wait_for_url(re.compile(r"kelas=ICU"))
    assert page.locator("[data-total=hospitals]").inner_text() == "3"
    assert page.locator("[data-total=free]").inner_text() == "3"

    with page.expect_download() as download:
        page.click(".exports a:text-is('CSV')")
    with open(download.value.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["rumah_sakit"], r["kodekelas"], r["tersedia"]) for r in rows} == {
        ("RS Alfa", "ICU", "2"), ("RS Beta", "ICU", "0"), ("RS Gamma", "ICU", "1"),
    }  # fmt: skip

    page.select_option("#f-kecamatan", "337401")
    page.wait_for_url(re.compile(r"kecamatan=337401"))
    assert page.locator("[data-total=hospitals]").inner_text() == "1"
    assert page.locator("[data-total=free]").inner_text() == "2"
    with page.expect_download() as download:
        page.click(".exports a:text-is('XLSX')")
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as f:
        ws = load_workbook(io.BytesIO(f.read()), read_only=True).active
        _header, *xrows = list(ws.iter_rows(values_only=True))
    assert [(r[0], r[5], r[8]) for r in xrows] == [("RS Alfa", "ICU", 2)]
