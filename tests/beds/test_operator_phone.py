"""The ward page (/operator/) on a 390 px phone: no sideways scrolling, and a refused save
shows its message at the row that failed, keeping what was typed."""

import re
from functools import partial

import pytest

from sigap.beds.models import Room
from tests.beds.test_browser import hospitals  # noqa: F401 - fixture
from tests.helpers import login as sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
login = partial(sign_in, until=re.compile(r"/operator/"))
PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )


def test_operator_page_fits_a_phone_and_shows_the_error_at_the_row(
    page,
    hospitals,  # noqa: F811
    operator_of,
    console_errors,
):
    alfa, _, _ = hospitals
    operator_of(alfa, "op-alfa")
    icu = Room.objects.get(facility=alfa, bed_class="ICU")
    k3 = Room.objects.get(facility=alfa, bed_class="KL3")
    page.set_viewport_size(PHONE)
    login(page, "op-alfa")
    assert page_width(page) <= 390
    # both rows edited, the second one wrong: "Simpan semua" writes nothing and says where
    page.fill(f"#tersedia-{icu.public_id}", "1")
    page.fill(f"#tersedia-{k3.public_id}", "99")  # more than the 20 beds of the room
    page.locator(".save-all button[name=save]").click()
    page.wait_for_selector("tr.row-error")
    bad = page.locator(f"tr[data-room='{k3.public_id}']")
    assert "row-error" in (bad.get_attribute("class") or "")
    assert "melebihi kapasitas" in bad.inner_text()
    assert page.locator("p.card.error").count() == 0  # not at the top
    # what was typed is still there, in both rows
    assert page.input_value(f"#tersedia-{k3.public_id}") == "99"
    assert page.input_value(f"#tersedia-{icu.public_id}") == "1"
    # the message is on screen next to the row (scrolled to it), and the page still fits
    box = bad.locator(".error").bounding_box()
    assert box and 0 <= box["y"] <= PHONE["height"] and box["x"] + box["width"] <= 390
    assert page_width(page) <= 390
    for room in (icu, k3):
        before = room.free
        room.refresh_from_db()
        assert room.free == before


def test_operator_page_on_a_desktop_keeps_every_column(
    page,
    hospitals,  # noqa: F811
    operator_of,
    console_errors,
):
    alfa, _, _ = hospitals
    operator_of(alfa, "op-alfa")
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, "op-alfa")
    assert page.locator("table.rooms th").count() == 7
    assert page_width(page) <= 1280
