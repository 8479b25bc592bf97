"""The access page in headless Chromium: an analyst opens /akses/, sees the map with its
markers and legend, changes the travel mode (the page reloads with car times), downloads
the CSV; and uploads a population file with a refused row, then a good one. Also at phone
width (390 px)."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_changes_mode_and_downloads_csv(page, facilities, analyst, console_errors):
    login(page, analyst.username)
    page.goto("/akses/")
    expect(page.locator("#map")).to_have_attribute("data-markers", "3")
    expect(page.locator("#map .kel-marker")).to_have_count(3)
    expect(page.locator("#legend")).to_contain_text("Puskesmas")
    expect(page.locator("#kelurahan-table tbody tr")).to_have_count(4)
    bike = page.locator("#kelurahan-table tr[data-code='3374101001'] td").nth(5).inner_text()
    page.select_option("#f-mode", "car")  # the form submits on change
    page.wait_for_url("**moda=car**")
    expect(page.locator("#f-mode")).to_have_value("car")
    car = page.locator("#kelurahan-table tr[data-code='3374101001'] td").nth(5).inner_text()
    assert float(car.replace(",", ".")) > float(
        bike.replace(",", ".")
    )  # 08:00: cars are slower in the morning traffic
    with page.expect_download() as dl:
        page.click("#export-csv")
    assert dl.value.suggested_filename == "akses-3374-car-08.csv"
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert len(rows) == 5 and rows[1][6] == "Mobil"


def test_population_upload_and_phone_width(page, facilities, analyst, tmp_path, console_errors):
    login(page, analyst.username)
    page.goto("/akses/penduduk/")
    bad = tmp_path / "penduduk.csv"
    bad.write_text("kode,penduduk\n3374011001,5000\n3374999999,10\n")
    page.set_input_files("#upload-form input[name=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-error")).to_be_visible()
    expect(page.locator("#rejections tbody tr")).to_have_count(1)
    good = tmp_path / "penduduk2.csv"
    good.write_text("kode,penduduk\n3374011001,5000\n")
    page.set_input_files("#upload-form input[name=file]", str(good))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-ok")).to_contain_text("5.000")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/akses/")
    expect(page.locator("#kelurahan-table tr[data-code='3374011001']")).to_contain_text(
        "Berkas unggahan Dinas"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 400)"
        ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert width <= 400, wide
    box = page.locator("#map").bounding_box()
    assert box and box["width"] <= 390
