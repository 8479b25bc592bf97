"""The report in headless Chromium: the analyst picks a quarter, reads the tables, downloads
the whole report as XLSX and the monthly PDF; a 390 px phone needs no sideways scroll."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.helpers import login
from tests.monitoring.conftest import incident

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_picks_a_quarter_and_downloads_xlsx_and_pdf(page, analyst, console_errors):
    now = timezone.localtime()
    for minutes in (4, 8, 10, 12, 30):
        incident(received_at=now - timedelta(minutes=40), on_scene_after=minutes)
    quarter = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    login(page, analyst.username, until=re.compile(r"/dinkes/$"))
    page.goto(page.url + "laporan/")
    expect(page.locator("#f-triwulan")).to_be_hidden()
    page.select_option("#f-periode", "triwulan")
    expect(page.locator("#f-triwulan")).to_be_visible()
    page.fill("#f-triwulan", quarter)
    page.click("#report-pick button[type=submit]")
    page.wait_for_url(re.compile(r"periode=triwulan"))
    expect(page.locator("#report-period")).to_contain_text("(berjalan)")
    row = page.locator("#t-response_phases tr", has_text="waktu respons")
    expect(row).to_contain_text("10,0")
    expect(page.locator("#t-bed_trust h2")).to_have_text("Keandalan data tempat tidur")

    with page.expect_download() as dl:
        page.click("#download-xlsx")
    assert dl.value.suggested_filename == f"laporan-3374-{quarter}.xlsx"
    wb = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert wb["response_phases"]["A1"].value == "Waktu per fase PSC 119 (menit)"

    with page.expect_download() as dl:
        page.click("#download-pdf")
    assert dl.value.suggested_filename.startswith("laporan-bulanan-3374-")
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")
    assert not console_errors


def test_phone_width_has_no_sideways_scroll(page, analyst, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, analyst.username, until=re.compile(r"/dinkes/$"))
    page.goto(page.url + "laporan/?periode=tahun")
    expect(page.locator("#t-referral_hospitals")).to_be_visible()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    assert not console_errors
