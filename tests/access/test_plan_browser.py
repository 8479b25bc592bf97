"""The planning walk in headless Chromium: the analyst opens /akses/, goes to the plan page,
saves "upgrade 1 Pustu" and "as is", reads the exact plan beside the greedy one with the map
before/after, compares both, downloads the CSV; and the compare page at 390 px."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sigap.access.services import import_population
from sigap.core.services import Actor
from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def people(facilities, analyst):
    content = b"kode,penduduk\n3374011001,5000\n3374011002,3000\n3374101001,7000\n"
    import_population(Actor.system("test"), "p.csv", content, "3374")
    return analyst


def save_plan(page, name, k):
    page.fill("#p-name", name)
    page.fill("#p-k", str(k))
    page.fill("#p-minutes", "15")
    page.uncheck("#p-new")
    page.check("#p-upgrades")
    page.click("#p-submit")
    page.wait_for_url("**/akses/rencana/*-*/")
    expect(page.locator("#scenario-status")).to_have_attribute("data-status", "done")


def test_access_plan_compare(page, people, console_errors):
    login(page, people.username)
    page.goto("/akses/")
    expect(page.locator("#map .kel-marker")).to_have_count(3)
    page.click("nav.subnav >> text=Rencana lokasi")
    page.wait_for_url("**/akses/rencana/")
    save_plan(page, "Tingkatkan 1 Pustu", 1)
    expect(page.locator("#exact-plan")).to_contain_text("Pustu Pudakpayung")
    expect(page.locator("#greedy-plan")).to_contain_text("Pustu Pudakpayung")
    expect(page.locator("#gap")).to_have_text("0,0%")
    expect(page.locator("#plan-map")).to_have_attribute("data-chosen", "1")
    expect(page.locator("#plan-map .kel-marker")).to_have_count(3)
    expect(page.locator("#figures-table tr[data-t='15'] td").nth(3)).to_have_text("7.000")
    # the "before" layer of the map: Pudakpayung is far from a Puskesmas there
    page.locator("#plan-map .leaflet-control-layers label").first.click()
    expect(page.locator("#plan-map .kel-marker.t-15")).to_have_count(2)
    page.goto("/akses/rencana/")
    save_plan(page, "Apa adanya", 0)
    expect(page.locator("#exact-plan")).to_contain_text("apa adanya")
    page.goto("/akses/rencana/")
    expect(page.locator("#saved-table tbody tr")).to_have_count(2)
    page.locator("#saved-table input[name=s]").nth(0).check()
    page.locator("#saved-table input[name=s]").nth(1).check()
    page.click("#compare-submit")
    page.wait_for_url("**/akses/rencana/banding/**")
    gain = page.locator("#compare-table tr.gain[data-t='15'] td")
    expect(gain.nth(1)).to_have_text("0")
    expect(gain.nth(2)).to_have_text("7.000")
    expect(page.locator(".plan-map")).to_have_count(2)
    expect(page.locator("#map-1")).to_have_attribute("data-markers", "3")
    with page.expect_download() as dl:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert rows[0] == ["Ukuran", "Apa adanya", "Tingkatkan 1 Pustu"]
    assert not console_errors, console_errors

    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    expect(page.locator("#compare-table")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 400)"
        ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert width <= 400, wide
    box = page.locator("#map-0").bounding_box()
    assert box and box["width"] <= 390
    assert not console_errors, console_errors
