"""The situation page in headless Chromium: the analyst lands on it, a tile follows a change
through the poll, a tile link opens its page, and a 390 px phone needs no sideways scroll."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import login
from tests.monitoring.conftest import hospital, room

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_lands_tile_updates_through_the_poll_and_links(page, analyst, console_errors):
    alfa = hospital("RS Alfa")
    room(alfa, "ICU1", "ICU", 6, 2)
    page.clock.install()
    login(page, analyst.username, until=re.compile(r"/dinkes/$"))
    free = page.locator("[data-figure=beds-free]")
    expect(free).to_have_text("2 dari 6 tempat tidur kosong")
    expect(page.locator("h1")).to_have_text("Situasi · Kota Semarang")

    room(alfa, "K3", "KL3", 20, 5)  # a hospital reports a new ward
    page.clock.fast_forward(46_000)  # one poll later
    expect(free).to_have_text("7 dari 26 tempat tidur kosong")
    expect(page.locator("#situation-status")).not_to_have_class(re.compile("failed"))

    page.click("#tile-beds h2 a")
    page.wait_for_url(re.compile(r"/dinkes/tempat-tidur/$"))
    assert not console_errors


def test_phone_width_has_no_sideways_scroll(page, provincial, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, provincial.username, until=re.compile(r"/dinkes/$"))
    expect(page.locator("#breakdown")).to_be_visible()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    page.select_option("#f-wilayah", "3371")
    page.click("#area-pick button[type=submit]")
    page.wait_for_url(re.compile(r"wilayah=3371"))
    expect(page.locator("h1")).to_have_text("Situasi · Kota Magelang")
    assert not console_errors
