"""Coverage pages in headless Chromium against a live server."""

import re
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sigap.coverage import services
from sigap.coverage.models import QuotaRun, Worker
from tests.helpers import login as sign_in

from .conftest import KEL_A, KEL_B, MEM_HEADER, POP_HEADER, TODAY, person, write_csv

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
login = partial(sign_in, username="analis", until=None)
MAY = date(2026, 5, 1)
PEOPLE = [person("337401", date(1990, 1, 1 + i), 50 + i, KEL_A if i % 2 else KEL_B)
          for i in range(10)]  # fmt: skip


@pytest.fixture
def data(semarang, cli, tmp_path, make_user):
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE),
                             MAY, today=TODAY)  # fmt: skip
    members = [[p[0], "1", "PBI-APBN", "1", "", "", "3"] for p in PEOPLE[:8]]
    services.import_snapshot(cli, "membership", write_csv(tmp_path / "m.csv", MEM_HEADER, members),
                             MAY, today=TODAY)  # fmt: skip
    make_user("analis", "analyst", area_code="3374")


def test_dashboard_and_uninsured_list(page, data, console_errors):
    login(page)
    page.goto("/dinkes/jkn/")
    expect(page.locator("#kpi-coverage")).to_have_text("80.00%")
    expect(page.locator("#kpi-uhc")).to_have_text("Belum UHC")
    expect(page.locator("#chart-trend svg")).to_be_visible()
    expect(page.locator("#chart-age svg")).to_be_visible()
    page.select_option("#area-filter select[name=tingkat]", "kelurahan")
    page.click("#area-filter button[type=submit]")
    expect(page.locator("#area-table tbody tr")).to_have_count(2)
    page.click("#area-table a:text('Miroto')")
    expect(page).to_have_url(re.compile(r"/dinkes/jkn/belum-terdaftar/\?kelurahan=" + KEL_A))
    rows = page.locator("#uninsured-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(PEOPLE[9][0][:4] + "xxxxxxxx" + PEOPLE[9][0][-4:])
    with page.expect_download() as dl:
        page.click("#export-csv")
    assert PEOPLE[9][0] in Path(dl.value.path()).read_text()


def test_upload_shows_the_rejection_report(page, data, tmp_path, console_errors):
    rows = [person("337401", date(1970, 2, 2), 77, KEL_A), ["0000", *PEOPLE[0][1:]]]
    path = write_csv(tmp_path / "baru.csv", POP_HEADER, rows)
    login(page)
    page.goto("/dinkes/jkn/impor/")
    page.select_option("#import-form select[name=jenis]", "population")
    page.fill("#import-form input[name=periode]", "2026-06")
    page.set_input_files("#import-form input[name=berkas]", str(path))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#accepted")).to_have_text("1")
    expect(page.locator("#rejected")).to_have_text("1")
    expect(page.locator("#reject-table tbody tr")).to_have_count(1)
    expect(page.locator("#reject-summary")).to_contain_text("NIK bukan 16 angka")


def test_quota_run_submit_and_activate(page, data, console_errors):
    login(page)
    page.goto("/dinkes/jkn/kuota/")
    expect(page.locator("#chart-projection svg")).to_be_visible()
    page.fill("#run-form input[name=periode]", "2026-05")
    page.fill("#run-form input[name=kuota]", "5")
    page.click("#run-form button[type=submit]")
    expect(page.locator("#selected")).to_have_text("2")
    page.click("#submit-form button")
    expect(page.locator("#count-submitted")).to_have_text("2")
    page.fill("#activate-form textarea", PEOPLE[8][0])
    page.click("#activate-form button[value=aktif]")
    expect(page.locator("#count-activated")).to_have_text("1")
    assert QuotaRun.objects.get().enrolments.filter(status="activated").count() == 1


def test_workers_register_and_month(page, data, console_errors):
    login(page)
    page.goto("/dinkes/jkn/pekerja/")
    page.fill("#worker-form input[name=nik]", PEOPLE[0][0])
    page.fill("#worker-form input[name=nama]", "Budi Ojek")
    page.fill("#worker-form input[name=pekerjaan]", "ojek")
    page.select_option("#worker-form select[name=kelurahan]", KEL_A)
    page.check("#worker-form input[name=jht]")
    page.click("#worker-form button[type=submit]")
    expect(page.locator("#worker-table tbody tr")).to_have_count(1)
    expect(page.locator("#worker-table")).to_contain_text("Budi Ojek")
    page.fill("#worker-run-form input[name=periode]", "2026-05")
    page.click("#worker-run-form button[type=submit]")
    expect(page.locator("#selected")).to_have_text("1")
    assert Worker.objects.get().wants_jht


def test_public_check(page, data, console_errors):
    from django.core.cache import cache

    cache.clear()
    page.goto("/cek-jkn/")
    page.fill("#check-form input[name=nik]", PEOPLE[0][0])
    page.fill("#check-form input[name=nomor]", PEOPLE[0][1])
    page.click("#check-form button[type=submit]")
    expect(page.locator("#answer")).to_have_attribute("data-answer", "active")
    expect(page.locator("#answer")).not_to_contain_text(PEOPLE[0][2])
    page.fill("#check-form input[name=nik]", PEOPLE[9][0])
    page.fill("#check-form input[name=nomor]", PEOPLE[9][1])
    page.click("#check-form button[type=submit]")
    expect(page.locator("#answer")).to_have_attribute("data-answer", "uncovered")
